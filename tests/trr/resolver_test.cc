// The Resolver against real peers: one unbound behind DoH (answers in
// 192.0.2.0/24) and one serving plain DNS for the native path (answers in
// 198.51.100.0/24), so every test sees which path answered, and each server
// counts the queries it got.

#include "trr/resolver.h"

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hostcache/fake_clock.h"
#include "tests/peers/unbound_server.h"
#include "tests/trr/resolve_all.h"
#include "tests/trr/server_waiter.h"
#include "trr/resolver/resolver_testing.h"

namespace trr {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Strings(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const IpAddress& ip : addresses) out.push_back(ip.ToString());
  return out;
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    testing::UnboundConfig doh;
    doh.zone = testing::DefaultTestZone("192.0.2");
    doh.server_lines = {"local-zone: \"refused.example.test.\" always_refuse"};
    auto doh_server = testing::UnboundServer::Start(doh);
    ASSERT_TRUE(doh_server.ok()) << doh_server.status();
    doh_ = std::move(*doh_server);
    testing::UnboundConfig native;
    native.zone = testing::DefaultTestZone("198.51.100");
    native.doh = false;
    auto native_server = testing::UnboundServer::Start(native);
    ASSERT_TRUE(native_server.ok()) << native_server.status();
    native_ = std::move(*native_server);
    etc_hosts_ = dir_.WriteFile("hosts",
                                "127.0.0.1 localhost\n192.0.2.99 "
                                "printer.example.test # office\n");
  }

  // A resolver in `mode` pointed at both servers.
  std::unique_ptr<Resolver> Make(
      int mode,
      std::vector<std::pair<std::string, prefs::PrefValue>> extra = {}) {
    Resolver::Options options;
    options.etc_hosts_path = etc_hosts_;
    ResolverSeams seams;
    seams.clock = &clock_;
    auto resolver = CreateResolverForTesting(options, seams);
    EXPECT_TRUE(resolver.ok());
    std::vector<std::pair<std::string, prefs::PrefValue>> prefs = {
        {"network.trr.mode", int32_t{mode}},
        {"network.trr.uri", doh_->DohUri("doh.test")},
        {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
        {"network.trr.ca_file", doh_->ca_file()},
        {"network.trr.confirmationNS", std::string("example.test")},
        {"network.dns.native_nameserver",
         absl::StrCat("127.0.0.1:", native_->dns_port())},
    };
    prefs.insert(prefs.end(), extra.begin(), extra.end());
    EXPECT_TRUE((*resolver)->SetPrefs(prefs).ok());
    return std::move(*resolver);
  }

  // Waits until the servers have logged every query so far.
  void SyncServers() {
    ASSERT_TRUE(doh_->Sync().ok());
    ASSERT_TRUE(native_->Sync().ok());
  }

  // Waits (woken by the server observer, with a deadline) until
  // confirmation reaches `state`.
  bool WaitForConfirmation(Resolver& resolver, const std::string& state) {
    return testing::ServerWaiter(resolver).UntilConfirmation(state);
  }

  FakeClock clock_;
  testing::TempDir dir_;
  std::string etc_hosts_;
  std::unique_ptr<testing::UnboundServer> doh_;
  std::unique_ptr<testing::UnboundServer> native_;
};

ResolveOptions Type(QueryKind kind) {
  ResolveOptions options;
  options.type = kind;
  return options;
}

TEST_F(ResolverTest, Mode3NeverQueriesTheNativeServer) {
  auto resolver = Make(3);
  ResolveOptions options = Type(QueryKind::kIpv4);
  options.bypass_cache = true;
  Mutex mu;
  CondVar cv;
  int done = 0, ok = 0;
  for (int batch = 0; batch < 20; ++batch) {
    for (int i = 0; i < 50; ++i) {
      resolver->Resolve(i % 2 ? "www.example.test" : "multi.example.test",
                        options, [&](const ResolveResult& r) {
                          MutexLock lock(&mu);
                          ++done;
                          if (r.ok() && r.source == ResultSource::kTrr) ++ok;
                          cv.SignalAll();
                        });
    }
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(30),
                                     [&] { return done == (batch + 1) * 50; }));
  }
  EXPECT_EQ(ok, 1000);
  SyncServers();
  EXPECT_EQ(native_->QueriesReceived(), 0);
  EXPECT_GE(doh_->QueriesReceived(), 2);  // coalesced where concurrent
  EXPECT_EQ(resolver->Snapshot().counters.native_queries, 0u);
}

