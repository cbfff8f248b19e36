// HTTPS and SVCB records (RFC 9460): the rdata parsed and checked.

#ifndef TRR_TRR_DNS_SVCB_H_
#define TRR_TRR_DNS_SVCB_H_

#include <cstdint>

#include "absl/types/span.h"
#include "trr/dns/wire_error.h"
#include "trr/svcb_record.h"

namespace trr::dns {

using ::trr::SvcbRecord;

enum class SvcbParse : uint8_t {
  kUsable,
  // Well formed, but a key listed as mandatory is one this client does not
  // know; RFC 9460 section 8 says to ignore such a record, not the answer.
  kIgnoredUnknownMandatoryKey,
};

// Parses the rdata at message[offset, offset + rdlength). Checks: an
// uncompressed TargetName, keys strictly increasing, every value's length and
// form (alpn ids non-empty, port 2 bytes, hints whole addresses, no-default-
// alpn empty), mandatory sorted, without key 0 and naming only keys present.
// Offsets in errors are offsets in `message`. In AliasMode, parameters are
// checked for framing only and not returned (section 2.4.2).
WireError ParseSvcbRdata(absl::Span<const uint8_t> message, size_t offset,
                         size_t rdlength, SvcbRecord& out, SvcbParse& usable);

}  // namespace trr::dns

#endif  // TRR_TRR_DNS_SVCB_H_
