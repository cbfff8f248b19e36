// DohTransport against a real unbound serving DoH on loopback.

#include "trr/transport/doh_transport.h"

#include <functional>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/black_hole.h"
#include "tests/peers/delay_relay.h"
#include "tests/peers/unbound_server.h"
#include "tests/trr/transport_harness.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"
#include "trr/loop/socket_address.h"

namespace trr {
namespace {

using ::testing::HasSubstr;

DohConfig ConfigFor(const testing::UnboundServer& server,
                    const std::string& host = "localhost") {
  DohConfig config;
  config.uri = *ParseDohUri(server.DohUri(host));
  config.ca_file = server.ca_file();
  return config;
}

// The server's DoH through `relay` on loopback, at its address.
DohConfig ThroughRelay(const testing::UnboundServer& server,
                       const testing::DelayRelay& relay) {
  DohConfig config = ConfigFor(server, "doh.test");
  config.uri.port = relay.port();
  config.bootstrap = {*IpAddress::Parse("127.0.0.1")};
  return config;
}

void ExpectAnswer(const DohResult& result, absl::string_view name,
                  uint16_t type, absl::string_view address) {
  ASSERT_TRUE(result.ok()) << DohErrorName(result.error) << ": "
                           << result.detail;
  dns::Response response;
  ASSERT_TRUE(
      dns::ParseResponse(result.body, dns::Question(name, type), response)
          .ok());
  ASSERT_EQ(response.addresses.size(), 1u);
  EXPECT_EQ(response.addresses[0].ToString(), address);
}

class DohTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    auto server = testing::UnboundServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::unique_ptr<testing::UnboundServer> server_;
};

TEST_F(DohTransportTest, PostReturnsTheAnswer) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
  ASSERT_TRUE(server_->Sync().ok());
  EXPECT_EQ(server_->QueriesReceived("www.example.test"), 1);
}

TEST_F(DohTransportTest, GetReturnsTheAnswer) {
  TransportHarness h;
  DohConfig config = ConfigFor(*server_);
  config.use_get = true;
  h.Configure(config);
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeAAAA),
               "www.example.test", dns::kTypeAAAA, "2001:db8::1");
}

TEST_F(DohTransportTest, BootstrapReachesAHostThatResolvesNowhere) {
  TransportHarness h;
  // "doh.test" is in no zone and no hosts file; only bootstrapAddr knows
  // it. (Not shown by resolving it without bootstrapAddr: that would send
  // a query to the machine's real DNS server, and tests stay on loopback.)
  DohConfig config = ConfigFor(*server_, "doh.test");
  config.bootstrap = {*IpAddress::Parse("127.0.0.1")};
  h.Configure(config);
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
}

TEST_F(DohTransportTest, BootstrapOverIpv6AndSeveralAddresses) {
  TransportHarness h;
  DohConfig config = ConfigFor(*server_, "doh.test");
  config.bootstrap = {*IpAddress::Parse("::1")};
  h.Configure(config);
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
  // The first address refuses connections; the second answers.
  config.bootstrap = {*IpAddress::Parse("127.0.0.3"),
                      *IpAddress::Parse("127.0.0.1")};
  h.Configure(config);
  ExpectAnswer(h.SendAndWait("v4only.example.test", dns::kTypeA),
               "v4only.example.test", dns::kTypeA, "192.0.2.4");
}

TEST_F(DohTransportTest, IpLiteralUrisAreCheckedAgainstTheCertificate) {
  TransportHarness h;
  // The certificate names 127.0.0.1 and ::1 among its addresses.
  h.Configure(ConfigFor(*server_, "127.0.0.1"));
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
  h.Configure(ConfigFor(*server_, "[::1]"));
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
}

TEST_F(DohTransportTest, AnUntrustedCertificateFailsTls) {
  testing::TempDir dir;
  auto other_ca = testing::MakeTestCertificate(dir, "other");
  ASSERT_TRUE(other_ca.ok());
  TransportHarness h;
  DohConfig config = ConfigFor(*server_);
  config.ca_file = other_ca->cert_file;
  h.Configure(config);
  DohResult result = h.SendAndWait("www.example.test", dns::kTypeA);
  EXPECT_EQ(result.error, DohError::kTls) << result.detail;
  // And the system store does not trust a test certificate either.
  config.ca_file.clear();
  h.Configure(config);
  EXPECT_EQ(h.SendAndWait("www.example.test", dns::kTypeA).error,
            DohError::kTls);
}

