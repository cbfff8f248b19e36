// The stable names of a result's source, of TRR failures and of skip
// reasons: what counters, the dump and the C API show.

#include "trr/resolver.h"

namespace trr {

const char* ResultSourceName(ResultSource source) {
  switch (source) {
    case ResultSource::kTrr:
      return "trr";
    case ResultSource::kNative:
      return "native";
    case ResultSource::kCache:
      return "cache";
    case ResultSource::kStale:
      return "stale";
    case ResultSource::kNone:
      return "none";
  }
  return "unknown";
}

const char* TrrFailureName(TrrFailure failure) {
  switch (failure) {
    case TrrFailure::kNone:
      return "";
    case TrrFailure::kNxDomain:
      return "nxdomain";
    case TrrFailure::kNoRecords:
      return "no-records";
    case TrrFailure::kBlocked:
      return "blocked";
    case TrrFailure::kPrivateAddress:
      return "private-address";
    case TrrFailure::kBadAnswer:
      return "bad-answer";
    case TrrFailure::kBadCnameTarget:
      return "bad-cname-target";
    case TrrFailure::kCnameChainTooLong:
      return "cname-chain-too-long";
    case TrrFailure::kServFail:
      return "servfail";
    case TrrFailure::kRefused:
      return "refused";
    case TrrFailure::kFormErr:
      return "formerr";
    case TrrFailure::kNotImp:
      return "notimp";
    case TrrFailure::kOtherRcode:
      return "rcode-other";
    case TrrFailure::kHttpStatus:
      return "http-status";
    case TrrFailure::kContentType:
      return "content-type";
    case TrrFailure::kTooLarge:
      return "too-large";
    case TrrFailure::kTls:
      return "tls";
    case TrrFailure::kConnect:
      return "connect";
    case TrrFailure::kTimeout:
      return "timeout";
    case TrrFailure::kReset:
      return "reset";
    case TrrFailure::kStreamRefused:
      return "stream-refused";
    case TrrFailure::kCancelled:
      return "cancelled";
    case TrrFailure::kTransportOther:
      return "transport-other";
    case TrrFailure::kServersUnavailable:
      return "servers-unavailable";
    case TrrFailure::kZeroAddress:
      return "zero-address";
    case TrrFailure::kOhttp:
      return "ohttp";
    case TrrFailure::kDnssecBogus:
      return "dnssec-bogus";
  }
  return "unknown";
}

const char* SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNone:
      return "none";
    case SkipReason::kModeOff:
      return "mode-off";
    case SkipReason::kModeOffByChoice:
      return "mode-off-by-choice";
    case SkipReason::kDisabledByRequest:
      return "disabled-by-request";
    case SkipReason::kExcluded:
      return "excluded";
    case SkipReason::kEtcHosts:
      return "etc-hosts";
    case SkipReason::kLocalhost:
      return "localhost";
    case SkipReason::kIpLiteral:
      return "ip-literal";
    case SkipReason::kBlocklisted:
      return "blocklisted";
    case SkipReason::kSingleLabel:
      return "single-label";
    case SkipReason::kNotConfirmed:
      return "not-confirmed";
    case SkipReason::kWaitingForPortal:
      return "waiting-for-portal";
    case SkipReason::kIpv6Disabled:
      return "ipv6-disabled";
    case SkipReason::kNoUri:
      return "no-uri";
    case SkipReason::kServersUnavailable:
      return "servers-unavailable";
    case SkipReason::kCanary:
      return "canary";
    case SkipReason::kDnsSuffix:
      return "dns-suffix";
    case SkipReason::kDotOnion:
      return "dot-onion";
  }
  return "unknown";
}

const char* NativeReasonName(NativeReason reason) {
  switch (reason) {
    case NativeReason::kNone:
      return "none";
    case NativeReason::kTrrOff:
      return "trr-off";
    case NativeReason::kBothPaths:
      return "both-paths";
    case NativeReason::kTrrSkipped:
      return "trr-skipped";
    case NativeReason::kNegativeAnswer:
      return "negative-answer";
    case NativeReason::kUnusableAnswer:
      return "unusable-answer";
    case NativeReason::kTrrFailed:
      return "trr-failed";
    case NativeReason::kTrrTimedOut:
      return "trr-timed-out";
  }
  return "unknown";
}

}  // namespace trr
