// Several DoH servers against real peers: two unbound DoH servers that
// give different answers (192.0.2.0/24 and 198.51.100.0/24), so each test
// sees which one answered, and a plain-DNS unbound for the native path
// (203.0.113.0/24), whose queries the resolver counts. The first server is
// stopped, black-holed (nftables drops its SYNs) or refuses a name; the
// second answers; then the first comes back after a probe. The canary and
// split horizon (a resolv.conf of the test's own) run against them too.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/dump.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/black_hole.h"
#include "tests/peers/dnsdist_server.h"
#include "tests/peers/unbound_server.h"
#include "tests/trr/server_waiter.h"
#include "trr/resolver.h"

namespace trr {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    testing::UnboundConfig first;
    first.zone = testing::DefaultTestZone("192.0.2");
    // A name the first server refuses and the second answers (NXDOMAIN):
    // REFUSED fails over, NXDOMAIN is an answer.
    first.server_lines = {
        "local-zone: \"refused.example.test.\" always_refuse"};
    auto a = testing::UnboundServer::Start(first);
    ASSERT_TRUE(a.ok()) << a.status();
    first_ = std::move(*a);
    testing::UnboundConfig second;
    second.zone = testing::DefaultTestZone("198.51.100");
    auto b = testing::UnboundServer::Start(second);
    ASSERT_TRUE(b.ok()) << b.status();
    second_ = std::move(*b);
    testing::UnboundConfig native;
    native.zone = testing::DefaultTestZone("203.0.113");
    native.doh = false;
    // The network's resolver asks for no DoH (the canary domain).
    native.server_lines = {
        "local-zone: \"use-application-dns.net.\" always_nxdomain"};
    auto n = testing::UnboundServer::Start(native);
    ASSERT_TRUE(n.ok()) << n.status();
    native_ = std::move(*n);
    // One CA file trusting both servers' certificates.
    ca_file_ = testing::WriteCaBundle(dir_, "both.pem",
                                      {first_->ca_file(), second_->ca_file()});
  }

  // Chromium's JSON form, each server with its own bootstrap address.
  std::string ServerList() const {
    return testing::JsonServerList(
        {first_->DohUri("doh.test"), second_->DohUri("doh.test")});
  }

  std::unique_ptr<Resolver> Make(
      int mode,
      std::vector<std::pair<std::string, prefs::PrefValue>> extra = {}) {
    Resolver::Options options;
    if (!resolv_conf_.empty()) options.resolv_conf_path = resolv_conf_;
    auto resolver = Resolver::Create(options);
    EXPECT_TRUE(resolver.ok());
    std::vector<std::pair<std::string, prefs::PrefValue>> prefs = {
        {"network.trr.mode", int32_t{mode}},
        {"network.trr.uri", ServerList()},
        {"network.trr.ca_file", ca_file_},
        {"network.trr.confirmationNS", std::string("example.test")},
        {"network.trr.server_max_failures", int32_t{3}},
        {"network.dns.native_nameserver",
         absl::StrCat("127.0.0.1:", native_->dns_port())},
    };
    prefs.insert(prefs.end(), extra.begin(), extra.end());
    const Status set = (*resolver)->SetPrefs(prefs);
    EXPECT_TRUE(set.ok()) << set;
    return std::move(*resolver);
  }

  static ResolveOptions Fresh() {
    ResolveOptions options;
    options.type = QueryKind::kIpv4;
    options.bypass_cache = true;
    return options;
  }

  // `lookups` fresh lookups, each answered over DoH by the second server
  // (its zone is 198.51.100.0/24).
  static void ExpectTheSecondServerAnswers(Resolver& resolver, int lookups) {
    for (int i = 0; i < lookups; ++i) {
      const ResolveResult r = resolver.ResolveSync("www.example.test", Fresh());
      ASSERT_TRUE(r.ok()) << r.status;
      EXPECT_EQ(r.source, ResultSource::kTrr);
      EXPECT_THAT(r.addresses.at(0).ToString(), StartsWith("198.51.100."));
    }
  }

  // Waits (woken by the server observer, with a deadline) until the first
  // server reads `state` in the dump.
  static bool WaitForFirstServer(Resolver& resolver, const std::string& state) {
    return testing::ServerWaiter(resolver).Until(
        [&](const ResolverSnapshot& s) {
          return s.servers.at(0).state == state;
        });
  }

  testing::TempDir dir_;
  std::string ca_file_;
  std::string resolv_conf_;  // Options::resolv_conf_path, when set
  std::unique_ptr<testing::UnboundServer> first_, second_, native_;
};

