#include "trr/ohttp/hpke.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trr::ohttp {
namespace {

constexpr size_t kHashLength = 32;  // Nh of HKDF-SHA256
constexpr std::string_view kVersion = "HPKE-v1";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

void Append(Bytes& to, ByteSpan bytes) {
  to.insert(to.end(), bytes.begin(), bytes.end());
}
void Append(Bytes& to, std::string_view text) {
  to.insert(to.end(), text.begin(), text.end());
}
void AppendU16(Bytes& to, uint16_t v) {
  to.push_back(static_cast<uint8_t>(v >> 8));
  to.push_back(static_cast<uint8_t>(v));
}
Bytes KemSuiteId() {
  Bytes id;
  Append(id, "KEM");
  AppendU16(id, kKemX25519HkdfSha256);
  return id;
}

Bytes HpkeSuiteId(const HpkeSuite& suite) {
  Bytes id;
  Append(id, "HPKE");
  AppendU16(id, suite.kem);
  AppendU16(id, suite.kdf);
  AppendU16(id, suite.aead);
  return id;
}

// RFC 9180 section 4: the KDF with the version and suite bound in.
Bytes LabeledExtract(ByteSpan suite_id, ByteSpan salt, std::string_view label,
                     ByteSpan ikm) {
  Bytes labeled;
  Append(labeled, kVersion);
  Append(labeled, suite_id);
  Append(labeled, label);
  Append(labeled, ikm);
  return HkdfExtract(salt, labeled);
}

Bytes LabeledExpand(ByteSpan suite_id, ByteSpan prk, std::string_view label,
                    ByteSpan info, size_t length) {
  Bytes labeled;
  AppendU16(labeled, static_cast<uint16_t>(length));
  Append(labeled, kVersion);
  Append(labeled, suite_id);
  Append(labeled, label);
  Append(labeled, info);
  return HkdfExpand(prk, labeled, length);
}

absl::StatusOr<Pkey> PrivateKey(ByteSpan raw) {
  if (raw.size() != kX25519KeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("an X25519 private key is 32 bytes, not ", raw.size()));
  }
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, raw.data(),
                                        raw.size()));
  if (!key) return absl::InvalidArgumentError("unusable X25519 private key");
  return key;
}

absl::StatusOr<Pkey> PublicKey(ByteSpan raw) {
  if (raw.size() != kX25519KeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("an X25519 public key is 32 bytes, not ", raw.size()));
  }
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, raw.data(),
                                       raw.size()));
  if (!key) return absl::InvalidArgumentError("unusable X25519 public key");
  return key;
}

absl::StatusOr<Bytes> RawPublicKey(EVP_PKEY* key) {
  Bytes out(kX25519KeyLength);
  size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &length) != 1 ||
      length != out.size()) {
    return absl::InternalError("cannot read an X25519 public key");
  }
  return out;
}

// DH(sk, pk). OpenSSL refuses an all-zero result (a low-order public key),
// as RFC 9180 section 7.1.4 requires.
absl::StatusOr<Bytes> Dh(EVP_PKEY* private_key, EVP_PKEY* public_key) {
  PkeyCtx ctx(EVP_PKEY_CTX_new(private_key, nullptr));
  Bytes out(kX25519KeyLength);
  size_t length = out.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), public_key) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &length) != 1 ||
      length != out.size()) {
    return absl::InvalidArgumentError(
        "X25519 key agreement failed (a low-order public key?)");
  }
  return out;
}

// DHKEM's ExtractAndExpand (section 4.1).
Bytes ExtractAndExpand(ByteSpan dh, ByteSpan kem_context) {
  const Bytes suite_id = KemSuiteId();
  const Bytes eae_prk = LabeledExtract(suite_id, {}, "eae_prk", dh);
  return LabeledExpand(suite_id, eae_prk, "shared_secret", kem_context,
                       kHashLength);
}

absl::StatusOr<Pkey> NewX25519Key() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return absl::InternalError("cannot make an X25519 key");
  }
  return Pkey(raw);
}

