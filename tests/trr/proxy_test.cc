// DoH through proxies, as Firefox sends TRR through its configured one:
// the proxy handshakes alone (hermetic), then a real squid (HTTP CONNECT)
// and a real dante (SOCKS5, the DoH host's name resolved by the proxy)
// in front of a real unbound, and proxies that refuse or answer garbage,
// which fail the lookup and never send it direct. Loopback only.

#include "trr/transport/proxy.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/proxy_servers.h"
#include "tests/peers/unbound_server.h"
#include "tests/trr/transport_harness.h"
#include "trr/dns/dns_types.h"
#include "trr/resolver.h"

namespace trr {
namespace {

using ::testing::HasSubstr;
using State = ProxyReply::State;

absl::Span<const uint8_t> Bytes(const std::vector<uint8_t>& v) { return v; }

TEST(ProxyHandshakeTest, HttpConnect) {
  EXPECT_EQ(
      HttpConnectRequest("doh.example", 443),
      "CONNECT doh.example:443 HTTP/1.1\r\nHost: doh.example:443\r\n\r\n");
  EXPECT_THAT(HttpConnectRequest("::1", 8443),
              HasSubstr("CONNECT [::1]:8443 "));
  EXPECT_EQ(ParseHttpConnectReply("HTTP/1.1 200 Conn").state, State::kNeedMore);
  const ProxyReply ok = ParseHttpConnectReply(
      "HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\n");
  EXPECT_EQ(ok.state, State::kOk);
  EXPECT_EQ(ok.consumed, 47u);
  const ProxyReply refused =
      ParseHttpConnectReply("HTTP/1.1 403 Forbidden\r\n\r\n");
  EXPECT_EQ(refused.state, State::kFailed);
  EXPECT_THAT(refused.error, HasSubstr("403 Forbidden"));
  EXPECT_EQ(ParseHttpConnectReply("SSH-2.0-OpenSSH\r\n").state, State::kFailed);
  EXPECT_EQ(ParseHttpConnectReply(std::string(kMaxProxyReply, 'H')).state,
            State::kFailed);
}

TEST(ProxyHandshakeTest, Socks5) {
  EXPECT_EQ(Socks5Greeting(), (std::vector<uint8_t>{5, 1, 0}));
  EXPECT_EQ(ParseSocks5Method(Bytes({5})).state, State::kNeedMore);
  EXPECT_EQ(ParseSocks5Method(Bytes({5, 0})).state, State::kOk);
  const ProxyReply method = ParseSocks5Method(Bytes({5, 0xff}));
  EXPECT_EQ(method.state, State::kFailed);
  EXPECT_THAT(method.error, HasSubstr("accepts no method"));
  // A name goes to the proxy as it is (remote DNS).
  EXPECT_EQ(Socks5Connect("doh.test", 443),
            (std::vector<uint8_t>{5, 1, 0, 3, 8, 'd', 'o', 'h', '.', 't', 'e',
                                  's', 't', 1, 187}));
  EXPECT_EQ(Socks5Connect("127.0.0.1", 53),
            (std::vector<uint8_t>{5, 1, 0, 1, 127, 0, 0, 1, 0, 53}));
  EXPECT_EQ(ParseSocks5Reply(Bytes({5, 0, 0, 1, 127, 0, 0})).state,
            State::kNeedMore);
  const ProxyReply ok =
      ParseSocks5Reply(Bytes({5, 0, 0, 1, 127, 0, 0, 1, 0, 9}));
  EXPECT_EQ(ok.state, State::kOk);
  EXPECT_EQ(ok.consumed, 10u);
  const ProxyReply refused =
      ParseSocks5Reply(Bytes({5, 5, 0, 1, 127, 0, 0, 1, 0, 9}));
  EXPECT_EQ(refused.state, State::kFailed);
  EXPECT_THAT(refused.error, HasSubstr("connection refused"));
  EXPECT_EQ(ParseSocks5Reply(Bytes({5, 0, 0, 9, 0, 0, 0})).state,
            State::kFailed);
}

// The conversation as a whole, fed a byte at a time as a slow proxy
// sends it: SOCKS5 sends its CONNECT once the method is chosen, and either
// kind ends tunneled, or failed with the proxy's words.
TEST(ProxyHandshakeTest, TheConversationEndsTunneledOrFailed) {
  using Hs = ProxyHandshake::State;
  auto feed = [](ProxyHandshake& h, const std::vector<uint8_t>& bytes) {
    ProxyHandshake::Step last{h.state(), {}, {}};
    for (uint8_t b : bytes) {
      last = h.Read(absl::MakeConstSpan(&b, 1));
      if (last.state == Hs::kFailed || !last.send.empty()) break;
    }
    return last;
  };
  const ProxyConfig socks{ProxyConfig::Kind::kSocks5, "127.0.0.1", 1080};
  ProxyHandshake s5(socks, "doh.test", 443);
  EXPECT_EQ(s5.Start(), Socks5Greeting());
  ProxyHandshake::Step step = feed(s5, {5, 0});
  EXPECT_EQ(step.state, Hs::kSocks5Reply);
  EXPECT_EQ(step.send, Socks5Connect("doh.test", 443));
  step = feed(s5, {5, 0, 0, 1, 127, 0, 0, 1, 0, 9});
  EXPECT_EQ(step.state, Hs::kTunneled);
  EXPECT_TRUE(step.send.empty());
  // The server speaks only after our ClientHello.
  EXPECT_EQ(s5.Read(Bytes({0x16})).state, Hs::kFailed);

  const ProxyConfig http{ProxyConfig::Kind::kHttpConnect, "127.0.0.1", 3128};
  ProxyHandshake connect(http, "doh.test", 443);
  const std::vector<uint8_t> request = connect.Start();
  EXPECT_EQ(std::string(request.begin(), request.end()),
            HttpConnectRequest("doh.test", 443));
  const std::string ok = "HTTP/1.1 200 OK\r\n\r\n";
  EXPECT_EQ(feed(connect, std::vector<uint8_t>(ok.begin(), ok.end())).state,
            Hs::kTunneled);

  ProxyHandshake refused(http, "doh.test", 443);
  refused.Start();
  const std::string no = "HTTP/1.1 403 Forbidden\r\n\r\n";
  step = feed(refused, std::vector<uint8_t>(no.begin(), no.end()));
  EXPECT_EQ(step.state, Hs::kFailed);
  EXPECT_THAT(step.error, HasSubstr("403 Forbidden"));

  ProxyHandshake trailing(http, "doh.test", 443);
  trailing.Start();
  const std::string extra = "HTTP/1.1 200 OK\r\n\r\nX";
  step = trailing.Read(Bytes(std::vector<uint8_t>(extra.begin(), extra.end())));
  EXPECT_EQ(step.state, Hs::kFailed);
  EXPECT_THAT(step.error, HasSubstr("bytes after the proxy's answer"));

  ProxyHandshake endless(socks, "doh.test", 443);
  endless.Start();
  step = endless.Read(Bytes(std::vector<uint8_t>(kMaxProxyReply + 1, 5)));
  EXPECT_EQ(step.state, Hs::kFailed);
}

TEST(ProxyHandshakeTest, NoProxiesOn) {
  EXPECT_TRUE(NoProxyFor("localhost, .corp.example", "localhost"));
  EXPECT_TRUE(NoProxyFor("localhost, .corp.example", "doh.corp.example"));
  EXPECT_FALSE(NoProxyFor("localhost, .corp.example", "corp.example"));
  EXPECT_TRUE(NoProxyFor("example.net", "doh.example.net"));
  EXPECT_TRUE(NoProxyFor("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(NoProxyFor("example.net", "badexample.net"));
  EXPECT_FALSE(NoProxyFor("", "doh.example"));
}

// Answers every connection with `answer` and then keeps it open (until
// the test ends). Loopback only.
class FixedAnswerServer {
 public:
  explicit FixedAnswerServer(std::string answer) : answer_(std::move(answer)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 8);
    socklen_t length = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;  // shut down
        char buffer[512];
        (void)!recv(c, buffer, sizeof(buffer), 0);  // the request
        (void)!send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        clients_.push_back(c);
      }
    });
  }
  ~FixedAnswerServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
    for (int c : clients_) close(c);
  }
  uint16_t port() const { return port_; }

 private:
  std::string answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> clients_;
  std::thread thread_;
};

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    auto server = testing::UnboundServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // Mode 3 through the proxy at 127.0.0.1:`port`: HTTP CONNECT (ssl) or
  // SOCKS5. The DoH host is "localhost", with no bootstrap address: only
  // the proxy resolves it.
  std::unique_ptr<Resolver> Make(bool socks, uint16_t port) {
    auto resolver = Resolver::Create();
    EXPECT_TRUE(resolver.ok());
    const std::string kind = socks ? "socks" : "ssl";
    const Status set = (*resolver)->SetPrefs({
        {"network.trr.mode", int32_t{3}},
        {"network.trr.uri", server_->DohUri("localhost")},
        {"network.trr.ca_file", server_->ca_file()},
        {"network.trr.confirmationNS", std::string("skip")},
        {"network.trr.request_timeout_mode_trronly_ms", int32_t{3000}},
        {"network.proxy.type", int32_t{1}},
        {"network.proxy." + kind, std::string("127.0.0.1")},
        {"network.proxy." + kind + "_port", int32_t{port}},
    });
    EXPECT_TRUE(set.ok()) << set;
    return std::move(*resolver);
  }

  // A lookup that goes through the proxy: answered over DoH, on a
  // connection to the proxy's port.
  void ExpectAnsweredThrough(Resolver& resolver, uint16_t proxy_port) {
    const ResolveResult r = resolver.ResolveSync("www.example.test");
    ASSERT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
    const ResolverSnapshot s = resolver.Snapshot();
    ASSERT_EQ(s.doh_connections.size(), 1u);
    EXPECT_EQ(s.doh_connections[0].address,
              absl::StrCat("127.0.0.1:", proxy_port));
    EXPECT_FALSE(s.doh_host_resolved_natively);
  }

  // A proxy that fails the connection: the transport says why (a typed
  // connect failure), the lookup fails, and nothing went direct.
  // `peer_log`, when given, says what the proxy logged, for the messages.
  void ExpectFailedWithoutGoingDirect(
      bool socks, uint16_t port, const std::string& why,
      const std::function<std::string()>& peer_log = nullptr) {
    TransportHarness h;
    DohConfig config;
    config.uri = *ParseDohUri(server_->DohUri("localhost"));
    config.ca_file = server_->ca_file();
    config.proxy = {
        socks ? ProxyConfig::Kind::kSocks5 : ProxyConfig::Kind::kHttpConnect,
        "127.0.0.1", port};
    h.Configure(config);
    const DohResult result = h.SendAndWait("www.example.test", dns::kTypeA);
    EXPECT_EQ(result.error, DohError::kConnect) << result.detail;
    EXPECT_THAT(result.detail, HasSubstr(why))
        << (peer_log ? peer_log() : std::string());
    auto resolver = Make(socks, port);
    const ResolveResult r = resolver->ResolveSync("www.example.test");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.trr_failure, TrrFailure::kConnect) << r.status;
    ASSERT_TRUE(server_->Sync().ok());
    EXPECT_EQ(server_->QueriesReceived("www.example.test"), 0);
  }

  std::unique_ptr<testing::UnboundServer> server_;
};

