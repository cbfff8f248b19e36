// Where a lookup may go: the one place that decides whether TRR is asked,
// whether the native (plaintext) resolver may be, and by which rule, in
// every mode; and which TRR outcomes are evidence against a server. Pure
// functions of the mode, the skip reason, what TRR came to and the prefs:
// the mode table checks them cell by cell, and Resolver::Impl only acts on
// what they return. docs/USER_GUIDE.md's "When mode 2 falls back" table is
// these rules beside Firefox's.

#ifndef TRR_TRR_RESOLVER_LOOKUP_POLICY_H_
#define TRR_TRR_RESOLVER_LOOKUP_POLICY_H_

#include <optional>

#include "trr/resolver.h"
#include "trr/types.h"

namespace trr {

// Where a lookup starts, from its mode and why TRR is skipped (kNone: TRR
// may be asked).
struct LookupPlan {
  bool trr = false;     // ask TRR
  bool native = false;  // ask the native resolver now
  // Why native runs (kNone when it does not run now; in mode 2 it may
  // still run after TRR, by FallbackAfterTrr).
  NativeReason native_reason = NativeReason::kNone;
};
// Mode 3 with no usable URI or waiting for a captive portal is the
// caller's (neither path runs); every other case is here.
LookupPlan PlanLookup(TrrMode mode, SkipReason skip);

// The prefs the fallback rules read.
struct FallbackPrefs {
  bool strict = false;                // network.trr.strict_native_fallback
  bool strict_allow_timeouts = true;  // ..._allow_timeouts
};

// What TRR came to for a lookup that got no usable answer, as the
// fallback rules need it.
struct TrrFailureFacts {
  TrrFailure failure = TrrFailure::kNone;
  // A lookup of one family (A only, AAAA only) whose family gave nothing
  // while the other family has addresses over TRR: the name exists and
  // TRR resolves it (Firefox's af-fallback rule).
  bool other_family_answered = false;
};

// Mode 2 (or a request opting in to TRR under mode 0), after TRR was asked
// and gave no usable answer: the rule that lets the name go to the native
// resolver, or nullopt when the lookup fails with TRR's outcome. Never
// native for an answer the server gave on purpose (an RCODE, a blocking
// Extended DNS Error, DNSSEC Bogus) or for a one-family miss of a name TRR
// resolves; with strict fallback, native only for negative and unusable
// answers (and timeouts, if allowed).
std::optional<NativeReason> FallbackAfterTrr(const TrrFailureFacts& facts,
                                             const FallbackPrefs& prefs);

// Whether a query's failure is evidence that the server is down (server
// health, confirmation's failure count): the exchange failed (no answer in
// time, a connection or TLS failure, an HTTP error, a body that is no DNS
// answer). Any RCODE, and any answer trr chose not to use, is the server
// answering.
bool CountsAgainstServer(TrrFailure failure);

// Whether a query that failed this way goes on to the next server of the
// list, if there is one: every server failure and every refusal by RCODE
// (another resolver may answer), but not an answer the resolver gave on
// purpose for the name (NXDOMAIN, a block, DNSSEC Bogus, private addresses).
bool FailsOver(TrrFailure failure);

}  // namespace trr

#endif  // TRR_TRR_RESOLVER_LOOKUP_POLICY_H_
