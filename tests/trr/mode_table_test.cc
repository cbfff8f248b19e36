// The mode table, hermetic: a whole Resolver with a fake DoH transport, a
// fake native resolver and a fake clock (tests/trr/resolver_harness.h), no
// DNS server and no sleeps. Modes 0-5, crossed with what the DoH server
// does (an answer, NXDOMAIN, NODATA, a private address, SERVFAIL, REFUSED,
// DNSSEC Bogus, an Extended DNS Error block, a garbled answer, and each way
// the exchange itself can fail) and with the confirmation state (skipped,
// confirmed, failed): 306 cases, each on a resolver of its own. Then mode
// 2 alone, crossed with the family asked (A, AAAA, both), strict fallback
// and whether the other family has addresses: 204 cases. List changes,
// health and the rest of mode 2's rules are fallback_test.cc's. Plus what the
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

using dns::testing::Bytes;
using dns::testing::Concat;
using dns::testing::MessageBuilder;
using dns::testing::Pointer;
using dns::testing::U16;
using dns::testing::WireName;
using fake::A;
using fake::Confirm;
using fake::ConfirmName;
using fake::Ede;
using fake::FailureOf;
using fake::FakeNative;
using fake::FakeTransport;
using fake::Harness;
using fake::Ipv4;
using fake::QuestionOf;
using fake::Respond;
using fake::Script;
using fake::Server;
using fake::ServerName;

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

TEST(FailoverTest, FailoverMarksAServerUnavailableAndAProbeBringsItBack) {
  // Two fake servers: a.test answers HTTP 500 until told otherwise, b.test
  // answers. Mode 3, two failed exchanges in a row make a.test unavailable.
  Harness h;
  std::atomic<bool> a_works{false};
  std::atomic<int> a_lookups{0};
  h.script->answer_from = [&](const std::string& server,
                              const std::string& name, uint16_t type) {
    if (server == "a.test") {
      if (type == dns::kTypeA) ++a_lookups;
      if (!a_works) return Respond(Server::kHttpStatus, name, type);
      MessageBuilder m(name, type);
      if (type == dns::kTypeA) {
        m.Answer(Pointer(12), dns::kTypeA, 60, A(192, 0, 2, 1));
      }
      DohResult result;
      result.http_status = 200;
      result.body = m.Build();
      return result;
    }
    return Respond(Server::kAnswer, name, type);  // 192.0.2.10
  };
  h.Start(3, Confirm::kSkipped,
          {{"network.trr.uri",
            std::string("https://a.test/dns-query https://b.test/dns-query")},
           {"network.trr.server_max_failures", int32_t{2}},
           {"network.trr.server_probe_initial_ms", int32_t{20}}});
  ASSERT_NE(h.resolver, nullptr);
  Mutex mu;
  std::vector<std::string> events;  // under mu
  const uint64_t observer =
      h.resolver->AddServerObserver([&](const ServerEvent& e) {
        if (e.what != ServerEvent::What::kAvailability) return;
        MutexLock lock(&mu);
        events.push_back(absl::StrCat(e.uri, " ", e.state));
      });
  ResolveOptions fresh = Ipv4();
  fresh.bypass_cache = true;
  for (int i = 0; i < 4; ++i) {
    const ResolveResult r = h.resolver->ResolveSync("www.example.test", fresh);
    ASSERT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.addresses.at(0).ToString(), "192.0.2.10");
  }
  // Lookups 3 and 4 did not ask a.test (its probes are NS queries).
  EXPECT_EQ(a_lookups.load(), 2);
  ResolverSnapshot s = h.resolver->Snapshot();
  ASSERT_EQ(s.servers.size(), 2u);
  EXPECT_EQ(s.servers[0].state, "unavailable");
  EXPECT_EQ(s.servers[0].failures, 2u);
  EXPECT_EQ(s.servers[1].answers, 4u);
  EXPECT_EQ(s.counters.trr_failures.size(), 0u);
  // a.test works again: a probe finds it, and lookups go back to it.
  a_works = true;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (h.resolver->Snapshot().servers[0].state != "available" &&
         absl::Now() < deadline) {
  }
  EXPECT_GE(h.resolver->Snapshot().servers[0].probes, 1u);
  const ResolveResult back = h.resolver->ResolveSync("www.example.test", fresh);
  ASSERT_TRUE(back.ok()) << back.status;
  EXPECT_EQ(back.addresses.at(0).ToString(), "192.0.2.1");
  // The embedder heard both changes, in order.
  h.resolver->RemoveServerObserver(observer);
  MutexLock lock(&mu);
  EXPECT_EQ(events,
            (std::vector<std::string>{"https://a.test/dns-query unavailable",
                                      "https://a.test/dns-query available"}));
}

TEST(FailoverTest, AQueryOnAServerANewListReplacedGoesOnOnTheNewList) {
  Harness h;
  h.script->hold = [](const std::string& server, const std::string&) {
    return server == "a.test";  // a.test never answers
  };
  h.Start(3, Confirm::kSkipped,
          {{"network.trr.uri", std::string("https://a.test/dns-query")}});
  ASSERT_NE(h.resolver, nullptr);
  Mutex mu;
  CondVar cv;
  std::optional<ResolveResult> got;  // under mu
  h.resolver->Resolve("www.example.test", Ipv4(), [&](const ResolveResult& r) {
    MutexLock lock(&mu);
    got = r;
    cv.SignalAll();
  });
  // Sent to a.test (a snapshot is a round trip to the resolver's thread).
  const absl::Time sent_by = absl::Now() + absl::Seconds(10);
  while (h.script->a_queries.load() == 0 && absl::Now() < sent_by) {
    h.resolver->Snapshot();
  }
  ASSERT_EQ(h.script->a_queries.load(), 1);
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.uri",
                               std::string("https://b.test/dns-query")}})
                  .ok());
  MutexLock lock(&mu);
  ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                   [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->status;
  EXPECT_EQ(got->source, ResultSource::kTrr);
  EXPECT_EQ(got->addresses.at(0).ToString(), "192.0.2.10");
  EXPECT_EQ(h.script->a_queries.load(), 2);  // once to each
}

TEST(FailoverTest, Mode2WithEveryServerUnavailableGoesNativeAndSaysWhy) {
  // Two servers whose exchanges fail (HTTP 500): the first lookup fails
  // over from one to the other and then goes native; both are then
  // unavailable, and the next lookup goes native without asking either.
  Harness h;
  h.script->answer = [](const std::string& name, uint16_t type) {
    return Respond(Server::kHttpStatus, name, type);
  };
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.uri",
            std::string("https://a.test/dns-query https://b.test/dns-query")},
           {"network.trr.server_max_failures", int32_t{1}},
           {"network.trr.server_probe_initial_ms", int32_t{600000}}});
  ASSERT_NE(h.resolver, nullptr);
  ResolveOptions fresh = Ipv4();
  fresh.bypass_cache = true;
  const ResolveResult first = h.resolver->ResolveSync("a.example.test", fresh);
  EXPECT_EQ(first.source, ResultSource::kNative);
  EXPECT_EQ(first.trr_failure, TrrFailure::kHttpStatus);
  EXPECT_EQ(first.native_reason, NativeReason::kTrrFailed);
  const ResolveResult next = h.resolver->ResolveSync("b.example.test", fresh);
  EXPECT_EQ(next.source, ResultSource::kNative);
  EXPECT_EQ(next.skip_reason, SkipReason::kServersUnavailable);
  EXPECT_EQ(next.native_reason, NativeReason::kTrrSkipped);
  EXPECT_EQ(h.script->a_queries.load(), 2) << "once to each server";
}

