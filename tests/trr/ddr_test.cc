// Discovery of Designated Resolvers (RFC 9462) against real peers: a
// plain-DNS unbound plays the network's resolver (zone 203.0.113.0/24) and
// answers _dns.resolver.arpa SVCB with the designations each test gives
// it; two unbound DoH servers are designated, one whose certificate covers
// 127.0.0.1 (the resolver's address; zone 198.51.100.0/24) and one whose
// certificate names only doh.test (zone 192.0.2.0/24). A garbage-answering
// resolver is a UdpResponder of the test's own. Loopback only.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/udp_responder.h"
#include "tests/peers/unbound_server.h"
#include "trr/resolver.h"

namespace trr {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// An SVCB record for _dns.resolver.arpa, as unbound's local-data takes it
// (unbound 1.17 knows dohpath only as key7).
std::string Designation(const std::string& rdata) {
  return absl::StrCat("local-data: \"_dns.resolver.arpa. 300 IN SVCB ", rdata,
                      "\"");
}

std::string DohDesignation(int priority, uint16_t port) {
  return Designation(absl::StrCat(priority, " doh.test. alpn=h2 port=", port,
                                  " ipv4hint=127.0.0.1 key7=/dns-query{?dns}"));
}

class DdrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    testing::UnboundConfig covered;
    covered.zone = testing::DefaultTestZone("198.51.100");
    auto a = testing::UnboundServer::Start(covered);
    ASSERT_TRUE(a.ok()) << a.status();
    covered_ = std::move(*a);
    testing::UnboundConfig uncovered;
    uncovered.zone = testing::DefaultTestZone("192.0.2");
    uncovered.cert_ips = false;
    auto b = testing::UnboundServer::Start(uncovered);
    ASSERT_TRUE(b.ok()) << b.status();
    uncovered_ = std::move(*b);
    ca_file_ = testing::WriteCaBundle(
        dir_, "both.pem", {covered_->ca_file(), uncovered_->ca_file()});
  }

  // The network's resolver, designating as `designations` say.
  void StartNetwork(const std::vector<std::string>& designations) {
    testing::UnboundConfig network;
    network.zone = testing::DefaultTestZone("203.0.113");
    network.doh = false;
    network.server_lines = {"local-zone: \"resolver.arpa.\" static"};
    network.server_lines.insert(network.server_lines.end(),
                                designations.begin(), designations.end());
    auto n = testing::UnboundServer::Start(network);
    ASSERT_TRUE(n.ok()) << n.status();
    network_ = std::move(*n);
    nameserver_ = absl::StrCat("127.0.0.1:", network_->dns_port());
  }

  // `observer`, when given, hears server events from before discovery
  // starts.
  std::unique_ptr<Resolver> Make(
      int mode, const std::string& uri,
      std::vector<std::pair<std::string, prefs::PrefValue>> extra = {},
      std::function<void(const ServerEvent&)> observer = nullptr) {
    auto resolver = Resolver::Create();
    EXPECT_TRUE(resolver.ok());
    if (observer) (*resolver)->AddServerObserver(std::move(observer));
    std::vector<std::pair<std::string, prefs::PrefValue>> prefs = {
        {"network.trr.mode", int32_t{mode}},
        {"network.trr.uri", uri},
        // An empty uri means no configured server, not the default one.
        {"network.trr.default_provider_uri", std::string()},
        {"network.trr.ca_file", ca_file_},
        {"network.trr.confirmationNS", std::string("example.test")},
        {"network.trr.ddr.enabled", true},
        {"network.dns.native_nameserver", nameserver_},
    };
    prefs.insert(prefs.end(), extra.begin(), extra.end());
    const Status set = (*resolver)->SetPrefs(prefs);
    EXPECT_TRUE(set.ok()) << set;
    return std::move(*resolver);
  }

  // Waits, with a deadline, until discovery has finished and no
  // designation is still being verified.
  static DdrInfo WaitForDiscovery(Resolver& resolver) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    DdrInfo ddr;
    while (absl::Now() < deadline) {
      ddr = resolver.Snapshot().ddr;
      const bool settled =
          ddr.state != "querying" &&
          std::none_of(ddr.designations.begin(), ddr.designations.end(),
                       [](const DdrDesignationInfo& d) {
                         return d.state == "verifying";
                       });
      if (settled) return ddr;
    }
    ADD_FAILURE() << "discovery did not finish: " << ddr.state;
    return ddr;
  }

  int DdrQueries() {
    EXPECT_TRUE(network_->Sync().ok());
    return network_->QueriesReceived("_dns.resolver.arpa");
  }

  static ResolveOptions Fresh() {
    ResolveOptions options;
    options.type = QueryKind::kIpv4;
    options.bypass_cache = true;
    return options;
  }

  testing::TempDir dir_;
  std::string ca_file_;
  std::string nameserver_;
  std::unique_ptr<testing::UnboundServer> covered_, uncovered_, network_;
};

