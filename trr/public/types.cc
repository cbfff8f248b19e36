// The out-of-line parts of include/trr/types.h.

#include "trr/types.h"

namespace trr {

TrrMode TrrModeFromPref(int value) {
  return value >= 0 && value <= 5 ? static_cast<TrrMode>(value)
                                  : TrrMode::kOffByChoice;
}

const char* TrrModeName(TrrMode mode) {
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
  return "unknown";
}

const char* QueryKindName(QueryKind kind) {
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

}  // namespace trr