TEST_F(ResolverTest, Mode3AnswersFromTrrWithBothFamilies) {
  auto resolver = Make(3);
  ResolveResult r = resolver->ResolveSync("WWW.Example.Test.");
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kTrr);
  EXPECT_THAT(Strings(r.addresses),
              UnorderedElementsAre("192.0.2.1", "2001:db8::1"));
  EXPECT_EQ(r.ttl, std::chrono::seconds(300));
  EXPECT_EQ(resolver->Snapshot().confirmation_state, "disabled");
}

TEST_F(ResolverTest, Mode2WithHealthyTrrSendsNothingNative) {
  auto resolver = Make(2);
  for (const char* name :
       {"www.example.test", "multi.example.test", "v4only.example.test"}) {
    ResolveResult r = resolver->ResolveSync(name, Type(QueryKind::kIpv4));
    ASSERT_TRUE(r.ok()) << name << ": " << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
    EXPECT_THAT(r.addresses[0].ToString(), HasSubstr("192.0.2."));
  }
  SyncServers();
  EXPECT_EQ(native_->QueriesReceived(), 0);
}

TEST_F(ResolverTest, Mode2FallsBackWhenTrrIsDownAndBlocklistsTheName) {
  auto resolver = Make(2, {{"network.trr.request_timeout_ms", int32_t{500}}});
  ASSERT_TRUE(WaitForConfirmation(*resolver, "ok"));
  doh_->Kill();
  ResolveResult r =
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_THAT(Strings(r.addresses), ElementsAre("198.51.100.1"));
  EXPECT_NE(r.trr_failure, TrrFailure::kNone);
  auto snapshot = resolver->Snapshot();
  ASSERT_EQ(snapshot.blocklist.size(), 1u);
  EXPECT_EQ(snapshot.blocklist[0].first, "www.example.test");
  EXPECT_EQ(snapshot.blocklist[0].second, 60);
  EXPECT_EQ(snapshot.counters.fallbacks, 1u);
}

TEST_F(ResolverTest, WallClockJumpsNeitherExpireNorReviveAnything) {
  // A cached answer and a blocklisted name, then the system clock set a
  // day forward and two days back: both keep their seconds left (the dump
  // shows them), and only steady time ends them.
  auto resolver =
      Make(2, {{"network.trr.temp_blocklist_duration_sec", int32_t{30}}});
  ASSERT_TRUE(WaitForConfirmation(*resolver, "ok"));
  ASSERT_EQ(
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4)).source,
      ResultSource::kTrr);
  ASSERT_EQ(
      resolver->ResolveSync("private.example.test", Type(QueryKind::kIpv4))
          .source,
      ResultSource::kNative);  // blocklisted for 30 s
  const auto wall_before = resolver->Snapshot().taken_at;
  for (absl::Duration jump : {absl::Hours(24), -absl::Hours(48)}) {
    clock_.JumpWall(jump);
    const ResolverSnapshot snapshot = resolver->Snapshot();
    ASSERT_EQ(snapshot.blocklist.size(), 1u);
    EXPECT_EQ(snapshot.blocklist[0].second, 30);
    EXPECT_EQ(resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4))
                  .source,
              ResultSource::kCache);
  }
  // The snapshot's own time is the wall clock's.
  EXPECT_EQ(resolver->Snapshot().taken_at - wall_before,
            -std::chrono::hours(24));
  clock_.Advance(absl::Seconds(30));
  EXPECT_TRUE(resolver->Snapshot().blocklist.empty());
}

