#include "trr/ohttp/ohttp.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace trr::ohttp {
namespace {

constexpr size_t kHeaderLength = 7;  // key id, KEM, KDF, AEAD
constexpr absl::string_view kRequestLabel = "message/bhttp request";
constexpr absl::string_view kResponseLabel = "message/bhttp response";

uint16_t Get16(ByteSpan in, size_t at) {
  return static_cast<uint16_t>(in[at] << 8 | in[at + 1]);
}

void AppendU16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// The public key length of a KEM (Npk); 0 for one trr does not know, whose
// configurations cannot even be delimited.
size_t PublicKeyLength(uint16_t kem) {
  return kem == kKemX25519HkdfSha256 ? kX25519KeyLength : 0;
}

absl::Status BadConfig(absl::string_view problem, size_t at) {
  return absl::InvalidArgumentError(
      absl::StrCat("OHTTP key configuration: ", problem, " at byte ", at));
}

// One configuration filling `in` exactly; `base` is its offset, for errors.
absl::StatusOr<KeyConfig> ParseOne(ByteSpan in, size_t base) {
  if (in.size() < 3) return BadConfig("cut short", base + in.size());
  KeyConfig config;
  config.key_id = in[0];
  config.kem = Get16(in, 1);
  const size_t npk = PublicKeyLength(config.kem);
  if (npk == 0) {
    return absl::UnimplementedError(
        absl::StrCat("OHTTP key configuration: KEM ", config.kem));
  }
  size_t pos = 3;
  if (in.size() < pos + npk + 2)
    return BadConfig("cut short", base + in.size());
  config.public_key.assign(in.begin() + pos, in.begin() + pos + npk);
  pos += npk;
  const size_t length = Get16(in, pos);
  pos += 2;
  if (length < 4 || length % 4 != 0) {
    return BadConfig("symmetric algorithms length is not 4n, n >= 1",
                     base + pos - 2);
  }
  if (in.size() - pos != length) {
    return BadConfig("symmetric algorithms do not fill the configuration",
                     base + pos);
  }
  for (; pos < in.size(); pos += 4) {
    config.symmetric.emplace_back(Get16(in, pos), Get16(in, pos + 2));
  }
  return config;
}

Bytes RequestInfo(const GatewayKey& key) {
  Bytes info(kRequestLabel.begin(), kRequestLabel.end());
  info.push_back(0);
  info.push_back(key.key_id);
  AppendU16(info, key.suite.kem);
  AppendU16(info, key.suite.kdf);
  AppendU16(info, key.suite.aead);
  return info;
}

size_t ResponseNonceLength(uint16_t aead) {
  return std::max(AeadKeyLength(aead), kAeadNonceLength);
}

// Section 4.4: the response's AEAD key and nonce, from the request's
// context, its enc and the response nonce.
struct ResponseKeys {
  Bytes key;
  Bytes nonce;
};
ResponseKeys DeriveResponseKeys(const HpkeContext& context, ByteSpan enc,
                                ByteSpan response_nonce) {
  const uint16_t aead = context.suite().aead;
  const Bytes secret = context.Export(
      ByteSpan(reinterpret_cast<const uint8_t*>(kResponseLabel.data()),
               kResponseLabel.size()),
      ResponseNonceLength(aead));
  Bytes salt(enc.begin(), enc.end());
  salt.insert(salt.end(), response_nonce.begin(), response_nonce.end());
  const Bytes prk = HkdfExtract(salt, secret);
  static constexpr uint8_t kKey[] = {'k', 'e', 'y'};
  static constexpr uint8_t kNonce[] = {'n', 'o', 'n', 'c', 'e'};
  return {HkdfExpand(prk, kKey, AeadKeyLength(aead)),
          HkdfExpand(prk, kNonce, kAeadNonceLength)};
}

}  // namespace