// The AEAD's cipher, fetched once (see Sha256()).
const EVP_CIPHER* Cipher(uint16_t aead) {
  static const EVP_CIPHER* aes =
      EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static const EVP_CIPHER* chacha =
      EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (aead) {
    case kAeadAes128Gcm:
      return aes;
    case kAeadChaCha20Poly1305:
      return chacha;
    default:
      return nullptr;
  }
}

absl::Status CheckAeadInputs(uint16_t aead, ByteSpan key, ByteSpan nonce,
                             size_t data_length) {
  if (Cipher(aead) == nullptr) {
    return absl::UnimplementedError(absl::StrCat("AEAD ", aead));
  }
  if (key.size() != AeadKeyLength(aead) || nonce.size() != kAeadNonceLength) {
    return absl::InvalidArgumentError("AEAD key or nonce of the wrong length");
  }
  if (data_length > static_cast<size_t>(INT_MAX) - kAeadTagLength) {
    return absl::InvalidArgumentError("AEAD input too long");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSuite(const HpkeSuite& suite) {
  if (suite.kem != kKemX25519HkdfSha256) {
    return absl::UnimplementedError(absl::StrCat("HPKE KEM ", suite.kem));
  }
  if (suite.kdf != kKdfHkdfSha256) {
    return absl::UnimplementedError(absl::StrCat("HPKE KDF ", suite.kdf));
  }
  if (AeadKeyLength(suite.aead) == 0) {
    return absl::UnimplementedError(absl::StrCat("HPKE AEAD ", suite.aead));
  }
  return absl::OkStatus();
}

size_t AeadKeyLength(uint16_t aead) {
  switch (aead) {
    case kAeadAes128Gcm:
      return 16;
    case kAeadChaCha20Poly1305:
      return 32;
    default:
      return 0;
  }
}

namespace {

// SHA-256, fetched from the provider once: OpenSSL 3 looks an algorithm
// up by name on every implicit use (HMAC(), EVP_sha256() in an init), which
// cost more than the hashing itself here (docs/PERFORMANCE.md).
const EVP_MD* Sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

// HMAC-SHA256 (RFC 2104) into `out` (32 bytes), on one digest context per
// thread: H((K ^ opad) || H((K ^ ipad) || data)).
void HmacSha256(ByteSpan key, ByteSpan data, uint8_t* out) {
  constexpr size_t kBlock = 64;
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  uint8_t padded[kBlock] = {};
  unsigned int length = 0;
  if (key.size() > kBlock) {
    EVP_DigestInit_ex(ctx.get(), Sha256(), nullptr);
    EVP_DigestUpdate(ctx.get(), key.data(), key.size());
    EVP_DigestFinal_ex(ctx.get(), padded, &length);
  } else if (!key.empty()) {
    std::memcpy(padded, key.data(), key.size());
  }
  uint8_t pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x36;
  uint8_t inner[kHashLength];
  EVP_DigestInit_ex(ctx.get(), Sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  EVP_DigestFinal_ex(ctx.get(), inner, &length);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x5c;
  EVP_DigestInit_ex(ctx.get(), Sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  EVP_DigestUpdate(ctx.get(), inner, sizeof(inner));
  EVP_DigestFinal_ex(ctx.get(), out, &length);
  OPENSSL_cleanse(padded, sizeof(padded));
  OPENSSL_cleanse(pad, sizeof(pad));
}

}  // namespace

Bytes HkdfExtract(ByteSpan salt, ByteSpan ikm) {
  // An empty salt is HashLen zeros (RFC 5869 section 2.2); HMAC pads any
  // key with zeros, so the empty key is the same.
  Bytes prk(kHashLength);
  HmacSha256(salt, ikm, prk.data());
  return prk;
}

Bytes HkdfExpand(ByteSpan prk, ByteSpan info, size_t length) {
  // At most 255 blocks (RFC 5869 section 2.3); HPKE never asks for more.
  Bytes out;
  out.reserve(length);
  Bytes block;
  Bytes input;
  for (uint8_t counter = 1; out.size() < length && counter != 0; ++counter) {
    input.assign(block.begin(), block.end());
    Append(input, info);
    input.push_back(counter);
    block.resize(kHashLength);
    HmacSha256(prk, input, block.data());
    const size_t take = std::min(kHashLength, length - out.size());
    out.insert(out.end(), block.begin(), block.begin() + take);
  }
  return out;
}

absl::StatusOr<Bytes> AeadSeal(uint16_t aead, ByteSpan key, ByteSpan nonce,
                               ByteSpan aad, ByteSpan plaintext) {
  if (absl::Status s = CheckAeadInputs(aead, key, nonce, plaintext.size());
      !s.ok()) {
    return s;
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + kAeadTagLength);
  int written = 0;
  int final_written = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), Cipher(aead), nullptr, key.data(),
                         nonce.data()) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &written, aad.data(),
                         static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &written, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &final_written) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kAeadTagLength,
                          out.data() + plaintext.size()) != 1) {
    return absl::InternalError("AEAD encryption failed");
  }
  return out;
}