TEST_F(DdrTest, AVerifiedDesignationJoinsTheListAfterTheConfiguredServer) {
  StartNetwork({DohDesignation(1, covered_->doh_port())});
  // The configured server is the one whose certificate lacks the address:
  // a configured server is trusted by its name alone.
  const std::string configured = uncovered_->DohUri("doh.test");
  std::vector<ServerEvent> events;
  Mutex mu;
  auto resolver = Make(2, testing::JsonServerList({configured}), {},
                       [&](const ServerEvent& e) {
                         MutexLock lock(&mu);
                         events.push_back(e);
                       });
  const DdrInfo ddr = WaitForDiscovery(*resolver);
  EXPECT_EQ(ddr.state, "done");
  EXPECT_EQ(ddr.resolver, nameserver_);
  const std::string discovered = covered_->DohUri("doh.test") + "{?dns}";
  ASSERT_EQ(ddr.designations.size(), 1u);
  EXPECT_EQ(ddr.designations[0].uri, discovered);
  EXPECT_EQ(ddr.designations[0].state, "verified");

  const ResolverSnapshot s = resolver->Snapshot();
  ASSERT_EQ(s.servers.size(), 2u);
  EXPECT_EQ(s.servers[0].uri, configured);
  EXPECT_FALSE(s.servers[0].discovered);
  EXPECT_EQ(s.servers[1].uri, discovered);
  EXPECT_TRUE(s.servers[1].discovered);
  EXPECT_EQ(s.servers[1].bootstrap, std::vector<std::string>{"127.0.0.1"});
  {
    MutexLock lock(&mu);
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [&](const auto& e) {
      return e.uri == discovered && e.state == "available";
    })) << "observers hear that the discovered server is available";
  }

  // The configured server first...
  ResolveResult r = resolver->ResolveSync("www.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kTrr);
  EXPECT_THAT(r.addresses.at(0).ToString(), StartsWith("192.0.2."));
  // ...and without it, the discovered one, with no native query.
  uncovered_->Kill();
  const int native_before = network_->QueriesReceived("www.example.test");
  for (int i = 0; i < 3; ++i) {
    r = resolver->ResolveSync("www.example.test", Fresh());
    ASSERT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
    EXPECT_THAT(r.addresses.at(0).ToString(), StartsWith("198.51.100."));
  }
  ASSERT_TRUE(network_->Sync().ok());
  EXPECT_EQ(network_->QueriesReceived("www.example.test"), native_before);
  const std::string text = api::DumpText(resolver->Snapshot());
  EXPECT_THAT(text, HasSubstr("discovered (DDR)"));
  EXPECT_THAT(text, HasSubstr("verified"));
}