// A black-holed server: the query timed out with no connection up at all.
// With one server, confirmation fails at once (what its own query would
// find): mode 2 answers that lookup natively, and the next ones go native
// without waiting on the server until a retry confirms it. Mode 3 still
// tries it. With several, the server is unavailable at once (not after
// server_max_failures such timeouts) and lookups use the next.
TEST(FailoverTest, AnUnreachableServerFailsConfirmationAfterOneTimeout) {
  for (int mode : {2, 3}) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    Harness h;
    h.script->answer = [](const std::string& name, uint16_t type) {
      if (type == dns::kTypeNS) return Respond(Server::kNoData, name, type);
      DohResult result;
      result.error = DohError::kTimeout;
      result.unreachable = true;
      result.detail = "no connection came up";
      return result;
    };
    h.Start(mode, Confirm::kConfirmed,
            {{"network.trr.retry-timeout-ms", int32_t{600000}}});
    ASSERT_NE(h.resolver, nullptr);
    if (mode == 2) {
      ASSERT_TRUE(h.WaitForConfirmation({"ok"}));
    }
    ResolveOptions fresh = Ipv4();
    fresh.bypass_cache = true;
    const ResolveResult first =
        h.resolver->ResolveSync("a.example.test", fresh);
    EXPECT_EQ(first.trr_failure, TrrFailure::kTimeout);
    const ResolveResult next = h.resolver->ResolveSync("b.example.test", fresh);
    const ResolverSnapshot s = h.resolver->Snapshot();
    EXPECT_EQ(s.servers.at(0).state, "available") << "one server: no health";
    if (mode == 2) {
      EXPECT_EQ(s.confirmation_state, "failed");
      EXPECT_EQ(first.source, ResultSource::kNative);
      EXPECT_EQ(next.source, ResultSource::kNative);
      EXPECT_EQ(next.skip_reason, SkipReason::kNotConfirmed);
      EXPECT_EQ(h.script->a_queries.load(), 1);
    } else {
      EXPECT_EQ(s.confirmation_state, "disabled");
      EXPECT_FALSE(next.ok());
      EXPECT_EQ(h.script->a_queries.load(), 2) << "mode 3 tries it anyway";
      EXPECT_EQ(h.script->native_lookups.load(), 0);
    }
  }
}

TEST(FailoverTest, AnUnreachableServerOfSeveralIsUnavailableAfterOneTimeout) {
  Harness h;
  h.script->answer_from = [](const std::string& server, const std::string& name,
                             uint16_t type) {
    if (server == "b.test") return Respond(Server::kAnswer, name, type);
    DohResult result;
    result.error = DohError::kTimeout;
    result.unreachable = true;
    result.detail = "no connection came up";
    return result;
  };
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.uri",
            std::string("https://a.test/dns-query https://b.test/dns-query")},
           {"network.trr.server_probe_initial_ms", int32_t{600000}}});
  ASSERT_NE(h.resolver, nullptr);
  ResolveOptions fresh = Ipv4();
  fresh.bypass_cache = true;
  const ResolveResult first = h.resolver->ResolveSync("a.example.test", fresh);
  EXPECT_EQ(first.source, ResultSource::kTrr) << first.status;
  EXPECT_EQ(h.resolver->Snapshot().servers.at(0).state, "unavailable");
  const ResolveResult next = h.resolver->ResolveSync("b.example.test", fresh);
  EXPECT_EQ(next.source, ResultSource::kTrr) << next.status;
  EXPECT_EQ(h.script->a_queries.load(), 3) << "a.test once, b.test twice";
  EXPECT_EQ(h.script->native_lookups.load(), 0);
}

TEST(RecoveryTest, AZeroAnswerIsAFailureWithFallbackOnZeroResponse) {
  for (bool fallback : {false, true}) {
    SCOPED_TRACE(fallback);
    Harness h;
    h.script->answer = [](const std::string& name, uint16_t type) {
      MessageBuilder m(name, type);
      m.Answer(Pointer(12), dns::kTypeA, 60, A(0, 0, 0, 0));
      DohResult result;
      result.http_status = 200;
      result.body = m.Build();
      return result;
    };
    h.Start(2, Confirm::kSkipped,
            {{"network.trr.allow-rfc1918", true},
             {"network.trr.fallback-on-zero-response", fallback}});
    ASSERT_NE(h.resolver, nullptr);
    const ResolveResult r = h.resolver->ResolveSync("ads.example.test", Ipv4());
    ASSERT_TRUE(r.ok()) << r.status;
    if (fallback) {
      EXPECT_EQ(r.source, ResultSource::kNative);
      EXPECT_EQ(r.trr_failure, TrrFailure::kZeroAddress);
      EXPECT_EQ(r.addresses.at(0).ToString(), "198.51.100.7");
    } else {
      EXPECT_EQ(r.source, ResultSource::kTrr);
      EXPECT_EQ(r.addresses.at(0).ToString(), "0.0.0.0");
    }
  }
}

TEST(RecoveryTest, AConnectFailureReportSendsTheNameNativeInMode2Only) {
  for (int mode : {2, 3}) {
    SCOPED_TRACE(mode);
    Harness h;
    h.Start(mode, Confirm::kSkipped);
    ASSERT_NE(h.resolver, nullptr);
    ASSERT_EQ(h.resolver->ResolveSync("shop.example.test", Ipv4()).source,
              ResultSource::kTrr);
    h.resolver->ReportConnectFailure("Shop.Example.Test.");
    const ResolveResult again =
        h.resolver->ResolveSync("shop.example.test", Ipv4());
    const ResolverSnapshot s = h.resolver->Snapshot();
    if (mode == 2) {
      EXPECT_EQ(again.source, ResultSource::kNative);
      EXPECT_EQ(again.skip_reason, SkipReason::kBlocklisted);
      ASSERT_EQ(s.blocklist.size(), 1u);
      EXPECT_EQ(s.blocklist[0].first, "shop.example.test");
      EXPECT_EQ(s.counters.connect_failures_reported, 1u);
    } else {
      EXPECT_EQ(again.source, ResultSource::kCache);
      EXPECT_TRUE(s.blocklist.empty());
      EXPECT_EQ(s.counters.connect_failures_reported, 0u);
    }
  }
}

TEST(HeuristicsTest, TheCanaryTurnsMode2NativeUntilTheNetworkChanges) {
  Harness h;
  std::atomic<bool> canary_nx{true};
  h.script->native = [&](const std::string& name) {
    NativeResult result;
    if (name == "use-application-dns.net" && canary_nx) {
      result.outcome = NativeResult::Outcome::kNxDomain;
      return result;
    }
    result.outcome = NativeResult::Outcome::kOk;
    result.answer.addresses = {*IpAddress::Parse("198.51.100.7")};
    return result;
  };
  h.Start(2, Confirm::kSkipped, {{"network.trr.canary_domain_check", true}});
  ASSERT_NE(h.resolver, nullptr);
  auto wait_for = [&](const std::string& state) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (h.resolver->Snapshot().canary != state) {
      if (absl::Now() > deadline) return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_for("tripped"));
  ResolveOptions fresh = Ipv4();
  fresh.bypass_cache = true;
  const ResolveResult r = h.resolver->ResolveSync("www.example.test", fresh);
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_EQ(r.skip_reason, SkipReason::kCanary);
  EXPECT_EQ(h.script->a_queries.load(), 0);
  // Another network, which does not ask: TRR again.
  canary_nx = false;
  h.resolver->OnNetworkChanged();
  ASSERT_TRUE(wait_for("clear"));
  EXPECT_EQ(h.resolver->ResolveSync("www.example.test", fresh).source,
            ResultSource::kTrr);
}

