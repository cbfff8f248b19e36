// trr/svcb_record.h: SvcbRecord, one HTTPS or SVCB record (RFC 9460) as data,
// shared by the wire codec that parses it and the host cache that keeps it.

#ifndef TRR_INCLUDE_TRR_SVCB_RECORD_H_
#define TRR_INCLUDE_TRR_SVCB_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trr/ip_address.h"

namespace trr {

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

}  // namespace trr

#endif  // TRR_INCLUDE_TRR_SVCB_RECORD_H_
