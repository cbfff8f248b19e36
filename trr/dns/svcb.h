// HTTPS and SVCB records (RFC 9460): the rdata parsed and checked.

#ifndef TRR_TRR_DNS_SVCB_H_
#define TRR_TRR_DNS_SVCB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "hostcache/ip_address.h"
#include "trr/dns/wire_error.h"

namespace trr::dns {

// SvcParamKeys (RFC 9460 section 14.3.2; dohpath from RFC 9461).
enum SvcParamKey : uint16_t {
  kSvcMandatory = 0,
  kSvcAlpn = 1,
  kSvcNoDefaultAlpn = 2,
  kSvcPort = 3,
  kSvcIpv4Hint = 4,
  kSvcEch = 5,
  kSvcIpv6Hint = 6,
  kSvcDohPath = 7,
};

struct SvcbRecord {
  // 0 is AliasMode (section 2.4.2); anything else ServiceMode, lower first.
  uint16_t priority = 0;
  // Presentation form, lower-cased; "." means the owner name in ServiceMode
  // and "no service" in AliasMode.
  std::string target;
  std::vector<uint16_t> mandatory;
  std::vector<std::string> alpn;
  bool no_default_alpn = false;
  std::optional<uint16_t> port;
  std::vector<IpAddress> ipv4_hints;
  std::vector<uint8_t> ech;  // ECHConfigList, opaque here
  std::vector<IpAddress> ipv6_hints;
  std::optional<std::string> doh_path;

  bool is_alias() const { return priority == 0; }
};

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