TEST(HeuristicsTest, Mode3IgnoresTheCanary) {
  Harness h;
  h.script->native = [](const std::string&) {
    NativeResult result;
    result.outcome = NativeResult::Outcome::kNxDomain;
    return result;
  };
  h.Start(3, Confirm::kSkipped, {{"network.trr.canary_domain_check", true}});
  ASSERT_NE(h.resolver, nullptr);
  EXPECT_EQ(h.resolver->Snapshot().canary, "off");
  EXPECT_EQ(h.resolver->ResolveSync("www.example.test", Ipv4()).source,
            ResultSource::kTrr);
  EXPECT_EQ(h.script->native_lookups.load(), 0);
}

TEST(HeuristicsTest, SplitHorizonSuffixesGoNativeInMode2) {
  testing::TempDir dir;
  Harness h;
  h.resolv_conf_path = dir.WriteFile(
      "resolv.conf",
      "nameserver 192.0.2.53\nsearch old.example\nsearch Corp.Example lan\n");
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.split_horizon_mitigations", true}});
  ASSERT_NE(h.resolver, nullptr);
  EXPECT_EQ(h.resolver->Snapshot().dns_suffixes,
            (std::vector<std::string>{"corp.example", "lan"}));
  const ResolveResult corp =
      h.resolver->ResolveSync("printer.corp.example", Ipv4());
  EXPECT_EQ(corp.source, ResultSource::kNative);
  EXPECT_EQ(corp.skip_reason, SkipReason::kDnsSuffix);
  EXPECT_EQ(h.resolver->ResolveSync("www.old.example", Ipv4()).source,
            ResultSource::kTrr);
  // The embedder's suffixes join the file's.
  h.resolver->SetDnsSuffixes({"Intra.Test.", "not a name"});
  EXPECT_EQ(h.resolver->ResolveSync("wiki.intra.test", Ipv4()).skip_reason,
            SkipReason::kDnsSuffix);
  EXPECT_EQ(h.resolver->Snapshot().dns_suffixes,
            (std::vector<std::string>{"corp.example", "lan", "intra.test"}));
}

TEST(HeuristicsTest, AnEtcHostsNameCoversItsSubdomains) {
  testing::TempDir dir;
  Harness h;
  h.etc_hosts_path =
      dir.WriteFile("hosts", "192.0.2.99 printer.example.test # office\n");
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const ResolveResult sub =
      h.resolver->ResolveSync("tray2.printer.example.test", Ipv4());
  EXPECT_EQ(sub.source, ResultSource::kNative);
  EXPECT_EQ(sub.skip_reason, SkipReason::kEtcHosts);
  EXPECT_EQ(h.resolver->ResolveSync("example.test", Ipv4()).source,
            ResultSource::kTrr);
}

// DDR on the fakes: the unencrypted resolver (FakeNative) designates
// ddr.test; the fake DoH servers answer.
NativeResult Designates(const std::string& target) {
  SvcbRecord record;
  record.priority = 1;
  record.target = target;
  record.alpn = {"h2"};
  record.doh_path = "/dns-query{?dns}";
  record.ipv4_hints = {IpAddress::V4(192, 0, 2, 9)};
  NativeResult result;
  result.outcome = NativeResult::Outcome::kOk;
  result.answer.https = {record};
  result.answer.ttl_seconds = 300;
  return result;
}

// Snapshots (round trips to the resolver) until `done` holds, or 10 s.
bool WaitForSnapshot(Resolver& resolver,
                     const std::function<bool(const ResolverSnapshot&)>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (done(resolver.Snapshot())) return true;
  }
  return false;
}

TEST(DiscoveryTest, ADiscoveredServerGetsNoCredentialsAndChecksTheAddress) {
  Harness h;
  h.script->ddr = [] { return Designates("ddr.test"); };
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.ddr.enabled", true},
           {"network.dns.native_nameserver", std::string("192.0.2.53")},
           {"network.trr.credentials", std::string("Bearer secret")}});
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(WaitForSnapshot(*h.resolver, [](const ResolverSnapshot& s) {
    return s.servers.size() == 2;
  }));
  const ResolverSnapshot s = h.resolver->Snapshot();
  EXPECT_EQ(s.ddr.resolver, "192.0.2.53:53");
  EXPECT_FALSE(s.servers[0].discovered);
  EXPECT_TRUE(s.servers[1].discovered);
  EXPECT_EQ(s.servers[1].uri, "https://ddr.test/dns-query{?dns}");
  EXPECT_EQ(h.script->ConfigOf("doh.test").credentials, "Bearer secret");
  EXPECT_FALSE(h.script->ConfigOf("doh.test").verify_ip.has_value());
  EXPECT_EQ(h.script->ConfigOf("ddr.test").credentials, "");
  EXPECT_EQ(h.script->ConfigOf("ddr.test").verify_ip,
            IpAddress::V4(192, 0, 2, 53));
  // New credentials reconfigure every server; still none for ddr.test.
  ASSERT_TRUE(
      h.resolver
          ->SetPrefs({{"network.trr.credentials", std::string("Bearer other")}})
          .ok());
  EXPECT_EQ(h.script->ConfigOf("doh.test").credentials, "Bearer other");
  EXPECT_EQ(h.script->ConfigOf("ddr.test").credentials, "");
  // A new configured list keeps the discovered server after it.
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.uri",
                               std::string("https://a.test/dns-query")}})
                  .ok());
  const ResolverSnapshot after = h.resolver->Snapshot();
  ASSERT_EQ(after.servers.size(), 2u);
  EXPECT_EQ(after.servers[0].uri, "https://a.test/dns-query");
  EXPECT_TRUE(after.servers[1].discovered);
}

TEST(DiscoveryTest, AHandshakeThatFailsLeavesTheDesignationUnverified) {
  Harness h;
  h.script->answer_from = [](const std::string& server, const std::string& name,
                             uint16_t type) {
    return Respond(server == "ddr.test" ? Server::kTls : Server::kAnswer, name,
                   type);
  };
  h.script->ddr = [] { return Designates("ddr.test"); };
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.ddr.enabled", true},
           {"network.dns.native_nameserver", std::string("192.0.2.53")}});
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(WaitForSnapshot(*h.resolver, [](const ResolverSnapshot& s) {
    return !s.ddr.designations.empty() &&
           s.ddr.designations[0].state == "unverified";
  }));
  EXPECT_EQ(h.resolver->Snapshot().servers.size(), 1u);
}

TEST(NetworkChangeTest, EveryServersConnectionsAreCheckedWithAPing) {
  Harness h;
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.uri",
            std::string("https://a.test/dns-query https://b.test/dns-query")}});
  ASSERT_NE(h.resolver, nullptr);
  EXPECT_EQ(h.script->connection_checks.load(), 0);
  h.resolver->OnNetworkChanged();
  h.resolver->Snapshot();  // after the change is handled on the loop
  EXPECT_EQ(h.script->connection_checks.load(), 2);
}

