// What a DoH answer means (Classify: the answer, a negative answer or a
// typed failure, by the prefs) and what an HTTPS answer leaves in the cache
// besides itself (CacheHttpsAddresses). Part of Resolver::Impl, on the
// network thread.

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "trr/native/dns_record.h"
#include "trr/resolver/resolver_impl.h"

namespace trr {
namespace resolver_internal {

TrrFailure FailureFor(DohError error) {
  switch (error) {
    case DohError::kOk:
      return TrrFailure::kNone;
    case DohError::kHttpStatus:
      return TrrFailure::kHttpStatus;
    case DohError::kContentType:
      return TrrFailure::kContentType;
    case DohError::kTooLarge:
      return TrrFailure::kTooLarge;
    case DohError::kTls:
      return TrrFailure::kTls;
    case DohError::kConnect:
      return TrrFailure::kConnect;
    case DohError::kTimeout:
      return TrrFailure::kTimeout;
    case DohError::kReset:
      return TrrFailure::kReset;
    case DohError::kRefused:
      return TrrFailure::kStreamRefused;
    case DohError::kCancelled:
      return TrrFailure::kCancelled;
    case DohError::kOhttp:  // its detail says which part of it
      return TrrFailure::kOhttp;
    case DohError::kOther:
      return TrrFailure::kTransportOther;
  }
  return TrrFailure::kTransportOther;
}

TrrFailure FailureForRcode(uint16_t rcode) {
  switch (rcode) {
    case dns::kRcodeServFail:
      return TrrFailure::kServFail;
    case dns::kRcodeRefused:
      return TrrFailure::kRefused;
    case dns::kRcodeFormErr:
      return TrrFailure::kFormErr;
    case dns::kRcodeNotImp:
      return TrrFailure::kNotImp;
    default:
      return TrrFailure::kOtherRcode;
  }
}

}  // namespace resolver_internal

using resolver_internal::FailureFor;
using resolver_internal::FailureForRcode;

TrrOutcome Resolver::Impl::Classify(const DohResult& result,
                                    const std::string& name,
                                    uint16_t type) const {
  TrrOutcome out;
  if (!result.ok()) {
    out.failure = FailureFor(result.error);
    out.detail = result.detail;  // what the transport knows of why
    return out;
  }
  dns::Response response;
  if (!dns::ParseResponse(result.body, dns::Question(name, type), response)
           .ok()) {
    out.failure = TrrFailure::kBadAnswer;
    return out;
  }
  if (response.extended_error &&
      settings_.pref.Get(keys::kTrrHardFailOnExtendedError)) {
    const uint16_t code = response.extended_error->code;
    if (code == dns::kEdeForgedAnswer || code == dns::kEdeBlocked ||
        code == dns::kEdeCensored || code == dns::kEdeFiltered) {
      out.kind = TrrOutcome::Kind::kBlocked;
      out.failure = TrrFailure::kBlocked;
      out.detail =
          absl::StrCat("Extended DNS Error ", code,
                       response.extended_error->text.empty() ? "" : ": ",
                       response.extended_error->text);
      return out;
    }
  }
  if (response.rcode == dns::kRcodeServFail && response.extended_error &&
      response.extended_error->code == dns::kEdeDnssecBogus) {
    // The resolver's DNSSEC validation failed: a typed failure that no
    // mode routes around (an unvalidating resolver would undo it).
    out.failure = TrrFailure::kDnssecBogus;
    out.detail = absl::StrCat("Extended DNS Error 6",
                              response.extended_error->text.empty() ? "" : ": ",
                              response.extended_error->text);
    return out;
  }
  if (response.rcode != dns::kRcodeNoError &&
      response.rcode != dns::kRcodeNxDomain) {
    out.failure = FailureForRcode(response.rcode);
    if (out.failure == TrrFailure::kOtherRcode) {
      out.detail = dns::RcodeName(response.rcode);
    }
    return out;
  }
  out.answer = RecordFromResponse(response, name, RecordSource::kTrr);
  const HostRecord& answer = out.answer;
  if (answer.negative == NegativeKind::kNxDomain) {
    out.kind = TrrOutcome::Kind::kNxDomain;
    out.failure = TrrFailure::kNxDomain;
    return out;
  }
  if (response.ends_at_cname) {
    out.follow_cname = true;
    return out;
  }
  if (answer.negative == NegativeKind::kNoData) {
    out.kind = TrrOutcome::Kind::kNoData;
    out.failure = TrrFailure::kNoRecords;
    return out;
  }
  if (settings_.pref.Get(keys::kTrrFallbackOnZeroResponse) &&
      !answer.addresses.empty() &&
      std::all_of(answer.addresses.begin(), answer.addresses.end(),
                  [](const IpAddress& ip) { return ip.IsUnspecified(); })) {
    out.kind = TrrOutcome::Kind::kFailed;
    out.failure = TrrFailure::kZeroAddress;
    return out;
  }
  if (!settings_.pref.Get(keys::kTrrAllowRfc1918)) {
    for (const IpAddress& ip : answer.addresses) {
      if (ip.IsLocal()) {
        out.kind = TrrOutcome::Kind::kFailed;
        out.failure = TrrFailure::kPrivateAddress;
        return out;
      }
    }
  }
  out.kind = TrrOutcome::Kind::kOk;
  for (dns::TargetAddress& target : response.target_addresses) {
    // The same rules as the answer's own addresses, but one bad address
    // costs only itself: these are extras.
    if (target.address.IsUnspecified()) continue;
    if (!settings_.pref.Get(keys::kTrrAllowRfc1918) && target.address.IsLocal())
      continue;
    out.target_addresses.push_back(std::move(target));
  }
  return out;
}

namespace {

// The name an HTTPS lookup was for, without the _PORT._https. prefix of
// network.dns.port_prefixed_qname_https_rr: a target of "." is its host.
absl::string_view OriginOf(absl::string_view host) {
  if (!absl::StartsWith(host, "_")) return host;
  const size_t at = host.find("._https.");
  return at == absl::string_view::npos ? host : host.substr(at + 8);
}

void AddUnique(std::vector<IpAddress>& to, const IpAddress& ip) {
  if (std::find(to.begin(), to.end(), ip) == to.end()) to.push_back(ip);
}

}  // namespace

void Resolver::Impl::CacheHttpsAddresses(const Job& job) {
  const TrrOutcome& trr = job.trr;
  const std::string origin(OriginOf(job.host()));
  auto usable = [&](const IpAddress& ip) {
    return !ip.IsUnspecified() &&
           (settings_.pref.Get(keys::kTrrAllowRfc1918) || !ip.IsLocal());
  };
  // Keys the job's own (mode, TRR disabled, partition) for another name:
  // a partition's HTTPS answer never fills another partition.
  auto key_for = [&](const std::string& host, QueryKind kind, bool ip_hint) {
    CacheKeyView key = job.key.view();
    key.host = host;
    key.kind = kind;
    key.ip_hint = ip_hint;
    return key;
  };
  auto record_for = [](const std::string& name, uint32_t ttl) {
    HostRecord record;
    record.source = RecordSource::kTrr;
    record.canonical_name = name;
    record.ttl_seconds = ttl;
    return record;
  };
  // The hints, by target, for ResolveIpHint; they live as long as the
  // HTTPS answer.
  absl::flat_hash_map<std::string, HostRecord> hints;
  for (const SvcbRecord& r : trr.answer.https) {
    if (r.is_alias()) continue;
    const std::string name = r.target == "." ? origin : r.target;
    if (!dns::CheckHostName(name).ok()) continue;
    for (const auto* list : {&r.ipv4_hints, &r.ipv6_hints}) {
      for (const IpAddress& ip : *list) {
        if (!usable(ip)) continue;
        auto [it, added] = hints.try_emplace(name);
        if (added) {
          it->second = record_for(name, trr.answer.ttl_seconds.value_or(0));
        }
        AddUnique(it->second.addresses, ip);
      }
    }
  }
  for (auto& [name, record] : hints) {
    cache_.Insert(key_for(name, QueryKind::kUnspecified, true),
                  std::move(record));
  }
  // The additional section's addresses: answers for their names, one
  // family each, with their own TTLs.
  absl::flat_hash_map<std::pair<std::string, QueryKind>, HostRecord> found;
  for (const dns::TargetAddress& t : trr.target_addresses) {
    const std::string name = t.name == job.host() ? origin : t.name;
    if (!dns::CheckHostName(name).ok()) continue;
    const QueryKind kind =
        t.address.is_v4() ? QueryKind::kIpv4 : QueryKind::kIpv6;
    auto [it, added] = found.try_emplace(std::make_pair(name, kind));
    if (added) {
      it->second = record_for(name, t.ttl);
    } else {
      it->second.ttl_seconds = std::min(*it->second.ttl_seconds, t.ttl);
    }
    AddUnique(it->second.addresses, t.address);
  }
  for (auto& [name_kind, record] : found) {
    cache_.Insert(key_for(name_kind.first, name_kind.second, false),
                  std::move(record));
  }
}

}  // namespace trr