absl::StatusOr<Bytes> AeadOpen(uint16_t aead, ByteSpan key, ByteSpan nonce,
                               ByteSpan aad, ByteSpan ciphertext) {
  if (absl::Status s = CheckAeadInputs(aead, key, nonce, ciphertext.size());
      !s.ok()) {
    return s;
  }
  if (ciphertext.size() < kAeadTagLength) {
    return absl::DataLossError("ciphertext shorter than its tag");
  }
  const size_t length = ciphertext.size() - kAeadTagLength;
  Bytes tag(ciphertext.end() - kAeadTagLength, ciphertext.end());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(length);
  int written = 0;
  int final_written = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), Cipher(aead), nullptr, key.data(),
                         nonce.data()) != 1 ||
      (!aad.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &written, aad.data(),
                         static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &written, ciphertext.data(),
                        static_cast<int>(length)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kAeadTagLength,
                          tag.data()) != 1) {
    return absl::InternalError("AEAD decryption failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &final_written) !=
      1) {
    return absl::DataLossError("ciphertext does not authenticate");
  }
  return out;
}

Bytes HpkeContext::NextNonce() {
  Bytes nonce = base_nonce_;
  for (size_t i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<uint8_t>(sequence_ >> (8 * i));
  }
  return nonce;
}

absl::StatusOr<Bytes> HpkeContext::Seal(ByteSpan aad, ByteSpan plaintext) {
  if (sequence_ == UINT64_MAX) {
    return absl::ResourceExhaustedError("HPKE sequence number exhausted");
  }
  absl::StatusOr<Bytes> ct =
      AeadSeal(suite_.aead, key_, NextNonce(), aad, plaintext);
  if (ct.ok()) ++sequence_;
  return ct;
}

absl::StatusOr<Bytes> HpkeContext::Open(ByteSpan aad, ByteSpan ciphertext) {
  if (sequence_ == UINT64_MAX) {
    return absl::ResourceExhaustedError("HPKE sequence number exhausted");
  }
  absl::StatusOr<Bytes> pt =
      AeadOpen(suite_.aead, key_, NextNonce(), aad, ciphertext);
  if (pt.ok()) ++sequence_;
  return pt;
}

Bytes HpkeContext::Export(ByteSpan exporter_context, size_t length) const {
  return LabeledExpand(HpkeSuiteId(suite_), exporter_secret_, "sec",
                       exporter_context, length);
}

absl::StatusOr<HpkeContext> KeySchedule(const HpkeSuite& suite,
                                        ByteSpan shared_secret, ByteSpan info) {
  if (absl::Status s = CheckSuite(suite); !s.ok()) return s;
  const Bytes suite_id = HpkeSuiteId(suite);
  // Base mode: no PSK, an empty PSK id.
  Bytes context = {0x00};
  Append(context, LabeledExtract(suite_id, {}, "psk_id_hash", {}));
  Append(context, LabeledExtract(suite_id, {}, "info_hash", info));
  const Bytes secret = LabeledExtract(suite_id, shared_secret, "secret", {});
  HpkeContext out;
  out.suite_ = suite;
  out.key_ = LabeledExpand(suite_id, secret, "key", context,
                           AeadKeyLength(suite.aead));
  out.base_nonce_ =
      LabeledExpand(suite_id, secret, "base_nonce", context, kAeadNonceLength);
  out.exporter_secret_ =
      LabeledExpand(suite_id, secret, "exp", context, kHashLength);
  return out;
}

