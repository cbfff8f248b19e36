// Where mode 2 may send a name to the native (plaintext) resolver, on the
// hermetic harness (tests/trr/resolver_harness.h): across server-list and
// bootstrap changes, after answers that are the server's own (REFUSED,
// SERVFAIL, DNSSEC Bogus), for one-family lookups of names TRR resolves,
// with strict fallback, and for .onion and numeric hosts, which nobody is
// asked about. Each test failed before the fix it stands for (issue #29).
// ctest label: hermetic.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "tests/trr/resolve_all.h"
#include "tests/trr/resolver_harness.h"
#include "trr/resolver.h"

namespace trr {
namespace {

ResolveOptions Family(QueryKind kind) {
  ResolveOptions options;
  options.type = kind;
  options.bypass_cache = true;
  return options;
}

std::vector<std::string> Names(int count, const std::string& suffix) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.push_back(absl::StrCat("n", i, ".", suffix));
  }
  return names;
}

// The answer for `name`/`type` with an AAAA record (2001:db8::10).
DohResult AaaaAnswer(const std::string& name, uint16_t type) {
  MessageBuilder m(name, type);
  Bytes v6(16, 0);
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[2] = 0x0d;
  v6[3] = 0xb8;
  v6[15] = 0x10;
  m.Answer(Pointer(12), dns::kTypeAAAA, 60, v6);
  DohResult result;
  result.http_status = 200;
  result.body = m.Build();
  return result;
}

// Waits (round trips to the resolver, with a deadline) until `done`.
bool WaitFor(Resolver& resolver, const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (done()) return true;
    resolver.Snapshot();
  }
  return done();
}

// --- Server list changes ------------------------------------------------

// Lookups in flight when network.trr.uri changes go on on the new list, in
// every mode that uses TRR; in mode 2 none goes native, whether the new
// value names another server or the same one written another way, and
// whatever confirmation is doing.
TEST(ListChangeTest, LookupsInFlightAcrossAUriChangeStayOnTrr) {
  struct Case {
    int mode;
    std::string new_uri;
    Confirm confirm;
    bool wait_for_confirmation;
  };
  const std::vector<Case> cases = {
      {2, "https://doh.test/dns-query{?dns}", Confirm::kConfirmed, false},
      {2, "https://other.test/dns-query", Confirm::kConfirmed, false},
      {2, "https://other.test/dns-query", Confirm::kSkipped, false},
      {2, "https://other.test/dns-query", Confirm::kConfirmed, true},
      {3, "https://other.test/dns-query", Confirm::kSkipped, false},
      // Shadow: native answers, TRR's queries run on to be compared.
      {4, "https://other.test/dns-query", Confirm::kConfirmed, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("mode ", c.mode, " to ", c.new_uri,
                              c.wait_for_confirmation ? " waiting" : ""));
    Harness h;
    // Until the list changes, the server holds every lookup's query.
    std::atomic<bool> holding{true};
    std::atomic<int> held{0};
    h.script->hold = [&](const std::string&, const std::string& name) {
      const bool hold = holding && absl::EndsWith(name, ".burst.test");
      if (hold) ++held;
      return hold;
    };
    h.Start(c.mode, c.confirm,
            {{"network.trr.wait-for-confirmation", c.wait_for_confirmation}});
    ASSERT_NE(h.resolver, nullptr);
    if (c.confirm == Confirm::kConfirmed) {
      ASSERT_TRUE(h.WaitForConfirmation({"ok"}));
    }
    const std::vector<std::string> names = Names(200, "burst.test");
    Mutex mu;
    CondVar cv;
    std::vector<ResolveResult> results;
    for (const std::string& name : names) {
      ResolveOptions options = Ipv4();
      options.complete_async = true;
      h.resolver->Resolve(name, options, [&](const ResolveResult& r) {
        MutexLock lock(&mu);
        results.push_back(r);
        cv.SignalAll();
      });
    }
    ASSERT_TRUE(WaitFor(*h.resolver, [&] { return held.load() == 200; }));
    holding = false;
    ASSERT_TRUE(h.resolver->SetPrefs({{"network.trr.uri", c.new_uri}}).ok());
    EXPECT_TRUE(WaitFor(*h.resolver, [&] {
      return h.resolver->Snapshot().counters.trr_ok == 200;
    })) << "every TRR query answered on the new list";
    EXPECT_EQ(h.script->a_queries.load(), 400) << "each sent again once";
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(30),
                                     [&] { return results.size() == 200; }));
    if (c.mode != 4) {
      int trr = 0;
      for (const ResolveResult& r : results) {
        if (r.ok() && r.source == ResultSource::kTrr) ++trr;
      }
      EXPECT_EQ(trr, 200);
      EXPECT_EQ(h.script->native_lookups.load(), 0);
    }
  }
}