TEST_F(ServersTest, LookupsUseTheFirstServerAndTheDumpShowsEach) {
  auto resolver = Make(3);
  const ResolveResult r = resolver->ResolveSync("www.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  ASSERT_EQ(r.addresses.size(), 1u);
  EXPECT_THAT(r.addresses[0].ToString(), StartsWith("192.0.2."));
  const ResolverSnapshot s = resolver->Snapshot();
  ASSERT_EQ(s.servers.size(), 2u);
  EXPECT_EQ(s.servers[0].uri, first_->DohUri("doh.test"));
  EXPECT_EQ(s.servers[0].state, "available");
  EXPECT_EQ(s.servers[0].answers, 1u);
  EXPECT_GT(s.servers[0].p50_ms, 0);
  EXPECT_EQ(s.servers[0].bootstrap, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(s.servers[1].queries, 0u);
}

TEST_F(ServersTest, AStoppedFirstServerFailsOverWithoutNativeInMode2Or3) {
  first_->Kill();
  for (int mode : {2, 3}) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    auto resolver = Make(mode);
    ExpectTheSecondServerAnswers(*resolver, 5);
    const ResolverSnapshot s = resolver->Snapshot();
    EXPECT_EQ(s.counters.native_queries, 0u);
    EXPECT_EQ(s.servers[1].answers, 5u);
    if (mode == 3) {
      // Three failures in a row made it unavailable: lookups 4 and 5 went
      // straight to the second server, and a probe is due.
      EXPECT_EQ(s.servers[0].state, "unavailable");
      EXPECT_EQ(s.servers[0].queries, 3u);
      EXPECT_GE(s.servers[0].next_probe_ms, 0);
    }
  }
}

TEST_F(ServersTest, TrafficReturnsToTheFirstServerAfterAProbe) {
  auto resolver =
      Make(3, {{"network.trr.server_probe_initial_ms", int32_t{50}}});
  first_->Kill();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(resolver->ResolveSync("www.example.test", Fresh()).ok());
  }
  ASSERT_EQ(resolver->Snapshot().servers[0].state, "unavailable");
  ASSERT_TRUE(first_->Restart().ok());
  ASSERT_TRUE(WaitForFirstServer(*resolver, "available"));
  const ResolveResult r = resolver->ResolveSync("www.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_THAT(r.addresses.at(0).ToString(), StartsWith("192.0.2."));
  EXPECT_GE(resolver->Snapshot().servers[0].probes, 1u);
}

TEST_F(ServersTest, ABlackHoledFirstServerFailsOverWithinTheTimeout) {
  TRR_REQUIRE_NFT();
  auto hole = testing::BlackHole::Start(first_->doh_port());
  ASSERT_TRUE(hole.ok()) << hole.status();
  auto resolver = Make(3, {{"network.trr.request_timeout_ms", int32_t{300}}});
  ExpectTheSecondServerAnswers(*resolver, 6);
  // No connection to it came up within the first lookup's attempt: it is
  // unavailable at once, so lookups 2-6 made no attempt on it and waited
  // for no timeout of its (not after server_max_failures such timeouts).
  const ResolverSnapshot s = resolver->Snapshot();
  EXPECT_EQ(s.servers[0].state, "unavailable");
  EXPECT_EQ(s.servers[0].queries, 1u);
  EXPECT_EQ(s.servers[0].failures, 1u);
  EXPECT_EQ(s.servers[1].answers, 6u);
  EXPECT_EQ(s.counters.native_queries, 0u);
}

TEST_F(ServersTest, RefusedFailsOverAndNxdomainFromTheNextIsTheAnswer) {
  // Mode 3: in mode 2 an NXDOMAIN from TRR goes on to native, as before.
  // REFUSED is the first server answering: it fails over, but does not
  // count against the server.
  auto resolver = Make(3);
  const ResolveResult r =
      resolver->ResolveSync("x.refused.example.test", Fresh());
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound) << r.status;
  EXPECT_EQ(r.source, ResultSource::kTrr);
  EXPECT_EQ(r.trr_failure, TrrFailure::kNxDomain);
  const ResolverSnapshot s = resolver->Snapshot();
  EXPECT_EQ(s.servers[0].failures, 0u);
  EXPECT_EQ(s.servers[0].answers, 1u);
  EXPECT_EQ(s.servers[0].failures_in_row, 0);
  EXPECT_EQ(s.servers[1].answers, 1u);
}