TEST(DiscoveryTest, Mode3NeverAsksTheUnencryptedResolver) {
  Harness h;
  h.Start(3, Confirm::kSkipped,
          {{"network.trr.ddr.enabled", true},
           {"network.dns.native_nameserver", std::string("192.0.2.53")}});
  ASSERT_NE(h.resolver, nullptr);
  h.resolver->OnNetworkChanged();
  ResolverSnapshot s = h.resolver->Snapshot();
  EXPECT_EQ(s.ddr.state, "off");
  EXPECT_NE(s.ddr.detail.find("mode 3"), std::string::npos) << s.ddr.detail;
  EXPECT_EQ(h.script->ddr_queries.load(), 0);
  // Mode 2 asks (the fake says NXDOMAIN: nothing designated).
  ASSERT_TRUE(h.resolver->SetPrefs({{"network.trr.mode", int32_t{2}}}).ok());
  ASSERT_TRUE(WaitForSnapshot(*h.resolver, [](const ResolverSnapshot& s) {
    return s.ddr.state == "done";
  }));
  EXPECT_EQ(h.script->ddr_queries.load(), 1);
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
TEST(ReentrancyTest, ResolveSyncInACallbackIsRefusedAtOnce) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  Mutex mu;
  CondVar cv;
  std::optional<ResolveResult> inner;
  h.resolver->Resolve("outer.example.test", Ipv4(), [&](const ResolveResult&) {
    ResolveResult r = h.resolver->ResolveSync("inner.example.test");
    MutexLock lock(&mu);
    inner = std::move(r);
    cv.SignalAll();
  });
  MutexLock lock(&mu);
  while (!inner) cv.Wait(&mu);
  EXPECT_EQ(inner->status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(inner->status.message().find("network thread"),
            absl::string_view::npos)
      << inner->status;
}

TEST(ReentrancyTest, PrefObserversAndCallbacksMaySetPrefs) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  // An observer that answers one pref's change with another.
  h.resolver->AddPrefObserver(
      "network.trr.request_timeout_ms", [&](const prefs::PrefChange& c) {
        if (c.new_value.int_value() == 2500) {
          EXPECT_TRUE(h.resolver
                          ->SetPrefs({{"network.trr.max-fails",
                                       prefs::PrefValue(int32_t{7})}})
                          .ok());
        }
      });
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.request_timeout_ms",
                               prefs::PrefValue(int32_t{2500})}})
                  .ok());
  EXPECT_EQ(h.resolver->GetPref("network.trr.max-fails")->value,
            prefs::PrefValue(int32_t{7}));
  // And a lookup's callback, on the network thread.
  Mutex mu;
  CondVar cv;
  std::optional<Status> set;
  h.resolver->Resolve("a.example.test", Ipv4(), [&](const ResolveResult&) {
    Status s = h.resolver->SetPrefs(
        {{"network.trr.max-fails", prefs::PrefValue(int32_t{9})}});
    MutexLock lock(&mu);
    set = s;
    cv.SignalAll();
  });
  {
    MutexLock lock(&mu);
    while (!set) cv.Wait(&mu);
  }
  EXPECT_TRUE(set->ok()) << *set;
  EXPECT_EQ(h.resolver->GetPref("network.trr.max-fails")->value,
            prefs::PrefValue(int32_t{9}));
  EXPECT_TRUE(h.resolver->ResolveSync("b.example.test", Ipv4()).ok());
}

// An observer may destroy the resolver while its change is notified (from
// SetPrefs, or from a reload of the watched pref file on the watcher's
// thread): nothing of it is touched after (ASan and TSan run this too).
TEST(ReentrancyTest, APrefObserverMayDestroyTheResolver) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  Resolver* resolver = h.resolver.get();
  bool destroyed = false;
  resolver->AddPrefObserver("network.trr.", [&](const prefs::PrefChange&) {
    if (!destroyed) {
      destroyed = true;
      h.resolver.reset();
    }
  });
  const Status set = resolver->SetPrefs(
      {{"network.trr.max-fails", prefs::PrefValue(int32_t{3})},
       {"network.trr.request_timeout_ms", prefs::PrefValue(int32_t{900})}});
  EXPECT_TRUE(set.ok()) << set;
  EXPECT_TRUE(destroyed);
  EXPECT_EQ(h.resolver, nullptr);
}

TEST(ReentrancyTest, AReloadCallbackMayDestroyTheResolver) {
  testing::TempDir dir;
  const std::string file =
      dir.WriteFile("user.js", "user_pref(\"network.trr.max-fails\", 3);\n");
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(h.resolver->LoadPrefsFile(file).ok());
  Mutex mu;
  CondVar cv;
  bool destroyed = false;  // under mu
  std::unique_ptr<Resolver> owned = std::move(h.resolver);
  ASSERT_TRUE(owned
                  ->WatchPrefsFile([&](const StatusOr<prefs::LoadReport>&) {
                    owned.reset();  // on the watcher's thread
                    MutexLock lock(&mu);
                    destroyed = true;
                    cv.SignalAll();
                  })
                  .ok());
  dir.WriteFile("user.js", "user_pref(\"network.trr.max-fails\", 4);\n");
  MutexLock lock(&mu);
  ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                   [&] { return destroyed; }));
}

// IP literals are answered as themselves, with no query anywhere, in every
// mode; anything else that is not a host name fails before any query, and
// says why without copying raw bytes into the message.
TEST(NamesTest, IpLiteralsAreAnsweredDirectly) {
  for (int mode : {0, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    Harness h;
    h.Start(mode, Confirm::kSkipped);
    ASSERT_NE(h.resolver, nullptr);
    const struct {
      const char* host;
      QueryKind kind;
      const char* address;  // null: no records of the kind
    } cases[] = {
        {"192.0.2.1", QueryKind::kUnspecified, "192.0.2.1"},
        {"192.0.2.1", QueryKind::kIpv4, "192.0.2.1"},
        {"::1", QueryKind::kUnspecified, "::1"},
        {"[2001:db8::1]", QueryKind::kIpv6, "2001:db8::1"},
        {"192.0.2.1", QueryKind::kIpv6, nullptr},
        {"[::1]", QueryKind::kHttps, nullptr},
    };
    for (const auto& c : cases) {
      SCOPED_TRACE(c.host);
      ResolveOptions options;
      options.type = c.kind;
      const ResolveResult r = h.resolver->ResolveSync(c.host, options);
      EXPECT_EQ(r.skip_reason, SkipReason::kIpLiteral);
      if (c.address != nullptr) {
        ASSERT_TRUE(r.ok()) << r.status;
        ASSERT_EQ(r.addresses.size(), 1u);
        EXPECT_EQ(r.addresses[0].ToString(), c.address);
      } else {
        EXPECT_EQ(r.status.code(), StatusCode::kNotFound) << r.status;
        EXPECT_TRUE(r.addresses.empty());
      }
    }
    EXPECT_EQ(h.script->a_queries.load(), 0);
    EXPECT_EQ(h.script->native_lookups.load(), 0);
  }
}

// With network.dns.disableIPv6 an IPv6 lookup fails at once in every mode
// and asks nobody. Modes 1 and 4, which start both paths, used to finish it
// on the TRR path and then start the native one on the finished lookup (the
// resolver fuzzer found it).
TEST(NamesTest, AnIpv6LookupWithIpv6DisabledFailsInEveryModeAskingNobody) {
  for (int mode = 0; mode <= 5; ++mode) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    Harness h;
    h.Start(mode, Confirm::kSkipped, {{"network.dns.disableIPv6", true}});
    ASSERT_NE(h.resolver, nullptr);
    ResolveOptions options;
    options.type = QueryKind::kIpv6;
    const ResolveResult r =
        h.resolver->ResolveSync("www.example.test", options);
    EXPECT_EQ(r.status.code(), StatusCode::kNotFound) << r.status;
    // Why TRR was not used: the mode's own reason where it has one.
    EXPECT_EQ(r.skip_reason, mode == 0   ? SkipReason::kModeOff
                             : mode == 5 ? SkipReason::kModeOffByChoice
                                         : SkipReason::kIpv6Disabled);
    EXPECT_TRUE(r.addresses.empty());
    EXPECT_EQ(
        h.resolver->ResolveSync("www.example.test", options).status.code(),
        StatusCode::kNotFound);
    EXPECT_EQ(h.script->aaaa_queries.load(), 0);
    EXPECT_EQ(h.script->native_lookups.load(), 0);
    // The resolver goes on working for IPv4.
    EXPECT_TRUE(h.resolver->ResolveSync("www.example.test", Ipv4()).ok());
  }
}