// A change that rebuilds the servers without changing the URI's text
// (network.trr.bootstrapAddr) starts their confirmation: mode 2 keeps
// using TRR, never left with servers in state "off" (not-confirmed).
TEST(ListChangeTest, ABootstrapChangeConfirmsTheNewServers) {
  Harness h;
  h.Start(2, Confirm::kConfirmed);
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(h.WaitForConfirmation({"ok"}));
  for (const char* bootstrap : {"192.0.2.53", "192.0.2.54,2001:db8::53"}) {
    SCOPED_TRACE(bootstrap);
    ASSERT_TRUE(
        h.resolver
            ->SetPrefs({{"network.trr.bootstrapAddr", std::string(bootstrap)}})
            .ok());
    EXPECT_NE(h.resolver->Snapshot().confirmation_state, "off");
    const ResolveResult r =
        h.resolver->ResolveSync("www.example.test", Family(QueryKind::kIpv4));
    EXPECT_EQ(r.source, ResultSource::kTrr) << SkipReasonName(r.skip_reason);
    ASSERT_TRUE(h.WaitForConfirmation({"ok"}));
    EXPECT_EQ(h.script->ConfigOf("doh.test").bootstrap.size(),
              std::string(bootstrap).find(',') == std::string::npos ? 1u : 2u);
  }
  EXPECT_EQ(h.script->native_lookups.load(), 0);
}

// What a pref's change does comes from one table (pref_rules.h): a pref
// read at each use clears nothing; a TRR pref clears the cache.
TEST(ListChangeTest, OnlyPrefsThatChangeAnswersClearTheCache) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(h.resolver->ResolveSync("www.example.test", Ipv4()).ok());
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.request_timeout_mode_trronly_ms",
                               int32_t{20000}}})
                  .ok());
  EXPECT_EQ(h.resolver->ResolveSync("www.example.test", Ipv4()).source,
            ResultSource::kCache);
  ASSERT_TRUE(h.resolver->SetPrefs({{"network.trr.allow-rfc1918", true}}).ok());
  EXPECT_EQ(h.resolver->ResolveSync("www.example.test", Ipv4()).source,
            ResultSource::kTrr);
  EXPECT_EQ(h.script->a_queries.load(), 2);
}

// --- Server health and confirmation ---------------------------------------

// A server that answers REFUSED (or SERVFAIL) for some names is answering:
// with one server or several, it stays available, the names themselves do
// not go native in mode 2, and the next name is answered by TRR.
TEST(ServerHealthTest, RcodeAnswersNeverTakeAServerOut) {
  for (bool two_servers : {false, true}) {
    SCOPED_TRACE(two_servers ? "two servers" : "one server");
    Harness h;
    h.script->answer_from = [](const std::string& server,
                               const std::string& name, uint16_t type) {
      if (server == "doh.test" && absl::StartsWith(name, "refused")) {
        return Respond(Server::kRefused, name, type);
      }
      if (server == "doh.test" && absl::StartsWith(name, "servfail")) {
        return Respond(Server::kServFail, name, type);
      }
      return Respond(Server::kAnswer, name, type);
    };
    std::vector<std::pair<std::string, prefs::PrefValue>> prefs = {
        {"network.trr.server_max_failures", int32_t{2}}};
    if (two_servers) {
      prefs.push_back(
          {"network.trr.uri", std::string("https://doh.test/dns-query "
                                          "https://second.test/dns-query")});
    }
    h.Start(2, Confirm::kConfirmed, prefs);
    ASSERT_NE(h.resolver, nullptr);
    ASSERT_TRUE(h.WaitForConfirmation({"ok"}));
    for (int i = 0; i < 10; ++i) {
      const ResolveResult r = h.resolver->ResolveSync(
          absl::StrCat(i % 2 ? "refused" : "servfail", i, ".example.test"),
          Family(QueryKind::kUnspecified));
      if (two_servers) {
        // Refused by the first, answered by the second.
        EXPECT_EQ(r.source, ResultSource::kTrr) << r.status;
        EXPECT_TRUE(r.ok()) << r.status;
      } else {
        EXPECT_EQ(r.source, ResultSource::kTrr) << r.status;
        EXPECT_EQ(r.trr_failure,
                  i % 2 ? TrrFailure::kRefused : TrrFailure::kServFail);
        EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
      }
    }
    const ResolveResult next =
        h.resolver->ResolveSync("www.example.test", Family(QueryKind::kIpv4));
    EXPECT_EQ(next.source, ResultSource::kTrr)
        << SkipReasonName(next.skip_reason);
    EXPECT_EQ(next.addresses.at(0).ToString(), "192.0.2.10");
    const ResolverSnapshot s = h.resolver->Snapshot();
    EXPECT_EQ(s.servers.at(0).state, "available");
    EXPECT_EQ(s.servers.at(0).failures, 0u);
    EXPECT_EQ(s.servers.at(0).confirmation, "ok");
    EXPECT_EQ(h.script->native_lookups.load(), 0);
  }
}

