#include "hostcache/host_record.h"

#include "absl/strings/ascii.h"

namespace trr {

absl::string_view QueryKindName(QueryKind kind) {
  switch (kind) {
    case QueryKind::kUnspecified:
      return "unspec";
    case QueryKind::kIpv4:
      return "ipv4";
    case QueryKind::kIpv6:
      return "ipv6";
    case QueryKind::kHttps:
      return "https";
    case QueryKind::kTxt:
      return "txt";
  }
  return "unknown";
}

std::string NormalizeHostName(absl::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return absl::AsciiStrToLower(host);
}

}  // namespace trr
