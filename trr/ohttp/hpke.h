// HPKE (RFC 9180), base mode only, for Oblivious HTTP: the KEM
// DHKEM(X25519, HKDF-SHA256), the KDF HKDF-SHA256, and the AEADs
// AES-128-GCM and ChaCha20-Poly1305, on OpenSSL 3.0's EVP primitives
// (Debian 12's OpenSSL has no HPKE API of its own).
//
// Every function returns a typed error rather than trusting its input:
// InvalidArgument for keys and lengths that do not fit the suite,
// Unimplemented for algorithm ids outside the list above, DataLoss when a
// ciphertext does not authenticate.

#ifndef TRR_TRR_OHTTP_HPKE_H_
#define TRR_TRR_OHTTP_HPKE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace trr::ohttp {

using Bytes = std::vector<uint8_t>;
using ByteSpan = absl::Span<const uint8_t>;

// Algorithm ids (RFC 9180 section 7).
constexpr uint16_t kKemX25519HkdfSha256 = 0x0020;
constexpr uint16_t kKdfHkdfSha256 = 0x0001;
constexpr uint16_t kAeadAes128Gcm = 0x0001;
constexpr uint16_t kAeadChaCha20Poly1305 = 0x0003;

constexpr size_t kX25519KeyLength = 32;  // Npk, Nsk and Nenc alike
constexpr size_t kAeadNonceLength = 12;  // Nn of both AEADs
constexpr size_t kAeadTagLength = 16;    // Nt of both AEADs

struct HpkeSuite {
  uint16_t kem = kKemX25519HkdfSha256;
  uint16_t kdf = kKdfHkdfSha256;
  uint16_t aead = kAeadAes128Gcm;
};

// Whether trr implements the suite; Unimplemented naming the first id it
// does not know otherwise.
absl::Status CheckSuite(const HpkeSuite& suite);
// The AEAD's key length (Nk); 0 for an AEAD it does not know.
size_t AeadKeyLength(uint16_t aead);

// HKDF-SHA256 (RFC 5869), the suite's KDF, as OHTTP also uses it directly.
Bytes HkdfExtract(ByteSpan salt, ByteSpan ikm);
Bytes HkdfExpand(ByteSpan prk, ByteSpan info, size_t length);

// One AEAD operation with an explicit key and nonce (OHTTP's responses).
absl::StatusOr<Bytes> AeadSeal(uint16_t aead, ByteSpan key, ByteSpan nonce,
                               ByteSpan aad, ByteSpan plaintext);
absl::StatusOr<Bytes> AeadOpen(uint16_t aead, ByteSpan key, ByteSpan nonce,
                               ByteSpan aad, ByteSpan ciphertext);

// An encryption context (RFC 9180 section 5.2): Seal on the sender's side,
// Open on the recipient's, Export on both.
class HpkeContext {
 public:
  absl::StatusOr<Bytes> Seal(ByteSpan aad, ByteSpan plaintext);
  absl::StatusOr<Bytes> Open(ByteSpan aad, ByteSpan ciphertext);
  Bytes Export(ByteSpan exporter_context, size_t length) const;

  const HpkeSuite& suite() const { return suite_; }
  const Bytes& key() const { return key_; }
  const Bytes& base_nonce() const { return base_nonce_; }
  const Bytes& exporter_secret() const { return exporter_secret_; }

 private:
  friend absl::StatusOr<HpkeContext> KeySchedule(const HpkeSuite& suite,
                                                 ByteSpan shared_secret,
                                                 ByteSpan info);
  Bytes NextNonce();

  HpkeSuite suite_;
  Bytes key_;
  Bytes base_nonce_;
  Bytes exporter_secret_;
  uint64_t sequence_ = 0;
};

// The base-mode key schedule (section 5.1) from a KEM shared secret.
absl::StatusOr<HpkeContext> KeySchedule(const HpkeSuite& suite,
                                        ByteSpan shared_secret, ByteSpan info);

struct SenderSetup {
  Bytes enc;  // the encapsulated key, sent to the recipient
  HpkeContext context;
};

// SetupBaseS (section 5.1.1) to the recipient's public key `pk_r`, with a
// fresh ephemeral key.
absl::StatusOr<SenderSetup> SetupBaseSender(const HpkeSuite& suite,
                                            ByteSpan pk_r, ByteSpan info);
// The same with the ephemeral private key given: for known-answer tests
// only, since a reused ephemeral key gives every message the same keys.
absl::StatusOr<SenderSetup> SetupBaseSenderForTesting(const HpkeSuite& suite,
                                                      ByteSpan pk_r,
                                                      ByteSpan info,
                                                      ByteSpan sk_e);
// SetupBaseR: the recipient's side, from `enc` and its private key.
absl::StatusOr<HpkeContext> SetupBaseRecipient(const HpkeSuite& suite,
                                               ByteSpan enc, ByteSpan sk_r,
                                               ByteSpan info);

// An X25519 key pair, raw (private, public), 32 bytes each.
struct X25519KeyPair {
  Bytes private_key;
  Bytes public_key;
};
absl::StatusOr<X25519KeyPair> GenerateX25519KeyPair();
// The public key of a raw private key.
absl::StatusOr<Bytes> X25519PublicKey(ByteSpan private_key);

}  // namespace trr::ohttp

#endif  // TRR_TRR_OHTTP_HPKE_H_