TEST_F(DohTransportTest, HostNameMustMatchTheCertificate) {
  TransportHarness h;
  // The server is reached, but the name asked for is not in its certificate.
  DohConfig config = ConfigFor(*server_, "wrong-name.test");
  config.bootstrap = {*IpAddress::Parse("127.0.0.1")};
  h.Configure(config);
  EXPECT_EQ(h.SendAndWait("www.example.test", dns::kTypeA).error,
            DohError::kTls);
}

TEST_F(DohTransportTest, WrongPathIsAnHttpStatusError) {
  TransportHarness h;
  DohConfig config = ConfigFor(*server_);
  config.uri.path = "/not-dns";
  h.Configure(config);
  DohResult result = h.SendAndWait("www.example.test", dns::kTypeA);
  EXPECT_EQ(result.error, DohError::kHttpStatus);
  EXPECT_EQ(result.http_status, 404);
  EXPECT_THAT(result.detail, HasSubstr("404"));
}

TEST_F(DohTransportTest, HundredConcurrentQueriesShareOneConnection) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  for (int i = 0; i < 100; ++i) {
    h.Send(i % 2 == 0 ? "www.example.test" : "multi.example.test", dns::kTypeA);
  }
  auto results = h.Wait(100);
  ASSERT_EQ(results.size(), 100u);
  for (const DohResult& r : results) EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(h.Stats().connections_opened, 1u);
  ASSERT_TRUE(server_->Sync().ok());
  EXPECT_EQ(server_->QueriesReceived(), 100);
}

TEST_F(DohTransportTest, ReconnectsAfterTheServerRestarts) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  ASSERT_TRUE(h.SendAndWait("www.example.test", dns::kTypeA).ok());
  server_->Kill();
  DohResult down = h.SendAndWait("www.example.test", dns::kTypeA);
  EXPECT_FALSE(down.ok());
  EXPECT_TRUE(down.error == DohError::kConnect ||
              down.error == DohError::kReset)
      << DohErrorName(down.error) << ": " << down.detail;
  ASSERT_TRUE(server_->Restart().ok());
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
  EXPECT_GE(h.Stats().connections_opened, 2u);
}

TEST_F(DohTransportTest, ARestartBetweenQueriesLosesNone) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  ASSERT_TRUE(h.SendAndWait("www.example.test", dns::kTypeA).ok());
  // The connection the transport holds is dead, whether it has noticed yet
  // or not: a query sent on it goes again on a new one.
  server_->Kill();
  ASSERT_TRUE(server_->Restart().ok());
  for (int i = 0; i < 3; ++i) {
    ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
                 "www.example.test", dns::kTypeA, "192.0.2.1");
  }
  EXPECT_EQ(h.Stats().connections_opened, 2u);
}

// DohTransport's own: Happy Eyeballs (RFC 8305). The first bootstrap
// address is black-holed (nftables drops its SYNs); the next address's
// attempt starts 250 ms later, races it and wins, so the answer comes
// within a 1 s request timeout, which trying one address at a time (3 s
// each) cannot meet. The losing attempt is closed.
TEST_F(DohTransportTest, HappyEyeballsRacesPastABlackHoledAddress) {
  TRR_REQUIRE_NFT();
  auto hole = testing::BlackHole::Start(server_->doh_port());  // 127.0.0.1
  ASSERT_TRUE(hole.ok()) << hole.status();
  TransportHarness h;
  DohConfig config = ConfigFor(*server_, "doh.test");
  config.bootstrap = {*IpAddress::Parse("127.0.0.1"), *IpAddress::Parse("::1")};
  h.Configure(config);
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA, absl::Seconds(1)),
               "www.example.test", dns::kTypeA, "192.0.2.1");
  EXPECT_EQ(h.Stats().connections_opened, 2u);
  const std::vector<DohConnectionInfo> connections = h.Connections();
  ASSERT_EQ(connections.size(), 1u);
  EXPECT_EQ(connections[0].address,
            absl::StrCat("[::1]:", server_->doh_port()));
  // One address at a time: the same second is not enough.
  config.attempt_delay = absl::ZeroDuration();
  h.Configure(config);
  EXPECT_EQ(
      h.SendAndWait("v4only.example.test", dns::kTypeA, absl::Seconds(1)).error,
      DohError::kTimeout);
}

// Waits, with a deadline, until `done` holds for the transport's stats.
bool WaitForStats(TransportHarness& h,
                  const std::function<bool(const DohTransportStats&)>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (done(h.Stats())) return true;
  }
  return false;
}

