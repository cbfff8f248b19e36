// A lookup on the network thread: which paths it takes (the skip policy
// and the mode), TRR (one DoH query per record type, CNAME chasing, the
// parts combined) and native. How it finishes is resolver_finish.cc's,
// what an answer means resolver_answers.cc's.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "trr/resolver/answer.h"
#include "trr/resolver/resolver_impl.h"

namespace trr {

using resolver_internal::kMaxCnameFollows;
using resolver_internal::ModeNumber;
using resolver_internal::RequestMode;

namespace {
constexpr char kIpv6DisabledMessage[] =
    "IPv6 is disabled (network.dns.disableIPv6)";
}  // namespace

// --- The loop
// ------------------------------------------------------------------

void Resolver::Impl::StartRequest(RequestId id, std::string host,
                                  ResolveOptions options, Completion done) {
  if (shutting_down_) {
    if (done) {
      ResolveResult result;
      result.status = CancelledError("the resolver shut down");
      Settled();
      done.Deliver(result, /*last=*/true);
    }
    return;
  }
  const TrrMode mode = RequestMode(settings_.mode, options.trr_mode);
  const CacheKeyView key = KeyFor(host, options, mode);
  auto it = jobs_.find(key);
  const bool created = it == jobs_.end();
  if (created) {
    auto fresh = std::make_shared<Job>();
    fresh->kind = options.type;
    fresh->mode = mode;
    fresh->disable_trr = options.disable_trr;
    // `key` views `host` and the partition, which move into the job here.
    fresh->key = CacheKey{std::move(host), key.kind, key.trr_mode,
                          key.trr_disabled, std::move(options.partition)};
    it = jobs_.emplace(fresh->key.view(), std::move(fresh)).first;
  }
  JobPtr job = it->second;
  if (done) {
    job->waiters.push_back(Waiter{id, std::move(done)});
    requests_[id] = job;
  }
  if (created) {
    ++counters_.lookups_by_mode[ModeNumber(mode)];
    StartJob(job);
  }
}

SkipReason Resolver::Impl::TrrSkipReason(const Job& job) {
  const Settings& s = settings_;
  if (job.mode == TrrMode::kOff) return SkipReason::kModeOff;
  if (job.mode == TrrMode::kOffByChoice) return SkipReason::kModeOffByChoice;
  if (job.disable_trr && job.mode != TrrMode::kOnly) {
    return SkipReason::kDisabledByRequest;
  }
  if (s.excluded.Matches(job.host()) ||
      s.builtin_excluded.Matches(job.host())) {
    return SkipReason::kExcluded;
  }
  if (s.pref.Get(keys::kTrrExcludeEtcHosts) &&
      resolver_internal::CoveredBy(etc_hosts_, job.host())) {
    return SkipReason::kEtcHosts;
  }
  // Mode 3 leaves the network's suffixes to it only when told to
  // (Firefox's exclude_dns_suffix_in_mode_trronly).
  if (job.mode == TrrMode::kOnly &&
      s.pref.Get(keys::kTrrExcludeDnsSuffixInModeTrrOnly) &&
      s.pref.Get(keys::kTrrSplitHorizonMitigations) &&
      suffixes_.Matches(job.host())) {
    return SkipReason::kDnsSuffix;
  }
  if (servers_.empty()) return SkipReason::kNoUri;
  if (job.mode == TrrMode::kOnly) {
    // Mode 3 waits for the portal rather than go native.
    return SkipReason::kNone;
  }
  if (s.pref.Get(keys::kTrrWaitForPortal) &&
      portal_ != CaptivePortalState::kClear) {
    return SkipReason::kWaitingForPortal;
  }
  if (job.mode == TrrMode::kFirst) {
    if (canary_ == resolver_internal::Canary::kTripped) {
      return SkipReason::kCanary;
    }
    if (s.pref.Get(keys::kTrrSplitHorizonMitigations) &&
        suffixes_.Matches(job.host())) {
      return SkipReason::kDnsSuffix;
    }
    // Strict fallback never sends a name native for having failed TRR
    // before, nor for having no dot (Firefox skips the temporary
    // blocklist, which holds both, in strict mode).
    if (!s.pref.Get(keys::kTrrStrictNativeFallback)) {
      if (job.host().find('.') == std::string::npos)
        return SkipReason::kSingleLabel;
      if (s.pref.Get(keys::kTrrTempBlocklist) &&
          blocklist_.IsBlocked(job.host(), clock_->Now(),
                               s.blocklist_duration)) {
        return SkipReason::kBlocklisted;
      }
    }
    if (auto reason = ServersSkipReason()) return *reason;
  }
  return SkipReason::kNone;
}

void Resolver::Impl::StartJob(const JobPtr& job) {
  job->skip = TrrSkipReason(*job);
  if (job->kind == QueryKind::kIpv6 &&
      settings_.pref.Get(keys::kDnsDisableIPv6)) {
    // Nobody is asked, whatever the mode. (Modes 1 and 4 start both paths:
    // the first must not finish the lookup under the second.)
    if (job->skip == SkipReason::kNone) job->skip = SkipReason::kIpv6Disabled;
    FinishWithError(job, NotFoundError(kIpv6DisabledMessage));
    return;
  }
  if (job->mode == TrrMode::kOnly && job->skip == SkipReason::kNoUri) {
    FinishWithError(
        job, UnavailableError(absl::StrCat("mode 3 and no valid DoH URI (\"",
                                           settings_.uri_text, "\")")));
    return;
  }
  if (job->mode == TrrMode::kOnly && job->skip == SkipReason::kNone &&
      settings_.pref.Get(keys::kTrrWaitForPortal) &&
      portal_ != CaptivePortalState::kClear) {
    // Mode 3 waits for the portal rather than go native.
    job->skip = SkipReason::kWaitingForPortal;
    Move(*job, JobState::kWaitingForPortal);
    portal_waiting_.push_back(job);
    job->portal_timer.Start(&loop_, TrrTimeout(*job), [this, job] {
      portal_waiting_.erase(
          std::remove(portal_waiting_.begin(), portal_waiting_.end(), job),
          portal_waiting_.end());
      FinishWithError(job, UnavailableError("timed out waiting for the captive "
                                            "portal to be cleared"));
    });
    return;
  }
  const LookupPlan plan = PlanLookup(job->mode, job->skip);
  if (plan.trr) StartTrr(job);
  if (plan.native && !job->finished()) StartNative(job, plan.native_reason);
}

absl::Duration Resolver::Impl::TrrTimeout(const Job& job) const {
  if (job.mode == TrrMode::kOnly) return settings_.trronly_timeout;
  if (settings_.pref.Get(keys::kTrrStrictNativeFallback))
    return settings_.strict_timeout;
  return settings_.request_timeout;
}

void Resolver::Impl::StartTrr(const JobPtr& job) {
  Move(*job, JobState::kRunning);
  job->trr_path = PathState::kRunning;
  job->skip = SkipReason::kNone;
  // At most two queries: A and AAAA.
  std::array<uint16_t, 2> types{};
  size_t count = 0;
  switch (job->kind) {
    case QueryKind::kUnspecified:
      types[count++] = dns::kTypeA;
      if (!settings_.pref.Get(keys::kDnsDisableIPv6))
        types[count++] = dns::kTypeAAAA;
      break;
    case QueryKind::kIpv4:
      types[count++] = dns::kTypeA;
      break;
    case QueryKind::kIpv6:
      if (settings_.pref.Get(
              keys::kDnsDisableIPv6)) {  // set while it waited for the portal
        job->skip = SkipReason::kIpv6Disabled;
        FinishWithError(job, NotFoundError(kIpv6DisabledMessage));
        return;
      }
      types[count++] = dns::kTypeAAAA;
      break;
    case QueryKind::kHttps:
      types[count++] = dns::kTypeHTTPS;
      break;
    case QueryKind::kTxt:
      types[count++] = dns::kTypeTXT;
      break;
  }
  job->trr_pending = static_cast<int>(count);
  job->trr_deadline = clock_->Now() + TrrTimeout(*job);
  for (size_t i = 0; i < count; ++i) {
    TrrQuery q;
    q.type = types[i];
    SendTrrQuery(job, std::move(q));
  }
}

void Resolver::Impl::SendTrrQuery(const JobPtr& job, TrrQuery q) {
  const std::optional<size_t> index =
      PickServer(q.from_server, job->mode, q.moved);
  const absl::Duration left = job->trr_deadline - clock_->Now();
  if (!index || left <= absl::ZeroDuration()) {
    // No server usable, or the lookup's time is up.
    TrrOutcome outcome;
    if (index) {
      outcome.failure = TrrFailure::kTimeout;
    } else {
      outcome.failure = TrrFailure::kServersUnavailable;
    }
    OnTrrPart(job, q.type, std::move(outcome));
    return;
  }
  const ServerPtr server = servers_[*index];
  const dns::QueryOptions options = DohQueryOptions();
  // Encoded into the buffer the loop thread reuses (Send copies the query).
  // It is taken, not borrowed, in case Send calls back into here.
  std::vector<uint8_t> query = std::move(query_buffer_);
  if (!dns::EncodeQuery(q.name(*job), q.type, options, query).ok()) {
    TrrOutcome outcome;
    outcome.failure = TrrFailure::kBadCnameTarget;
    OnTrrPart(job, q.type, std::move(outcome));
    return;
  }
  // With another server to fail over to, this one gets half the time left
  // and at most network.trr.request_timeout_ms, so the next one has time.
  absl::Duration timeout = left;
  if (PickServer(*index + 1, job->mode, q.moved)) {
    timeout = std::min(left / 2, settings_.request_timeout);
  }
  ++counters_.doh_requests;
  ++server->queries;
  const absl::Time sent = clock_->Now();
  std::weak_ptr<DohServerState> weak = server;
  const auto id = server->transport->Send(
      query, timeout,
      [this, job, q = std::move(q), weak, sent,
       index = *index](DohResult result) mutable {
        if (job->finished() && job->mode != TrrMode::kShadow) return;
        if (result.error == DohError::kCancelled && !shutting_down_) {
          // Cancelled because a new server list replaced this server: the
          // query goes on from the top of the new list, in any mode.
          ServerPtr server = weak.lock();
          if (server && server->retired) {
            q.from_server = 0;
            q.moved = true;
            SendTrrQuery(job, std::move(q));
            return;
          }
        }
        TrrOutcome outcome = Classify(result, q.name(*job), q.type);
        const TrrFailure failure = outcome.kind == TrrOutcome::Kind::kFailed
                                       ? outcome.failure
                                       : TrrFailure::kNone;
        if (ServerPtr server = weak.lock();
            server && result.error != DohError::kCancelled) {
          // One lookup counts once against a server, whichever of its
          // queries (A, AAAA, a CNAME step, a retry) failed.
          bool first_of_lookup = false;
          if (CountsAgainstServer(failure)) {
            auto& counted = job->counted_against;
            first_of_lookup = std::find(counted.begin(), counted.end(),
                                        server.get()) == counted.end();
            if (first_of_lookup) counted.push_back(server.get());
          }
          OnServerResult(server, failure, first_of_lookup, result.unreachable,
                         clock_->Now() - sent);
        }
        if ((failure == TrrFailure::kReset ||
             failure == TrrFailure::kConnect) &&
            q.may_retry &&
            settings_.pref.Get(keys::kTrrRetryOnRecoverableErrors) &&
            !PickServer(index + 1, job->mode, q.moved)) {
          // One retry on a fresh connection before counting it a failure
          // (with another server to go to, failing over is that).
          q.may_retry = false;
          q.from_server = index;
          SendTrrQuery(job, std::move(q));
          return;
        }
        if (FailsOver(failure) && PickServer(index + 1, job->mode, q.moved) &&
            job->trr_deadline > clock_->Now()) {
          // Fail over: the next usable server, within the lookup's time.
          q.from_server = index + 1;
          q.may_retry = true;
          SendTrrQuery(job, std::move(q));
          return;
        }
        if (outcome.follow_cname) {
          if (q.follows < kMaxCnameFollows) {
            q.cname = outcome.answer.canonical_name;
            ++q.follows;
            q.from_server = index;  // the chain goes on where it started
            SendTrrQuery(job, std::move(q));
            return;
          }
          outcome.kind = TrrOutcome::Kind::kFailed;
          outcome.failure = TrrFailure::kCnameChainTooLong;
        }
        OnTrrPart(job, q.type, std::move(outcome));
      });
  job->doh_requests.emplace_back(weak, id);
  query_buffer_ = std::move(query);
}

void Resolver::Impl::OnTrrPart(const JobPtr& job, uint16_t type,
                               TrrOutcome outcome) {
  if (job->trr_done()) return;
  if (job->other_family_asked) {
    // The other family's answer, asked only to know whether TRR resolves
    // the name: it is not this lookup's answer.
    job->trr_path = PathState::kDone;
    job->other_family_answered = outcome.kind == TrrOutcome::Kind::kOk &&
                                 !outcome.answer.addresses.empty();
    AfterTrrFailed(job);
    return;
  }
  job->trr_parts.emplace_back(type, std::move(outcome));
  --job->trr_pending;
  // Unspecified lookups may finish before both families are in: A as soon
  // as it has addresses, AAAA first only with early-AAAA; unless
  // wait-for-A-and-AAAA asks for both.
  bool enough = job->trr_pending == 0;
  if (!enough && job->kind == QueryKind::kUnspecified &&
      !settings_.pref.Get(keys::kTrrWaitForAAndAAAA)) {
    const auto& [last_type, last] = job->trr_parts.back();
    if (last.kind == TrrOutcome::Kind::kOk &&
        (last_type == dns::kTypeA || settings_.pref.Get(keys::kTrrEarlyAAAA))) {
      enough = true;
    }
  }
  if (enough) OnTrrDone(job);
}

void Resolver::Impl::OnTrrDone(const JobPtr& job) {
  job->trr_path = PathState::kDone;
  CombineTrrParts(*job);
  const TrrOutcome& trr = job->trr;

  // Counters: negative answers show a working resolver.
  switch (trr.kind) {
    case TrrOutcome::Kind::kOk:
    case TrrOutcome::Kind::kNoData:
      ++counters_.trr_ok;
      break;
    case TrrOutcome::Kind::kNxDomain:
      ++counters_.trr_nxdomain;
      break;
    default:
      ++counters_.trr_failures[trr.failure];
  }

  switch (job->mode) {
    case TrrMode::kRace:
      if (job->finished()) return;
      if (trr.kind == TrrOutcome::Kind::kOk) {
        ++counters_.race_trr_wins;
        FinishWithTrr(job);
      } else if (job->native_done()) {
        FinishWithNative(job);
      }
      return;
    case TrrMode::kShadow:
      if (job->native_done()) CompareShadow(job);
      return;
    case TrrMode::kOnly:
      FinishWithTrr(job);
      return;
    case TrrMode::kFirst:
    case TrrMode::kOff:
    case TrrMode::kOffByChoice:
      break;
  }
  if (trr.kind == TrrOutcome::Kind::kOk) {
    FinishWithTrr(job);
    return;
  }
  AfterTrrFailed(job);
}

void Resolver::Impl::CombineTrrParts(Job& job) {
  // A before AAAA whatever order they arrived in, so answers read the same
  // every time (there are at most two parts).
  auto& parts = job.trr_parts;
  if (parts.size() == 2 && parts[1].first < parts[0].first) {
    std::swap(parts[0], parts[1]);
  }
  // Combine the families: the answers (addresses, or negative ones) by
  // MergeFamilies, the cache's rule too; any addresses make an answer (a
  // family that failed alongside does not matter); otherwise the most
  // telling failure, then the negative answer.
  // The first answered part (kOk, kNxDomain, kNoData) takes in the others.
  TrrOutcome* answered = nullptr;
  const TrrOutcome* blocked = nullptr;
  const TrrOutcome* failed = nullptr;
  for (auto& [type, part] : job.trr_parts) {
    switch (part.kind) {
      case TrrOutcome::Kind::kOk:
      case TrrOutcome::Kind::kNxDomain:
      case TrrOutcome::Kind::kNoData:
        if (answered == nullptr) {
          answered = &part;
        } else {
          MergeFamilies(answered->answer, part.answer);
        }
        break;
      case TrrOutcome::Kind::kBlocked:
        blocked = &part;
        break;
      case TrrOutcome::Kind::kFailed:
        if (failed == nullptr) failed = &part;
        break;
    }
  }
  // Combined straight into the job (the parts are apart from it).
  TrrOutcome& combined = job.trr;
  if (answered != nullptr && !answered->answer.addresses.empty()) {
    combined = std::move(*answered);
    combined.kind = TrrOutcome::Kind::kOk;
    combined.failure = TrrFailure::kNone;
  } else if (blocked != nullptr) {
    combined = std::move(*blocked);
  } else if (failed != nullptr) {
    combined = std::move(*failed);
  } else if (answered != nullptr) {
    combined = std::move(*answered);
    // HTTPS and TXT lookups have one part, whose kind stands.
    if (combined.kind != TrrOutcome::Kind::kOk) {
      const bool nx = combined.answer.negative == NegativeKind::kNxDomain;
      combined.kind =
          nx ? TrrOutcome::Kind::kNxDomain : TrrOutcome::Kind::kNoData;
      combined.failure = nx ? TrrFailure::kNxDomain : TrrFailure::kNoRecords;
    }
  } else {
    combined = TrrOutcome();
  }
  job.trr_parts.clear();
}

void Resolver::Impl::AfterTrrFailed(const JobPtr& job) {
  TrrFailureFacts facts;
  facts.failure = job->trr.failure;
  facts.other_family_answered = job->other_family_answered;
  FallbackPrefs prefs;
  prefs.strict = settings_.pref.Get(keys::kTrrStrictNativeFallback);
  prefs.strict_allow_timeouts =
      settings_.pref.Get(keys::kTrrStrictNativeFallbackAllowTimeouts);
  const std::optional<NativeReason> native = FallbackAfterTrr(facts, prefs);
  if (!native) {
    FinishWithTrr(job);
    return;
  }
  // Firefox's af-fallback rule: before a lookup of one family goes native,
  // TRR is asked for the other one; when the name has addresses there,
  // TRR resolves it and the lookup fails without fallback.
  const bool one_family =
      job->kind == QueryKind::kIpv4 || job->kind == QueryKind::kIpv6;
  if (one_family && !job->other_family_asked &&
      !(job->kind == QueryKind::kIpv4 &&
        settings_.pref.Get(keys::kDnsDisableIPv6))) {
    job->other_family_asked = true;
    job->trr_path = PathState::kRunning;
    job->trr_pending = 1;
    job->trr_deadline = clock_->Now() + TrrTimeout(*job);
    TrrQuery q;
    q.type = job->kind == QueryKind::kIpv4 ? dns::kTypeAAAA : dns::kTypeA;
    SendTrrQuery(job, std::move(q));
    return;
  }
  ++counters_.fallbacks;
  StartNative(job, *native);
}

void Resolver::Impl::StartNative(const JobPtr& job, NativeReason reason) {
  Move(*job, JobState::kRunning);
  job->native_path = PathState::kRunning;
  job->native_reason = reason;
  ++counters_.native_by_reason[static_cast<size_t>(reason)];
  QueryKind kind = job->kind;
  if (settings_.pref.Get(keys::kDnsDisableIPv6)) {
    if (kind == QueryKind::kUnspecified) kind = QueryKind::kIpv4;
    if (kind == QueryKind::kIpv6) {
      job->native_path = PathState::kDone;
      job->native.outcome = NativeResult::Outcome::kFailed;
      job->native.error = kIpv6DisabledMessage;
      if (job->skip == SkipReason::kNone) job->skip = SkipReason::kIpv6Disabled;
      FinishWithError(job, NotFoundError(job->native.error));
      return;
    }
  }
  ++counters_.native_queries;
  native_->Resolve(job->host(), kind, settings_.native_timeout,
                   [this, job](NativeResult result) {
                     job->native_path = PathState::kDone;
                     job->native = std::move(result);
                     // The outcome decides what the record says.
                     NegativeKind& negative = job->native.answer.negative;
                     switch (job->native.outcome) {
                       case NativeResult::Outcome::kNxDomain:
                         negative = NegativeKind::kNxDomain;
                         break;
                       case NativeResult::Outcome::kNoData:
                         negative = NegativeKind::kNoData;
                         break;
                       case NativeResult::Outcome::kOk:
                       case NativeResult::Outcome::kFailed:
                         negative = NegativeKind::kNone;
                         break;
                     }
                     OnNativeDone(job);
                   });
}

void Resolver::Impl::OnNativeDone(const JobPtr& job) {
  const bool ok = job->native.outcome == NativeResult::Outcome::kOk;
  if (ok) {
    ++counters_.native_ok;
  } else {
    ++counters_.native_failed;
  }
  switch (job->mode) {
    case TrrMode::kRace:
      if (job->finished()) return;
      if (ok) {
        ++counters_.race_native_wins;
        FinishWithNative(job);
      } else if (job->trr_done() || !job->trr_started()) {
        FinishWithNative(job);
      }
      return;
    case TrrMode::kShadow:  // the native answer is the one used
      FinishWithNative(job);
      if (job->trr_done()) CompareShadow(job);
      return;
    case TrrMode::kFirst:
    case TrrMode::kOnly:
    case TrrMode::kOff:
    case TrrMode::kOffByChoice:
      break;
  }
  // A name where TRR failed and native worked skips TRR for a while.
  if (ok && job->trr_done() && job->trr.kind != TrrOutcome::Kind::kOk &&
      settings_.pref.Get(keys::kTrrTempBlocklist) &&
      job->mode == TrrMode::kFirst) {
    blocklist_.Add(job->host(), clock_->Now());
    ++counters_.blocklist_additions;
  }
  FinishWithNative(job);
}

}  // namespace trr