TEST_F(ResolverTest, BlocklistedNameSkipsTrrUntilDurationPasses) {
  auto resolver =
      Make(2, {{"network.trr.temp_blocklist_duration_sec", int32_t{30}}});
  ASSERT_TRUE(WaitForConfirmation(*resolver, "ok"));
  // private.example.test answers 10.0.0.1 from TRR: a failure in mode 2,
  // and native answers, so the name is blocklisted.
  ResolveResult first =
      resolver->ResolveSync("private.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(first.ok()) << first.status;
  EXPECT_EQ(first.source, ResultSource::kNative);
  EXPECT_EQ(first.trr_failure, TrrFailure::kPrivateAddress);
  ResolveOptions fresh = Type(QueryKind::kIpv4);
  fresh.bypass_cache = true;
  SyncServers();
  const int doh_before = doh_->QueriesReceived();
  ResolveResult second = resolver->ResolveSync("private.example.test", fresh);
  EXPECT_EQ(second.source, ResultSource::kNative);
  EXPECT_EQ(second.skip_reason, SkipReason::kBlocklisted);
  SyncServers();
  EXPECT_EQ(doh_->QueriesReceived(), doh_before);
  clock_.Advance(absl::Seconds(30));
  ResolveResult third = resolver->ResolveSync("private.example.test", fresh);
  EXPECT_EQ(third.skip_reason, SkipReason::kNone);
  EXPECT_EQ(third.trr_failure, TrrFailure::kPrivateAddress);
}

TEST_F(ResolverTest, Mode3RejectsPrivateAddressesUnlessAllowed) {
  auto resolver = Make(3);
  ResolveResult r =
      resolver->ResolveSync("private.example.test", Type(QueryKind::kIpv4));
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.trr_failure, TrrFailure::kPrivateAddress);
  EXPECT_EQ(
      resolver->ResolveSync("loopback.example.test", Type(QueryKind::kIpv4))
          .trr_failure,
      TrrFailure::kPrivateAddress);
  ASSERT_TRUE(resolver->SetPrefs({{"network.trr.allow-rfc1918", true}}).ok());
  ResolveResult allowed =
      resolver->ResolveSync("private.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(allowed.ok()) << allowed.status;
  EXPECT_THAT(Strings(allowed.addresses), ElementsAre("10.0.0.1"));
}

TEST_F(ResolverTest, Mode0AndMode5ResolveNatively) {
  for (int mode : {0, 5, 7}) {
    auto resolver = Make(mode);
    ResolveResult r =
        resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
    ASSERT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.source, ResultSource::kNative);
    EXPECT_EQ(r.skip_reason,
              mode == 0 ? SkipReason::kModeOff : SkipReason::kModeOffByChoice);
    EXPECT_EQ(resolver->Snapshot().mode, mode == 7 ? 5 : mode);
  }
  SyncServers();
  EXPECT_EQ(doh_->QueriesReceived("www.example.test"), 0);
}

TEST_F(ResolverTest, ARequestMayOptInToTrrUnderMode0ButNotMode5) {
  ResolveOptions opt_in = Type(QueryKind::kIpv4);
  opt_in.trr_mode = 3;
  auto mode0 = Make(0);
  EXPECT_EQ(mode0->ResolveSync("www.example.test", opt_in).source,
            ResultSource::kTrr);
  auto mode5 = Make(5);
  EXPECT_EQ(mode5->ResolveSync("www.example.test", opt_in).source,
            ResultSource::kNative);
}