// DohTransport's own: connection health. A connection the server went
// quiet on (stopped with SIGSTOP: the kernel still holds the connection)
// is found out by the PING sent with the next query, dropped after
// ping_timeout, and the query goes on a new connection, which the server
// answers once it runs again. The new connection resumes the first one's
// TLS session (the ticket unbound gave it).
TEST_F(DohTransportTest, AnIdleConnectionThatMissesItsPingIsReplaced) {
  TransportHarness h;
  DohConfig config = ConfigFor(*server_);
  config.idle_before_ping = absl::ZeroDuration();  // always, for the test
  config.ping_timeout = absl::Milliseconds(200);
  h.Configure(config);
  ASSERT_TRUE(h.SendAndWait("www.example.test", dns::kTypeA).ok());
  server_->Pause();
  h.Send("v4only.example.test", dns::kTypeA, absl::Seconds(10));
  ASSERT_TRUE(WaitForStats(
      h, [](const DohTransportStats& s) { return s.ping_timeouts == 1; }));
  server_->Resume();
  const DohResult result = h.Wait(2).back();
  ExpectAnswer(result, "v4only.example.test", dns::kTypeA, "192.0.2.4");
  EXPECT_EQ(h.Stats().connections_opened, 2u);
  EXPECT_GE(h.Stats().pings, 2u);
  EXPECT_EQ(h.Stats().tls_resumed, 1u);
  const std::vector<DohConnectionInfo> connections = h.Connections();
  ASSERT_EQ(connections.size(), 1u);
  EXPECT_TRUE(connections[0].tls_resumed);
}

// After a network change, every open connection gets a PING: one that
// answers stays, and its next query needs no new connection.
TEST_F(DohTransportTest, CheckConnectionsKeepsAConnectionThatAnswers) {
  TransportHarness h;
  DohConfig config = ConfigFor(*server_);
  config.ping_timeout = absl::Milliseconds(500);
  h.Configure(config);
  ASSERT_TRUE(h.SendAndWait("www.example.test", dns::kTypeA).ok());
  h.loop().RunSync([&] { h.transport().CheckConnections(); });
  ASSERT_TRUE(WaitForStats(h, [](const DohTransportStats& s) {
    return s.pings == 1 && s.pings_answered == 1;
  }));
  // The ACK cancelled the drop: the connection carries the next query.
  ASSERT_TRUE(h.SendAndWait("v4only.example.test", dns::kTypeA).ok());
  EXPECT_EQ(h.Stats().ping_timeouts, 0u);
  EXPECT_EQ(h.Stats().connections_opened, 1u);
}

// Through a DelayRelay (a long link on loopback): answered, on one
// connection through the relay, and a second query reuses it.
TEST_F(DohTransportTest, AQueryOverALongLinkIsAnswered) {
  auto relay =
      testing::DelayRelay::Start(server_->doh_port(), absl::Milliseconds(20));
  ASSERT_TRUE(relay.ok()) << relay.status();
  TransportHarness h;
  h.Configure(ThroughRelay(*server_, **relay));
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
  ExpectAnswer(h.SendAndWait("v4only.example.test", dns::kTypeA),
               "v4only.example.test", dns::kTypeA, "192.0.2.4");
  EXPECT_EQ((*relay)->connections(), 1);
  EXPECT_EQ(h.Stats().connections_opened, 1u);
}

// A middlebox that resets the connection part-way through the handshake:
// before the server's first byte reaches the client, inside its first
// flight, and after most of it (the test certificate's first flight is
// about 800 bytes). Each is a connect failure that says where it broke,
// well within the query's time, and the next query (the relay still
// cutting; no back-off here) fails the same way: no hang, no stuck
// connection.
TEST_F(DohTransportTest, ARelayThatCutsMidHandshakeGivesATypedError) {
  for (const size_t cut : {size_t{0}, size_t{60}, size_t{600}}) {
    SCOPED_TRACE(absl::StrCat("cut after ", cut, " bytes from the server"));
    auto relay = testing::DelayRelay::Start(server_->doh_port(),
                                            absl::Milliseconds(1), cut);
    ASSERT_TRUE(relay.ok()) << relay.status();
    TransportHarness h;
    DohConfig config = ThroughRelay(*server_, **relay);
    config.backoff_initial = absl::ZeroDuration();
    h.Configure(config);
    for (int attempt = 0; attempt < 2; ++attempt) {
      const DohResult result =
          h.SendAndWait("www.example.test", dns::kTypeA, absl::Seconds(10));
      EXPECT_EQ(result.error, DohError::kConnect)
          << DohErrorName(result.error) << ": " << result.detail;
      EXPECT_THAT(result.detail, HasSubstr("during the TLS handshake"));
    }
    EXPECT_GE((*relay)->cuts(), 2);
    EXPECT_EQ(h.Stats().completed_ok, 0u);
  }
}