TEST_F(ProxyTest, ThroughSquidWithHttpConnect) {
  TRR_REQUIRE_SQUID();
  auto squid = testing::SquidServer::Start();
  ASSERT_TRUE(squid.ok()) << squid.status();
  auto resolver = Make(/*socks=*/false, (*squid)->port());
  ExpectAnsweredThrough(*resolver, (*squid)->port());
  EXPECT_THAT(
      api::DumpText(resolver->Snapshot()),
      HasSubstr(absl::StrCat("http-connect 127.0.0.1:", (*squid)->port())));
}

TEST_F(ProxyTest, ThroughDanteWithSocks5AndTheProxyResolvingTheHost) {
  TRR_REQUIRE_DANTE();
  auto dante = testing::DanteServer::Start();
  ASSERT_TRUE(dante.ok()) << dante.status();
  auto resolver = Make(/*socks=*/true, (*dante)->port());
  ExpectAnsweredThrough(*resolver, (*dante)->port());
}

TEST_F(ProxyTest, ASquidThatRefusesFailsTheLookupAndNothingGoesDirect) {
  TRR_REQUIRE_SQUID();
  auto squid = testing::SquidServer::Start(/*allow=*/false);
  ASSERT_TRUE(squid.ok()) << squid.status();
  ExpectFailedWithoutGoingDirect(/*socks=*/false, (*squid)->port(),
                                 "refused CONNECT: HTTP/1.1 403",
                                 [&] { return (*squid)->Log(); });
}

