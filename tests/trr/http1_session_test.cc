// Http1Session alone, on a TLS connection a ConnectJob brought up to the
// noisy DoH server speaking HTTP/1.1 only: requests one after another on a
// kept-alive connection, a body that runs to the close, and a body over
// the limit.

#include "trr/transport/http1_session.h"

#include <sys/epoll.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/noisy_doh_server.h"
#include "tests/trr/connect_job_harness.h"
#include "trr/dns/base64url.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"
#include "trr/loop/event_loop.h"
#include "trr/loop/fd_watch.h"

namespace trr {
namespace {

using ::testing::HasSubstr;
using Response = Http1ResponseReader::Response;

// A session on its own loop, its socket watched as the transport watches
// it; the test thread submits and waits for responses, or the failure.
class SessionHarness final : private Http1Session::Listener {
 public:
  SessionHarness(std::unique_ptr<TlsSocket> socket, size_t max_body)
      : socket_(std::move(socket)) {
    Http1Session::Config config;
    config.authority = "localhost";
    config.accept = "application/dns-message";
    config.content_type = "application/dns-message";
    config.max_body = max_body;
    loop_.RunSync([&] {
      session_ = std::make_unique<Http1Session>(
          socket_.get(), std::move(config), static_cast<Listener*>(this));
      Watch();
    });
  }
  ~SessionHarness() {
    loop_.RunSync([this] {
      watch_.Stop();
      session_.reset();
    });
  }

  // POSTs a query for `name` to /dns-query, or GETs it as ?dns=.
  void Submit(bool get, const std::string& name) {
    std::vector<uint8_t> query;
    ASSERT_TRUE(
        dns::EncodeQuery(name, dns::kTypeA, dns::QueryOptions(), query).ok());
    std::string target = "/dns-query";
    if (get) {
      std::string encoded;
      dns::Base64UrlEncodeTo(query, encoded);
      target = absl::StrCat(target, "?dns=", encoded);
    }
    loop_.RunSync([&] {
      session_->Submit(get, target, query);
      if (!session_->Flush()) Failed();
      Watch();
    });
  }

  // Once there are `count` responses, or the session failed (within 5 s).
  std::vector<Response> Wait(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    MutexLock lock(&mu_);
    while (responses_.size() < count && !failure_) {
      if (!cv_.WaitWithDeadline(&mu_, deadline)) break;
    }
    return responses_;
  }
  std::optional<DohFailure> failure() {
    MutexLock lock(&mu_);
    return failure_;
  }

 private:
  void Watch() {
    if (!session_) return;
    watch_.Start(&loop_, socket_->io.fd, session_->WantedEvents(),
                 [this](uint32_t) {
                   if (!session_->Pump()) {
                     Failed();
                     return;
                   }
                   Watch();
                 });
  }
  void Failed() {
    watch_.Stop();
    MutexLock lock(&mu_);
    failure_ = session_->failure();
    cv_.SignalAll();
  }
  void OnResponse(Response response) override {
    MutexLock lock(&mu_);
    responses_.push_back(std::move(response));
    cv_.SignalAll();
  }

  EventLoop loop_;
  std::unique_ptr<TlsSocket> socket_;
  std::unique_ptr<Http1Session> session_;  // loop thread only
  FdWatch watch_;
  Mutex mu_;
  CondVar cv_;
  std::vector<Response> responses_ ABSL_GUARDED_BY(mu_);
  std::optional<DohFailure> failure_ ABSL_GUARDED_BY(mu_);
};

// A session to a noisy server speaking HTTP/1.1 as `http1` says.
std::unique_ptr<SessionHarness> Connect(
    std::unique_ptr<testing::NoisyDohServer>& server, const std::string& http1,
    size_t max_body = 65535) {
  auto started =
      testing::NoisyDohServer::Start({"--alpn", "http/1.1", "--http1", http1});
  if (!started.ok()) {
    ADD_FAILURE() << started.status();
    return nullptr;
  }
  server = std::move(*started);
  JobHarness job(server->ca_file());
  job.Start(job.Params("localhost", server->port(),
                       {*IpAddress::Parse("127.0.0.1")}));
  EXPECT_TRUE(job.Wait());
  if (job.socket == nullptr) {
    ADD_FAILURE() << job.detail;
    return nullptr;
  }
  EXPECT_TRUE(job.socket->http1);
  return std::make_unique<SessionHarness>(std::move(job.socket), max_body);
}

// The server's one answer: name A 192.0.2.1.
void ExpectAnswered(const Response& response, const std::string& name) {
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/dns-message");
  dns::Response parsed;
  ASSERT_TRUE(dns::ParseResponse(response.body,
                                 dns::Question(name, dns::kTypeA), parsed)
                  .ok());
  ASSERT_EQ(parsed.addresses.size(), 1u);
  EXPECT_EQ(parsed.addresses[0].ToString(), "192.0.2.1");
}

TEST(Http1SessionTest, RequestsGoOneAfterAnotherOnAKeptAliveConnection) {
  std::unique_ptr<testing::NoisyDohServer> server;
  auto h = Connect(server, "plain");
  ASSERT_NE(h, nullptr);
  h->Submit(/*get=*/false, "www.example.test");
  ASSERT_EQ(h->Wait(1).size(), 1u);
  h->Submit(/*get=*/true, "multi.example.test");
  const std::vector<Response> responses = h->Wait(2);
  ASSERT_EQ(responses.size(), 2u) << (h->failure() ? h->failure()->detail : "");
  ExpectAnswered(responses[0], "www.example.test");
  ExpectAnswered(responses[1], "multi.example.test");
  EXPECT_TRUE(responses[1].keep_alive);
  EXPECT_FALSE(h->failure().has_value());
  EXPECT_EQ(server->Count("connection"), 1);
}

TEST(Http1SessionTest, ABodyThatRunsToTheCloseIsHeardBeforeTheSessionEnds) {
  std::unique_ptr<testing::NoisyDohServer> server;
  auto h = Connect(server, "until-close");
  ASSERT_NE(h, nullptr);
  h->Submit(/*get=*/false, "www.example.test");
  const std::vector<Response> responses = h->Wait(1);
  ASSERT_EQ(responses.size(), 1u);
  ExpectAnswered(responses[0], "www.example.test");
  EXPECT_FALSE(responses[0].keep_alive);
}

TEST(Http1SessionTest, ABodyOverTheLimitFailsTheSessionTooLarge) {
  std::unique_ptr<testing::NoisyDohServer> server;
  auto h = Connect(server, "plain", /*max_body=*/20);
  ASSERT_NE(h, nullptr);
  h->Submit(/*get=*/false, "www.example.test");
  EXPECT_TRUE(h->Wait(1).empty());
  const std::optional<DohFailure> failure = h->failure();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->error, DohError::kTooLarge) << failure->detail;
}

}  // namespace
}  // namespace trr