// One lookup counts once against a server, whether one of its queries
// failed or both (A and AAAA).
TEST(ServerHealthTest, OneLookupCountsOnce) {
  Harness h;
  h.script->answer_from = [](const std::string& server, const std::string& name,
                             uint16_t type) {
    if (server == "doh.test") return Respond(Server::kHttpStatus, name, type);
    return Respond(Server::kAnswer, name, type);
  };
  h.Start(3, Confirm::kSkipped,
          {{"network.trr.uri", std::string("https://doh.test/dns-query "
                                           "https://second.test/dns-query")},
           {"network.trr.server_max_failures", int32_t{2}},
           {"network.trr.server_probe_initial_ms", int32_t{600000}}});
  ASSERT_NE(h.resolver, nullptr);
  const ResolveResult r = h.resolver->ResolveSync(
      "a.example.test", Family(QueryKind::kUnspecified));
  ASSERT_TRUE(r.ok()) << r.status;
  ResolverSnapshot s = h.resolver->Snapshot();
  EXPECT_EQ(s.servers.at(0).failures_in_row, 1);
  EXPECT_EQ(s.servers.at(0).state, "available");
  h.resolver->ResolveSync("b.example.test", Family(QueryKind::kUnspecified));
  s = h.resolver->Snapshot();
  EXPECT_EQ(s.servers.at(0).failures_in_row, 2);
  EXPECT_EQ(s.servers.at(0).state, "unavailable");
}

// With one server, Firefox's confirmation decides, never server health:
// with retry_on_recoverable_errors off, max-fails lookups in a row whose
// exchange failed send a confirmed server back to confirming (trying-ok,
// still used); with it on, each failed lookup confirms it again.
TEST(ServerHealthTest, WithOneServerMaxFailsReconfirmsAndTrrStaysInUse) {
  for (bool retry : {false, true}) {
    SCOPED_TRACE(retry ? "retry_on_recoverable_errors" : "max-fails");
    Harness h;
    std::atomic<bool> failing{false};
    std::atomic<int> ns_queries{0};
    h.script->answer = [&](const std::string& name, uint16_t type) {
      if (type == dns::kTypeNS) {
        ++ns_queries;
        return Respond(Server::kNoData, name, type);
      }
      return Respond(failing ? Server::kHttpStatus : Server::kAnswer, name,
                     type);
    };
    h.Start(2, Confirm::kConfirmed,
            {{"network.trr.max-fails", int32_t{3}},
             {"network.trr.server_max_failures", int32_t{1}},
             {"network.trr.retry_on_recoverable_errors", retry}});
    ASSERT_NE(h.resolver, nullptr);
    ASSERT_TRUE(h.WaitForConfirmation({"ok"}));
    const int confirmations = ns_queries.load();
    failing = true;
    for (int i = 0; i < 3; ++i) {
      const ResolveResult r = h.resolver->ResolveSync(
          absl::StrCat("f", i, ".example.test"), Family(QueryKind::kIpv4));
      EXPECT_EQ(r.skip_reason, SkipReason::kNone) << "TRR stays in use";
      EXPECT_EQ(r.native_reason, NativeReason::kTrrFailed);
      if (!retry && i < 2) {
        EXPECT_EQ(ns_queries.load(), confirmations) << "counting, " << i;
      }
      ASSERT_TRUE(h.WaitForConfirmation({"ok"}));
    }
    // Without retry: once, at the third. With it: once per failed lookup.
    EXPECT_EQ(ns_queries.load() - confirmations, retry ? 3 : 1);
    EXPECT_EQ(h.resolver->Snapshot().servers.at(0).state, "available");
  }
}