TEST(NamesTest, BadNamesFailBeforeAnyQueryWithAPrintableReason) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const std::string label63(63, 'a'), label64(64, 'a');
  const std::string bad[] = {
      "n1.test..",  // two trailing dots: an empty label
      "a..test",
      ".a.test",
      label64 + ".test",
      std::string("nul\0.test", 9),
      "ctl\x01.test",
      "bytes\xff.test",
      "sp ace.test",
      // 254 characters: three labels of 63 and one of 62, dotted.
      label63 + "." + label63 + "." + label63 + "." + std::string(62, 'b'),
  };
  for (const std::string& name : bad) {
    SCOPED_TRACE(absl::CHexEscape(name));
    const ResolveResult r = h.resolver->ResolveSync(name, Ipv4());
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << r.status;
    for (char c : r.status.message()) {
      EXPECT_TRUE(absl::ascii_isprint(static_cast<unsigned char>(c)))
          << "raw byte " << static_cast<int>(static_cast<unsigned char>(c))
          << " in: " << absl::CHexEscape(r.status.message());
    }
  }
  EXPECT_EQ(h.script->a_queries.load(), 0);
  // What DNS allows is sent: underscores, a single trailing dot, labels of
  // 63 bytes and names of 253.
  const std::string good[] = {
      "_dns.example.test",
      "example.test.",
      label63 + ".test",
      label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b'),
  };
  for (const std::string& name : good) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(h.resolver->ResolveSync(name, Ipv4()).ok());
  }
  EXPECT_EQ(h.script->a_queries.load(), 4);
}

// Bad values are refused when set, naming the pref and the reason, and the
// previous value stays. A URI's credentials never reach the message.
TEST(ValidationTest, BadValuesAreRefusedWhenSetNamingThePref) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const struct {
    const char* pref;
    const char* value;
    const char* says;
  } bad[] = {
      {"network.trr.uri", "ftp://x", "must start with https://"},
      {"network.trr.uri", "not a uri", "must start with https://"},
      {"network.trr.bootstrapAddr", "junk", "not an IP address"},
      {"network.trr.ca_file", "/nonexistent/ca.pem", "cannot be read"},
      {"network.dns.native_nameserver", "garbage", "not IP, IP:PORT"},
      {"network.proxy.ssl", "bad host", "not a host name"},
      {"network.trr.confirmationNS", "a..b", "not a host name"},
      {"network.trr.excluded-domains", "ok.test,no good", "not a host name"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.pref);
    const auto before = h.resolver->GetPref(b.pref);
    ASSERT_TRUE(before.has_value());
    const Status s = h.resolver->SetPrefs(
        {{b.pref, prefs::PrefValue(std::string(b.value))}});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(absl::StartsWith(s.message(), b.pref)) << s;
    EXPECT_NE(s.message().find(b.says), absl::string_view::npos) << s;
    EXPECT_EQ(h.resolver->GetPref(b.pref)->value, before->value);
  }
  const Status secret = h.resolver->SetPrefs(
      {{"network.trr.uri",
        prefs::PrefValue(std::string("https://user:hunter2@doh.test/q"))}});
  EXPECT_FALSE(secret.ok());
  EXPECT_EQ(secret.message().find("hunter2"), absl::string_view::npos)
      << secret;
  EXPECT_EQ(secret.message().find("user:"), absl::string_view::npos) << secret;
  EXPECT_NE(secret.message().find("(redacted)@doh.test"),
            absl::string_view::npos)
      << secret;
  EXPECT_EQ(h.resolver->Snapshot().servers.at(0).uri,
            "https://doh.test/dns-query");
}

// An A lookup right after an unspecified one of the same name is answered
// from the cache (the unspecified entry's IPv4 addresses), not sent again.
TEST(CacheTest, OneFamilyAfterBothIsACacheHit) {
  Harness h;
  // Both families answer with a TTL: a NODATA without an SOA has TTL 0,
  // which would put the entry straight into its grace period, where a hit
  // starts a background refresh (a second A query, at a time of its own).
  h.script->answer = [](const std::string& name, uint16_t type) {
    if (type != dns::kTypeAAAA) return Respond(Server::kAnswer, name, type);
    MessageBuilder m(name, type);
    Bytes v6(16, 0);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[15] = 1;
    m.Answer(Pointer(12), dns::kTypeAAAA, 60, v6);
    DohResult result;
    result.http_status = 200;
    result.body = m.Build();
    return result;
  };
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const ResolveResult both = h.resolver->ResolveSync("both.example.test");
  ASSERT_TRUE(both.ok()) << both.status;
  EXPECT_EQ(h.script->a_queries.load(), 1);
  const ResolveResult a = h.resolver->ResolveSync("both.example.test", Ipv4());
  ASSERT_TRUE(a.ok()) << a.status;
  EXPECT_EQ(a.source, ResultSource::kCache);
  ASSERT_EQ(a.addresses.size(), 1u);
  EXPECT_EQ(a.addresses[0].ToString(), "192.0.2.10");
  EXPECT_EQ(h.script->a_queries.load(), 1) << "not asked again";
}

// No callback runs inside Resolve(): an answer known at once is returned by
// it and the callback is never called; with complete_async the same answer
// comes through the callback, once, on the network thread.
TEST(ResolveContractTest, AnswersKnownAtOnceAreReturnedNotCalledBack) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(h.resolver->ResolveSync("hit.example.test", Ipv4()).ok());
  std::atomic<int> calls{0};
  for (const char* name :
       {"hit.example.test", "localhost", "192.0.2.9", "bad name"}) {
    SCOPED_TRACE(name);
    const auto started = h.resolver->Resolve(
        name, Ipv4(), [&](const ResolveResult&) { ++calls; });
    ASSERT_TRUE(started.answered());
    EXPECT_EQ(started.id, 0u);
  }
  h.resolver->Snapshot();  // a round trip through the network thread
  EXPECT_EQ(calls.load(), 0);

  ResolveOptions async = Ipv4();
  async.complete_async = true;
  Mutex mu;
  CondVar cv;
  int completions = 0;
  bool on_caller_thread = false;
  const std::thread::id caller = std::this_thread::get_id();
  const auto started = h.resolver->Resolve(
      "hit.example.test", async, [&](const ResolveResult& r) {
        MutexLock lock(&mu);
        EXPECT_EQ(r.source, ResultSource::kCache);
        on_caller_thread = std::this_thread::get_id() == caller;
        ++completions;
        cv.SignalAll();
      });
  EXPECT_FALSE(started.answered());
  EXPECT_NE(started.id, 0u);
  {
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                     [&] { return completions == 1; }));
  }
  h.resolver->Snapshot();
  MutexLock lock(&mu);
  EXPECT_EQ(completions, 1);
  EXPECT_FALSE(on_caller_thread);
}