absl::StatusOr<std::vector<KeyConfig>> ParseKeyConfigs(ByteSpan body) {
  if (body.empty()) return BadConfig("no configuration", 0);
  std::vector<KeyConfig> configs;
  absl::Status list_error;
  for (size_t pos = 0; pos < body.size();) {
    if (body.size() - pos < 2) {
      list_error = BadConfig("length prefix cut short", pos);
      break;
    }
    const size_t length = Get16(body, pos);
    if (body.size() - pos - 2 < length) {
      list_error = BadConfig("configuration runs past the end", pos);
      break;
    }
    absl::StatusOr<KeyConfig> config =
        ParseOne(body.subspan(pos + 2, length), pos + 2);
    if (!config.ok()) {
      list_error = config.status();
      break;
    }
    configs.push_back(std::move(*config));
    pos += 2 + length;
  }
  if (list_error.ok()) return configs;
  // Not a list: perhaps one configuration without its prefix. When the
  // body could not even be a list (its first prefix overruns it), that
  // reading's error is the one to tell.
  absl::StatusOr<KeyConfig> single = ParseOne(body, 0);
  if (single.ok()) return std::vector<KeyConfig>{std::move(*single)};
  const bool framed_as_list =
      body.size() >= 2 && size_t{Get16(body, 0)} + 2 <= body.size();
  return framed_as_list ? list_error : single.status();
}

Bytes EncodeKeyConfig(const KeyConfig& config) {
  Bytes out = {config.key_id};
  AppendU16(out, config.kem);
  out.insert(out.end(), config.public_key.begin(), config.public_key.end());
  AppendU16(out, static_cast<uint16_t>(4 * config.symmetric.size()));
  for (const auto& [kdf, aead] : config.symmetric) {
    AppendU16(out, kdf);
    AppendU16(out, aead);
  }
  return out;
}

absl::StatusOr<GatewayKey> ChooseKey(const std::vector<KeyConfig>& configs) {
  std::vector<std::string> offered;
  for (const KeyConfig& config : configs) {
    for (const auto& [kdf, aead] : config.symmetric) {
      const HpkeSuite suite{config.kem, kdf, aead};
      if (CheckSuite(suite).ok()) {
        return GatewayKey{config.key_id, suite, config.public_key};
      }
      offered.push_back(
          absl::StrCat("KEM ", config.kem, " KDF ", kdf, " AEAD ", aead));
    }
  }
  return absl::UnimplementedError(absl::StrCat(
      "no OHTTP key configuration trr can use (offered: ",
      offered.empty() ? "none" : absl::StrJoin(offered, ", "), ")"));
}

absl::StatusOr<ClientRequest> ClientRequest::Seal(const GatewayKey& key,
                                                  ByteSpan request) {
  return From(key, request, Prepare(key));
}

absl::StatusOr<SenderSetup> ClientRequest::Prepare(const GatewayKey& key) {
  return SetupBaseSender(key.suite, key.public_key, RequestInfo(key));
}

absl::StatusOr<ClientRequest> ClientRequest::SealPrepared(const GatewayKey& key,
                                                          SenderSetup setup,
                                                          ByteSpan request) {
  return From(key, request, std::move(setup));
}

absl::StatusOr<ClientRequest> ClientRequest::SealForTesting(
    const GatewayKey& key, ByteSpan request, ByteSpan ephemeral) {
  return From(key, request,
              SetupBaseSenderForTesting(key.suite, key.public_key,
                                        RequestInfo(key), ephemeral));
}

absl::StatusOr<ClientRequest> ClientRequest::From(
    const GatewayKey& key, ByteSpan request,
    absl::StatusOr<SenderSetup> setup) {
  if (!setup.ok()) return setup.status();
  absl::StatusOr<Bytes> ct = setup->context.Seal({}, request);
  if (!ct.ok()) return ct.status();
  Bytes encapsulated = {key.key_id};
  AppendU16(encapsulated, key.suite.kem);
  AppendU16(encapsulated, key.suite.kdf);
  AppendU16(encapsulated, key.suite.aead);
  encapsulated.insert(encapsulated.end(), setup->enc.begin(), setup->enc.end());
  encapsulated.insert(encapsulated.end(), ct->begin(), ct->end());
  return ClientRequest(std::move(setup->context), std::move(setup->enc),
                       std::move(encapsulated));
}