TEST_F(ResolverTest, ExcludedNamesGoNativeEvenInMode3) {
  auto resolver = Make(3, {{"network.trr.excluded-domains",
                            std::string("v4only.example.test, corp.example")}});
  ResolveResult r =
      resolver->ResolveSync("v4only.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_EQ(r.skip_reason, SkipReason::kExcluded);
  EXPECT_THAT(Strings(r.addresses), ElementsAre("198.51.100.4"));
  // Names in /etc/hosts too (the resolver's hosts file for this test).
  ResolveResult hosts =
      resolver->ResolveSync("printer.example.test", Type(QueryKind::kIpv4));
  EXPECT_EQ(hosts.skip_reason, SkipReason::kEtcHosts);
  EXPECT_EQ(hosts.source, ResultSource::kNative);
}

TEST_F(ResolverTest, LocalhostIsLoopbackWithoutAnyQuery) {
  auto resolver = Make(3);
  ResolveResult r = resolver->ResolveSync("LocalHost.");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Strings(r.addresses), ElementsAre("127.0.0.1", "::1"));
  EXPECT_EQ(r.skip_reason, SkipReason::kLocalhost);
  EXPECT_EQ(resolver->ResolveSync("db.localhost").skip_reason,
            SkipReason::kLocalhost);
  SyncServers();
  EXPECT_EQ(doh_->QueriesReceived("localhost"), 0);
  EXPECT_EQ(native_->QueriesReceived("localhost"), 0);
}

TEST_F(ResolverTest, Mode1RacesBothAndRecordsTheWinner) {
  // Each side in turn is stopped (SIGSTOP), so the other must win: both
  // are asked every time, and the winner is the one that answered.
  auto resolver = Make(1);
  native_->Pause();
  ResolveResult r =
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
  native_->Resume();
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kTrr);
  EXPECT_EQ(r.addresses[0].ToString(), "192.0.2.1");
  auto counters = resolver->Snapshot().counters;
  EXPECT_EQ(counters.race_trr_wins, 1u);
  EXPECT_EQ(counters.race_native_wins, 0u);
  SyncServers();
  EXPECT_EQ(native_->QueriesReceived("www.example.test"), 1);

  const uint64_t doh_requests = counters.doh_requests;
  doh_->Pause();
  r = resolver->ResolveSync("v4only.example.test", Type(QueryKind::kIpv4));
  doh_->Resume();
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_EQ(r.addresses[0].ToString(), "198.51.100.4");
  counters = resolver->Snapshot().counters;
  EXPECT_EQ(counters.race_trr_wins, 1u);
  EXPECT_EQ(counters.race_native_wins, 1u);
  EXPECT_EQ(counters.doh_requests, doh_requests + 1);  // TRR was asked too
}

TEST_F(ResolverTest, Mode4UsesNativeAndComparesTrr) {
  auto resolver = Make(4);
  ResolveResult r =
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_THAT(Strings(r.addresses), ElementsAre("198.51.100.1"));
  // The TRR answer (192.0.2.1) arrives on its own time; wait for the count.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  ResolverCounters counters;
  do {
    counters = resolver->Snapshot().counters;
  } while (counters.shadow_disagree == 0 && absl::Now() < deadline);
  EXPECT_EQ(counters.shadow_disagree, 1u);
  EXPECT_EQ(counters.shadow_agree, 0u);
}

