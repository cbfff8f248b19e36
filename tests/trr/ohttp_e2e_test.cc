// Oblivious DoH end to end on loopback, with parts no one here wrote:
// trr -> haproxy (the relay: TLS, forwards without decrypting, from
// 127.0.0.3) -> the Node.js gateway (hpke-js, bhttp-js) -> unbound's DoH.
// The relay's log holds the client's address and no name; the gateway's
// log holds the names and not the client's address.

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/peers/haproxy_server.h"
#include "tests/peers/ohttp_gateway.h"
#include "tests/peers/unbound_server.h"
#include "trr/resolver.h"

namespace trr {
namespace {

TEST(OhttpEndToEndTest, QueriesGoThroughARelayThatCannotReadThem) {
  TRR_REQUIRE_UNBOUND();
  TRR_REQUIRE_HAPROXY();
  TRR_REQUIRE_OHTTP_GATEWAY();
  auto unbound = testing::UnboundServer::Start();
  ASSERT_TRUE(unbound.ok()) << unbound.status();
  auto gateway = testing::OhttpGateway::Start((*unbound)->doh_port(),
                                              (*unbound)->ca_file());
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  testing::HaproxyConfig relay_config;
  relay_config.backend_port = (*gateway)->port();
  relay_config.backend_source = "127.0.0.3";
  relay_config.log_requests = true;
  relay_config.alpn = "h2,http/1.1";
  auto relay = testing::HaproxyServer::Start(relay_config);
  ASSERT_TRUE(relay.ok()) << relay.status();

  Resolver::Options options;
  options.etc_hosts_path = "/nonexistent";
  auto resolver = Resolver::Create(options);
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  const std::string relay_base =
      absl::StrCat("https://127.0.0.1:", (*relay)->port());
  const Status set = (*resolver)->SetPrefs({
      {"network.trr.mode", int32_t{3}},
      {"network.trr.use_ohttp", true},
      {"network.trr.ohttp.relay_uri", relay_base + "/gateway"},
      {"network.trr.ohttp.config_uri", relay_base + "/ohttp-keys"},
      {"network.trr.ohttp.uri", (*unbound)->DohUri("localhost")},
      {"network.trr.ca_file", (*relay)->ca_file()},
      {"network.trr.confirmationNS", std::string("skip")},
  });
  ASSERT_TRUE(set.ok()) << set;

  for (const char* name : {"www.example.test", "v4only.example.test"}) {
    ResolveOptions v4;
    v4.type = QueryKind::kIpv4;
    const ResolveResult r = (*resolver)->ResolveSync(name, v4);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status << "\nrelay:\n"
                        << (*relay)->process().Output() << "\ngateway:\n"
                        << (*gateway)->process().Output();
    EXPECT_EQ(r.source, ResultSource::kTrr);
    ASSERT_FALSE(r.addresses.empty());
  }
  // A name the zone does not have: NXDOMAIN, through the gateway too.
  const ResolveResult nx = (*resolver)->ResolveSync("nope.example.test");
  EXPECT_EQ(nx.status.code(), StatusCode::kNotFound) << nx.status;
  ASSERT_TRUE((*unbound)->Sync().ok());
  EXPECT_EQ((*unbound)->QueriesReceived("www.example.test"), 1);

  // One HTTP/2 connection to the relay carried every query.
  EXPECT_EQ((*resolver)->Snapshot().counters.doh_connections, 1u);
  // The dump says how DoH goes: through which relay, under which key.
  // Four queries (NXDOMAIN's A and AAAA), one at a time: all but the first
  // found a context prepared while the previous one was out.
  {
    const OhttpInfo o = (*resolver)->Snapshot().ohttp;
    EXPECT_TRUE(o.enabled);
    EXPECT_EQ(o.relay, relay_base + "/gateway");
    EXPECT_EQ(o.key_config, relay_base + "/ohttp-keys");
    EXPECT_EQ(o.target, (*unbound)->DohUri("localhost"));
    EXPECT_EQ(o.key_id, 1);
    EXPECT_EQ(o.suite, "X25519, HKDF-SHA256, AES-128-GCM");
    EXPECT_EQ(o.key_fetches, 1u);
    EXPECT_EQ(o.sealed, 4u);
    EXPECT_GE(o.sealed_prepared, 1u);
    EXPECT_LT(o.sealed_prepared, o.sealed);
    EXPECT_EQ(o.opened, 4u);
    EXPECT_EQ(o.open_failures + o.relay_errors, 0u);
  }
  // The gateway's key changes: the first query under the old key is
  // refused (a typed failure, nothing sent in the clear), the key is
  // fetched again, and the next goes through.
  ASSERT_TRUE((*gateway)->Restart().ok());
  ResolveOptions v6;
  v6.type = QueryKind::kIpv6;
  const ResolveResult stale = (*resolver)->ResolveSync("www.example.test", v6);
  EXPECT_FALSE(stale.ok());
  EXPECT_EQ(stale.trr_failure, TrrFailure::kHttpStatus) << stale.status;
  const ResolveResult fresh =
      (*resolver)->ResolveSync("v6only.example.test", v6);
  EXPECT_TRUE(fresh.ok()) << fresh.status;
  {
    const OhttpInfo o = (*resolver)->Snapshot().ohttp;
    EXPECT_EQ(o.key_fetches, 2u);
    EXPECT_EQ(o.relay_errors, 1u);  // the gateway's 400 for the old key
    EXPECT_EQ(o.opened, 5u);
  }

  const std::string relay_log = (*relay)->process().Output();
  const std::string gateway_log =
      (*gateway)->previous_output() + (*gateway)->process().Output();
  // The relay saw the client and the sealed requests, never a name.
  EXPECT_TRUE(absl::StrContains(relay_log, "127.0.0.1")) << relay_log;
  EXPECT_TRUE(absl::StrContains(relay_log, "/gateway")) << relay_log;
  EXPECT_FALSE(absl::StrContains(relay_log, "example")) << relay_log;
  // The gateway saw the names, from the relay's address only.
  EXPECT_TRUE(absl::StrContains(gateway_log, "name=www.example.test"))
      << gateway_log;
  EXPECT_TRUE(absl::StrContains(gateway_log, "peer=127.0.0.3")) << gateway_log;
  EXPECT_FALSE(absl::StrContains(gateway_log, "127.0.0.1")) << gateway_log;
}

}  // namespace
}  // namespace trr