absl::StatusOr<Bytes> ClientRequest::OpenResponse(
    ByteSpan encapsulated_response) const {
  const size_t nonce_length = ResponseNonceLength(context_.suite().aead);
  if (encapsulated_response.size() < nonce_length + kAeadTagLength) {
    return absl::DataLossError(
        absl::StrCat("OHTTP response of ", encapsulated_response.size(),
                     " bytes is shorter than its nonce and tag"));
  }
  const ResponseKeys keys = DeriveResponseKeys(
      context_, enc_, encapsulated_response.first(nonce_length));
  absl::StatusOr<Bytes> response =
      AeadOpen(context_.suite().aead, keys.key, keys.nonce, {},
               encapsulated_response.subspan(nonce_length));
  if (!response.ok() && absl::IsDataLoss(response.status())) {
    return absl::DataLossError(
        "OHTTP response does not authenticate (tampered, cut short, or "
        "sealed under another key)");
  }
  return response;
}

absl::StatusOr<GatewayRequest> GatewayRequest::Open(
    const KeyConfig& config, ByteSpan private_key,
    ByteSpan encapsulated_request) {
  if (encapsulated_request.size() < kHeaderLength) {
    return absl::InvalidArgumentError("OHTTP request shorter than its header");
  }
  GatewayKey key;
  key.key_id = encapsulated_request[0];
  key.suite = {Get16(encapsulated_request, 1), Get16(encapsulated_request, 3),
               Get16(encapsulated_request, 5)};
  if (key.key_id != config.key_id || key.suite.kem != config.kem ||
      std::find(config.symmetric.begin(), config.symmetric.end(),
                std::make_pair(key.suite.kdf, key.suite.aead)) ==
          config.symmetric.end()) {
    return absl::InvalidArgumentError("OHTTP request for another key or suite");
  }
  const size_t nenc = PublicKeyLength(key.suite.kem);
  if (encapsulated_request.size() < kHeaderLength + nenc) {
    return absl::InvalidArgumentError("OHTTP request cut short");
  }
  const ByteSpan enc = encapsulated_request.subspan(kHeaderLength, nenc);
  absl::StatusOr<HpkeContext> context =
      SetupBaseRecipient(key.suite, enc, private_key, RequestInfo(key));
  if (!context.ok()) return context.status();
  absl::StatusOr<Bytes> request =
      context->Open({}, encapsulated_request.subspan(kHeaderLength + nenc));
  if (!request.ok()) return request.status();
  return GatewayRequest(std::move(*context), Bytes(enc.begin(), enc.end()),
                        std::move(*request));
}

absl::StatusOr<Bytes> GatewayRequest::SealResponse(
    ByteSpan response, ByteSpan response_nonce) const {
  const size_t nonce_length = ResponseNonceLength(context_.suite().aead);
  Bytes nonce(response_nonce.begin(), response_nonce.end());
  if (nonce.empty()) {
    nonce.resize(nonce_length);
    if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
      return absl::InternalError("no random bytes for the response nonce");
    }
  }
  if (nonce.size() != nonce_length) {
    return absl::InvalidArgumentError("response nonce of the wrong length");
  }
  const ResponseKeys keys = DeriveResponseKeys(context_, enc_, nonce);
  absl::StatusOr<Bytes> ct =
      AeadSeal(context_.suite().aead, keys.key, keys.nonce, {}, response);
  if (!ct.ok()) return ct.status();
  nonce.insert(nonce.end(), ct->begin(), ct->end());
  return nonce;
}

}  // namespace trr::ohttp