TEST_F(ResolverTest, NxdomainAndNodata) {
  auto resolver = Make(3);
  ResolveResult nx = resolver->ResolveSync("nope.example.test");
  EXPECT_EQ(nx.status.code(), StatusCode::kNotFound);
  EXPECT_THAT(nx.status.message(), HasSubstr("NXDOMAIN"));
  ResolveResult nodata =
      resolver->ResolveSync("v4only.example.test", Type(QueryKind::kIpv6));
  EXPECT_EQ(nodata.status.code(), StatusCode::kNotFound);
  EXPECT_THAT(nodata.status.message(), HasSubstr("NODATA"));
  // Both negative answers are cached.
  EXPECT_EQ(resolver->ResolveSync("nope.example.test").source,
            ResultSource::kCache);
  // In mode 2 NXDOMAIN falls back to native, which says the same.
  auto mode2 = Make(2);
  ResolveResult fallback =
      mode2->ResolveSync("nope.example.test", Type(QueryKind::kIpv4));
  EXPECT_EQ(fallback.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(fallback.source, ResultSource::kNative);
}

TEST_F(ResolverTest, FollowsCnameChains) {
  auto resolver = Make(3);
  ResolveResult r =
      resolver->ResolveSync("alias.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.canonical_name, "www.example.test");
  EXPECT_THAT(Strings(r.addresses), ElementsAre("192.0.2.1"));
}

TEST_F(ResolverTest, HttpsAndTxtRecords) {
  auto resolver = Make(3);
  ResolveResult https =
      resolver->ResolveSync("svc.example.test", Type(QueryKind::kHttps));
  ASSERT_TRUE(https.ok()) << https.status;
  ASSERT_EQ(https.https.size(), 1u);
  EXPECT_EQ(https.https[0].port, 8443);
  ResolveResult txt =
      resolver->ResolveSync("txt.example.test", Type(QueryKind::kTxt));
  ASSERT_TRUE(txt.ok()) << txt.status;
  EXPECT_THAT(txt.txt, ElementsAre("helloworld"));
}

TEST_F(ResolverTest, ConcurrentLookupsShareOneQueryAndCancelOnlyOne) {
  auto resolver = Make(3);
  doh_->Pause();
  Mutex mu;
  CondVar cv;
  std::vector<ResolveResult> results;
  std::vector<Resolver::RequestId> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(resolver
                      ->Resolve("multi.example.test", Type(QueryKind::kIpv4),
                                [&](const ResolveResult& r) {
                                  MutexLock lock(&mu);
                                  results.push_back(r);
                                  cv.SignalAll();
                                })
                      .id);
  }
  resolver->Cancel(ids[3]);
  {
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                     [&] { return results.size() == 1; }));
    EXPECT_EQ(results[0].status.code(), StatusCode::kCancelled);
  }
  doh_->Resume();
  MutexLock lock(&mu);
  ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                   [&] { return results.size() == 10; }));
  int ok = 0;
  for (const ResolveResult& r : results) ok += r.ok();
  EXPECT_EQ(ok, 9);
  ASSERT_TRUE(doh_->Sync().ok());
  EXPECT_EQ(doh_->QueriesReceived("multi.example.test"), 1);
}

TEST_F(ResolverTest, ShutdownCompletesEveryRequestOnce) {
  auto resolver = Make(3);
  doh_->Pause();
  std::atomic<int> completions{0}, cancelled{0};
  for (int i = 0; i < 20; ++i) {
    resolver->Resolve(absl::StrCat("n", i, ".example.test"), ResolveOptions(),
                      [&](const ResolveResult& r) {
                        ++completions;
                        if (r.status.code() == StatusCode::kCancelled) {
                          ++cancelled;
                        }
                      });
  }
  resolver.reset();
  doh_->Resume();
  EXPECT_EQ(completions.load(), 20);
  EXPECT_EQ(cancelled.load(), 20);
}

TEST_F(ResolverTest, CacheHitsAskNoOne) {
  auto resolver = Make(3);
  ASSERT_TRUE(resolver->ResolveSync("www.example.test").ok());
  ResolveResult hit = resolver->ResolveSync("www.example.test");
  EXPECT_EQ(hit.source, ResultSource::kCache);
  EXPECT_THAT(Strings(hit.addresses),
              UnorderedElementsAre("192.0.2.1", "2001:db8::1"));
  // Partitions never share entries.
  ResolveOptions other;
  other.partition = "private-window";
  EXPECT_EQ(resolver->ResolveSync("www.example.test", other).source,
            ResultSource::kTrr);
  auto snapshot = resolver->Snapshot();
  EXPECT_EQ(snapshot.counters.cache_hits, 1u);
  EXPECT_EQ(snapshot.cache.size(), 2u);
}

TEST_F(ResolverTest, SingleLabelNamesSkipTrrInMode2) {
  auto resolver = Make(2);
  ResolveResult r = resolver->ResolveSync("intranet", Type(QueryKind::kIpv4));
  EXPECT_EQ(r.skip_reason, SkipReason::kSingleLabel);
  EXPECT_EQ(r.source, ResultSource::kNative);
}

