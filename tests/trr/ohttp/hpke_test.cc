// HPKE against RFC 9180's test vectors (appendix A.1.1 and A.2.1, base
// mode, X25519 with both AEADs), and its typed errors.

#include "trr/ohttp/hpke.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace trr::ohttp {
namespace {

Bytes Hex(const std::string& hex) {
  const std::string raw = absl::HexStringToBytes(hex);
  return Bytes(raw.begin(), raw.end());
}

std::string ToHex(const Bytes& bytes) {
  return absl::BytesToHexString(std::string(bytes.begin(), bytes.end()));
}

struct Vector {
  const char* name;
  uint16_t aead;
  const char* sk_e;
  const char* pk_e;
  const char* sk_r;
  const char* pk_r;
  const char* key;
  const char* base_nonce;
  const char* exporter_secret;
  // Sequence number 0 and 1, then the exports of L=32 for "", 00 and
  // "TestContext".
  const char* ct0;
  const char* ct1;
  const char* export_empty;
  const char* export_00;
  const char* export_test_context;
};

const Vector kVectors[] = {
    {"A.1.1 AES-128-GCM", kAeadAes128Gcm,
     "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
     "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
     "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
     "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
     "4531685d41d65f03dc48f6b8302c05b0", "56d890e5accaaf011cff4b7d",
     "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8",
     "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9"
     "6d8770ac83d07bea87e13c512a",
     "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab25"
     "1c03d0c22a56b8ca42c2063b84",
     "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee",
     "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5",
     "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931"},
    {"A.2.1 ChaCha20-Poly1305", kAeadChaCha20Poly1305,
     "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600",
     "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
     "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb",
     "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a",
     "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91",
     "5c4d98150661b848853b547f",
     "a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922",
     "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db"
     "21993c62ce81883d2dd1b51a28",
     "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e"
     "85285337cc95ba5f59992dc98c",
     "4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e",
     "8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69",
     "5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53"},
};

const char kInfo[] = "4f6465206f6e2061204772656369616e2055726e";
const char kPlaintext[] =
    "4265617574792069732074727574682c20747275746820626561757479";

TEST(HpkeTest, MatchesRfc9180BaseModeVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    const HpkeSuite suite{kKemX25519HkdfSha256, kKdfHkdfSha256, v.aead};
    EXPECT_EQ(ToHex(*X25519PublicKey(Hex(v.sk_e))), v.pk_e);
    auto sender =
        SetupBaseSenderForTesting(suite, Hex(v.pk_r), Hex(kInfo), Hex(v.sk_e));
    ASSERT_TRUE(sender.ok()) << sender.status();
    EXPECT_EQ(ToHex(sender->enc), v.pk_e);
    EXPECT_EQ(ToHex(sender->context.key()), v.key);
    EXPECT_EQ(ToHex(sender->context.base_nonce()), v.base_nonce);
    EXPECT_EQ(ToHex(sender->context.exporter_secret()), v.exporter_secret);
    auto ct0 = sender->context.Seal(Hex("436f756e742d30"), Hex(kPlaintext));
    ASSERT_TRUE(ct0.ok()) << ct0.status();
    EXPECT_EQ(ToHex(*ct0), v.ct0);
    auto ct1 = sender->context.Seal(Hex("436f756e742d31"), Hex(kPlaintext));
    ASSERT_TRUE(ct1.ok()) << ct1.status();
    EXPECT_EQ(ToHex(*ct1), v.ct1);
    EXPECT_EQ(ToHex(sender->context.Export({}, 32)), v.export_empty);
    EXPECT_EQ(ToHex(sender->context.Export(Hex("00"), 32)), v.export_00);
    EXPECT_EQ(ToHex(sender->context.Export(Hex("54657374436f6e74657874"), 32)),
              v.export_test_context);

    // The recipient derives the same context and opens both, in order.
    auto recipient =
        SetupBaseRecipient(suite, Hex(v.pk_e), Hex(v.sk_r), Hex(kInfo));
    ASSERT_TRUE(recipient.ok()) << recipient.status();
    EXPECT_EQ(ToHex(recipient->key()), v.key);
    auto pt0 = recipient->Open(Hex("436f756e742d30"), *ct0);
    ASSERT_TRUE(pt0.ok()) << pt0.status();
    EXPECT_EQ(ToHex(*pt0), kPlaintext);
    // Out of order (the same ciphertext again) does not authenticate.
    EXPECT_TRUE(absl::IsDataLoss(
        recipient->Open(Hex("436f756e742d30"), *ct0).status()));
  }
}

TEST(HpkeTest, TamperedOrShortCiphertextsAreDataLoss) {
  auto keys = GenerateX25519KeyPair();
  ASSERT_TRUE(keys.ok()) << keys.status();
  for (uint16_t aead : {kAeadAes128Gcm, kAeadChaCha20Poly1305}) {
    const HpkeSuite suite{kKemX25519HkdfSha256, kKdfHkdfSha256, aead};
    auto sender = SetupBaseSender(suite, keys->public_key, {});
    ASSERT_TRUE(sender.ok()) << sender.status();
    Bytes ct = *sender->context.Seal({}, Hex("00010203"));
    ct[1] ^= 0x80;
    auto recipient =
        SetupBaseRecipient(suite, sender->enc, keys->private_key, {});
    ASSERT_TRUE(recipient.ok()) << recipient.status();
    EXPECT_TRUE(absl::IsDataLoss(recipient->Open({}, ct).status()));
    EXPECT_TRUE(absl::IsDataLoss(recipient->Open({}, Hex("0102")).status()));
  }
}

TEST(HpkeTest, UnknownAlgorithmsAndBadKeysAreTypedErrors) {
  auto keys = GenerateX25519KeyPair();
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(absl::IsUnimplemented(
      SetupBaseSender({0x0010, kKdfHkdfSha256, kAeadAes128Gcm},
                      keys->public_key, {})
          .status()));
  EXPECT_TRUE(absl::IsUnimplemented(
      SetupBaseSender({kKemX25519HkdfSha256, 0x0002, kAeadAes128Gcm},
                      keys->public_key, {})
          .status()));
  EXPECT_TRUE(absl::IsUnimplemented(
      SetupBaseSender({kKemX25519HkdfSha256, kKdfHkdfSha256, 0x0002},
                      keys->public_key, {})
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetupBaseSender(HpkeSuite(), Hex("0102"), {}).status()));
  // A low-order point: the shared secret would be all zeros.
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetupBaseSender(HpkeSuite(), Bytes(32, 0), {}).status()));
}

}  // namespace
}  // namespace trr::ohttp
