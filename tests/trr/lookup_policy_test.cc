// The fallback rules as a table: every TRR failure, with strict fallback off
// and on (and timeouts allowed or not), against what docs/USER_GUIDE.md's
// "When mode 2 falls back" table says; and where each mode starts.

#include "trr/resolver/lookup_policy.h"

#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

// What mode 2 does after each failure: the rule that lets it go native,
// with strict fallback off and on; nullopt: the lookup fails, asking no
// one else.
struct Row {
  TrrFailure failure;
  std::optional<NativeReason> lenient;
  std::optional<NativeReason> strict;
};

constexpr std::optional<NativeReason> kStays = std::nullopt;

const Row kRows[] = {
    // Negative and unusable answers: names that may exist only inside the
    // network, strict or not.
    {TrrFailure::kNxDomain, NativeReason::kNegativeAnswer,
     NativeReason::kNegativeAnswer},
    {TrrFailure::kNoRecords, NativeReason::kNegativeAnswer,
     NativeReason::kNegativeAnswer},
    {TrrFailure::kPrivateAddress, NativeReason::kUnusableAnswer,
     NativeReason::kUnusableAnswer},
    {TrrFailure::kZeroAddress, NativeReason::kUnusableAnswer,
     NativeReason::kUnusableAnswer},
    // The server's own answer for the name: never routed around.
    {TrrFailure::kBlocked, kStays, kStays},
    {TrrFailure::kDnssecBogus, kStays, kStays},
    {TrrFailure::kServFail, kStays, kStays},
    {TrrFailure::kRefused, kStays, kStays},
    {TrrFailure::kFormErr, kStays, kStays},
    {TrrFailure::kNotImp, kStays, kStays},
    {TrrFailure::kOtherRcode, kStays, kStays},
    // The exchange failed: native unless strict.
    {TrrFailure::kBadAnswer, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kBadCnameTarget, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kCnameChainTooLong, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kHttpStatus, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kContentType, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kTooLarge, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kTls, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kConnect, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kReset, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kStreamRefused, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kCancelled, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kTransportOther, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kServersUnavailable, NativeReason::kTrrFailed, kStays},
    {TrrFailure::kOhttp, NativeReason::kTrrFailed, kStays},
    // Timeouts: strict fallback lets them through only when allowed (the
    // allowed case is checked below).
    {TrrFailure::kTimeout, NativeReason::kTrrTimedOut, kStays},
};

std::string Name(const std::optional<NativeReason>& r) {
  return r ? NativeReasonName(*r) : "(no fallback)";
}

TEST(FallbackAfterTrrTest, EveryFailureHasItsRowStrictAndNot) {
  std::set<TrrFailure> seen;
  for (const Row& row : kRows) {
    SCOPED_TRACE(TrrFailureName(row.failure));
    seen.insert(row.failure);
    TrrFailureFacts facts;
    facts.failure = row.failure;
    FallbackPrefs lenient;
    lenient.strict = false;
    EXPECT_EQ(Name(FallbackAfterTrr(facts, lenient)), Name(row.lenient));
    FallbackPrefs strict;
    strict.strict = true;
    strict.strict_allow_timeouts = false;
    EXPECT_EQ(Name(FallbackAfterTrr(facts, strict)), Name(row.strict));
    // A one-family miss of a name TRR resolves never goes native.
    facts.other_family_answered = true;
    EXPECT_EQ(FallbackAfterTrr(facts, lenient), std::nullopt);
  }
  // Every failure has a row (kNone is no failure).
  EXPECT_EQ(seen.size(), static_cast<size_t>(kTrrFailureCount - 1));
}

TEST(FallbackAfterTrrTest, StrictFallbackLetsTimeoutsThroughWhenAllowed) {
  TrrFailureFacts facts;
  facts.failure = TrrFailure::kTimeout;
  FallbackPrefs prefs;
  prefs.strict = true;
  prefs.strict_allow_timeouts = true;
  EXPECT_EQ(FallbackAfterTrr(facts, prefs), NativeReason::kTrrTimedOut);
  facts.failure = TrrFailure::kConnect;
  EXPECT_EQ(FallbackAfterTrr(facts, prefs), std::nullopt);
}