TEST_F(ResolverTest, FailedConfirmationSendsMode2Native) {
  // "refused.example" is refused by the DoH server: confirmation fails.
  auto resolver =
      Make(2, {{"network.trr.confirmationNS", std::string("refused.example")},
               {"network.trr.retry-timeout-ms", int32_t{60000}}});
  ASSERT_TRUE(WaitForConfirmation(*resolver, "failed"));
  ResolveResult r =
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
  EXPECT_EQ(r.skip_reason, SkipReason::kNotConfirmed);
  EXPECT_EQ(r.source, ResultSource::kNative);
  // A new confirmationNS restarts confirmation, optimistic again.
  ASSERT_TRUE(resolver
                  ->SetPrefs({{"network.trr.confirmationNS",
                               std::string("example.test")}})
                  .ok());
  ASSERT_TRUE(WaitForConfirmation(*resolver, "ok"));
  ResolveOptions fresh = Type(QueryKind::kIpv4);
  fresh.bypass_cache = true;
  EXPECT_EQ(resolver->ResolveSync("www.example.test", fresh).source,
            ResultSource::kTrr);
}

TEST_F(ResolverTest, WaitForPortalHoldsTrrUntilThePortalIsClear) {
  auto resolver = Make(2, {{"network.trr.wait-for-portal", true}});
  ResolveResult before =
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
  EXPECT_EQ(before.skip_reason, SkipReason::kWaitingForPortal);
  EXPECT_EQ(before.source, ResultSource::kNative);
  resolver->SetCaptivePortalState(CaptivePortalState::kClear);
  ASSERT_TRUE(WaitForConfirmation(*resolver, "ok"));
  ResolveOptions fresh = Type(QueryKind::kIpv4);
  fresh.bypass_cache = true;
  EXPECT_EQ(resolver->ResolveSync("www.example.test", fresh).source,
            ResultSource::kTrr);
}

TEST_F(ResolverTest, Mode3WaitsForThePortal) {
  auto resolver = Make(3, {{"network.trr.wait-for-portal", true}});
  Mutex mu;
  CondVar cv;
  std::optional<ResolveResult> result;
  resolver->Resolve("www.example.test", Type(QueryKind::kIpv4),
                    [&](const ResolveResult& r) {
                      MutexLock lock(&mu);
                      result = r;
                      cv.SignalAll();
                    });
  resolver->SetCaptivePortalState(CaptivePortalState::kClear);
  MutexLock lock(&mu);
  ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                   [&] { return result.has_value(); }));
  EXPECT_TRUE(result->ok()) << result->status;
  EXPECT_EQ(result->source, ResultSource::kTrr);
}

TEST_F(ResolverTest, PrefChangeInTheMiddleOfARun) {
  testing::UnboundConfig other;
  other.zone = testing::DefaultTestZone("203.0.113");
  auto second = testing::UnboundServer::Start(other);
  ASSERT_TRUE(second.ok());
  auto resolver = Make(3);
  EXPECT_THAT(
      Strings(resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4))
                  .addresses),
      ElementsAre("192.0.2.1"));
  ASSERT_TRUE(
      resolver
          ->SetPrefs({{"network.trr.uri", (*second)->DohUri("doh.test")},
                      {"network.trr.ca_file", (*second)->ca_file()}})
          .ok());
  // A new URI: a new connection, and (clear-cache-on-pref-change) no stale
  // answer from the old server.
  ResolveResult r =
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kTrr);
  EXPECT_THAT(Strings(r.addresses), ElementsAre("203.0.113.1"));
  EXPECT_EQ(resolver->Snapshot().uri, (*second)->DohUri("doh.test"));
}

TEST_F(ResolverTest, ServeStaleAnswersWhenEveryPathFails) {
  auto resolver =
      Make(3, {{"network.dns.serve_stale", true},
               {"network.trr.request_timeout_mode_trronly_ms", int32_t{500}}});
  ASSERT_TRUE(
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4)).ok());
  doh_->Kill();
  // Past TTL and network.dnsCacheExpirationGracePeriod (600 s).
  clock_.Advance(absl::Seconds(300 + 600 + 1));
  ResolveResult r =
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4));
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kStale);
  EXPECT_THAT(Strings(r.addresses), ElementsAre("192.0.2.1"));
  EXPECT_NE(r.trr_failure, TrrFailure::kNone);
}

