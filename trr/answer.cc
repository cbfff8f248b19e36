#include "trr/answer.h"

#include "trr/dns/dns_types.h"

namespace trr {

HostRecord RecordFromResponse(const dns::Response& response,
                              RecordSource source) {
  HostRecord record;
  record.source = source;
  record.authentic_data = response.authentic_data;
  record.canonical_name = response.CanonicalName();
  if (response.rcode == dns::kRcodeNxDomain) {
    record.negative = NegativeKind::kNxDomain;
    record.ttl_seconds = response.negative_ttl.value_or(0);
    return record;
  }
  record.addresses.assign(response.addresses.begin(), response.addresses.end());
  record.https = response.svcb;
  record.txt = response.txt;
  if (record.addresses.empty() && record.https.empty() && record.txt.empty()) {
    record.negative = NegativeKind::kNoData;
    record.ttl_seconds = response.negative_ttl.value_or(0);
  } else {
    record.ttl_seconds = response.ttl;
  }
  return record;
}

void CopyAnswer(const HostRecord& record, absl::Duration ttl,
                ResolveResult& result) {
  result.addresses = record.addresses;
  result.https = record.https;
  result.txt = record.txt;
  result.canonical_name = record.canonical_name;
  result.authentic_data = record.authentic_data;
  result.ttl = ttl;
}

}  // namespace trr