// After a connection setup fails, the next waits its back-off: queries
// meanwhile fail at once with a connect error that says so, and only one
// more setup starts once the back-off has passed (the port refuses every
// connection).
TEST(DohTransportAloneTest, AFailedSetupBacksOffTheNextOne) {
  EventLoop loop;
  std::unique_ptr<DohTransport> transport;
  std::vector<uint8_t> query;
  ASSERT_TRUE(dns::EncodeQuery("www.example.test", dns::kTypeA,
                               dns::QueryOptions(), query)
                  .ok());
  Mutex mu;
  CondVar cv;
  std::vector<DohResult> results;  // under mu
  auto collect = [&](DohResult r) {
    MutexLock lock(&mu);
    results.push_back(std::move(r));
    cv.SignalAll();
  };
  auto wait_for = [&](size_t n) {
    MutexLock lock(&mu);
    return cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                [&] { return results.size() >= n; });
  };
  loop.RunSync([&] {
    transport = std::make_unique<DohTransport>(&loop);
    DohConfig config;
    config.uri = *ParseDohUri("https://localhost:1/dns-query");
    config.bootstrap = {*IpAddress::Parse("127.0.0.1")};
    config.backoff_initial = absl::Milliseconds(200);
    config.backoff_max = absl::Seconds(1);
    transport->Configure(config);
    transport->Send(query, absl::Seconds(5), collect);
  });
  ASSERT_TRUE(wait_for(1));
  const absl::Time failed_at = absl::Now();
  // Ten more at once: refused by the back-off, no connection tried.
  loop.RunSync([&] {
    for (int i = 0; i < 10; ++i) {
      transport->Send(query, absl::Seconds(5), collect);
    }
  });
  ASSERT_TRUE(wait_for(11));
  {
    MutexLock lock(&mu);
    for (size_t i = 1; i < 11; ++i) {
      EXPECT_EQ(results[i].error, DohError::kConnect);
      EXPECT_THAT(results[i].detail, HasSubstr("the next attempt is in"));
    }
  }
  DohTransportStats stats;
  loop.RunSync([&] { stats = transport->stats(); });
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_EQ(stats.backoff_refusals, 10u);
  // Sent again until a second setup is tried: not before the back-off
  // (at least 80% of 200 ms) has passed.
  uint64_t opened = 1;
  size_t expected = 11;
  while (opened < 2 && absl::Now() < failed_at + absl::Seconds(5)) {
    loop.RunSync([&] { transport->Send(query, absl::Seconds(5), collect); });
    ASSERT_TRUE(wait_for(++expected));
    loop.RunSync([&] { opened = transport->stats().connections_opened; });
  }
  EXPECT_EQ(opened, 2u);
  EXPECT_GE(absl::Now() - failed_at, absl::Milliseconds(160));
  loop.RunSync([&] { transport.reset(); });
}

TEST(InterleaveFamiliesTest, TheFirstFamilyFirstThenAlternating) {
  auto ips = [](std::vector<std::string> texts) {
    std::vector<IpAddress> out;
    for (const std::string& t : texts) out.push_back(*IpAddress::Parse(t));
    return out;
  };
  EXPECT_EQ(InterleaveFamilies(ips({"2001:db8::1", "2001:db8::2", "192.0.2.1",
                                    "192.0.2.2", "192.0.2.3"})),
            ips({"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2",
                 "192.0.2.3"}));
  EXPECT_EQ(InterleaveFamilies(ips({"192.0.2.1", "192.0.2.2", "::1"})),
            ips({"192.0.2.1", "::1", "192.0.2.2"}));
  EXPECT_TRUE(InterleaveFamilies({}).empty());
}

