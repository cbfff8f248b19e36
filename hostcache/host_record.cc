#include "hostcache/host_record.h"

#include <algorithm>

#include "absl/strings/ascii.h"

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
  return "off-by-choice";
}

void MergeFamilies(HostRecord& a, const HostRecord& aaaa) {
  const bool a_has = !a.addresses.empty();
  const bool aaaa_has = !aaaa.addresses.empty();
  a.addresses.insert(a.addresses.end(), aaaa.addresses.begin(),
                     aaaa.addresses.end());
  if (a.canonical_name.empty()) a.canonical_name = aaaa.canonical_name;
  if (!a.addresses.empty()) {
    a.negative = NegativeKind::kNone;
  } else if (a.negative == NegativeKind::kNxDomain &&
             aaaa.negative == NegativeKind::kNxDomain) {
    a.negative = NegativeKind::kNxDomain;
  } else {
    a.negative = NegativeKind::kNoData;
  }
  // An answer lives as long as its records: a family without any (a
  // NODATA, with an SOA's TTL or none) does not cut it short, as in
  // Firefox. Two negative parts keep the shorter negative TTL.
  if (a_has != aaaa_has) {
    if (aaaa_has) a.ttl_seconds = aaaa.ttl_seconds;
  } else if (a.ttl_seconds && aaaa.ttl_seconds) {
    a.ttl_seconds = std::min(*a.ttl_seconds, *aaaa.ttl_seconds);
  } else if (!a.ttl_seconds) {
    a.ttl_seconds = aaaa.ttl_seconds;
  }
  a.authentic_data = a.authentic_data && aaaa.authentic_data;
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

std::string NormalizeHostName(absl::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return absl::AsciiStrToLower(host);
}

}  // namespace trr