TEST_F(ServersTest, ANetworkWhoseResolverAnswersTheCanaryGetsNoDohInMode2) {
  auto resolver = Make(2, {{"network.trr.canary_domain_check", true}});
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (resolver->Snapshot().canary != "tripped" && absl::Now() < deadline) {
  }
  ASSERT_EQ(resolver->Snapshot().canary, "tripped");
  const ResolveResult r = resolver->ResolveSync("www.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_EQ(r.skip_reason, SkipReason::kCanary);
  EXPECT_THAT(r.addresses.at(0).ToString(), StartsWith("203.0.113."));
  EXPECT_EQ(resolver->Snapshot().servers[0].queries, 0u);
}

TEST_F(ServersTest, SplitHorizonNamesUnderTheNetworksSuffixGoNativeInMode2) {
  // The network's search domain; its names exist on both sides (the zones'
  // *.fault wildcard), with different answers.
  resolv_conf_ = dir_.WriteFile(
      "resolv.conf", "nameserver 127.0.0.1\nsearch fault.example.test\n");
  auto resolver = Make(2, {{"network.trr.split_horizon_mitigations", true}});
  ResolveResult r = resolver->ResolveSync("www.fault.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kNative);
  EXPECT_EQ(r.skip_reason, SkipReason::kDnsSuffix);
  EXPECT_EQ(r.addresses.at(0).ToString(), "203.0.113.77");
  EXPECT_EQ(resolver->Snapshot().dns_suffixes,
            std::vector<std::string>{"fault.example.test"});
  // Other names use TRR.
  r = resolver->ResolveSync("www.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kTrr);
  // Mode 3 ignores the suffixes.
  auto only = Make(3, {{"network.trr.split_horizon_mitigations", true}});
  r = only->ResolveSync("www.fault.example.test", Fresh());
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.source, ResultSource::kTrr);
  EXPECT_EQ(r.addresses.at(0).ToString(), "192.0.2.77");
}

TEST_F(ServersTest, AFirstServerAnsweringServfailFailsOverInMode2And3) {
  TRR_REQUIRE_DNSDIST();
  // dnsdist in front of the first unbound, answering SERVFAIL to all.
  auto cert = testing::MakeTestCertificate(dir_, "dnsdist");
  ASSERT_TRUE(cert.ok()) << cert.status();
  testing::DnsdistConfig config;
  config.backend_port = first_->dns_port();
  config.certificate = *cert;
  config.lua = {"addAction(AllRule(), RCodeAction(DNSRCode.SERVFAIL))"};
  auto dnsdist = testing::DnsdistServer::Start(config);
  ASSERT_TRUE(dnsdist.ok()) << dnsdist.status();
  const std::string ca = testing::WriteCaBundle(
      dir_, "dnsdist-and-second.pem", {cert->cert_file, second_->ca_file()});
  const std::string list = testing::JsonServerList(
      {(*dnsdist)->DohUri("doh.test"), second_->DohUri("doh.test")});
  for (int mode : {2, 3}) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    auto resolver =
        Make(mode, {{"network.trr.uri", list},
                    {"network.trr.ca_file", ca},
                    {"network.trr.confirmationNS", std::string("skip")}});
    ExpectTheSecondServerAnswers(*resolver, 4);
    const ResolverSnapshot s = resolver->Snapshot();
    EXPECT_EQ(s.counters.native_queries, 0u);
    // SERVFAIL is the server answering: every lookup asks it first and
    // fails over, and it stays available.
    EXPECT_EQ(s.servers[0].failures, 0u);
    EXPECT_EQ(s.servers[0].answers, 4u);
    EXPECT_EQ(s.servers[0].state, "available");
    EXPECT_EQ(s.servers[1].answers, 4u);
  }
}

TEST_F(ServersTest, AMalformedListIsRefusedWhenSetAndThePreviousStays) {
  auto resolver = Make(3);
  const Status refused = resolver->SetPrefs(
      {{"network.trr.uri",
        absl::StrCat(first_->DohUri("doh.test"), " ftp://b.example/q")}});
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("network.trr.uri: at character"));
  EXPECT_THAT(refused.message(), HasSubstr("ftp://b.example/q"));
  const Status bad_json =
      resolver->SetPrefs({{"network.trr.uri", std::string("{\"servers\": [")}});
  EXPECT_EQ(bad_json.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resolver->Snapshot().servers.size(), 2u);
  EXPECT_TRUE(resolver->ResolveSync("www.example.test", Fresh()).ok());
}

TEST_F(ServersTest, TheDumpListsTheServersAsTextAndJson) {
  auto resolver = Make(3);
  ASSERT_TRUE(resolver->ResolveSync("www.example.test", Fresh()).ok());
  const std::string text = api::DumpText(resolver->Snapshot());
  EXPECT_THAT(text, HasSubstr("DoH servers\n  " + first_->DohUri("doh.test")));
  EXPECT_THAT(text, HasSubstr(second_->DohUri("doh.test")));
  const std::string json = api::DumpJson(resolver->Snapshot());
  EXPECT_THAT(json, HasSubstr("\"servers\":[{\"uri\":"));
  EXPECT_THAT(json, HasSubstr("\"state\":\"available\""));
}

}  // namespace
}  // namespace trr
