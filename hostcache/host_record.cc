#include "hostcache/host_record.h"

#include "absl/strings/ascii.h"

namespace trr {

TrrMode TrrModeFromPref(int value) {
  return value >= 0 && value <= 5 ? static_cast<TrrMode>(value)
                                  : TrrMode::kOffByChoice;
}

absl::string_view TrrModeName(TrrMode mode) {
  switch (mode) {
    case TrrMode::kOff:
      return "off";
    case TrrMode::kRace:
      return "race";
    case TrrMode::kFirst:
      return "first";
    case TrrMode::kOnly:
      return "only";
    case TrrMode::kShadow:
      return "shadow";
    case TrrMode::kOffByChoice:
      return "off-by-choice";
  }
  return "off-by-choice";
}

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
