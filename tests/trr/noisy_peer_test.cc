// DohTransport against a DoH server that misbehaves (tests/peers/
// noisy_doh_server.py): storms that HTTP/2 allows keep the connection;
// refused streams, a GOAWAY with streams in flight and a connection dropped
// under a burst lose no query and shrink the stream window; what nghttp2
// rightly treats as an attack ends the connection with a typed error.
// docs/INTEROP.md says which is which. Over HTTP/1.1: bursts on a pool of
// kept-alive connections, every framing of a response, a kept-alive
// connection closed under a request, and hostile responses.

#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/noisy_doh_server.h"
#include "tests/trr/resolve_all.h"
#include "tests/trr/transport_harness.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/response.h"
#include "trr/resolver.h"

namespace trr {
namespace {

using ::testing::HasSubstr;
using testing::NoisyDohServer;
using ::testing::Not;

std::unique_ptr<NoisyDohServer> StartNoisy(std::vector<std::string> flags) {
  auto server = NoisyDohServer::Start(std::move(flags));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

DohConfig ConfigFor(const NoisyDohServer& server, bool use_get = false) {
  DohConfig config;
  config.uri = *ParseDohUri(server.DohUri());
  config.bootstrap = {*IpAddress::Parse("127.0.0.1")};
  config.ca_file = server.ca_file();
  config.use_get = use_get;
  return config;
}

// The server's one answer: name A 192.0.2.1.
void ExpectAnswered(const DohResult& result, const std::string& name) {
  ASSERT_TRUE(result.ok()) << DohErrorName(result.error) << ": "
                           << result.detail;
  dns::Response response;
  ASSERT_TRUE(dns::ParseResponse(result.body, dns::Question(name, dns::kTypeA),
                                 response)
                  .ok());
  ASSERT_EQ(response.addresses.size(), 1u);
  EXPECT_EQ(response.addresses[0].ToString(), "192.0.2.1");
}

// `count` names sent at once, each given `timeout`; returns their results,
// waited for until `wait` (the test fails if some are missing by then).
std::vector<DohResult> SendBurst(TransportHarness& h, int count,
                                 absl::Duration timeout = absl::Seconds(5),
                                 absl::Duration wait = absl::Seconds(20)) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.push_back("n" + std::to_string(i) + ".example.test");
  }
  const size_t before = h.ResultCount();
  h.SendBurst(names, dns::kTypeA, timeout);
  std::vector<DohResult> results = h.Wait(before + count, wait);
  EXPECT_EQ(results.size(), before + count);
  results.erase(results.begin(),
                results.begin() + std::min(before, results.size()));
  return results;
}

// `count` names sent at once; every one must come back answered.
void ExpectBurstAnswered(TransportHarness& h, int count,
                         absl::Duration timeout = absl::Seconds(5)) {
  const std::vector<DohResult> results = SendBurst(h, count, timeout);
  int ok = 0;
  int failed = 0;
  for (const DohResult& r : results) {
    if (r.ok()) {
      ++ok;
    } else if (++failed <= 5) {
      ADD_FAILURE() << DohErrorName(r.error) << ": " << r.detail;
    }
  }
  EXPECT_EQ(ok, count);
}

// One connection, flooded once before its first answer: that answer and
// the next both arrive on it.
void ExpectConnectionSurvives(NoisyDohServer& server) {
  TransportHarness h;
  h.Configure(ConfigFor(server));
  ExpectAnswered(h.SendAndWait("first.example.test", dns::kTypeA),
                 "first.example.test");
  ExpectAnswered(h.SendAndWait("second.example.test", dns::kTypeA),
                 "second.example.test");
  EXPECT_EQ(h.Stats().connections_opened, 1u);
}

class NoisyPeerTest : public ::testing::Test {
 protected:
  void SetUp() override { TRR_REQUIRE_NOISY_DOH_SERVER(); }
};

TEST_F(NoisyPeerTest, APingFloodKeepsTheConnectionInTwentyRunsOfTwenty) {
  auto server = StartNoisy({"--ping-flood", "1000"});
  ASSERT_NE(server, nullptr);
  for (int run = 0; run < 20; ++run) {
    SCOPED_TRACE(run);
    ExpectConnectionSurvives(*server);
  }
  EXPECT_TRUE(server->WaitForCount("flooded", 20).ok());
  EXPECT_EQ(server->Count("flooded"), 20);
  EXPECT_EQ(server->Count("connection"), 20);
}

TEST_F(NoisyPeerTest, ASettingsFloodKeepsTheConnection) {
  // 1,000 empty SETTINGS frames, each owed an ACK.
  auto server = StartNoisy({"--settings-flood", "1000"});
  ASSERT_NE(server, nullptr);
  for (int run = 0; run < 5; ++run) ExpectConnectionSurvives(*server);
}

TEST_F(NoisyPeerTest, AWindowUpdateStormKeepsTheConnection) {
  auto server = StartNoisy({"--window-update-flood", "10000"});
  ASSERT_NE(server, nullptr);
  for (int run = 0; run < 5; ++run) ExpectConnectionSurvives(*server);
}

TEST_F(NoisyPeerTest, HeadersInManySmallContinuationFramesAreRead) {
  // nghttp2's most: 8 CONTINUATION frames after the HEADERS frame.
  auto server = StartNoisy({"--continuation", "8"});
  ASSERT_NE(server, nullptr);
  ExpectConnectionSurvives(*server);
}

TEST_F(NoisyPeerTest, AttacksEndTheConnectionWithATypedErrorInTime) {
  // What nghttp2 takes for an attack or a protocol error: more than 8
  // CONTINUATION frames, a SETTINGS frame of 100 entries, a flow-control
  // window past 2^31-1. Each ends the connection, safely and in time.
  const std::vector<std::vector<std::string>> attacks = {
      {"--continuation", "9"},
      {"--continuation", "100"},
      {"--settings-entries", "100"},
      {"--window-overflow"},
  };
  for (const auto& flags : attacks) {
    SCOPED_TRACE(flags[0]);
    auto server = StartNoisy(flags);
    ASSERT_NE(server, nullptr);
    TransportHarness h;
    h.Configure(ConfigFor(*server));
    const absl::Time start = absl::Now();
    const DohResult result =
        h.SendAndWait("www.example.test", dns::kTypeA, absl::Seconds(2));
    EXPECT_EQ(result.error, DohError::kReset) << result.detail;
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
}

TEST_F(NoisyPeerTest, RefusedStreamsGoAgainAndShrinkTheWindow) {
  // Every third stream refused with REFUSED_STREAM.
  auto server = StartNoisy({"--refuse-every", "3"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectBurstAnswered(h, 60);
  const DohTransportStats stats = h.Stats();
  EXPECT_GE(stats.refused, 20u);
  EXPECT_EQ(stats.retried, stats.refused);
  EXPECT_GE(stats.window_decreases, 1u);
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_TRUE(
      server->WaitForCount("refused", static_cast<int>(stats.refused)).ok());
  EXPECT_EQ(server->Count("refused"), static_cast<int>(stats.refused));
}

TEST_F(NoisyPeerTest, AServerThatRefusesEveryStreamFailsAsRefusedInTime) {
  auto server = StartNoisy({"--refuse-every", "1"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  const DohResult result =
      h.SendAndWait("www.example.test", dns::kTypeA, absl::Seconds(5));
  EXPECT_EQ(result.error, DohError::kRefused) << result.detail;
  // The first send and every retry the budget allows, no more.
  const int sends = 1 + DohTransport::kMaxRefusedRetries;
  EXPECT_TRUE(server->WaitForCount("refused", sends).ok());
  EXPECT_EQ(server->Count("refused"), sends);
}

TEST_F(NoisyPeerTest, AGoawayWithStreamsInFlightLosesNoQuery) {
  // The tenth stream of each connection is the last it answers; the GOAWAY
  // refuses the rest, which go again on a new connection.
  auto server = StartNoisy({"--goaway-after", "10"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectBurstAnswered(h, 50);
  const DohTransportStats stats = h.Stats();
  EXPECT_GE(stats.connections_opened, 5u);
  EXPECT_GT(stats.refused, 0u);
  // A server going away is not a busy one: the window keeps its size.
  EXPECT_EQ(stats.window_decreases, 0u);
}

TEST_F(NoisyPeerTest, AConnectionDroppedUnderABurstShrinksTheWindow) {
  // The server drops any connection with more than 8 streams open at once
  // (as BIND 9.18 did with bursts of POST streams).
  auto server = StartNoisy({"--drop-above", "8"});
  ASSERT_NE(server, nullptr);
  for (bool get : {false, true}) {
    SCOPED_TRACE(get ? "GET" : "POST");
    TransportHarness h;
    h.Configure(ConfigFor(*server, get));
    ExpectBurstAnswered(h, 100);
    const DohTransportStats stats = h.Stats();
    EXPECT_GE(stats.window_decreases, 1u);
    EXPECT_GE(stats.retried, 1u);
    const auto connections = h.Connections();
    ASSERT_EQ(connections.size(), 1u);
    EXPECT_LE(connections[0].stream_limit, 8u);
  }
}

TEST_F(NoisyPeerTest, EachBodyLeavesBeforeTheNextStreamStarts) {
  // Bodies arrive 10 bytes per WINDOW_UPDATE, and a stream that opens
  // while another's body is incomplete is refused (knot-resolver 5.6's
  // rule): a POST burst must send each request whole before the next.
  auto server = StartNoisy({"--initial-window", "10", "--strict-bodies"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectAnswered(h.SendAndWait("first.example.test", dns::kTypeA),
                 "first.example.test");
  ExpectBurstAnswered(h, 30);
  EXPECT_EQ(server->Count("refused-incomplete"), 0);
  EXPECT_EQ(h.Stats().refused, 0u);
}

TEST_F(NoisyPeerTest, TheServersStreamLimitIsHonoured) {
  // It drops a connection that opens more streams than it advertised.
  auto server = StartNoisy({"--max-streams", "5", "--drop-above", "5"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  // Once its SETTINGS are in (a request sent before may exceed what they
  // will say, RFC 9113 section 5.1.2), no burst goes above them.
  ExpectAnswered(h.SendAndWait("first.example.test", dns::kTypeA),
                 "first.example.test");
  ExpectBurstAnswered(h, 50);
  EXPECT_EQ(h.Stats().window_decreases, 0u);
  EXPECT_EQ(server->Count("dropped"), 0);
  const auto connections = h.Connections();
  ASSERT_EQ(connections.size(), 1u);
  EXPECT_EQ(connections[0].server_max_streams, 5u);
  EXPECT_EQ(connections[0].stream_limit, 5u);
}

// A server that answers every stream, 100 ms each, two at a time: a burst
// of 20 takes a second, and each request has 400 ms. Those waiting for a
// stream wait on while answers come, and their clock starts when they go
// out: a busy server is not a failing one (mode 2 would go native).
TEST_F(NoisyPeerTest, RequestsQueuedForABusyServerWaitAsLongAsItAnswers) {
  auto server = StartNoisy({"--max-streams", "2", "--answer-delay-ms", "100"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  // Its SETTINGS first, so that the burst queues here, not at the server.
  ExpectAnswered(h.SendAndWait("first.example.test", dns::kTypeA),
                 "first.example.test");
  ExpectBurstAnswered(h, 20, absl::Milliseconds(400));
  EXPECT_EQ(h.Stats().errors[static_cast<int>(DohError::kTimeout)], 0u);
  EXPECT_EQ(server->Count("answered"), 21);
}

// The same server, silent: what waits for a stream gets no more time than
// what is on one. Every request fails as a timeout at its own deadline,
// not one after another as streams come free (20 rounds of 300 ms).
TEST_F(NoisyPeerTest, RequestsQueuedForAStalledServerFailInTheirOwnTime) {
  auto server =
      StartNoisy({"--max-streams", "2", "--answer-delay-ms", "600000"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  // Up, with its SETTINGS in: this one times out on the connection.
  const DohResult first =
      h.SendAndWait("first.example.test", dns::kTypeA, absl::Milliseconds(300));
  EXPECT_EQ(first.error, DohError::kTimeout) << first.detail;
  // Fails the test unless every one is in within 3 s: ten times their
  // timeout, where one after another would take 20 rounds of it.
  for (const DohResult& r :
       SendBurst(h, 40, absl::Milliseconds(300), absl::Seconds(3))) {
    EXPECT_EQ(r.error, DohError::kTimeout) << r.detail;
    EXPECT_FALSE(r.unreachable);
  }
  EXPECT_EQ(h.Connections().size(), 1u);
}

// Mode 2 over the busy server: 30 lookups, 50 ms an answer two at a time,
// 300 ms each. Every one is answered by TRR and none goes native: the
// server was busy, never failing.
TEST_F(NoisyPeerTest, Mode2NeverGoesNativeBecauseTheServerWasBusy) {
  auto server = StartNoisy({"--max-streams", "2", "--answer-delay-ms", "50"});
  ASSERT_NE(server, nullptr);
  auto resolver = Resolver::Create();
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  ASSERT_TRUE(
      (*resolver)
          ->SetPrefs({
              {"network.trr.mode", int32_t{2}},
              {"network.trr.uri", server->DohUri()},
              {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
              {"network.trr.ca_file", server->ca_file()},
              {"network.trr.confirmationNS", std::string("skip")},
              {"network.trr.request_timeout_ms", int32_t{300}},
              // Nothing listens there: a lookup that went native
              // would fail.
              {"network.dns.native_nameserver", std::string("127.0.0.1:1")},
          })
          .ok());
  constexpr int kLookups = 30;
  std::vector<std::string> names;
  for (int i = 0; i < kLookups; ++i) {
    names.push_back(absl::StrCat("n", i, ".example.test"));
  }
  for (const ResolveResult& r :
       ResolveAll(**resolver, names, QueryKind::kIpv4, absl::Seconds(20))) {
    EXPECT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
  }
  const ResolverCounters counters = (*resolver)->Snapshot().counters;
  EXPECT_EQ(counters.trr_ok, static_cast<uint64_t>(kLookups));
  EXPECT_EQ(counters.native_queries, 0u);
  EXPECT_EQ(counters.fallbacks, 0u);
}

// --- HTTP/1.1 -------------------------------------------------------------
// The server offers only ALPN http/1.1 and answers as --http1 says.

std::unique_ptr<NoisyDohServer> StartHttp1(const std::string& behaviour) {
  return StartNoisy({"--alpn", "http/1.1", "--http1", behaviour});
}

// `count` names in one burst, then as many by GET: every one answered.
void ExpectPostAndGetBurstsAnswered(const NoisyDohServer& server, int count,
                                    TransportHarness& post,
                                    TransportHarness& get) {
  post.Configure(ConfigFor(server));
  ExpectBurstAnswered(post, count);
  get.Configure(ConfigFor(server, /*use_get=*/true));
  ExpectBurstAnswered(get, count);
}

// Requests queued behind a full connection wait without spinning the
// loop: one stream at a time, 100 ms an answer, ten requests take a second
// of which the process spends a small part on the CPU (a dispatch posted
// on every read and write while requests wait once kept a core busy).
TEST_F(NoisyPeerTest, RequestsWaitingForRoomCostNoCpu) {
  auto server = StartNoisy({"--max-streams", "1", "--answer-delay-ms", "100"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectAnswered(h.SendAndWait("www.example.test", dns::kTypeA),
                 "www.example.test");
  auto cpu = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return absl::DurationFromTimeval(usage.ru_utime) +
           absl::DurationFromTimeval(usage.ru_stime);
  };
  const absl::Duration cpu_before = cpu();
  const absl::Time start = absl::Now();
  const std::vector<DohResult> results =
      SendBurst(h, 10, absl::Seconds(5), absl::Seconds(10));
  const absl::Duration wall = absl::Now() - start;
  const absl::Duration used = cpu() - cpu_before;
  ASSERT_EQ(results.size(), 10u);
  for (const DohResult& r : results) {
    EXPECT_TRUE(r.ok()) << DohErrorName(r.error) << ": " << r.detail;
  }
  EXPECT_GE(wall, absl::Milliseconds(900));
  EXPECT_LT(used, wall / 2) << "the loop spun while requests waited";
}

// The headers that could tell one client from another go as Firefox's
// network.trr.send_* prefs choose: by default an empty Accept-Encoding and
// neither User-Agent nor Accept-Language; with the prefs turned, all three.
TEST_F(NoisyPeerTest, RequestsCarryOnlyTheClientHeadersChosen) {
  auto server = StartNoisy({});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  DohConfig config = ConfigFor(*server);
  h.Configure(config);
  ExpectAnswered(h.SendAndWait("www.example.test", dns::kTypeA),
                 "www.example.test");
  config.client = ClientHeaders{"identity", "TestAgent/1.0", "fr, en"};
  h.Configure(config);
  ExpectAnswered(h.SendAndWait("www.example.test", dns::kTypeA),
                 "www.example.test");
  std::vector<std::string> seen;
  for (absl::string_view line :
       absl::StrSplit(server->process().Output(), '\n')) {
    if (absl::StartsWith(line, "headers ")) seen.emplace_back(line);
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_THAT(seen[0], HasSubstr("accept-encoding=;"));
  EXPECT_THAT(seen[0], Not(HasSubstr("user-agent")));
  EXPECT_THAT(seen[0], Not(HasSubstr("accept-language")));
  EXPECT_THAT(seen[1], HasSubstr("accept-encoding=identity;"));
  EXPECT_THAT(seen[1], HasSubstr("user-agent=TestAgent/1.0"));
  EXPECT_THAT(seen[1], HasSubstr("accept-language=fr, en;"));
}

TEST_F(NoisyPeerTest, Http1BurstsGoOverAPoolOfFourKeptAliveConnections) {
  auto server = StartHttp1("plain");
  ASSERT_NE(server, nullptr);
  TransportHarness post, get;
  ExpectPostAndGetBurstsAnswered(*server, 100, post, get);
  for (TransportHarness* h : {&post, &get}) {
    // The connection that learnt the server's protocol is kept, and three
    // more join it; each carries one request at a time, kept alive.
    EXPECT_EQ(h->Stats().connections_opened, 4u);
    EXPECT_EQ(h->Stats().retried, 0u);
    const auto connections = h->Connections();
    ASSERT_EQ(connections.size(), 4u);
    uint64_t answered = 0;
    for (const DohConnectionInfo& conn : connections) {
      EXPECT_EQ(conn.protocol, "http/1.1");
      EXPECT_EQ(conn.stream_limit, 1u);
      answered += conn.answered;
    }
    EXPECT_EQ(answered, 100u);
  }
  EXPECT_EQ(server->Count("connection"), 8);
}

TEST_F(NoisyPeerTest, Http1RequestsQueuedForABusyPoolWaitAsLongAsItAnswers) {
  // 100 ms an answer on each of four connections: 24 take 600 ms, and
  // each request has 400 ms once it is on a connection.
  auto server = StartNoisy(
      {"--alpn", "http/1.1", "--http1", "plain", "--answer-delay-ms", "100"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectBurstAnswered(h, 24, absl::Milliseconds(400));
  EXPECT_EQ(h.Stats().errors[static_cast<int>(DohError::kTimeout)], 0u);
  EXPECT_EQ(h.Stats().connections_opened, 4u);
}

TEST_F(NoisyPeerTest, Http1PoolConnectionsSayHttp1BeforeTlsIsUp) {
  // Two at once: the first connection learns HTTP/1.1 and answers both
  // while the second one it opened still waits for its TLS handshake (the
  // server holds it). That one is listed as http/1.1 all the same: the
  // interop test once saw "h2" there.
  auto server = StartNoisy(
      {"--alpn", "http/1.1", "--http1", "plain", "--hold-later-tls"});
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectBurstAnswered(h, 2);
  const auto connections = h.Connections();
  ASSERT_EQ(connections.size(), 2u);
  bool one_not_up = false;
  for (const DohConnectionInfo& conn : connections) {
    EXPECT_EQ(conn.protocol, "http/1.1") << conn.state;
    one_not_up = one_not_up || conn.state != "open";
  }
  EXPECT_TRUE(one_not_up);
}

TEST_F(NoisyPeerTest, Http1ResponsesAreReadHoweverTheyAreFramed) {
  // Chunked bodies; a 100 Continue first; a body that runs to the close;
  // Connection: close after each; every byte in a write of its own.
  for (const char* behaviour :
       {"chunked", "continue", "until-close", "close-each", "split"}) {
    SCOPED_TRACE(behaviour);
    auto server = StartHttp1(behaviour);
    ASSERT_NE(server, nullptr);
    TransportHarness post, get;
    ExpectPostAndGetBurstsAnswered(*server, 20, post, get);
    EXPECT_EQ(post.Stats().retried + get.Stats().retried, 0u);
  }
}

TEST_F(NoisyPeerTest, Http1AConnectionClosedBeforeItsAnswerLosesNoQuery) {
  // Each connection answers 3 requests, then closes on the fourth unread:
  // what a server that times out a kept-alive connection does, just as a
  // request goes out on it. That request goes again.
  auto server = StartHttp1("drop-after=3");
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectBurstAnswered(h, 40);
  EXPECT_GE(h.Stats().retried, 1u);
  EXPECT_EQ(h.Stats().retried, static_cast<uint64_t>(server->Count("dropped")));
}

TEST_F(NoisyPeerTest, Http1HostileResponsesEndInATypedErrorInTime) {
  const std::vector<std::pair<std::string, DohError>> cases = {
      {"garbage", DohError::kReset},
      {"huge-headers", DohError::kReset},
      {"endless", DohError::kTooLarge},
  };
  for (const auto& [behaviour, error] : cases) {
    SCOPED_TRACE(behaviour);
    auto server = StartHttp1(behaviour);
    ASSERT_NE(server, nullptr);
    TransportHarness h;
    h.Configure(ConfigFor(*server));
    const absl::Time start = absl::Now();
    const DohResult result =
        h.SendAndWait("www.example.test", dns::kTypeA, absl::Seconds(2));
    EXPECT_EQ(result.error, error) << result.detail;
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    // Sent once: the server answered it, however badly.
    EXPECT_EQ(h.Stats().retried, 0u);
  }
}

TEST_F(NoisyPeerTest, Http1ARequestThatTimesOutTakesItsConnection) {
  // HTTP/1.1 cannot take a request back: its late answer would be read as
  // the next request's. The first connection never answers; the request
  // times out, the connection is closed, and the next query goes on a new
  // one.
  auto server = StartHttp1("hang-first");
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  EXPECT_EQ(
      h.SendAndWait("first.example.test", dns::kTypeA, absl::Milliseconds(300))
          .error,
      DohError::kTimeout);
  ASSERT_TRUE(server->WaitForCount("closed", 1).ok());
  ExpectAnswered(h.SendAndWait("second.example.test", dns::kTypeA),
                 "second.example.test");
  EXPECT_EQ(h.Stats().connections_opened, 2u);
}

TEST_F(NoisyPeerTest, Http1AResponseToNothingAskedEndsTheConnection) {
  // After each answer the server sends a second response nobody asked
  // for; read as the next request's answer, it would answer the wrong
  // question. The connection is dropped instead, and the next query goes
  // on a new one.
  auto server = StartHttp1("unsolicited");
  ASSERT_NE(server, nullptr);
  TransportHarness h;
  h.Configure(ConfigFor(*server));
  ExpectAnswered(h.SendAndWait("first.example.test", dns::kTypeA),
                 "first.example.test");
  ASSERT_TRUE(server->WaitForCount("closed", 1).ok());
  ExpectAnswered(h.SendAndWait("second.example.test", dns::kTypeA),
                 "second.example.test");
  EXPECT_EQ(h.Stats().connections_opened, 2u);
}

}  // namespace
}  // namespace trr