TEST_F(ResolverTest, DisableIpv6AsksOnlyForA) {
  auto resolver = Make(3, {{"network.dns.disableIPv6", true}});
  ResolveResult r = resolver->ResolveSync("www.example.test");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Strings(r.addresses), ElementsAre("192.0.2.1"));
  SyncServers();
  EXPECT_EQ(doh_->process().CountOutput("www.example.test. AAAA"), 0);
}

TEST_F(ResolverTest, InvalidNamesFailAtOnce) {
  auto resolver = Make(3);
  ResolveResult r = resolver->ResolveSync("bad name.example");
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status.message(), HasSubstr("offset 3"));
}

TEST_F(ResolverTest, SnapshotRedactsCredentialsAndShowsState) {
  auto resolver =
      Make(3, {{"network.trr.credentials", std::string("Bearer s3cret")}});
  ASSERT_TRUE(resolver->ResolveSync("www.example.test").ok());
  auto snapshot = resolver->Snapshot();
  EXPECT_EQ(snapshot.mode, 3);
  EXPECT_FALSE(snapshot.doh_host_resolved_natively);
  EXPECT_EQ(snapshot.native_resolver,
            absl::StrCat("udp://127.0.0.1:", native_->dns_port()));
  bool found = false;
  for (const auto& pref : snapshot.prefs) {
    if (pref.name == "network.trr.credentials") {
      found = true;
      EXPECT_EQ(pref.value.string_value(), "(redacted)");
      EXPECT_EQ(pref.layer, prefs::PrefLayer::kOverride);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(snapshot.counters.lookups_by_mode[3], 1u);
  EXPECT_EQ(snapshot.counters.doh_connections, 1u);
}

// A DoH server killed under load: 1,000 lookups kept in flight for two
// seconds in mode 3 (each answered at once by the refused connection, and
// sent again). Connection attempts back off (100 ms doubling, up to
// server_probe_initial_ms): a handful a second, not one per lookup.
TEST_F(ResolverTest, AServerKilledUnderLoadSeesBoundedConnectionAttempts) {
  auto resolver = Make(3);
  ASSERT_TRUE(
      resolver->ResolveSync("www.example.test", Type(QueryKind::kIpv4)).ok());
  doh_->Kill();
  const uint64_t before = resolver->Snapshot().counters.doh_connections;
  const absl::Time until = absl::Now() + absl::Seconds(2);
  Mutex mu;
  CondVar cv;
  int in_flight = 0;  // under mu
  uint64_t failed = 0;
  std::function<void(int)> lookup = [&](int i) {
    ResolveOptions options = Type(QueryKind::kIpv4);
    options.bypass_cache = true;
    options.complete_async = true;
    resolver->Resolve(absl::StrCat("n", i % 50, ".example.test"), options,
                      [&, i](const ResolveResult& r) {
                        MutexLock lock(&mu);
                        if (!r.ok()) ++failed;
                        if (absl::Now() < until) {
                          lookup(i + 1000);  // keep 1,000 in flight
                          return;
                        }
                        --in_flight;
                        cv.SignalAll();
                      });
  };
  for (int i = 0; i < 1000; ++i) {
    {
      MutexLock lock(&mu);
      ++in_flight;
    }
    lookup(i);
  }
  MutexLock lock(&mu);
  ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(60),
                                   [&] { return in_flight == 0; }));
  const ResolverCounters c = resolver->Snapshot().counters;
  const uint64_t attempts = c.doh_connections - before;
  std::printf(
      "killed server: %llu connection attempts in 2 s, %llu lookups "
      "failed, %llu refused by the back-off\n",
      static_cast<unsigned long long>(attempts),
      static_cast<unsigned long long>(failed),
      static_cast<unsigned long long>(c.doh_backoff_refusals));
  EXPECT_GE(failed, 1000u);
  EXPECT_LE(attempts, 25u) << "about 10 a second at most";
  EXPECT_GT(c.doh_backoff_refusals, 0u);
  EXPECT_EQ(c.native_queries, 0u);
}

