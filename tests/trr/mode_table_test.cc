// The mode table, hermetic: a whole Resolver with a fake DoH transport, a
// fake native resolver and a fake clock (tests/trr/resolver_harness.h), no
// DNS server and no sleeps. Modes 0-5, crossed with what the DoH server
// does (an answer, NXDOMAIN, NODATA, a private address, SERVFAIL, REFUSED,
// DNSSEC Bogus, an Extended DNS Error block, a garbled answer, and each way
// the exchange itself can fail) and with the confirmation state (skipped,
// confirmed, failed): 306 cases, each on a resolver of its own. Then mode
// 2 alone, crossed with the family asked (A, AAAA, both), strict fallback
// and whether the other family has addresses: 204 cases. List changes,
// health and the rest of mode 2's rules are fallback_test.cc's; failover,
// heuristics, the embedder's contract and Oblivious DoH have files of
// their own on the same harness (failover_test.cc, heuristics_test.cc,
// resolver_contract_test.cc, ohttp_resolver_test.cc). Plus what the
// typed failures promise: a server cannot mint counter names. ctest label:
// hermetic.

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "hostcache/fake_clock.h"
#include "tests/peers/test_process.h"
#include "tests/trr/dns/message_builder.h"
#include "tests/trr/resolver_harness.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/ohttp/bhttp.h"
#include "trr/ohttp/ohttp.h"
#include "trr/resolver.h"
#include "trr/resolver/resolver_impl.h"
#include "trr/resolver/resolver_testing.h"
#include "trr/transport/ohttp_sender.h"

