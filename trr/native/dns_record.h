// The one internal answer type is HostRecord (hostcache/host_record.h): a
// TRR query's outcome, a native result and a cache entry each hold one,
// and an unspecified lookup's two families are combined by MergeFamilies.
// This makes one from a DNS response, for DoH and plain DNS alike.

#ifndef TRR_TRR_NATIVE_DNS_RECORD_H_
#define TRR_TRR_NATIVE_DNS_RECORD_H_

#include "absl/strings/string_view.h"
#include "hostcache/host_record.h"
#include "trr/dns/response.h"

namespace trr {

// The answer in `response`, which answered the question it was parsed
// against: its records and their smallest TTL; or, for NXDOMAIN and for no
// records of the type, a negative record with the SOA's TTL (0 without an
// SOA: not to be kept, RFC 2308 section 5). The caller looks at the RCODE first
// (only NOERROR and NXDOMAIN are answers) and at ends_at_cname.
// `question_name` is the name it was parsed against (a host name
// dns::CheckHostName accepts): with no CNAME it is the canonical name, and
// the message's copy need not be decoded.
HostRecord RecordFromResponse(const dns::Response& response,
                              absl::string_view question_name,
                              RecordSource source);

}  // namespace trr

#endif  // TRR_TRR_NATIVE_DNS_RECORD_H_
