// Network heuristics, off by default: the canary domain (a network that
// answers use-application-dns.net with NXDOMAIN or NODATA asks for no DoH,
// network.trr.canary_domain_check), the network's DNS suffixes
// (network.trr.split_horizon_mitigations), and /etc/hosts names covering
// their subdomains. All of it applies to mode 2 only, except /etc/hosts.

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "trr/public/public_status.h"
#include "trr/resolver/resolver_impl.h"

namespace trr {
namespace resolver_internal {

bool CoveredBy(const absl::flat_hash_set<std::string>& names,
               absl::string_view host) {
  if (names.empty()) return false;
  for (;;) {
    if (names.contains(host)) return true;
    const size_t dot = host.find('.');
    if (dot == absl::string_view::npos) return false;
    host.remove_prefix(dot + 1);
  }
}

namespace {

// Calls `line` with the fields of each line of a resolv.conf file,
// comments left out; nothing when it cannot be read.
template <typename F>
void ForEachResolvConfLine(const std::string& path, F line) {
  std::ifstream in(path);
  for (std::string text; std::getline(in, text);) {
    text = text.substr(0, text.find_first_of("#;"));
    const std::vector<absl::string_view> fields =
        absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (!fields.empty()) line(fields);
  }
}

}  // namespace

std::vector<std::string> ReadSearchDomains(const std::string& path) {
  std::vector<std::string> domains;
  ForEachResolvConfLine(path, [&](const std::vector<absl::string_view>& f) {
    if (f[0] != "search" && f[0] != "domain") return;
    // The last search or domain line wins (resolv.conf(5)).
    domains.clear();
    for (size_t i = 1; i < f.size(); ++i) {
      std::string domain = NormalizeHostName(f[i]);
      if (dns::CheckHostName(domain).ok()) domains.push_back(domain);
    }
  });
  return domains;
}

std::optional<IpAddress> ReadFirstNameserver(const std::string& path) {
  std::optional<IpAddress> first;
  ForEachResolvConfLine(path, [&](const std::vector<absl::string_view>& f) {
    if (!first && f[0] == "nameserver" && f.size() > 1) {
      first = IpAddress::Parse(ToStd(f[1]));
    }
  });
  return first;
}

std::string CanaryName(Canary canary) {
  switch (canary) {
    case Canary::kOff:
      return "off";
    case Canary::kPending:
      return "pending";
    case Canary::kClear:
      return "clear";
    case Canary::kTripped:
      return "tripped";
  }
  return "off";
}

}  // namespace resolver_internal

using resolver_internal::Canary;

void Resolver::Impl::StartCanaryCheck() {
  const uint64_t generation = ++canary_generation_;
  if (!settings_.pref.Get(keys::kTrrCanaryDomainCheck) ||
      settings_.mode != TrrMode::kFirst || !native_) {
    canary_ = Canary::kOff;
    return;
  }
  canary_ = Canary::kPending;
  ++counters_.native_queries;
  native_->Resolve(resolver_internal::kCanaryDomain, QueryKind::kIpv4,
                   settings_.native_timeout,
                   [this, generation](NativeResult result) {
                     if (generation != canary_generation_) return;
                     const bool tripped =
                         result.outcome == NativeResult::Outcome::kNxDomain ||
                         result.outcome == NativeResult::Outcome::kNoData;
                     canary_ = tripped ? Canary::kTripped : Canary::kClear;
                   });
}

void Resolver::Impl::ReadNetworkSuffixes() {
  file_suffixes_.clear();
  if (settings_.pref.Get(keys::kTrrSplitHorizonMitigations)) {
    file_suffixes_ =
        resolver_internal::ReadSearchDomains(options_.resolv_conf_path);
  }
  RebuildSuffixes();
}

void Resolver::Impl::RebuildSuffixes() {
  suffix_list_ = file_suffixes_;
  for (const std::string& suffix : embedder_suffixes_) {
    if (std::find(suffix_list_.begin(), suffix_list_.end(), suffix) ==
        suffix_list_.end()) {
      suffix_list_.push_back(suffix);
    }
  }
  suffixes_ = DomainList(absl::StrJoin(suffix_list_, ","));
}

void Resolver::Impl::SetDnsSuffixes(const std::vector<std::string>& suffixes) {
  std::vector<std::string> valid;
  for (const std::string& suffix : suffixes) {
    std::string normalized = NormalizeHostName(suffix);
    if (dns::CheckHostName(normalized).ok()) valid.push_back(normalized);
  }
  loop_.RunSync([&] {
    embedder_suffixes_ = std::move(valid);
    RebuildSuffixes();
  });
}

}  // namespace trr