namespace {

absl::StatusOr<SenderSetup> SetupSender(const HpkeSuite& suite, ByteSpan pk_r,
                                        ByteSpan info, EVP_PKEY* ephemeral) {
  absl::StatusOr<Pkey> recipient = PublicKey(pk_r);
  if (!recipient.ok()) return recipient.status();
  absl::StatusOr<Bytes> dh = Dh(ephemeral, recipient->get());
  if (!dh.ok()) return dh.status();
  absl::StatusOr<Bytes> enc = RawPublicKey(ephemeral);
  if (!enc.ok()) return enc.status();
  Bytes kem_context = *enc;
  Append(kem_context, pk_r);
  const Bytes shared_secret = ExtractAndExpand(*dh, kem_context);
  absl::StatusOr<HpkeContext> context = KeySchedule(suite, shared_secret, info);
  if (!context.ok()) return context.status();
  return SenderSetup{std::move(*enc), std::move(*context)};
}

}  // namespace

absl::StatusOr<SenderSetup> SetupBaseSender(const HpkeSuite& suite,
                                            ByteSpan pk_r, ByteSpan info) {
  if (absl::Status s = CheckSuite(suite); !s.ok()) return s;
  absl::StatusOr<Pkey> ephemeral = NewX25519Key();
  if (!ephemeral.ok()) return ephemeral.status();
  return SetupSender(suite, pk_r, info, ephemeral->get());
}

absl::StatusOr<SenderSetup> SetupBaseSenderForTesting(const HpkeSuite& suite,
                                                      ByteSpan pk_r,
                                                      ByteSpan info,
                                                      ByteSpan sk_e) {
  if (absl::Status s = CheckSuite(suite); !s.ok()) return s;
  absl::StatusOr<Pkey> ephemeral = PrivateKey(sk_e);
  if (!ephemeral.ok()) return ephemeral.status();
  return SetupSender(suite, pk_r, info, ephemeral->get());
}

absl::StatusOr<HpkeContext> SetupBaseRecipient(const HpkeSuite& suite,
                                               ByteSpan enc, ByteSpan sk_r,
                                               ByteSpan info) {
  if (absl::Status s = CheckSuite(suite); !s.ok()) return s;
  absl::StatusOr<Pkey> recipient = PrivateKey(sk_r);
  if (!recipient.ok()) return recipient.status();
  absl::StatusOr<Pkey> ephemeral = PublicKey(enc);
  if (!ephemeral.ok()) return ephemeral.status();
  absl::StatusOr<Bytes> dh = Dh(recipient->get(), ephemeral->get());
  if (!dh.ok()) return dh.status();
  absl::StatusOr<Bytes> pk_r = RawPublicKey(recipient->get());
  if (!pk_r.ok()) return pk_r.status();
  Bytes kem_context(enc.begin(), enc.end());
  Append(kem_context, *pk_r);
  return KeySchedule(suite, ExtractAndExpand(*dh, kem_context), info);
}

absl::StatusOr<X25519KeyPair> GenerateX25519KeyPair() {
  absl::StatusOr<Pkey> key = NewX25519Key();
  if (!key.ok()) return key.status();
  X25519KeyPair pair;
  pair.private_key.resize(kX25519KeyLength);
  size_t length = pair.private_key.size();
  if (EVP_PKEY_get_raw_private_key(key->get(), pair.private_key.data(),
                                   &length) != 1) {
    return absl::InternalError("cannot read an X25519 private key");
  }
  absl::StatusOr<Bytes> pub = RawPublicKey(key->get());
  if (!pub.ok()) return pub.status();
  pair.public_key = std::move(*pub);
  return pair;
}

absl::StatusOr<Bytes> X25519PublicKey(ByteSpan private_key) {
  absl::StatusOr<Pkey> key = PrivateKey(private_key);
  if (!key.ok()) return key.status();
  return RawPublicKey(key->get());
}

}  // namespace trr::ohttp