namespace trr {
namespace {

// What a lookup must come to.

struct Expected {
  ResultSource source;
  StatusCode code = StatusCode::kOk;
  TrrFailure failure = TrrFailure::kNone;
  bool trr_asked = false;
  bool native_asked = false;
  SkipReason skip = SkipReason::kNone;
  NativeReason native_reason = NativeReason::kNone;
};

// Failures that network.trr.retry_on_recoverable_errors (on by default)
// sends once more, on a fresh connection.
bool Recoverable(Server s) {
  return s == Server::kReset || s == Server::kConnect;
}

Expected ExpectedFor(int mode, Server s, Confirm confirm) {
  const TrrFailure failure = FailureOf(s);
  const bool answered = s == Server::kAnswer;
  // Native answered, after TRR said `failure` (none if not asked).
  auto native = [&](bool trr_asked) {
    Expected e{ResultSource::kNative};
    e.native_asked = true;
    e.trr_asked = trr_asked;
    e.failure = trr_asked ? failure : TrrFailure::kNone;
    return e;
  };
  // Mode 2's rule for going native after TRR failed this way.
  auto fallback_reason = [&] {
    switch (s) {
      case Server::kNxDomain:
      case Server::kNoData:
        return NativeReason::kNegativeAnswer;
      case Server::kPrivateAddress:
        return NativeReason::kUnusableAnswer;
      case Server::kTimeout:
        return NativeReason::kTrrTimedOut;
      default:
        return NativeReason::kTrrFailed;
    }
  };
  Expected trr{ResultSource::kTrr};
  trr.trr_asked = true;
  trr.failure = failure;
  switch (mode) {
    case 0:
    case 5: {
      Expected e = native(false);
      e.skip = mode == 0 ? SkipReason::kModeOff : SkipReason::kModeOffByChoice;
      e.native_reason = NativeReason::kTrrOff;
      return e;
    }
    case 1:  // race: both asked; TRR's answer comes first here
      if (answered) {
        trr.native_asked = true;
        trr.native_reason = NativeReason::kBothPaths;
        return trr;
      }
      [[fallthrough]];
    case 4: {  // shadow: both asked, native's answer used
      Expected e = native(true);
      e.native_reason = NativeReason::kBothPaths;
      // A recoverable failure goes once more, and native answers while
      // the second try is out: no TRR failure is known yet.
      if (Recoverable(s)) e.failure = TrrFailure::kNone;
      return e;
    }
    case 2:
      if (confirm == Confirm::kFailed) {
        Expected e = native(false);
        e.skip = SkipReason::kNotConfirmed;
        e.native_reason = NativeReason::kTrrSkipped;
        return e;
      }
      if (answered) return trr;
      switch (s) {
        case Server::kBlocked:
          // Blocked on purpose (RFC 8914): never routed around natively.
          trr.code = StatusCode::kPermissionDenied;
          return trr;
        case Server::kServFail:
        case Server::kRefused:
        case Server::kDnssecBogus:
          // The server answered: an RCODE is its answer for the name.
          trr.code = StatusCode::kUnavailable;
          return trr;
        default: {
          Expected e = native(true);
          e.native_reason = fallback_reason();
          return e;
        }
      }
    case 3:  // TRR only: never native
      switch (s) {
        case Server::kAnswer:
          break;
        case Server::kNxDomain:
        case Server::kNoData:
          trr.code = StatusCode::kNotFound;
          break;
        case Server::kBlocked:
          trr.code = StatusCode::kPermissionDenied;
          break;
        default:
          trr.code = StatusCode::kUnavailable;
      }
      return trr;
  }
  return trr;
}

class ModeTableTest
    : public ::testing::TestWithParam<std::tuple<int, Server, Confirm>> {};

TEST_P(ModeTableTest, TheLookupGoesWhereTheModeSays) {
  const auto [mode, server, confirm] = GetParam();
  Harness h;
  h.script->answer = [server = server, confirm = confirm](
                         const std::string& name, uint16_t type) {
    if (type == dns::kTypeNS) {
      // The confirmation query: answered, or SERVFAIL to fail it.
      return Respond(
          confirm == Confirm::kFailed ? Server::kServFail : Server::kNoData,
          name, type);
    }
    return Respond(server, name, type);
  };
  h.Start(mode, confirm);
  ASSERT_NE(h.resolver, nullptr);
  // Confirmation runs in modes 1, 2 and 4; wait for where it settles.
  if (confirm != Confirm::kSkipped && (mode == 1 || mode == 2 || mode == 4)) {
    ASSERT_TRUE(h.WaitForConfirmation(
        confirm == Confirm::kConfirmed
            ? std::vector<std::string>{"ok"}
            : std::vector<std::string>{"failed", "trying-failed"}));
  }
  const ResolveResult r = h.resolver->ResolveSync("www.example.test", Ipv4());
  const Expected e = ExpectedFor(mode, server, confirm);
  EXPECT_EQ(r.source, e.source) << ResultSourceName(r.source);
  EXPECT_EQ(r.status.code(), e.code) << r.status;
  EXPECT_EQ(r.trr_failure, e.failure) << TrrFailureName(r.trr_failure);
  EXPECT_EQ(r.skip_reason, e.skip) << SkipReasonName(r.skip_reason);
  EXPECT_EQ(r.native_reason, e.native_reason)
      << NativeReasonName(r.native_reason);
  EXPECT_EQ(h.script->a_queries.load() > 0, e.trr_asked);
  EXPECT_EQ(h.script->native_lookups.load() > 0, e.native_asked);
  if (r.ok()) {
    ASSERT_EQ(r.addresses.size(), 1u);
    EXPECT_EQ(r.addresses[0].ToString(),
              e.source == ResultSource::kTrr ? "192.0.2.10" : "198.51.100.7");
  }
  if (mode == 3) {
    EXPECT_EQ(h.script->native_lookups.load(), 0);
  }
  if ((mode == 2 || mode == 3) && e.trr_asked) {
    EXPECT_EQ(h.script->a_queries.load(), Recoverable(server) ? 2 : 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ModeTableTest,
    ::testing::Combine(
        ::testing::Range(0, 6),
        ::testing::Values(Server::kAnswer, Server::kNxDomain, Server::kNoData,
                          Server::kPrivateAddress, Server::kServFail,
                          Server::kRefused, Server::kDnssecBogus,
                          Server::kBlocked, Server::kBadAnswer,
                          Server::kHttpStatus, Server::kContentType,
                          Server::kTooLarge, Server::kTls, Server::kConnect,
                          Server::kTimeout, Server::kReset,
                          Server::kStreamRefused),
        ::testing::Values(Confirm::kSkipped, Confirm::kConfirmed,
                          Confirm::kFailed)),
    [](const auto& info) {
      return absl::StrCat("Mode", std::get<0>(info.param),
                          ServerName(std::get<1>(info.param)),
                          ConfirmName(std::get<2>(info.param)));
    });

// --- Mode 2: families and strict fallback --------------------------------

// What the lookup asks for: one family, or both.
enum class Ask { kA, kAaaa, kBoth };

const char* AskName(Ask a) {
  switch (a) {
    case Ask::kA:
      return "A";
    case Ask::kAaaa:
      return "Aaaa";
    case Ask::kBoth:
      return "Both";
  }
  return "?";
}

// How mode 2's rules group what the server did (docs/USER_GUIDE.md, "When
// mode 2 falls back"), written apart from trr/lookup_policy.cc.
enum class Outcome {
  kAnswered,
  kNegative,
  kUnusable,
  kHard,
  kExchange,
  kTimeout
};

Outcome OutcomeOf(Server s) {
  switch (s) {
    case Server::kAnswer:
      return Outcome::kAnswered;
    case Server::kNxDomain:
    case Server::kNoData:
      return Outcome::kNegative;
    case Server::kPrivateAddress:
      return Outcome::kUnusable;
    case Server::kServFail:
    case Server::kRefused:
    case Server::kDnssecBogus:
    case Server::kBlocked:
      return Outcome::kHard;
    case Server::kTimeout:
      return Outcome::kTimeout;
    default:
      return Outcome::kExchange;
  }
}

struct Mode2Expected {
  bool native = false;
  NativeReason reason = NativeReason::kNone;
  bool ok = false;
  // A one-family miss kept on TRR because the other family has addresses.
  bool kept_by_other_family = false;
};

// Mode 2, confirmation skipped. The server behaves as `s` for the lookup's
// main family (A, or AAAA for an AAAA lookup); the other family has
// addresses (`other_has`) or none (NODATA).
Mode2Expected ExpectedMode2(Server s, Ask ask, bool strict, bool other_has) {
  Mode2Expected e;
  Outcome outcome = OutcomeOf(s);
  if (ask == Ask::kBoth) {
    // Any addresses make the answer; a NODATA beside NXDOMAIN is NODATA.
    if (outcome == Outcome::kAnswered || other_has) {
      e.ok = true;
      return e;
    }
  } else if (outcome == Outcome::kAnswered) {
    e.ok = true;
    return e;
  }
  const bool allowed = outcome == Outcome::kNegative ||
                       outcome == Outcome::kUnusable ||
                       outcome == Outcome::kTimeout ||  // allow_timeouts
                       (outcome == Outcome::kExchange && !strict);
  if (!allowed) return e;
  // A one-family miss of a name with addresses of the other family.
  if (ask != Ask::kBoth && other_has) {
    e.kept_by_other_family = true;
    return e;
  }
  e.native = true;
  e.ok = true;
  switch (outcome) {
    case Outcome::kNegative:
      e.reason = NativeReason::kNegativeAnswer;
      break;
    case Outcome::kUnusable:
      e.reason = NativeReason::kUnusableAnswer;
      break;
    case Outcome::kTimeout:
      e.reason = NativeReason::kTrrTimedOut;
      break;
    default:
      e.reason = NativeReason::kTrrFailed;
  }
  return e;
}

// An AAAA answer with one address: 2001:db8::10, or fd00::10 (private).
DohResult AaaaAnswer(const std::string& name, bool private_address) {
  MessageBuilder m(name, dns::kTypeAAAA);
  Bytes v6(16, 0);
  v6[0] = private_address ? 0xfd : 0x20;
  v6[1] = private_address ? 0x00 : 0x01;
  v6[2] = private_address ? 0x00 : 0x0d;
  v6[3] = private_address ? 0x00 : 0xb8;
  v6[15] = 0x10;
  m.Answer(Pointer(12), dns::kTypeAAAA, 60, v6);
  DohResult result;
  result.http_status = 200;
  result.body = m.Build();
  return result;
}

class Mode2TableTest
    : public ::testing::TestWithParam<std::tuple<Server, Ask, bool, bool>> {};

TEST_P(Mode2TableTest, NativeOnlyWhereTheRulesAllow) {
  const auto [server, ask, strict, other_has] = GetParam();
  const uint16_t main_type = ask == Ask::kAaaa ? dns::kTypeAAAA : dns::kTypeA;
  Harness h;
  h.script->answer = [&, server = server, other_has = other_has](
                         const std::string& name, uint16_t type) {
    if (type == dns::kTypeNS) return Respond(Server::kNoData, name, type);
    Server s = server;
    if (type != main_type) s = other_has ? Server::kAnswer : Server::kNoData;
    if (type == dns::kTypeAAAA &&
        (s == Server::kAnswer || s == Server::kPrivateAddress)) {
      return AaaaAnswer(name, s == Server::kPrivateAddress);
    }
    return Respond(s, name, type);
  };
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.strict_native_fallback", strict}});
  ASSERT_NE(h.resolver, nullptr);
  ResolveOptions options;
  options.type = ask == Ask::kA      ? QueryKind::kIpv4
                 : ask == Ask::kAaaa ? QueryKind::kIpv6
                                     : QueryKind::kUnspecified;
  const ResolveResult r = h.resolver->ResolveSync("www.example.test", options);
  const Mode2Expected e = ExpectedMode2(server, ask, strict, other_has);
  EXPECT_EQ(h.script->native_lookups.load() > 0, e.native) << r.status;
  EXPECT_EQ(r.native_reason, e.reason) << NativeReasonName(r.native_reason);
  EXPECT_EQ(r.ok(), e.ok) << r.status;
  EXPECT_EQ(r.source, e.native ? ResultSource::kNative : ResultSource::kTrr);
  EXPECT_EQ(absl::StrContains(r.status.message(), "not asked elsewhere"),
            e.kept_by_other_family)
      << r.status;
}

INSTANTIATE_TEST_SUITE_P(
    Families, Mode2TableTest,
    ::testing::Combine(
        ::testing::Values(Server::kAnswer, Server::kNxDomain, Server::kNoData,
                          Server::kPrivateAddress, Server::kServFail,
                          Server::kRefused, Server::kDnssecBogus,
                          Server::kBlocked, Server::kBadAnswer,
                          Server::kHttpStatus, Server::kContentType,
                          Server::kTooLarge, Server::kTls, Server::kConnect,
                          Server::kTimeout, Server::kReset,
                          Server::kStreamRefused),
        ::testing::Values(Ask::kA, Ask::kAaaa, Ask::kBoth), ::testing::Bool(),
        ::testing::Bool()),
    [](const auto& info) {
      return absl::StrCat(
          ServerName(std::get<0>(info.param)), AskName(std::get<1>(info.param)),
          std::get<2>(info.param) ? "Strict" : "",
          std::get<3>(info.param) ? "OtherFamilyHasAddresses" : "");
    });

// --- Typed failures -----------------------------------------------------

TEST(TrrFailureTest, AServerCannotMintCounterNames) {
  // Five names blocked with five different Extended DNS Error texts, and
  // five unusual RCODEs: the texts and codes go into each result's
  // message, and the counters grow by two names, not ten.
  Harness h;
  h.script->answer = [](const std::string& name, uint16_t type) {
    if (absl::StartsWith(name, "blocked")) {
      return Respond(Server::kBlocked, name, type, "list " + name);
    }
    MessageBuilder m(name, type);
    // YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, NOTZONE.
    m.Rcode(static_cast<uint8_t>(6 + (name[4] - '0')));
    DohResult result;
    result.http_status = 200;
    result.body = m.Build();
    return result;
  };
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  for (int i = 0; i < 5; ++i) {
    const std::string blocked = absl::StrCat("blocked", i, ".example.test");
    const ResolveResult b = h.resolver->ResolveSync(blocked, Ipv4());
    EXPECT_EQ(b.status.code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(b.trr_failure, TrrFailure::kBlocked);
    EXPECT_NE(b.status.message().find("Extended DNS Error 15: list " + blocked),
              absl::string_view::npos)
        << b.status;
    const ResolveResult r = h.resolver->ResolveSync(
        absl::StrCat("rcod", i, ".example.test"), Ipv4());
    EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
    EXPECT_EQ(r.trr_failure, TrrFailure::kOtherRcode);
    EXPECT_NE(r.status.message().find("rcode-other ("), absl::string_view::npos)
        << r.status;
  }
  const ResolverCounters counters = h.resolver->Snapshot().counters;
  ASSERT_EQ(counters.trr_failures.size(), 2u);
  EXPECT_EQ(counters.trr_failures.at(TrrFailure::kBlocked), 5u);
  EXPECT_EQ(counters.trr_failures.at(TrrFailure::kOtherRcode), 5u);
}

TEST(TrrFailureTest, EveryFailureHasAStableDistinctName) {
  std::set<std::string> names;
  for (int i = 1; i < kTrrFailureCount; ++i) {
    const std::string name = TrrFailureName(static_cast<TrrFailure>(i));
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_STREQ(TrrFailureName(TrrFailure::kNone), "");
  EXPECT_STREQ(TrrFailureName(TrrFailure::kStreamRefused), "stream-refused");
  EXPECT_STREQ(TrrFailureName(TrrFailure::kRefused), "refused");
}

// An embedder's calls from where the resolver calls it: ResolveSync in a
// callback (on the network thread) is refused at once rather than waiting
// for itself, and SetPrefs works from a callback and from a pref observer.

}  // namespace
}  // namespace trr