// --- Strict fallback ---------------------------------------------------

// With network.trr.strict_native_fallback, mode 2 goes native only after
// NXDOMAIN, no records, an unusable answer (private addresses), or a
// timeout when strict_native_fallback_allow_timeouts is on: a garbled
// answer, an HTTP error or a TLS failure fail the lookup instead.
TEST(StrictFallbackTest,
     OnlyNegativeAndUnusableAnswersAndAllowedTimeoutsFallBack) {
  struct Case {
    Server server;
    bool allow_timeouts;
    bool native;
  };
  const Case cases[] = {
      {Server::kNxDomain, true, true},
      {Server::kNoData, true, true},
      {Server::kPrivateAddress, true, true},
      {Server::kTimeout, true, true},
      {Server::kTimeout, false, false},
      {Server::kBadAnswer, true, false},
      {Server::kHttpStatus, true, false},
      {Server::kContentType, true, false},
      {Server::kTls, true, false},
      {Server::kConnect, true, false},
      {Server::kServFail, true, false},
      {Server::kRefused, true, false},
      {Server::kDnssecBogus, true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(fake::ServerName(c.server),
                              c.allow_timeouts ? "" : " no timeouts"));
    Harness h;
    h.script->answer = [&](const std::string& name, uint16_t type) {
      if (type == dns::kTypeNS) return Respond(Server::kNoData, name, type);
      return Respond(c.server, name, type);
    };
    h.Start(2, Confirm::kSkipped,
            {{"network.trr.strict_native_fallback", true},
             {"network.trr.strict_native_fallback_allow_timeouts",
              c.allow_timeouts}});
    ASSERT_NE(h.resolver, nullptr);
    const ResolveResult r = h.resolver->ResolveSync(
        "www.example.test", Family(QueryKind::kUnspecified));
    EXPECT_EQ(r.trr_failure, FailureOf(c.server));
    EXPECT_EQ(h.script->native_lookups.load() > 0, c.native);
    EXPECT_EQ(r.source, c.native ? ResultSource::kNative : ResultSource::kTrr);
    if (!c.native) {
      EXPECT_FALSE(r.ok());
    }
  }
}

// Strict fallback keeps blocklisted and single-label names on TRR (Firefox
// skips its temporary blocklist, which holds both, in strict mode).
TEST(StrictFallbackTest, BlocklistedAndSingleLabelNamesStayOnTrr) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "lenient");
    Harness h;
    h.Start(2, Confirm::kSkipped,
            {{"network.trr.strict_native_fallback", strict}});
    ASSERT_NE(h.resolver, nullptr);
    h.resolver->ReportConnectFailure("shop.example.test");
    const ResolveResult blocked =
        h.resolver->ResolveSync("shop.example.test", Ipv4());
    const ResolveResult single = h.resolver->ResolveSync("intranet", Ipv4());
    const ResultSource expected =
        strict ? ResultSource::kTrr : ResultSource::kNative;
    EXPECT_EQ(blocked.source, expected);
    EXPECT_EQ(single.source, expected);
    EXPECT_EQ(h.script->native_lookups.load(), strict ? 0 : 2);
  }
}

// --- DNSSEC -------------------------------------------------------------

TEST(DnssecTest, ABogusAnswerIsAHardFailureInEveryMode) {
  for (int mode : {2, 3}) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    Harness h;
    h.script->answer = [](const std::string& name, uint16_t type) {
      return Respond(Server::kDnssecBogus, name, type);
    };
    h.Start(mode, Confirm::kSkipped);
    ASSERT_NE(h.resolver, nullptr);
    const ResolveResult r = h.resolver->ResolveSync(
        "dnssec-failed.example.test", Family(QueryKind::kUnspecified));
    EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
    EXPECT_EQ(r.trr_failure, TrrFailure::kDnssecBogus);
    EXPECT_STREQ(TrrFailureName(r.trr_failure), "dnssec-bogus");
    EXPECT_TRUE(absl::StrContains(r.status.message(), "Extended DNS Error 6"))
        << r.status;
    EXPECT_EQ(h.script->native_lookups.load(), 0);
  }
}

