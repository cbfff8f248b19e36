// The about:networking#dns view of a resolver: its host cache as a table
// (Hostname, Family, TRR, Addresses, Expires (Seconds), and our Partition),
// and its TRR state: mode, URI, confirmation, blocklist, counters and the
// effective prefs with where each came from. As text or as JSON.

#ifndef TRR_API_DUMP_H_
#define TRR_API_DUMP_H_

#include <string>
#include <vector>

#include "api/json_writer.h"
#include "trr/resolver.h"

namespace trr::api {

std::string DumpText(const ResolverSnapshot& snapshot);
std::string DumpJson(const ResolverSnapshot& snapshot);
// The dump as one value inside a larger document.
void WriteDumpJson(const ResolverSnapshot& snapshot, JsonWriter& json);

// One resolve result as the CLI's --json prints it: {"name", "ok",
// "addresses", "source", "ttl", "skip_reason", "error"}, and when they
// apply "canonical_name", "trr_failure", "native_reason", "txt", "https".
void WriteResultJson(absl::string_view name, const ResolveResult& result,
                     JsonWriter& json);

// Each address as text ("192.0.2.1", "2001:db8::1").
std::vector<std::string> AddressTexts(const std::vector<IpAddress>& ips);

// An HTTPS/SVCB record in presentation form (RFC 9460 section 2.1): "1
// svc.example. mandatory=alpn,port alpn=h2 no-default-alpn port=8443
// ipv4hint=192.0.2.1 ech=<base64> ipv6hint=2001:db8::1 dohpath=/q{?dns}".
std::string SvcbPresentation(const SvcbRecord& record);
// The same as a JSON object: priority, target and every param present.
void WriteSvcbJson(const SvcbRecord& record, JsonWriter& json);

}  // namespace trr::api

#endif  // TRR_API_DUMP_H_
