#include "trr/native/dns_record.h"

#include "trr/dns/dns_types.h"
#include "trr/public/public_status.h"

namespace trr {

HostRecord RecordFromResponse(const dns::Response& response,
                              absl::string_view question_name,
                              RecordSource source) {
  HostRecord record;
  record.source = source;
  record.authentic_data = response.authentic_data;
  // A host name's text is its lower-cased self (it has nothing to escape).
  record.canonical_name = response.canonical_name_offset == dns::kHeaderSize
                              ? NormalizeHostName(question_name)
                              : response.CanonicalName();
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

}  // namespace trr