TEST_F(ProxyTest, AProxyAnsweringGarbageOrAnUnknownMethodFailsTheLookup) {
  FixedAnswerServer garbage("SSH-2.0-OpenSSH_9.2\r\n");
  ExpectFailedWithoutGoingDirect(/*socks=*/false, garbage.port(), "not HTTP");
  FixedAnswerServer picky(std::string("\x05\x02", 2));  // username/password
  ExpectFailedWithoutGoingDirect(/*socks=*/true, picky.port(),
                                 "accepts no method");
  // No proxy listening at all: a connect failure, not a direct query.
  ExpectFailedWithoutGoingDirect(/*socks=*/false, 1, "Connection refused");
}

TEST_F(ProxyTest, NoProxiesOnSendsTheHostDirect) {
  FixedAnswerServer garbage("not a proxy\r\n\r\n");
  auto resolver = Make(/*socks=*/false, garbage.port());
  ASSERT_TRUE(resolver
                  ->SetPrefs({{"network.proxy.no_proxies_on",
                               std::string("example.org, localhost")}})
                  .ok());
  const ResolveResult r = resolver->ResolveSync("www.example.test");
  ASSERT_TRUE(r.ok()) << r.status;
  // localhost, resolved here: 127.0.0.1 or ::1, at unbound's own port.
  EXPECT_THAT(resolver->Snapshot().doh_connections.at(0).address,
              ::testing::EndsWith(absl::StrCat(":", server_->doh_port())));
}

}  // namespace
}  // namespace trr
