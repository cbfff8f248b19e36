#include "trr/servers/ddr.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "trr/dns/query.h"
#include "trr/transport/doh_uri.h"

namespace trr {
namespace {

// Why one record cannot be used, or empty; fills `d.uri` as far as it
// can and, when usable, `d.spec`.
std::string Check(const SvcbRecord& r, DdrDesignation& d) {
  const std::string port =
      r.port && *r.port != 443 ? absl::StrCat(":", *r.port) : "";
  d.uri = absl::StrCat("https://", r.target, port, r.doh_path.value_or(""));
  if (r.is_alias()) {
    return "AliasMode: a designation must be a ServiceMode record";
  }
  if (r.target == "." || r.target == "resolver.arpa" ||
      absl::EndsWith(r.target, ".resolver.arpa")) {
    return "its target is resolver.arpa itself (a loop)";
  }
  if (!dns::CheckHostName(r.target).ok()) {
    return "its target is not a host name";
  }
  if (std::find(r.alpn.begin(), r.alpn.end(), "h2") == r.alpn.end()) {
    return absl::StrCat("no DoH over HTTP/2 (alpn ",
                        r.alpn.empty() ? "missing" : absl::StrJoin(r.alpn, ","),
                        ")");
  }
  if (!r.doh_path) return "no dohpath (not a DoH designation)";
  if (!absl::StartsWith(*r.doh_path, "/") ||
      !absl::StrContains(*r.doh_path, "{?dns}")) {
    return "its dohpath is not a path with the {?dns} variable";
  }
  auto uri = ParseDohUri(d.uri);
  if (!uri.ok()) return std::string(uri.status().message());
  d.spec.template_text = d.uri;
  d.spec.uri = *std::move(uri);
  for (const auto* hints : {&r.ipv4_hints, &r.ipv6_hints}) {
    for (const IpAddress& ip : *hints) {
      if (d.spec.bootstrap.size() < kMaxServerAddresses) {
        d.spec.bootstrap.push_back(ip);
      }
    }
  }
  return "";
}

}  // namespace

std::vector<DdrDesignation> ReadDesignations(
    const std::vector<SvcbRecord>& records) {
  std::vector<const SvcbRecord*> sorted;
  for (const SvcbRecord& r : records) sorted.push_back(&r);
  // AliasMode (priority 0) sorts last: it is only ever reported.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const SvcbRecord* a, const SvcbRecord* b) {
                     return static_cast<uint16_t>(a->priority - 1) <
                            static_cast<uint16_t>(b->priority - 1);
                   });
  std::vector<DdrDesignation> out;
  size_t usable = 0;
  for (const SvcbRecord* r : sorted) {
    DdrDesignation d;
    d.ignored = Check(*r, d);
    if (d.ignored.empty()) {
      const bool duplicate =
          std::any_of(out.begin(), out.end(), [&](const DdrDesignation& e) {
            return e.ignored.empty() && e.uri == d.uri;
          });
      if (duplicate) {
        d.ignored = "a duplicate";
      } else if (usable == kMaxDesignations) {
        d.ignored =
            absl::StrCat("more than ", kMaxDesignations, " designations");
      } else {
        ++usable;
      }
    }
    if (!d.ignored.empty()) d.spec = DohServerSpec();
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace trr
