// Oblivious HTTP (RFC 9458): the gateway's key configurations, and the
// client's side of encapsulation (a request sealed to the gateway's key,
// the response opened with what sealing it left). The gateway's side is
// here too, for tests and the fuzzers; trr itself is only ever a client.
//
// Errors are typed by code: InvalidArgument for a malformed key
// configuration or message, Unimplemented for algorithms trr does not
// implement, DataLoss for a response that does not authenticate (tampered,
// truncated, or sealed under another key).

#ifndef TRR_TRR_OHTTP_OHTTP_H_
#define TRR_TRR_OHTTP_OHTTP_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "trr/ohttp/hpke.h"

namespace trr::ohttp {

// One key configuration (section 3.1).
struct KeyConfig {
  uint8_t key_id = 0;
  uint16_t kem = 0;
  Bytes public_key;
  // (KDF, AEAD) pairs, in the gateway's order.
  std::vector<std::pair<uint16_t, uint16_t>> symmetric;
};

// application/ohttp-keys (section 3.2): length-prefixed configurations.
// A body that is one configuration without the prefix (as some gateways
// serve it, and RFC 9458's own example shows it) is read as that one. Any
// encoding error refuses the whole body, as section 3.2 requires.
absl::StatusOr<std::vector<KeyConfig>> ParseKeyConfigs(ByteSpan body);
Bytes EncodeKeyConfig(const KeyConfig& config);  // without the prefix

// What a client seals to: one key and one suite trr implements.
struct GatewayKey {
  uint8_t key_id = 0;
  HpkeSuite suite;
  Bytes public_key;
};
// The first configuration, in the gateway's order, with a KEM and a
// (KDF, AEAD) pair trr implements; Unimplemented naming what was offered
// when there is none.
absl::StatusOr<GatewayKey> ChooseKey(const std::vector<KeyConfig>& configs);

// A sealed request, and what opening its response needs.
class ClientRequest {
 public:
  // Seals the Binary HTTP `request` to `key` with a fresh HPKE context.
  static absl::StatusOr<ClientRequest> Seal(const GatewayKey& key,
                                            ByteSpan request);
  // The same in two steps. Prepare does the X25519 work (a fresh ephemeral
  // key and the shared secret: nearly all of sealing's cost), which needs
  // only the key, so it can be done before a request exists. SealPrepared
  // uses the context once, for a request sealed to that same `key`.
  static absl::StatusOr<SenderSetup> Prepare(const GatewayKey& key);
  static absl::StatusOr<ClientRequest> SealPrepared(const GatewayKey& key,
                                                    SenderSetup setup,
                                                    ByteSpan request);
  // The same with the ephemeral private key given: known-answer tests
  // only.
  static absl::StatusOr<ClientRequest> SealForTesting(const GatewayKey& key,
                                                      ByteSpan request,
                                                      ByteSpan ephemeral);

  // The Encapsulated Request, message/ohttp-req.
  const Bytes& encapsulated() const { return encapsulated_; }
  // Opens the Encapsulated Response (message/ohttp-res) to this request.
  absl::StatusOr<Bytes> OpenResponse(ByteSpan encapsulated_response) const;

 private:
  static absl::StatusOr<ClientRequest> From(const GatewayKey& key,
                                            ByteSpan request,
                                            absl::StatusOr<SenderSetup> setup);
  ClientRequest(HpkeContext context, Bytes enc, Bytes encapsulated)
      : context_(std::move(context)),
        enc_(std::move(enc)),
        encapsulated_(std::move(encapsulated)) {}
  HpkeContext context_;
  Bytes enc_;
  Bytes encapsulated_;
};

// The gateway's side: opens a request sealed to `private_key` (whose
// configuration `config` is) and seals the response.
class GatewayRequest {
 public:
  static absl::StatusOr<GatewayRequest> Open(const KeyConfig& config,
                                             ByteSpan private_key,
                                             ByteSpan encapsulated_request);
  const Bytes& request() const { return request_; }
  // `response_nonce` empty: a random one.
  absl::StatusOr<Bytes> SealResponse(ByteSpan response,
                                     ByteSpan response_nonce = {}) const;

 private:
  GatewayRequest(HpkeContext context, Bytes enc, Bytes request)
      : context_(std::move(context)),
        enc_(std::move(enc)),
        request_(std::move(request)) {}
  HpkeContext context_;
  Bytes enc_;
  Bytes request_;
};

// The media types (section 4.5, 3.2).
inline constexpr std::string_view kRequestMediaType = "message/ohttp-req";
inline constexpr std::string_view kResponseMediaType = "message/ohttp-res";
inline constexpr std::string_view kKeysMediaType = "application/ohttp-keys";

}  // namespace trr::ohttp

#endif  // TRR_TRR_OHTTP_OHTTP_H_
