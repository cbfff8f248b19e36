#include "trr/resolver/answer.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "trr/dns/dns_types.h"
#include "trr/public/public_status.h"

namespace trr {

void CopyAnswer(const HostRecord& record, absl::Duration ttl,
                ResolveResult& result) {
  result.addresses = record.addresses;
  result.https = record.https;
  result.txt = record.txt;
  result.canonical_name = record.canonical_name;
  result.authentic_data = record.authentic_data;
  result.ttl = std::chrono::seconds(absl::ToInt64Seconds(ttl));
}

ResolveResult LiteralResult(const IpAddress& ip, QueryKind type) {
  ResolveResult result;
  result.source = ResultSource::kNative;
  result.skip_reason = SkipReason::kIpLiteral;
  result.canonical_name = ip.ToString();
  const bool wanted = type == QueryKind::kUnspecified ||
                      (type == QueryKind::kIpv4 && ip.is_v4()) ||
                      (type == QueryKind::kIpv6 && ip.is_v6());
  if (wanted) {
    result.addresses.push_back(ip);
  } else {
    const char* records = type == QueryKind::kIpv4    ? "A"
                          : type == QueryKind::kIpv6  ? "AAAA"
                          : type == QueryKind::kHttps ? "HTTPS"
                                                      : "TXT";
    result.status =
        NotFoundError(absl::StrCat("the IP address literal ", ip.ToString(),
                                   " has no ", records, " records"));
  }
  return result;
}

}  // namespace trr