TEST_F(DdrTest, ADesignationWhoseCertificateLacksTheResolversAddressIsNotUsed) {
  StartNetwork({DohDesignation(1, uncovered_->doh_port())});
  auto resolver = Make(2, "");
  const DdrInfo ddr = WaitForDiscovery(*resolver);
  ASSERT_EQ(ddr.designations.size(), 1u);
  EXPECT_EQ(ddr.designations[0].state, "unverified");
  EXPECT_THAT(ddr.designations[0].reason,
              HasSubstr("does not cover 127.0.0.1"));
  EXPECT_TRUE(resolver->Snapshot().servers.empty());
  // Mode 2 with no server: native.
  const ResolveResult r = resolver->ResolveSync("www.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_THAT(r.addresses.at(0).ToString(), StartsWith("203.0.113."));
  const std::string json = api::DumpJson(resolver->Snapshot());
  EXPECT_THAT(json, HasSubstr("\"state\":\"unverified\""));
  EXPECT_THAT(json, HasSubstr("does not cover 127.0.0.1"));
}

TEST_F(DdrTest, DesignationsThatAreNotDohOrLoopAreIgnoredWithTheirReason) {
  const std::string port = absl::StrCat(covered_->doh_port());
  StartNetwork({
      // The owner name itself: _dns.resolver.arpa designating itself.
      Designation("1 . alpn=h2 key7=/dns-query{?dns}"),
      Designation("2 sub.resolver.arpa. alpn=h2 key7=/dns-query{?dns}"),
      // DNS over TLS only.
      Designation(absl::StrCat("3 doh.test. alpn=dot port=", port)),
      // h2 without a dohpath.
      Designation(absl::StrCat("4 doh.test. alpn=h2 port=", port)),
      Designation("0 doh.test."),
  });
  auto resolver = Make(2, "");
  const DdrInfo ddr = WaitForDiscovery(*resolver);
  EXPECT_EQ(ddr.state, "done");
  ASSERT_EQ(ddr.designations.size(), 5u);
  for (const DdrDesignationInfo& d : ddr.designations) {
    EXPECT_EQ(d.state, "ignored") << d.uri;
  }
  EXPECT_THAT(ddr.designations[0].reason, HasSubstr("loop"));
  EXPECT_THAT(ddr.designations[1].reason, HasSubstr("loop"));
  EXPECT_THAT(ddr.designations[2].reason, HasSubstr("alpn dot"));
  EXPECT_THAT(ddr.designations[3].reason, HasSubstr("no dohpath"));
  EXPECT_THAT(ddr.designations[4].reason, HasSubstr("AliasMode"));
  EXPECT_TRUE(resolver->Snapshot().servers.empty());
}

TEST_F(DdrTest, ANetworkChangeDiscoversAgainAndMode3NeverAsks) {
  StartNetwork({DohDesignation(1, covered_->doh_port())});
  auto resolver = Make(2, "");
  ASSERT_EQ(WaitForDiscovery(*resolver).designations.at(0).state, "verified");
  EXPECT_EQ(DdrQueries(), 1);
  resolver->OnNetworkChanged();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (DdrQueries() < 2 && absl::Now() < deadline) {
  }
  EXPECT_EQ(DdrQueries(), 2);
  EXPECT_EQ(WaitForDiscovery(*resolver).designations.at(0).state, "verified");
  ASSERT_EQ(resolver->Snapshot().servers.size(), 1u);

  // Mode 3 sends no plaintext DNS: no discovery, and no discovered server.
  ASSERT_TRUE(resolver->SetPrefs({{"network.trr.mode", int32_t{3}}}).ok());
  resolver->OnNetworkChanged();
  const ResolverSnapshot s = resolver->Snapshot();
  EXPECT_EQ(s.ddr.state, "off");
  EXPECT_THAT(s.ddr.detail, HasSubstr("mode 3"));
  EXPECT_TRUE(s.servers.empty());
  EXPECT_EQ(DdrQueries(), 2);
}

TEST_F(DdrTest, AResolverAnsweringGarbageDesignatesNothing) {
  // Each answer: the query's ID, then a header claiming a question that
  // is not there.
  testing::UdpResponder garbage([](absl::Span<const uint8_t> query) {
    return std::vector<uint8_t>{query[0], query[1], 0x81, 0x80, 0, 1, 0,
                                1,        0,        0,    0,    0, 7, 'x'};
  });
  nameserver_ = absl::StrCat("127.0.0.1:", garbage.port());
  auto resolver = Make(2, "");
  const DdrInfo ddr = WaitForDiscovery(*resolver);
  EXPECT_EQ(ddr.state, "failed");
  EXPECT_THAT(ddr.detail, HasSubstr("ignoring an answer"));
  EXPECT_TRUE(ddr.designations.empty());
  EXPECT_TRUE(resolver->Snapshot().servers.empty());
}

}  // namespace
}  // namespace trr