// A finished lookup's result goes to each waiter: a callback reads it; a
// waiting ResolveSync caller takes it, by move only when it is the last
// waiter, so the ones before it and after it still see the whole answer.
TEST(ResolveContractTest, EveryWaiterOfALookupGetsTheWholeResult) {
  ResolveResult result;
  result.source = ResultSource::kTrr;
  result.canonical_name = "a-name-longer-than-fifteen.example.test";
  result.addresses = {*IpAddress::Parse("192.0.2.1"),
                      *IpAddress::Parse("2001:db8::1")};
  const ResolveResult original = result;
  SyncWait first, last;
  std::vector<std::string> read;
  Completion([&](const ResolveResult& r) {
    read.push_back(r.canonical_name);
  }).Deliver(result, /*last=*/false);
  Completion(&first).Deliver(result, /*last=*/false);
  Completion([&](const ResolveResult& r) {
    read.push_back(r.canonical_name);
  }).Deliver(result, /*last=*/false);
  Completion(&last).Deliver(result, /*last=*/true);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0], original.canonical_name);
  EXPECT_EQ(read[1], original.canonical_name);
  for (SyncWait* wait : {&first, &last}) {
    MutexLock lock(&wait->mu);
    ASSERT_TRUE(wait->result.has_value());
    EXPECT_EQ(wait->result->canonical_name, original.canonical_name);
    EXPECT_EQ(wait->result->addresses, original.addresses);
    EXPECT_EQ(wait->result->source, ResultSource::kTrr);
  }
}

// network.dns.port_prefixed_qname_https_rr: an HTTPS lookup for an origin
// on another port than 443 asks for _PORT._https.NAME; 443, no port, other
// types and the pref off ask for the name itself.
TEST(HttpsTest, APortOtherThan443IsAskedAsAPrefixedName) {
  Harness h;
  Mutex mu;
  std::vector<std::string> asked;  // "name/type"
  h.script->answer = [&](const std::string& name, uint16_t type) {
    MutexLock lock(&mu);
    asked.push_back(absl::StrCat(name, "/", type));
    return Respond(Server::kAnswer, name, type);
  };
  h.Start(3, Confirm::kSkipped,
          {{"network.dns.port_prefixed_qname_https_rr", true}});
  ASSERT_NE(h.resolver, nullptr);
  auto lookup = [&](uint16_t port, QueryKind type) {
    ResolveOptions options;
    options.type = type;
    options.port = port;
    options.bypass_cache = true;
    h.resolver->ResolveSync("svc.example.test", options);
  };
  lookup(8443, QueryKind::kHttps);
  lookup(443, QueryKind::kHttps);
  lookup(0, QueryKind::kHttps);
  lookup(8443, QueryKind::kIpv4);
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.dns.port_prefixed_qname_https_rr",
                               prefs::PrefValue(false)}})
                  .ok());
  lookup(8443, QueryKind::kHttps);
  MutexLock lock(&mu);
  const std::vector<std::string> want = {
      "_8443._https.svc.example.test/65", "svc.example.test/65",
      "svc.example.test/65", "svc.example.test/1", "svc.example.test/65"};
  EXPECT_EQ(asked, want);
}

// An HTTPS answer's IP hints are kept for LookupIpHint (never for ordinary
// lookups), and the additional section's addresses of its targets answer
// later lookups of those names without a query, as Firefox keeps them.
// Addresses for names no record points at are not kept, nor private ones.
TEST(HttpsTest, IpHintsAndTargetAddressesAreCachedForLaterLookups) {
  const Bytes v6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                    0,    0,    0,    0,    0, 0, 0, 0x21};
  Harness h;
  h.script->answer = [&](const std::string& name, uint16_t type) {
    if (type != dns::kTypeHTTPS || name != "www.example.test") {
      return Respond(Server::kAnswer, name, type);
    }
    const Bytes to_svc =
        Concat({U16(1), WireName("svc.example.test"), U16(4), U16(8),
                A(192, 0, 2, 21), A(10, 0, 0, 21), U16(6), U16(16), v6});
    const Bytes to_self =
        Concat({U16(2), WireName("."), U16(4), U16(4), A(192, 0, 2, 22)});
    MessageBuilder m(name, type);
    m.Answer(Pointer(12), dns::kTypeHTTPS, 300, to_svc)
        .Answer(Pointer(12), dns::kTypeHTTPS, 300, to_self)
        .Additional(WireName("svc.example.test"), dns::kTypeA, 1, 120,
                    A(192, 0, 2, 31))
        .Additional(WireName("svc.example.test"), dns::kTypeA, 1, 120,
                    A(10, 0, 0, 31))
        .Additional(WireName("victim.example.test"), dns::kTypeA, 1, 120,
                    A(203, 0, 113, 66));
    DohResult result;
    result.http_status = 200;
    result.body = m.Build();
    return result;
  };
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  ResolveOptions https;
  https.type = QueryKind::kHttps;
  const ResolveResult answer =
      h.resolver->ResolveSync("www.example.test", https);
  ASSERT_TRUE(answer.ok()) << answer.status;
  ASSERT_EQ(answer.https.size(), 2u);

  // The hints, by target; "." is the HTTPS record's own name.
  ResolveResult hint = h.resolver->LookupIpHint("SVC.example.test.");
  ASSERT_TRUE(hint.ok()) << hint.status;
  EXPECT_EQ(hint.source, ResultSource::kCache);
  EXPECT_EQ(api::AddressTexts(hint.addresses),
            (std::vector<std::string>{"192.0.2.21", "2001:db8::21"}));
  EXPECT_EQ(api::AddressTexts(
                h.resolver->LookupIpHint("svc.example.test", Ipv4()).addresses),
            std::vector<std::string>{"192.0.2.21"});
  EXPECT_EQ(
      api::AddressTexts(h.resolver->LookupIpHint("www.example.test").addresses),
      std::vector<std::string>{"192.0.2.22"});
  ResolveOptions v6_only;
  v6_only.type = QueryKind::kIpv6;
  EXPECT_EQ(h.resolver->LookupIpHint("www.example.test", v6_only).status.code(),
            StatusCode::kNotFound);
  EXPECT_EQ(h.resolver->LookupIpHint("other.example.test").status.code(),
            StatusCode::kNotFound);
  ResolveOptions other_partition;
  other_partition.partition = "private";
  EXPECT_EQ(h.resolver->LookupIpHint("svc.example.test", other_partition)
                .status.code(),
            StatusCode::kNotFound);
  EXPECT_EQ(h.resolver->LookupIpHint("svc.example.test", https).status.code(),
            StatusCode::kInvalidArgument);

  // The target's address from the additional section answers an A lookup
  // from the cache; the unrelated name is asked for.
  const int asked_before = h.script->a_queries.load();
  const ResolveResult svc = h.resolver->ResolveSync("svc.example.test", Ipv4());
  ASSERT_TRUE(svc.ok()) << svc.status;
  EXPECT_EQ(svc.source, ResultSource::kCache);
  EXPECT_EQ(api::AddressTexts(svc.addresses),
            std::vector<std::string>{"192.0.2.31"});
  EXPECT_EQ(h.script->a_queries.load(), asked_before);
  const ResolveResult victim =
      h.resolver->ResolveSync("victim.example.test", Ipv4());
  EXPECT_EQ(victim.source, ResultSource::kTrr);
  EXPECT_EQ(api::AddressTexts(victim.addresses),
            std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(h.script->a_queries.load(), asked_before + 1);

  // The dump lists answers, not hints: the hints show in the HTTPS entry.
  for (const CacheEntryInfo& entry : h.resolver->Snapshot().cache) {
    EXPECT_NE(entry.addresses,
              (std::vector<std::string>{"192.0.2.21", "2001:db8::21"}));
  }
}

