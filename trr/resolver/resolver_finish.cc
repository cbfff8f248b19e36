// How a lookup finishes: its result from TRR, from native or an error,
// delivered once to each waiter and cached; shadow mode's comparison; and
// the one place a job's state changes. Part of Resolver::Impl, on the
// network thread.

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "trr/resolver/answer.h"
#include "trr/resolver/resolver_impl.h"

namespace trr {

namespace {

// Why a one-family lookup that TRR could not answer was not sent native.
std::string OtherFamilyNote(QueryKind asked, bool other_family_answered) {
  if (!other_family_answered) return "";
  return absl::StrCat("; not asked elsewhere: TRR has ",
                      asked == QueryKind::kIpv6 ? "IPv4" : "IPv6",
                      " addresses for the name");
}

}  // namespace

void Resolver::Impl::CompareShadow(const JobPtr& job) {
  if (job->trr.kind != TrrOutcome::Kind::kOk) {
    ++counters_.shadow_trr_failed;
    return;
  }
  // Agreement: the two answers share an address (CDNs rotate the rest).
  for (const IpAddress& ip : job->trr.answer.addresses) {
    const std::vector<IpAddress>& native = job->native.answer.addresses;
    if (std::find(native.begin(), native.end(), ip) != native.end()) {
      ++counters_.shadow_agree;
      return;
    }
  }
  ++counters_.shadow_disagree;
}

void Resolver::Impl::FinishWithTrr(const JobPtr& job) {
  const TrrOutcome& trr = job->trr;
  ResolveResult result;
  result.source = ResultSource::kTrr;
  result.skip_reason = SkipReason::kNone;
  if (trr.kind != TrrOutcome::Kind::kOk) result.trr_failure = trr.failure;
  switch (trr.kind) {
    case TrrOutcome::Kind::kOk:
      break;
    case TrrOutcome::Kind::kNxDomain:
      result.status = NotFoundError("NXDOMAIN");
      break;
    case TrrOutcome::Kind::kNoData:
      result.status = NotFoundError("no records of this type (NODATA)");
      break;
    case TrrOutcome::Kind::kBlocked:
      result.status = PermissionDeniedError(
          absl::StrCat("the DoH resolver blocked it (", trr.detail, ")"));
      Finish(job, std::move(result), nullptr);
      return;
    case TrrOutcome::Kind::kFailed:
      result.status = UnavailableError(
          absl::StrCat("TRR failed: ", TrrFailureName(trr.failure),
                       trr.detail.empty() ? "" : " (", trr.detail,
                       trr.detail.empty() ? "" : ")",
                       OtherFamilyNote(job->kind, job->other_family_answered)));
      Finish(job, std::move(result), nullptr);
      return;
  }
  if (job->other_family_answered) {
    result.status = NotFoundError(
        absl::StrCat(result.status.message(),
                     OtherFamilyNote(job->kind, job->other_family_answered)));
  }
  if (job->kind == QueryKind::kHttps && trr.kind == TrrOutcome::Kind::kOk &&
      !shutting_down_) {
    CacheHttpsAddresses(*job);
  }
  Finish(job, std::move(result), &job->trr.answer);
}

void Resolver::Impl::FinishWithNative(const JobPtr& job) {
  const NativeResult& native = job->native;
  ResolveResult result;
  result.source = ResultSource::kNative;
  result.skip_reason = job->skip;
  if (job->trr_done() && job->trr.kind != TrrOutcome::Kind::kOk) {
    result.trr_failure = job->trr.failure;
  }
  switch (native.outcome) {
    case NativeResult::Outcome::kOk:
      break;
    case NativeResult::Outcome::kNxDomain:
      result.status = NotFoundError("NXDOMAIN");
      break;
    case NativeResult::Outcome::kNoData:
      result.status = NotFoundError("no records of this type (NODATA)");
      break;
    case NativeResult::Outcome::kFailed:
      result.status = UnavailableError(
          absl::StrCat("native resolution failed: ", native.error));
      Finish(job, std::move(result), nullptr);
      return;
  }
  Finish(job, std::move(result), &job->native.answer);
}

void Resolver::Impl::FinishWithError(const JobPtr& job, Status status) {
  ResolveResult result;
  result.status = std::move(status);
  result.skip_reason = job->skip;
  Finish(job, std::move(result), nullptr);
}

void Resolver::Impl::Move(Job& job, JobState to) {
  bool allowed = false;
  switch (job.state) {
    case JobState::kNew:
      allowed = to != JobState::kNew;
      break;
    case JobState::kWaitingForPortal:
    case JobState::kRunning:
      allowed = to == JobState::kRunning || to == JobState::kFinished;
      break;
    case JobState::kFinished:
      allowed = false;
      break;
  }
#if !defined(NDEBUG) || defined(TRR_DEBUG_CHECKS)
  if (!allowed) {
    std::fprintf(stderr,
                 "trr: a lookup moved from state %d to %d, where its state "
                 "machine does not go\n",
                 static_cast<int>(job.state), static_cast<int>(to));
    std::abort();
  }
#endif
  (void)allowed;
  job.state = to;
}

void Resolver::Impl::Finish(const JobPtr& job, ResolveResult result,
                            HostRecord* answer) {
  if (job->finished()) return;
  Move(*job, JobState::kFinished);
  result.native_reason = job->native_reason;
  job->portal_timer.Cancel();
  const CacheKeyView key = job->key.view();
  if (answer != nullptr) {
    // Answers without a TTL (getaddrinfo's) live network.dnsCacheExpiration.
    CopyAnswer(*answer,
               answer->ttl_seconds ? absl::Seconds(*answer->ttl_seconds)
                                   : settings_.cache.default_ttl,
               result);
    if (!shutting_down_) {
      // Shadow mode compares the two answers after this; otherwise the job
      // is done with its answer and the cache takes it.
      if (job->mode == TrrMode::kShadow) {
        cache_.Insert(key, *answer);
      } else {
        cache_.Insert(key, std::move(*answer));
      }
    }
  } else if (result.status.code() == StatusCode::kUnavailable) {
    // Every allowed path failed: an expired answer is better than none, if
    // serve-stale is on (RFC 8767).
    if (auto stale = cache_.LookupStale(key)) {
      ResolveResult from_stale =
          FromCache(stale->view(), clock_->Now(), ResultSource::kStale);
      from_stale.skip_reason = result.skip_reason;
      from_stale.trr_failure = result.trr_failure;
      result = std::move(from_stale);
      ++counters_.stale_answers;
    }
  }
  jobs_.erase(job->key.view());
  auto waiters = std::move(job->waiters);
  job->waiters.clear();
  for (const Waiter& waiter : waiters) {
    requests_.erase(waiter.id);
    Settled();
  }
  for (size_t i = 0; i < waiters.size(); ++i) {
    waiters[i].done.Deliver(result, i + 1 == waiters.size());
  }
  // After the answer, which waits for nothing below: queries still out
  // (the other family, a CNAME step) are cancelled. Shadow mode lets the
  // TRR query run on, to compare.
  if (job->mode != TrrMode::kShadow) {
    for (const auto& [weak, id] : job->doh_requests) {
      if (ServerPtr server = weak.lock()) server->transport->Cancel(id);
    }
  }
}

}  // namespace trr
