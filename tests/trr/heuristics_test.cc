// The network's heuristics and discovery, hermetic: the canary domain,
// split-horizon suffixes, /etc/hosts, DDR's designations and their
// verification, and what a network change checks. ctest label: hermetic.

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

// Mode 3 asks the network for names under its suffixes only when told to
// (Firefox's network.trr.exclude_dns_suffix_in_mode_trronly), as it does
// for excluded-domains; split_horizon_mitigations is on by default.
TEST(HeuristicsTest, Mode3LeavesTheSuffixesToTheNetworkOnlyWhenTold) {
  testing::TempDir dir;
  const std::string resolv_conf = dir.WriteFile(
      "resolv.conf", "nameserver 192.0.2.53\nsearch corp.example\n");
  for (const bool told : {false, true}) {
    SCOPED_TRACE(told ? "told" : "not told");
    Harness h;
    h.resolv_conf_path = resolv_conf;
    h.Start(3, Confirm::kSkipped,
            {{"network.trr.exclude_dns_suffix_in_mode_trronly", told}});
    ASSERT_NE(h.resolver, nullptr);
    const ResolveResult r =
        h.resolver->ResolveSync("printer.corp.example", Ipv4());
    EXPECT_EQ(r.source, told ? ResultSource::kNative : ResultSource::kTrr);
    EXPECT_EQ(r.skip_reason, told ? SkipReason::kDnsSuffix : SkipReason::kNone);
    EXPECT_EQ(h.script->native_lookups.load(), told ? 1 : 0);
    // Other names stay on TRR either way.
    EXPECT_EQ(h.resolver->ResolveSync("www.example.test", Ipv4()).source,
              ResultSource::kTrr);
  }
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

}  // namespace
}  // namespace trr