// --- One family --------------------------------------------------------

// Firefox's af-fallback rule: a lookup of one family that TRR cannot
// answer asks TRR for the other family first; when the name has addresses
// there, TRR resolves it, and the lookup fails without going native.
TEST(OneFamilyTest, AMissOfANameTrrResolvesNeverGoesNative) {
  struct Case {
    QueryKind asked;
    Server asked_family;  // what the server says for the asked family
    bool other_has_addresses;
    bool native;
  };
  const Case cases[] = {
      {QueryKind::kIpv6, Server::kNoData, true, false},
      {QueryKind::kIpv6, Server::kHttpStatus, true, false},
      {QueryKind::kIpv6, Server::kTimeout, true, false},
      {QueryKind::kIpv4, Server::kNoData, true, false},
      {QueryKind::kIpv4, Server::kPrivateAddress, true, false},
      // The name has nothing else over TRR: the usual rules.
      {QueryKind::kIpv6, Server::kNoData, false, true},
      {QueryKind::kIpv6, Server::kNxDomain, false, true},
      {QueryKind::kIpv4, Server::kHttpStatus, false, true},
  };
  for (const Case& c : cases) {
    const bool v6 = c.asked == QueryKind::kIpv6;
    SCOPED_TRACE(absl::StrCat(v6 ? "AAAA " : "A ",
                              fake::ServerName(c.asked_family),
                              c.other_has_addresses ? ", other family has "
                                                      "addresses"
                                                    : ""));
    Harness h;
    const uint16_t asked_type = v6 ? dns::kTypeAAAA : dns::kTypeA;
    h.script->answer = [&](const std::string& name, uint16_t type) {
      if (type == asked_type) return Respond(c.asked_family, name, type);
      if (type == dns::kTypeNS) return Respond(Server::kNoData, name, type);
      if (!c.other_has_addresses) return Respond(Server::kNoData, name, type);
      return type == dns::kTypeA ? Respond(Server::kAnswer, name, type)
                                 : AaaaAnswer(name, type);
    };
    h.Start(2, Confirm::kSkipped);
    ASSERT_NE(h.resolver, nullptr);
    const ResolveResult r =
        h.resolver->ResolveSync("dual.example.test", Family(c.asked));
    EXPECT_EQ(h.script->native_lookups.load() > 0, c.native) << r.status;
    EXPECT_EQ(h.script->a_queries.load(), 1);
    EXPECT_EQ(h.script->aaaa_queries.load(), 1);
    if (!c.native) {
      EXPECT_FALSE(r.ok());
      EXPECT_EQ(r.source, ResultSource::kTrr);
      EXPECT_EQ(r.native_reason, NativeReason::kNone);
      EXPECT_TRUE(absl::StrContains(r.status.message(), "not asked elsewhere"))
          << r.status;
      EXPECT_TRUE(r.addresses.empty());
    }
  }
}

// After a lookup of both families cached only IPv4 addresses, an IPv6
// lookup of the name does not go native either.
TEST(OneFamilyTest, AnIpv6LookupAfterBothFamiliesStaysOnTrr) {
  Harness h;
  h.Start(2, Confirm::kSkipped);  // A answered, AAAA NODATA
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(h.resolver->ResolveSync("v4only.example.test").ok());
  ResolveOptions v6;
  v6.type = QueryKind::kIpv6;
  const ResolveResult r = h.resolver->ResolveSync("v4only.example.test", v6);
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound) << r.status;
  EXPECT_EQ(h.script->native_lookups.load(), 0);
}

// With IPv6 disabled there is no AAAA to ask: an A lookup TRR cannot
// answer goes native as usual.
TEST(OneFamilyTest, WithIpv6DisabledAnIpv4MissGoesNative) {
  Harness h;
  h.script->answer = [](const std::string& name, uint16_t type) {
    return Respond(Server::kNoData, name, type);
  };
  h.Start(2, Confirm::kSkipped, {{"network.dns.disableIPv6", true}});
  ASSERT_NE(h.resolver, nullptr);
  const ResolveResult r =
      h.resolver->ResolveSync("inside.example.test", Family(QueryKind::kIpv4));
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_EQ(r.native_reason, NativeReason::kNegativeAnswer);
  EXPECT_EQ(h.script->aaaa_queries.load(), 0);
}

