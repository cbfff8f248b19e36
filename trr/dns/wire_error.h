// WireError: why a DNS message was rejected, and where. A closed set of
// codes, each with a fixed message, so the parser reports failures without
// allocating; ToStatus() makes an absl::Status for people to read.

#ifndef TRR_TRR_DNS_WIRE_ERROR_H_
#define TRR_TRR_DNS_WIRE_ERROR_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace trr::dns {

enum class WireErrorCode : uint8_t {
  kOk = 0,
  kTruncated,          // a field runs past the end of the message
  kMessageTooLarge,    // over 65535 bytes
  kNotAResponse,       // QR bit clear
  kIdMismatch,         // ID differs from the query's
  kBadOpcode,          // not a standard QUERY
  kQuestionCount,      // QDCOUNT is not 1
  kQuestionMismatch,   // name, type or class differs from the query's
  kBadLabel,           // label type 0x40/0x80, or a label over 63 bytes
  kBadPointer,         // compression pointer not strictly backwards
  kTooManyPointers,    // more pointer jumps than a name can need
  kNameTooLong,        // name over 255 bytes in wire form
  kBadRdataLength,     // rdlength inconsistent with the record type
  kBadRdata,           // rdata malformed for its type
  kBadSvcParam,        // HTTPS/SVCB parameters malformed (RFC 9460)
  kBadOpt,             // OPT record misplaced, repeated or malformed
  kCnameChainTooLong,  // CNAME chain longer than the bound, or a loop
  kTrailingData,       // bytes left after the last record
  kBadHostName,        // (query) a host name that cannot be sent
};

// 16 bytes, so functions return it in registers.
struct WireError {
  // A fixed description of what was wrong; never owned.
  const char* what = "";
  // Byte offset in the message (or in the host name, for kBadHostName).
  uint32_t offset = 0;
  WireErrorCode code = WireErrorCode::kOk;

  WireError() = default;
  WireError(WireErrorCode code, size_t offset, const char* what)
      : what(what), offset(static_cast<uint32_t>(offset)), code(code) {}

  bool ok() const { return code == WireErrorCode::kOk; }
  // "DNS <code name> at offset N: <what>"; InvalidArgument for query-side
  // errors, DataLoss for malformed responses.
  absl::Status ToStatus() const;
};

// "truncated", "bad-pointer", ...: stable names for logs and counters.
const char* WireErrorCodeName(WireErrorCode code);

}  // namespace trr::dns

#endif  // TRR_TRR_DNS_WIRE_ERROR_H_
