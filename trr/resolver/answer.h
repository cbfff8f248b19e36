// Filling the public ResolveResult from the one internal answer type,
// HostRecord (hostcache/host_record.h), for a fresh answer and a cache hit
// alike; and the answer for an IP address given as a host. A record is
// made from a DNS response by trr/native/dns_record.h.

#ifndef TRR_TRR_RESOLVER_ANSWER_H_
#define TRR_TRR_RESOLVER_ANSWER_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hostcache/host_record.h"
#include "trr/resolver.h"

namespace trr {

// Copies the answer of `record` into `result`: addresses, HTTPS and TXT
// records, the canonical name and the AD bit, with `ttl`. The status,
// source and reasons are the caller's.
void CopyAnswer(const HostRecord& record, absl::Duration ttl,
                ResolveResult& result);

// The answer to a lookup of `type` for the literal `ip`: the address when
// its family is asked for, else no records (NotFound).
ResolveResult LiteralResult(const IpAddress& ip, QueryKind type);

}  // namespace trr

#endif  // TRR_TRR_RESOLVER_ANSWER_H_
