// Binary HTTP messages (RFC 9292), as Oblivious HTTP carries them.
// Encoding writes the known-length form; decoding reads both forms,
// messages truncated at a section boundary (the sections left out are
// empty, section 3.8) and zero padding. Anything else is InvalidArgument
// naming what and where, never a crash: the decoders see what a gateway
// sent.

#ifndef TRR_TRR_OHTTP_BHTTP_H_
#define TRR_TRR_OHTTP_BHTTP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "trr/ohttp/hpke.h"

namespace trr::ohttp {

struct BhttpField {
  std::string name;
  std::string value;
  friend bool operator==(const BhttpField& a, const BhttpField& b) {
    return a.name == b.name && a.value == b.value;
  }
};

struct BhttpRequest {
  std::string method = "POST";
  std::string scheme = "https";
  std::string authority;
  std::string path = "/";
  std::vector<BhttpField> fields;
  Bytes content;
  std::vector<BhttpField> trailers;
};

struct BhttpResponse {
  uint16_t status = 0;  // the final status; informational ones are skipped
  std::vector<BhttpField> fields;
  Bytes content;
  std::vector<BhttpField> trailers;
};

Bytes EncodeBhttpRequest(const BhttpRequest& request);
Bytes EncodeBhttpResponse(const BhttpResponse& response);
absl::StatusOr<BhttpRequest> DecodeBhttpRequest(ByteSpan message);
absl::StatusOr<BhttpResponse> DecodeBhttpResponse(ByteSpan message);

// QUIC variable-length integers (RFC 9000 section 16), which Binary HTTP
// uses for every length and number.
void AppendVarint(Bytes& out, uint64_t value);

}  // namespace trr::ohttp

#endif  // TRR_TRR_OHTTP_BHTTP_H_
