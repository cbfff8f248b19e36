// The one internal answer type is HostRecord (hostcache/host_record.h): a
// TRR query's outcome, a native result and a cache entry each hold one,
// and an unspecified lookup's two families are combined by MergeFamilies.
// These make a record from a DNS response, and fill the public
// ResolveResult from a record, each in one place.

#ifndef TRR_TRR_ANSWER_H_
#define TRR_TRR_ANSWER_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hostcache/host_record.h"
#include "trr/dns/response.h"
#include "trr/resolver.h"

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

// Copies the answer of `record` into `result`: addresses, HTTPS and TXT
// records, the canonical name and the AD bit, with `ttl`. The status,
// source and reasons are the caller's.
void CopyAnswer(const HostRecord& record, absl::Duration ttl,
                ResolveResult& result);

// The answer to a lookup of `type` for the literal `ip`: the address when
// its family is asked for, else no records (NotFound).
ResolveResult LiteralResult(const IpAddress& ip, QueryKind type);

}  // namespace trr

#endif  // TRR_TRR_ANSWER_H_