TEST(CountsAgainstServerTest, OnlyAFailedExchangeIsEvidenceAServerIsDown) {
  for (TrrFailure f :
       {TrrFailure::kBadAnswer, TrrFailure::kHttpStatus,
        TrrFailure::kContentType, TrrFailure::kTooLarge, TrrFailure::kTls,
        TrrFailure::kConnect, TrrFailure::kTimeout, TrrFailure::kReset,
        TrrFailure::kTransportOther, TrrFailure::kOhttp}) {
    EXPECT_TRUE(CountsAgainstServer(f)) << TrrFailureName(f);
    EXPECT_TRUE(FailsOver(f)) << TrrFailureName(f);
  }
  // An RCODE is the server answering; a busy server is not a down one.
  for (TrrFailure f : {TrrFailure::kServFail, TrrFailure::kRefused,
                       TrrFailure::kFormErr, TrrFailure::kNotImp,
                       TrrFailure::kOtherRcode, TrrFailure::kStreamRefused}) {
    EXPECT_FALSE(CountsAgainstServer(f)) << TrrFailureName(f);
    EXPECT_TRUE(FailsOver(f)) << TrrFailureName(f) << ": another may answer";
  }
  // The resolver's answer for the name: neither.
  for (TrrFailure f : {TrrFailure::kNone, TrrFailure::kNxDomain,
                       TrrFailure::kNoRecords, TrrFailure::kBlocked,
                       TrrFailure::kDnssecBogus, TrrFailure::kPrivateAddress,
                       TrrFailure::kZeroAddress, TrrFailure::kCancelled}) {
    EXPECT_FALSE(CountsAgainstServer(f)) << TrrFailureName(f);
    EXPECT_FALSE(FailsOver(f)) << TrrFailureName(f);
  }
}

TEST(PlanLookupTest, EachModeStartsWhereItSays) {
  struct Case {
    TrrMode mode;
    SkipReason skip;
    bool trr;
    bool native;
    NativeReason reason;
  };
  const Case cases[] = {
      {TrrMode::kOff, SkipReason::kModeOff, false, true, NativeReason::kTrrOff},
      {TrrMode::kOffByChoice, SkipReason::kModeOffByChoice, false, true,
       NativeReason::kTrrOff},
      {TrrMode::kRace, SkipReason::kNone, true, true, NativeReason::kBothPaths},
      {TrrMode::kRace, SkipReason::kExcluded, false, true,
       NativeReason::kTrrSkipped},
      {TrrMode::kShadow, SkipReason::kNone, true, true,
       NativeReason::kBothPaths},
      {TrrMode::kShadow, SkipReason::kDisabledByRequest, false, true,
       NativeReason::kTrrOff},
      {TrrMode::kFirst, SkipReason::kNone, true, false, NativeReason::kNone},
      {TrrMode::kFirst, SkipReason::kNotConfirmed, false, true,
       NativeReason::kTrrSkipped},
      {TrrMode::kFirst, SkipReason::kDisabledByRequest, false, true,
       NativeReason::kTrrOff},
      {TrrMode::kOnly, SkipReason::kNone, true, false, NativeReason::kNone},
      {TrrMode::kOnly, SkipReason::kExcluded, false, true,
       NativeReason::kTrrSkipped},
      {TrrMode::kOnly, SkipReason::kEtcHosts, false, true,
       NativeReason::kTrrSkipped},
      // Mode 3 never goes native for anything else.
      {TrrMode::kOnly, SkipReason::kNoUri, false, false, NativeReason::kNone},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(
        absl::StrCat(TrrModeName(c.mode), " ", SkipReasonName(c.skip)));
    const LookupPlan plan = PlanLookup(c.mode, c.skip);
    EXPECT_EQ(plan.trr, c.trr);
    EXPECT_EQ(plan.native, c.native);
    EXPECT_EQ(plan.native_reason, c.reason)
        << NativeReasonName(plan.native_reason);
  }
}

TEST(NativeReasonTest, EveryReasonHasAStableDistinctName) {
  std::set<std::string> names;
  for (int i = 0; i < kNativeReasonCount; ++i) {
    names.insert(NativeReasonName(static_cast<NativeReason>(i)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNativeReasonCount));
  EXPECT_STREQ(NativeReasonName(NativeReason::kTrrTimedOut), "trr-timed-out");
}

}  // namespace
}  // namespace trr