// --- Oblivious DoH ---------------------------------------------------------

// A relay and gateway in one (the fake transport's `raw`): the key
// configuration at keys.test, sealed queries at relay.test, answered as
// the DoH server the gateway forwards to would answer them.
struct FakeGateway {
  ohttp::X25519KeyPair keys = *ohttp::GenerateX25519KeyPair();
  ohttp::KeyConfig config;
  std::atomic<int> key_fetches{0};
  std::atomic<int> relayed{0};
  std::atomic<int> in_the_clear{0};
  // What the gateway read last: "authority path".
  Mutex mu;
  std::string target ABSL_GUARDED_BY(mu);
  // When set, answers sealed under this other request's context instead
  // (a gateway whose key changed).
  std::atomic<bool> wrong_key{false};

  FakeGateway() {
    config.key_id = 3;
    config.kem = ohttp::kKemX25519HkdfSha256;
    config.public_key = keys.public_key;
    config.symmetric = {{ohttp::kKdfHkdfSha256, ohttp::kAeadAes128Gcm}};
  }

  DohResult Handle(const std::string& server,
                   const std::vector<uint8_t>& body) {
    DohResult result;
    result.http_status = 200;
    if (server == "keys.test") {
      ++key_fetches;
      result.body = ohttp::EncodeKeyConfig(config);
      return result;
    }
    if (server != "relay.test") {
      ++in_the_clear;
      result.error = DohError::kConnect;
      return result;
    }
    ++relayed;
    auto request = ohttp::GatewayRequest::Open(config, keys.private_key, body);
    if (!request.ok()) {
      result.http_status = 400;
      result.error = DohError::kHttpStatus;
      return result;
    }
    auto http = ohttp::DecodeBhttpRequest(request->request());
    {
      MutexLock lock(&mu);
      target = absl::StrCat(http->authority, " ", http->path);
    }
    const auto [name, type] = QuestionOf(http->content);
    ohttp::BhttpResponse response;
    response.status = 200;
    response.fields = {{"content-type", "application/dns-message"}};
    response.content = Respond(Server::kAnswer, name, type).body;
    const ohttp::Bytes plain = ohttp::EncodeBhttpResponse(response);
    if (wrong_key) {
      // Sealed for another client's request: it does not open.
      ohttp::GatewayKey other{
          config.key_id,
          {config.kem, ohttp::kKdfHkdfSha256, ohttp::kAeadAes128Gcm},
          keys.public_key};
      auto stranger = ohttp::ClientRequest::Seal(other, {});
      auto opened = ohttp::GatewayRequest::Open(config, keys.private_key,
                                                stranger->encapsulated());
      result.body = *opened->SealResponse(plain);
    } else {
      result.body = *request->SealResponse(plain);
    }
    return result;
  }
};

// The fake transport's `raw`, answering as `gateway` (which it keeps).
std::function<DohResult(const std::string&, const std::vector<uint8_t>&)>
AnswerAs(std::shared_ptr<FakeGateway> gateway) {
  return
      [gateway](const std::string& server, const std::vector<uint8_t>& body) {
        return gateway->Handle(server, body);
      };
}

std::vector<std::pair<std::string, prefs::PrefValue>> OhttpPrefs() {
  return {{"network.trr.use_ohttp", true},
          {"network.trr.ohttp.relay_uri", std::string("https://relay.test/r")},
          {"network.trr.ohttp.config_uri",
           std::string("https://keys.test/.well-known/ohttp-gateway")},
          {"network.trr.ohttp.uri", std::string("https://doh.test/dns-query")}};
}

// With network.trr.use_ohttp, a lookup goes to the relay only, sealed to
// the gateway's key (fetched once), for the DoH server network.trr.ohttp.uri
// names; nothing goes to any server in the clear.
TEST(OhttpTest, LookupsGoSealedThroughTheRelayOnly) {
  auto gateway = std::make_shared<FakeGateway>();
  Harness h;
  h.script->raw = AnswerAs(gateway);
  h.Start(3, Confirm::kSkipped, OhttpPrefs());
  ASSERT_NE(h.resolver, nullptr);
  for (const char* name : {"www.example.test", "mail.example.test"}) {
    const ResolveResult r = h.resolver->ResolveSync(name, Ipv4());
    ASSERT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
    EXPECT_EQ(api::AddressTexts(r.addresses),
              std::vector<std::string>{"192.0.2.10"});
  }
  EXPECT_EQ(gateway->key_fetches.load(), 1);
  EXPECT_EQ(gateway->relayed.load(), 2);
  EXPECT_EQ(gateway->in_the_clear.load(), 0);
  {
    MutexLock lock(&gateway->mu);
    EXPECT_EQ(gateway->target, "doh.test /dns-query");
  }
  // The relay gets Oblivious HTTP's media types; the keys a plain GET.
  const DohConfig relay = h.script->ConfigOf("relay.test");
  EXPECT_EQ(relay.request_type, "message/ohttp-req");
  EXPECT_EQ(relay.response_type, "message/ohttp-res");
  EXPECT_TRUE(h.script->ConfigOf("keys.test").plain_get);
  EXPECT_EQ(h.script->ConfigOf("keys.test").response_type,
            "application/ohttp-keys");
  // The dump: where queries go, the gateway's key, and what was sealed.
  // The first query was sealed on its own path; the second found a context
  // prepared after the first had gone.
  const ResolverSnapshot snapshot = h.resolver->Snapshot();
  const OhttpInfo& o = snapshot.ohttp;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.relay, "https://relay.test/r");
  EXPECT_EQ(o.key_config, "https://keys.test/.well-known/ohttp-gateway");
  EXPECT_EQ(o.target, "https://doh.test/dns-query");
  EXPECT_EQ(o.key_id, 3);
  EXPECT_EQ(o.suite, "X25519, HKDF-SHA256, AES-128-GCM");
  EXPECT_EQ(o.key_fetches, 1u);
  EXPECT_EQ(o.key_fetch_failures, 0u);
  EXPECT_EQ(o.sealed, 2u);
  EXPECT_EQ(o.sealed_prepared, 1u);
  EXPECT_EQ(o.opened, 2u);
  EXPECT_EQ(o.open_failures + o.relay_errors, 0u);
  EXPECT_EQ(snapshot.proxy, "direct");
  const std::string text = api::DumpText(snapshot);
  EXPECT_TRUE(absl::StrContains(
      text,
      "gateway key          3 (X25519, HKDF-SHA256, AES-128-GCM), "
      "fetched 1, failed 0"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "sealed 2 (1 prepared ahead), opened 2, did not open 0"))
      << text;
  const std::string json = api::DumpJson(snapshot);
  EXPECT_TRUE(absl::StrContains(
      json, "\"ohttp\":{\"enabled\":true,\"relay\":\"https://relay.test/r\""))
      << json;
  EXPECT_TRUE(absl::StrContains(json, "\"key_id\":3,")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"sealed_prepared\":1,")) << json;
}

