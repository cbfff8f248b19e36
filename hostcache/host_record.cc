#include "hostcache/host_record.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace trr {

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

std::string NormalizeHostName(absl::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return absl::AsciiStrToLower(host);
}

}  // namespace trr
