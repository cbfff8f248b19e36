// Several DoH servers and recovery, hermetic (tests/trr/resolver_harness.h):
// failover within a lookup's time, availability and probes, a query moving
// to a new list, unreachable servers, zero answers, and the embedder's
// connect-failure report. ctest label: hermetic.

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

}  // namespace
}  // namespace trr
