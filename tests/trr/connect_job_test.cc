// ConnectJob alone, against a real unbound serving DoH on loopback and
// against sockets that refuse or never speak: the job hands over a TLS
// connection, races past an address that refuses, fails typed, and says
// what its attempts are doing.

#include "trr/transport/connect_job.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/unbound_server.h"
#include "tests/trr/connect_job_harness.h"
#include "trr/loop/event_loop.h"

namespace trr {
namespace {

using ::testing::HasSubstr;

// A TCP socket on 127.0.0.1 that listens (the kernel completes the
// handshake, nobody ever speaks), or is only bound (a connect is refused).
class LocalSocket {
 public:
  explicit LocalSocket(bool listen_on) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
              0);
    if (listen_on) {
      EXPECT_EQ(listen(fd_, 8), 0);
    }
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~LocalSocket() {
    if (peer_ >= 0) close(peer_);
    close(fd_);
  }
  uint16_t port() const { return port_; }

  // Accepts a connection and waits until it has sent something (within
  // `deadline`).
  bool AwaitBytes(absl::Duration deadline) {
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline));
    pollfd listening{fd_, POLLIN, 0};
    if (poll(&listening, 1, ms) != 1) return false;
    peer_ = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    pollfd peer{peer_, POLLIN, 0};
    return peer_ >= 0 && poll(&peer, 1, ms) == 1;
  }

 private:
  int fd_ = -1;
  int peer_ = -1;
  uint16_t port_ = 0;
};

class ConnectJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    auto server = testing::UnboundServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::unique_ptr<testing::UnboundServer> server_;
};

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

TEST_F(ConnectJobTest, HandsOverAVerifiedTlsConnectionSpeakingHttp2) {
  JobHarness h(server_->ca_file());
  h.Start(h.Params("doh.test", server_->doh_port(), {Ip("127.0.0.1")}));
  ASSERT_TRUE(h.Wait());
  ASSERT_NE(h.socket, nullptr) << h.detail;
  EXPECT_FALSE(h.socket->http1);
  EXPECT_GE(h.socket->io.fd, 0);
  ASSERT_TRUE(h.socket->address.has_value());
  EXPECT_EQ(h.socket->address->ToString(), "127.0.0.1");
  EXPECT_EQ(SSL_is_init_finished(h.socket->ssl), 1);
  EXPECT_EQ(h.attempts_started, 1);
}

TEST_F(ConnectJobTest, AnAddressThatRefusesIsPassedForTheNext) {
  // unbound listens on 127.0.0.1 and ::1 only: 127.0.0.2 refuses at once,
  // and the next address is tried then, not after attempt_delay.
  JobHarness h(server_->ca_file());
  ConnectJob::Params params = h.Params("doh.test", server_->doh_port(),
                                       {Ip("127.0.0.2"), Ip("127.0.0.1")});
  params.attempt_delay = absl::Hours(1);
  h.Start(std::move(params));
  ASSERT_TRUE(h.Wait());
  ASSERT_NE(h.socket, nullptr) << h.detail;
  EXPECT_EQ(h.socket->address->ToString(), "127.0.0.1");
}

TEST_F(ConnectJobTest, EveryAddressRefusingFailsWithConnect) {
  LocalSocket refusing(/*listen_on=*/false);
  JobHarness h(server_->ca_file());
  h.Start(h.Params("doh.test", refusing.port(), {Ip("127.0.0.1")}));
  ASSERT_TRUE(h.Wait());
  EXPECT_EQ(h.socket, nullptr);
  EXPECT_EQ(h.error, DohError::kConnect);
  EXPECT_THAT(h.detail, HasSubstr(absl::StrCat("127.0.0.1:", refusing.port())));
}

TEST_F(ConnectJobTest, ACertificateForAnotherNameFailsTls) {
  JobHarness h(server_->ca_file());
  h.Start(
      h.Params("not-the-server.test", server_->doh_port(), {Ip("127.0.0.1")}));
  ASSERT_TRUE(h.Wait());
  EXPECT_EQ(h.socket, nullptr);
  EXPECT_EQ(h.error, DohError::kTls) << h.detail;
  EXPECT_THAT(h.detail, HasSubstr("not-the-server.test"));
}

TEST_F(ConnectJobTest, ACertificateThatDoesNotCoverTheDesignatorFailsTls) {
  JobHarness h(server_->ca_file());
  ConnectJob::Params params =
      h.Params("doh.test", server_->doh_port(), {Ip("127.0.0.1")});
  params.verify_ip = Ip("192.0.2.53");  // compared only, never contacted
  h.Start(std::move(params));
  ASSERT_TRUE(h.Wait());
  EXPECT_EQ(h.error, DohError::kTls);
  EXPECT_THAT(h.detail, HasSubstr("192.0.2.53"));
}

TEST(ConnectJobAloneTest, AttemptsSayWhatTheyAreDoing) {
  // A listener that accepts (the kernel does) and never answers the
  // ClientHello: the attempt stays in TLS.
  LocalSocket silent(/*listen_on=*/true);
  JobHarness h("");
  h.Start(h.Params("doh.test", silent.port(), {Ip("127.0.0.1")}));
  // Its ClientHello arrived: the attempt is in TLS.
  ASSERT_TRUE(silent.AwaitBytes(absl::Seconds(5)));
  const std::vector<ConnectJob::AttemptInfo> attempts = h.Attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_STREQ(attempts[0].state, "tls");
  EXPECT_EQ(attempts[0].address->ToString(), "127.0.0.1");
}

}  // namespace
}  // namespace trr