// --- TTLs and the blocklist --------------------------------------------

// A answered with TTL 55 and AAAA NODATA without an SOA: the answer lives
// 55 s, not 0 (born stale, asked again on every lookup).
TEST(TtlTest, AFamilyWithoutRecordsDoesNotCutTheTtl) {
  Harness h;
  h.script->answer = [](const std::string& name, uint16_t type) {
    MessageBuilder m(name, type);
    if (type == dns::kTypeA) {
      m.Answer(Pointer(12), dns::kTypeA, 55, A(192, 0, 2, 55));
    }
    DohResult result;
    result.http_status = 200;
    result.body = m.Build();
    return result;
  };
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const ResolveResult r = h.resolver->ResolveSync("ttl.example.test");
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.ttl, std::chrono::seconds(55));
  const ResolveResult again = h.resolver->ResolveSync("ttl.example.test");
  EXPECT_EQ(again.source, ResultSource::kCache);
  EXPECT_EQ(h.script->a_queries.load(), 1);
}

// network.trr.temp_blocklist_duration_sec is read when the list is: set
// to 0, a blocklisted name goes to TRR again at once.
TEST(BlocklistTest, ADurationChangeAppliesToEntriesAlreadyThere) {
  Harness h;
  h.Start(2, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  h.resolver->ReportConnectFailure("shop.example.test");
  ResolveResult r = h.resolver->ResolveSync("shop.example.test", Ipv4());
  EXPECT_EQ(r.skip_reason, SkipReason::kBlocklisted);
  ASSERT_TRUE(
      h.resolver
          ->SetPrefs({{"network.trr.temp_blocklist_duration_sec", int32_t{0}}})
          .ok());
  EXPECT_TRUE(h.resolver->Snapshot().blocklist.empty());
  r = h.resolver->ResolveSync("shop.example.test", Family(QueryKind::kIpv4));
  EXPECT_EQ(r.source, ResultSource::kTrr) << SkipReasonName(r.skip_reason);
}

// --- Names nobody is asked about ----------------------------------------

TEST(NamesNobodyIsAskedTest, OnionNamesFailAtOnceInEveryMode) {
  for (int mode = 0; mode <= 5; ++mode) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    Harness h;
    h.Start(mode, Confirm::kSkipped);
    ASSERT_NE(h.resolver, nullptr);
    for (const char* name :
         {"duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",
          "www.example.ONION.", "onion"}) {
      SCOPED_TRACE(name);
      auto started = h.resolver->Resolve(name, ResolveOptions(), nullptr);
      ASSERT_TRUE(started.answered());
      const ResolveResult& r = *started.result;
      EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
      EXPECT_EQ(r.skip_reason, SkipReason::kDotOnion);
      EXPECT_TRUE(absl::StrContains(r.status.message(), "RFC 7686"));
    }
    h.resolver->Snapshot();  // a round trip: anything sent has been counted
    EXPECT_EQ(h.script->a_queries.load(), 0);
    EXPECT_EQ(h.script->native_lookups.load(), 0);
  }
  // network.dns.blockDotOnion off: an ordinary name again.
  Harness h;
  h.Start(3, Confirm::kSkipped, {{"network.dns.blockDotOnion", false}});
  ASSERT_NE(h.resolver, nullptr);
  EXPECT_EQ(h.resolver->ResolveSync("hidden.onion").source, ResultSource::kTrr);
}

TEST(NamesNobodyIsAskedTest, NumericHostsAreAddressesOrInvalid) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const std::pair<const char*, const char*> addresses[] = {
      {"127.1", "127.0.0.1"},        {"0x7f.1", "127.0.0.1"},
      {"0177.0.0.1", "127.0.0.1"},   {"2130706433", "127.0.0.1"},
      {"192.0.2.55.", "192.0.2.55"}, {"[::1]", "::1"},
  };
  for (const auto& [host, address] : addresses) {
    SCOPED_TRACE(host);
    const ResolveResult r = h.resolver->ResolveSync(host);
    ASSERT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.skip_reason, SkipReason::kIpLiteral);
    ASSERT_EQ(r.addresses.size(), 1u);
    EXPECT_EQ(r.addresses[0].ToString(), address);
  }
  for (const char* host : {"256.1.1.1", "1.2.3.4.5", "example.123"}) {
    SCOPED_TRACE(host);
    const ResolveResult r = h.resolver->ResolveSync(host);
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(r.status.message(), "IPv4")) << r.status;
  }
  const ResolveResult zone = h.resolver->ResolveSync("fe80::1%eth0");
  EXPECT_EQ(zone.status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(zone.status.message(), "zone identifier"))
      << zone.status;
  h.resolver->Snapshot();
  EXPECT_EQ(h.script->a_queries.load(), 0);
}