// Issue #29's measurement, kept: with one DoH server that answers, mode 2
// sends nothing to the plaintext server, across URI changes (1,000 lookups
// in flight, the URI set again, written another way, at three points of
// the burst), bootstrap changes, names the server REFUSES, one-family
// misses of names TRR resolves, and .onion names.
TEST_F(ResolverTest, Mode2SendsNothingPlaintextWhileTheServerAnswers) {
  auto resolver = Make(2);
  ASSERT_TRUE(WaitForConfirmation(*resolver, "ok"));
  const std::string plain = doh_->DohUri("doh.test");
  const std::string templated = absl::StrCat(plain, "{?dns}");
  // URI changes with lookups in flight: before any answer, after 100 and
  // after 500 of 1,000.
  int round = 0;
  for (size_t change_after : {0, 100, 500}) {
    SCOPED_TRACE(absl::StrCat("URI set again after ", change_after));
    Mutex mu;
    CondVar cv;
    size_t done = 0, trr = 0;
    for (int i = 0; i < 1000; ++i) {
      ResolveOptions options = Type(QueryKind::kIpv4);
      options.complete_async = true;
      resolver->Resolve(absl::StrCat("r", round, "n", i, ".fault.example.test"),
                        options, [&](const ResolveResult& r) {
                          MutexLock lock(&mu);
                          ++done;
                          if (r.ok() && r.source == ResultSource::kTrr) ++trr;
                          cv.SignalAll();
                        });
    }
    {
      MutexLock lock(&mu);
      ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(30),
                                       [&] { return done >= change_after; }));
    }
    ASSERT_TRUE(resolver
                    ->SetPrefs({{"network.trr.uri",
                                 round % 2 == 0 ? templated : plain}})
                    .ok());
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(60),
                                     [&] { return done == 1000; }));
    EXPECT_EQ(trr, 1000u);
    ++round;
  }
  // Bootstrap changes: the same server over IPv6, then IPv4 again.
  for (const char* bootstrap : {"::1", "127.0.0.1"}) {
    SCOPED_TRACE(bootstrap);
    ASSERT_TRUE(
        resolver
            ->SetPrefs({{"network.trr.bootstrapAddr", std::string(bootstrap)}})
            .ok());
    const std::vector<ResolveResult> results =
        ResolveAll(*resolver, {"www.example.test", "multi.example.test"},
                   QueryKind::kIpv4);
    for (const ResolveResult& r : results) {
      EXPECT_EQ(r.source, ResultSource::kTrr) << r.status;
    }
  }
  // Names the server refuses fail without fallback, and take nothing out.
  ResolveOptions fresh = Type(QueryKind::kUnspecified);
  fresh.bypass_cache = true;
  for (int i = 0; i < 12; ++i) {
    const ResolveResult r = resolver->ResolveSync(
        absl::StrCat("n", i, ".refused.example.test"), fresh);
    EXPECT_EQ(r.trr_failure, TrrFailure::kRefused) << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
  }
  ResolveResult next = resolver->ResolveSync("www.example.test", fresh);
  EXPECT_EQ(next.source, ResultSource::kTrr)
      << SkipReasonName(next.skip_reason);
  // One family missing, the other there: no fallback.
  for (const char* name : {"v4only.example.test", "x.fault.example.test"}) {
    const ResolveResult r = resolver->ResolveSync(name, Type(QueryKind::kIpv6));
    EXPECT_EQ(r.status.code(), StatusCode::kNotFound) << name << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
  }
  // .onion: nobody asked.
  EXPECT_EQ(resolver->ResolveSync("hidden.onion").skip_reason,
            SkipReason::kDotOnion);
  SyncServers();
  EXPECT_EQ(native_->QueriesReceived(), 0);
  const ResolverSnapshot s = resolver->Snapshot();
  EXPECT_EQ(s.counters.native_queries, 0u);
  EXPECT_EQ(s.servers.at(0).state, "available");
}

}  // namespace
}  // namespace trr