// DohTransport's own: a query its connection lost before any answer is
// sent once more, on a new connection, and only once.
TEST_F(DohTransportTest, AQueryALostConnectionNeverAnsweredGoesOnceMore) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  ASSERT_TRUE(h.SendAndWait("www.example.test", dns::kTypeA).ok());
  server_->Pause();
  h.Send("www.example.test", dns::kTypeA);
  h.loop().RunSync([] {});  // after the posted write: the query is out
  // Killed with our query unread: the kernel resets the connection.
  server_->Kill();
  DohResult result = h.Wait(2).back();
  // The second try found nothing listening, or a server still going down
  // that dropped the connection before TLS was up: a connect failure.
  EXPECT_EQ(result.error, DohError::kConnect) << result.detail;
  EXPECT_EQ(h.Stats().retried, 1u);
  EXPECT_EQ(h.Stats().connections_opened, 2u);
  ASSERT_TRUE(server_->Restart().ok());
  ExpectAnswer(h.SendAndWait("www.example.test", dns::kTypeA),
               "www.example.test", dns::kTypeA, "192.0.2.1");
}

TEST_F(DohTransportTest, HungServerTimesOut) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  ASSERT_TRUE(h.SendAndWait("www.example.test", dns::kTypeA).ok());
  server_->Pause();
  const absl::Time start = absl::Now();
  DohResult result =
      h.SendAndWait("www.example.test", dns::kTypeA, absl::Milliseconds(300));
  server_->Resume();
  EXPECT_EQ(result.error, DohError::kTimeout) << result.detail;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
}

TEST_F(DohTransportTest, CancelCompletesOnceWithCancelled) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  server_->Pause();
  const auto id = h.Send("www.example.test", dns::kTypeA);
  h.loop().RunSync([&] {
    h.transport().Cancel(id);
    h.transport().Cancel(id);  // a second cancel is a no-op
  });
  auto results = h.Wait(1);
  server_->Resume();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error, DohError::kCancelled);
  // Nothing else arrives for it.
  ASSERT_TRUE(h.SendAndWait("www.example.test", dns::kTypeA).ok());
  EXPECT_EQ(h.ResultCount(), 2u);
}

TEST_F(DohTransportTest, ShutdownCompletesEveryOutstandingRequest) {
  TransportHarness h;
  h.Configure(ConfigFor(*server_));
  server_->Pause();
  for (int i = 0; i < 10; ++i) h.Send("www.example.test", dns::kTypeA);
  h.Destroy();
  auto results = h.Wait(10);
  server_->Resume();
  ASSERT_EQ(results.size(), 10u);
  for (const DohResult& r : results) EXPECT_EQ(r.error, DohError::kCancelled);
}

TEST_F(DohTransportTest, NoUriFailsWithoutCrashing) {
  TransportHarness h;
  DohResult result = h.SendAndWait("www.example.test", dns::kTypeA);
  EXPECT_EQ(result.error, DohError::kConnect);
  EXPECT_THAT(result.detail, HasSubstr("no DoH URI"));
}

// A caller that sends again whenever a request fails at once (here: the
// CA file is missing) gets a turn of the loop per round: other work on the
// loop goes on, and dead connections are swept between rounds.
TEST(DohTransportAloneTest, RequestsThatFailAtOnceAndGoAgainShareTheLoop) {
  EventLoop loop;
  std::unique_ptr<DohTransport> transport;
  std::vector<uint8_t> query;
  ASSERT_TRUE(dns::EncodeQuery("www.example.test", dns::kTypeA,
                               dns::QueryOptions(), query)
                  .ok());
  constexpr int kRounds = 100000;
  int rounds = 0;  // loop thread only
  std::function<void(DohResult)> again = [&](DohResult result) {
    EXPECT_EQ(result.error, DohError::kTls);
    if (++rounds < kRounds) transport->Send(query, absl::Seconds(5), again);
  };
  loop.RunSync([&] {
    transport = std::make_unique<DohTransport>(&loop);
    DohConfig config;
    config.uri = *ParseDohUri("https://localhost:1/dns-query");
    config.bootstrap = {*IpAddress::Parse("127.0.0.1")};
    config.ca_file = "/nonexistent/ca.pem";
    transport->Configure(config);
    transport->Send(query, absl::Seconds(5), again);
  });
  int rounds_seen = 0;
  size_t connections = 0;
  loop.RunSync([&] {
    rounds_seen = rounds;
    connections = transport->Connections().size();
  });
  EXPECT_LT(rounds_seen, kRounds);
  EXPECT_LE(connections, 1u);
  loop.RunSync([&] {
    rounds = kRounds;  // no more rounds
    transport.reset();
  });
}

}  // namespace
}  // namespace trr
