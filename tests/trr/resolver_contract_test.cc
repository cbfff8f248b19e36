// What the Resolver promises an embedder, hermetic: re-entrancy (callbacks
// and observers may set prefs, or destroy the resolver), names and literals,
// values refused when set, the cache's one-family answers, answers known at
// once, every waiter's result, and HTTPS answers. ctest label: hermetic.

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
      {"doh-rollout.uri", "http://x", "must start with https://"},
      // A line break in a header value would add headers of its own.
      {"network.trr.credentials", "Bearer x\r\nX-Evil: 1", "line breaks"},
      {"general.useragent.override", "Agent\nX-Evil: 1", "line breaks"},
      {"intl.accept_languages", "en\r\n", "line breaks"},
      {"general.useragent.override", "Agent\x7f", "0x7f"},
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

// Firefox's rollout layer sits under the user's choice: doh-rollout.mode
// counts only while network.trr.mode is 0, doh-rollout.uri only while
// network.trr.uri is empty.
TEST(ValidationTest, TheRolloutPrefsCountOnlyUnderTheUsersChoice) {
  Harness h;
  h.Start(0, Confirm::kSkipped, {{"network.trr.uri", std::string("")}});
  ASSERT_NE(h.resolver, nullptr);
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"doh-rollout.mode", int32_t{3}},
                              {"doh-rollout.uri",
                               std::string("https://rollout.test/dns-query")}})
                  .ok());
  ResolverSnapshot s = h.resolver->Snapshot();
  EXPECT_EQ(s.mode, 3);
  ASSERT_EQ(s.servers.size(), 1u);
  EXPECT_EQ(s.servers[0].uri, "https://rollout.test/dns-query");
  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.mode", int32_t{2}},
                              {"network.trr.uri",
                               std::string("https://user.test/dns-query")}})
                  .ok());
  s = h.resolver->Snapshot();
  EXPECT_EQ(s.mode, 2);
  ASSERT_EQ(s.servers.size(), 1u);
  EXPECT_EQ(s.servers[0].uri, "https://user.test/dns-query");
  // Mode 5 is a choice too: the rollout does not override it.
  ASSERT_TRUE(h.resolver->SetPrefs({{"network.trr.mode", int32_t{5}}}).ok());
  EXPECT_EQ(h.resolver->Snapshot().mode, 5);
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

}  // namespace
}  // namespace trr