// --- What the dump says --------------------------------------------------

TEST(NativeReasonTest, ResultsAndTheDumpSayWhichRuleLetANameGoNative) {
  Harness h;
  h.script->answer = [](const std::string& name, uint16_t type) {
    if (absl::StartsWith(name, "nx")) {
      return Respond(Server::kNxDomain, name, type);
    }
    return Respond(Server::kAnswer, name, type);
  };
  h.Start(2, Confirm::kSkipped,
          {{"network.trr.excluded-domains", std::string("corp.test")}});
  ASSERT_NE(h.resolver, nullptr);
  const ResolveResult nx = h.resolver->ResolveSync("nx.example.test");
  EXPECT_EQ(nx.native_reason, NativeReason::kNegativeAnswer);
  const ResolveResult excluded = h.resolver->ResolveSync("wiki.corp.test");
  EXPECT_EQ(excluded.native_reason, NativeReason::kTrrSkipped);
  EXPECT_EQ(excluded.skip_reason, SkipReason::kExcluded);
  const ResolveResult trr = h.resolver->ResolveSync("www.example.test");
  EXPECT_EQ(trr.native_reason, NativeReason::kNone);
  const ResolverSnapshot s = h.resolver->Snapshot();
  EXPECT_EQ(
      s.counters
          .native_by_reason[static_cast<size_t>(NativeReason::kNegativeAnswer)],
      1u);
  EXPECT_EQ(
      s.counters
          .native_by_reason[static_cast<size_t>(NativeReason::kTrrSkipped)],
      1u);
  EXPECT_TRUE(absl::StrContains(api::DumpText(s), "native_negative_answer"));
  EXPECT_TRUE(absl::StrContains(api::DumpJson(s), "\"native_trr_skipped\":1"));
}

// --- Bounds ---------------------------------------------------------------

// Past network.dns.max_pending_lookups outstanding lookups, Resolve()
// refuses at once with RESOURCE_EXHAUSTED (counted in the dump); the
// lookups already out finish, and new ones are taken again after.
TEST(BoundsTest, LookupsPastTheBoundAreRefusedAtOnce) {
  Harness h;
  std::atomic<bool> holding{true};
  h.script->hold = [&](const std::string& server, const std::string&) {
    return holding && server == "doh.test";
  };
  h.Start(3, Confirm::kSkipped,
          {{"network.dns.max_pending_lookups", int32_t{100}}});
  ASSERT_NE(h.resolver, nullptr);
  Mutex mu;
  CondVar cv;
  int answered = 0;  // under mu
  int refused = 0;
  for (int i = 0; i < 150; ++i) {
    ResolveOptions options = Ipv4();
    auto started = h.resolver->Resolve(absl::StrCat("n", i, ".bound.test"),
                                       options, [&](const ResolveResult& r) {
                                         MutexLock lock(&mu);
                                         if (r.ok()) ++answered;
                                         cv.SignalAll();
                                       });
    if (started.answered()) {
      EXPECT_EQ(started.result->status.code(), StatusCode::kResourceExhausted);
      EXPECT_TRUE(absl::StrContains(started.result->status.message(),
                                    "network.dns.max_pending_lookups"));
      ++refused;
    }
  }
  EXPECT_EQ(refused, 50);
  EXPECT_EQ(h.resolver->Snapshot().counters.lookups_refused, 50u);
  // The held lookups move to another server and are answered.
  holding = false;
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.uri",
                               std::string("https://other.test/dns-query")}})
                  .ok());
  {
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                     [&] { return answered == 100; }));
  }
  // Room again.
  const std::vector<ResolveResult> again =
      ResolveAll(*h.resolver, Names(100, "again.test"), QueryKind::kIpv4);
  for (const ResolveResult& r : again) EXPECT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(h.resolver->Snapshot().counters.lookups_refused, 50u);
}

}  // namespace
}  // namespace trr
