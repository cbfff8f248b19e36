#include "trr/resolver/lookup_policy.h"

namespace trr {

LookupPlan PlanLookup(TrrMode mode, SkipReason skip) {
  LookupPlan plan;
  const bool trr = skip == SkipReason::kNone;
  const NativeReason skipped = skip == SkipReason::kDisabledByRequest
                                   ? NativeReason::kTrrOff
                                   : NativeReason::kTrrSkipped;
  switch (mode) {
    case TrrMode::kOff:
    case TrrMode::kOffByChoice:
      plan.native = true;
      plan.native_reason = NativeReason::kTrrOff;
      break;
    case TrrMode::kRace:    // both at once
    case TrrMode::kShadow:  // both, the native answer is used
      plan.trr = trr;
      plan.native = true;
      plan.native_reason = trr ? NativeReason::kBothPaths : skipped;
      break;
    case TrrMode::kFirst:  // TRR first, native after it (FallbackAfterTrr)
      plan.trr = trr;
      plan.native = !trr;
      if (!trr) plan.native_reason = skipped;
      break;
    case TrrMode::kOnly:
      // The only names mode 3 resolves natively are the ones the user
      // excluded from TRR (by name, by /etc/hosts, or by the network's
      // suffixes with exclude_dns_suffix_in_mode_trronly).
      if (skip == SkipReason::kExcluded || skip == SkipReason::kEtcHosts ||
          skip == SkipReason::kDnsSuffix) {
        plan.native = true;
        plan.native_reason = NativeReason::kTrrSkipped;
      } else {
        plan.trr = trr;
      }
      break;
  }
  return plan;
}

std::optional<NativeReason> FallbackAfterTrr(const TrrFailureFacts& facts,
                                             const FallbackPrefs& prefs) {
  // The name exists and TRR resolves it: asking elsewhere would leak it
  // and could bring a split-horizon address (Firefox: definitive).
  if (facts.other_family_answered) return std::nullopt;
  switch (facts.failure) {
    case TrrFailure::kNone:
      return std::nullopt;
    // What Firefox never routes around: the resolver withheld the name.
    case TrrFailure::kBlocked:
    // Beyond Firefox: the server answered, on purpose. A refusal, a failed
    // validation or an upstream failure is the trusted resolver's answer
    // for the name; a plaintext resolver would leak the name and undo a
    // DNSSEC failure.
    case TrrFailure::kDnssecBogus:
    case TrrFailure::kServFail:
    case TrrFailure::kRefused:
    case TrrFailure::kFormErr:
    case TrrFailure::kNotImp:
    case TrrFailure::kOtherRcode:
      return std::nullopt;
    // Names that exist only inside the network: Firefox falls back, strict
    // or not.
    case TrrFailure::kNxDomain:
    case TrrFailure::kNoRecords:
      return NativeReason::kNegativeAnswer;
    case TrrFailure::kPrivateAddress:
    case TrrFailure::kZeroAddress:
      return NativeReason::kUnusableAnswer;
    case TrrFailure::kTimeout:
      if (prefs.strict && !prefs.strict_allow_timeouts) return std::nullopt;
      return NativeReason::kTrrTimedOut;
    // The exchange failed: a server problem, which strict fallback does
    // not route around.
    case TrrFailure::kBadAnswer:
    case TrrFailure::kBadCnameTarget:
    case TrrFailure::kCnameChainTooLong:
    case TrrFailure::kHttpStatus:
    case TrrFailure::kContentType:
    case TrrFailure::kTooLarge:
    case TrrFailure::kTls:
    case TrrFailure::kConnect:
    case TrrFailure::kReset:
    case TrrFailure::kStreamRefused:
    case TrrFailure::kCancelled:
    case TrrFailure::kTransportOther:
    case TrrFailure::kServersUnavailable:
    case TrrFailure::kOhttp:
      if (prefs.strict) return std::nullopt;
      return NativeReason::kTrrFailed;
  }
  return std::nullopt;
}

bool CountsAgainstServer(TrrFailure failure) {
  switch (failure) {
    case TrrFailure::kBadAnswer:  // a body that is no answer to the query
    case TrrFailure::kHttpStatus:
    case TrrFailure::kContentType:
    case TrrFailure::kTooLarge:
    case TrrFailure::kTls:
    case TrrFailure::kConnect:
    case TrrFailure::kTimeout:
    case TrrFailure::kReset:
    case TrrFailure::kTransportOther:
    case TrrFailure::kOhttp:
      return true;
    // A stream the server refused is a busy server, not a down one.
    case TrrFailure::kStreamRefused:
    default:
      return false;
  }
}

bool FailsOver(TrrFailure failure) {
  if (CountsAgainstServer(failure)) return true;
  switch (failure) {
    case TrrFailure::kStreamRefused:
    case TrrFailure::kServFail:
    case TrrFailure::kRefused:
    case TrrFailure::kFormErr:
    case TrrFailure::kNotImp:
    case TrrFailure::kOtherRcode:
      return true;
    default:
      return false;
  }
}

}  // namespace trr