// A query cancelled while the relay has it is no relay error: the dump's
// counters say what the relay and gateway did, not what trr gave up on.
TEST(OhttpTest, ACancelledQueryIsNoRelayError) {
  auto gateway = std::make_shared<FakeGateway>();
  auto script = std::make_shared<Script>();
  script->raw = AnswerAs(gateway);
  script->hold = [](const std::string& server, const std::string&) {
    return server == "relay.test";
  };
  EventLoop loop;
  std::unique_ptr<OhttpSender> sender;
  DohSender::RequestId id = 0;
  std::optional<DohResult> result;
  loop.RunSync([&] {
    sender = std::make_unique<OhttpSender>(
        &loop, [&] { return std::make_unique<FakeTransport>(&loop, script); });
    DohConfig config;
    config.uri = *ParseDohUri("https://doh.test/dns-query");
    config.ohttp = OhttpConfig{*ParseDohUri("https://relay.test/r"),
                               *ParseDohUri("https://keys.test/k")};
    sender->Configure(config);
    std::vector<uint8_t> query;
    ASSERT_TRUE(dns::EncodeQuery("www.example.test", dns::kTypeA,
                                 dns::QueryOptions(), query)
                    .ok());
    id = sender->Send(query, absl::Seconds(5),
                      [&](DohResult r) { result = std::move(r); });
  });
  // The key comes, and the sealed query goes to the relay, which holds it.
  OhttpInfo info;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (info.sealed == 0 && absl::Now() < deadline) {
    loop.RunSync([&] { info = sender->Info(); });
  }
  ASSERT_EQ(info.sealed, 1u);
  loop.RunSync([&] {
    sender->Cancel(id);
    info = sender->Info();
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->error, DohError::kCancelled);
  EXPECT_EQ(info.relay_errors, 0u);
  EXPECT_EQ(info.opened + info.open_failures, 0u);
  loop.RunSync([&] { sender.reset(); });
}

// Without network.trr.use_ohttp the dump says so, and nothing is counted.
TEST(OhttpTest, TheDumpSaysWhenItIsOff) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const ResolverSnapshot snapshot = h.resolver->Snapshot();
  EXPECT_FALSE(snapshot.ohttp.enabled);
  EXPECT_EQ(snapshot.ohttp.key_id, -1);
  EXPECT_TRUE(
      absl::StrContains(api::DumpText(snapshot), "\nOblivious DoH\n  off\n"));
  EXPECT_TRUE(absl::StrContains(api::DumpJson(snapshot),
                                "\"ohttp\":{\"enabled\":false,"));
}

// An answer that does not open (the gateway's key changed) fails the
// lookup with a typed error, in mode 3 never in the clear, and the key is
// fetched again for the next; mode 2 may go native, as for any failure.
TEST(OhttpTest, AnAnswerThatDoesNotOpenFailsAndTheKeyIsFetchedAgain) {
  for (int mode : {3, 2}) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    auto gateway = std::make_shared<FakeGateway>();
    gateway->wrong_key = true;
    Harness h;
    h.script->raw = AnswerAs(gateway);
    auto prefs = OhttpPrefs();
    prefs.push_back({"network.trr.retry_on_recoverable_errors", false});
    h.Start(mode, Confirm::kSkipped, prefs);
    ASSERT_NE(h.resolver, nullptr);
    const ResolveResult r = h.resolver->ResolveSync("www.example.test", Ipv4());
    EXPECT_EQ(r.trr_failure, TrrFailure::kOhttp) << r.status;
    EXPECT_STREQ(TrrFailureName(r.trr_failure), "ohttp");
    // Before an A lookup goes native in mode 2, TRR is asked for AAAA (the
    // one-family rule): a second answer that does not open.
    const uint64_t failed_opens = mode == 2 ? 2 : 1;
    EXPECT_EQ(h.resolver->Snapshot().ohttp.open_failures, failed_opens);
    if (mode == 3) {
      EXPECT_FALSE(r.ok());
      EXPECT_TRUE(absl::StrContains(r.status.message(), "Oblivious HTTP"))
          << r.status;
      EXPECT_EQ(h.script->native_lookups.load(), 0);
    } else {
      EXPECT_EQ(r.source, ResultSource::kNative);
    }
    EXPECT_EQ(gateway->in_the_clear.load(), 0);
    // Another name: in mode 2 the first is now on the temporary blocklist.
    gateway->wrong_key = false;
    const ResolveResult again =
        h.resolver->ResolveSync("mail.example.test", Ipv4());
    EXPECT_TRUE(again.ok()) << again.status;
    EXPECT_EQ(again.source, ResultSource::kTrr);
    EXPECT_EQ(gateway->key_fetches.load(), 1 + static_cast<int>(failed_opens));
    ResolverSnapshot snapshot = h.resolver->Snapshot();
    EXPECT_EQ(snapshot.ohttp.key_fetches, 1 + failed_opens);
    EXPECT_EQ(snapshot.ohttp.opened, 1u);
    EXPECT_EQ(snapshot.ohttp.open_failures, failed_opens);
    EXPECT_EQ(snapshot.counters.trr_failures[TrrFailure::kOhttp], 1u);
  }
}

// A key configuration trr cannot use, or no relay at all: nothing is sent,
// sealed or not; mode 3 fails saying why.
TEST(OhttpTest, NoUsableKeyOrRelaySendsNothing) {
  auto gateway = std::make_shared<FakeGateway>();
  gateway->config.symmetric = {{ohttp::kKdfHkdfSha256, 0x0002}};  // AES-256
  Harness h;
  h.script->raw = AnswerAs(gateway);
  h.Start(3, Confirm::kSkipped, OhttpPrefs());
  ASSERT_NE(h.resolver, nullptr);
  ResolveResult r = h.resolver->ResolveSync("www.example.test", Ipv4());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status.message(), "key configuration"))
      << r.status;
  EXPECT_EQ(r.trr_failure, TrrFailure::kOhttp);
  EXPECT_EQ(gateway->relayed.load(), 0);
  EXPECT_EQ(h.resolver->Snapshot().ohttp.key_fetch_failures, 1u);
  EXPECT_EQ(h.resolver->Snapshot().ohttp.key_id, -1);

  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.ohttp.relay_uri",
                               prefs::PrefValue(std::string())}})
                  .ok());
  r = h.resolver->ResolveSync("mail.example.test", Ipv4());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.skip_reason, SkipReason::kNoUri) << r.status;
  EXPECT_EQ(gateway->relayed.load() + gateway->in_the_clear.load(), 0);
  // A relay that is not an https URI is refused when set.
  EXPECT_FALSE(h.resolver
                   ->SetPrefs({{"network.trr.ohttp.relay_uri",
                                prefs::PrefValue(std::string("http://x"))}})
                   .ok());
}

}  // namespace
}  // namespace trr
