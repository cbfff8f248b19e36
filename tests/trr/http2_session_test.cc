// Http2Session alone, on a TLS connection a ConnectJob brought up to a real
// unbound serving DoH on loopback: streams end answered with the response,
// a reset stream is never reported, a body over the limit ends its stream
// typed, and both methods (POST and GET) work.

#include "trr/transport/http2_session.h"

#include <sys/epoll.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/unbound_server.h"
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
using Kind = Http2Session::StreamEnd::Kind;

std::vector<uint8_t> Query(const std::string& name) {
  std::vector<uint8_t> query;
  EXPECT_TRUE(
      dns::EncodeQuery(name, dns::kTypeA, dns::QueryOptions(), query).ok());
  return query;
}

// A session on its own loop, its socket watched as the transport watches
// it; the test thread submits and waits for streams to end.
class SessionHarness final : private Http2Session::Listener {
 public:
  SessionHarness(std::unique_ptr<TlsSocket> socket, size_t max_body)
      : socket_(std::move(socket)) {
    Http2Session::Config config;
    config.authority = "doh.test";
    config.accept = "application/dns-message";
    config.content_type = "application/dns-message";
    config.max_body = max_body;
    loop_.RunSync([&] {
      session_ = std::make_unique<Http2Session>(
          socket_.get(), std::move(config), static_cast<Listener*>(this));
      Flush();
    });
  }
  ~SessionHarness() {
    loop_.RunSync([this] {
      watch_.Stop();
      session_.reset();
    });
  }

  // POSTs `query` to /dns-query, or GETs it as ?dns=; with `reset`, resets
  // the stream in the same turn of the loop (before any answer is read).
  int32_t Submit(bool get, const std::vector<uint8_t>& query,
                 bool reset = false) {
    std::string path = "/dns-query";
    if (get) {
      std::string encoded;
      dns::Base64UrlEncodeTo(query, encoded);
      path = absl::StrCat(path, "?dns=", encoded);
    }
    int32_t stream = 0;
    loop_.RunSync([&] {
      stream = session_->Submit(get, path, query);
      if (!get) {
        EXPECT_TRUE(session_->Produce());
      }
      if (reset) session_->Reset(stream);
      Flush();
    });
    return stream;
  }

  // The streams ended so far, once there are `count` (within 5 s).
  std::vector<std::pair<int32_t, Http2Session::StreamEnd>> Wait(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    MutexLock lock(&mu_);
    while (ends_.size() < count) {
      if (!cv_.WaitWithDeadline(&mu_, deadline)) break;
    }
    return ends_;
  }

 private:
  void Flush() {
    if (!session_->Flush()) {
      ADD_FAILURE() << session_->failure().detail;
      return;
    }
    Watch();
  }
  void Watch() {
    watch_.Start(&loop_, socket_->io.fd, session_->WantedEvents(),
                 [this](uint32_t events) {
                   if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 &&
                       !session_->Pump()) {
                     ADD_FAILURE() << session_->failure().detail;
                     watch_.Stop();
                     return;
                   }
                   Flush();
                 });
  }
  void OnStreamEnd(int32_t stream, Http2Session::StreamEnd end) override {
    MutexLock lock(&mu_);
    ends_.emplace_back(stream, std::move(end));
    cv_.SignalAll();
  }
  void OnGoaway(int32_t) override {}
  void OnPingAnswered() override {}

  EventLoop loop_;
  std::unique_ptr<TlsSocket> socket_;
  std::unique_ptr<Http2Session> session_;  // loop thread only
  FdWatch watch_;
  Mutex mu_;
  CondVar cv_;
  std::vector<std::pair<int32_t, Http2Session::StreamEnd>> ends_
      ABSL_GUARDED_BY(mu_);
};

class Http2SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    auto server = testing::UnboundServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  // A session to the server, over a connection a ConnectJob made.
  std::unique_ptr<SessionHarness> Connect(size_t max_body = 65535) {
    JobHarness job(server_->ca_file());
    job.Start(job.Params("doh.test", server_->doh_port(),
                         {*IpAddress::Parse("127.0.0.1")}));
    EXPECT_TRUE(job.Wait());
    if (job.socket == nullptr) {
      ADD_FAILURE() << job.detail;
      return nullptr;
    }
    EXPECT_FALSE(job.socket->http1);
    return std::make_unique<SessionHarness>(std::move(job.socket), max_body);
  }
  std::unique_ptr<testing::UnboundServer> server_;
};

void ExpectAddress(const Http2Session::StreamEnd& end, const std::string& name,
                   const std::string& address) {
  ASSERT_EQ(end.kind, Kind::kAnswered) << end.detail;
  EXPECT_EQ(end.status, 200);
  EXPECT_EQ(end.content_type, "application/dns-message");
  dns::Response response;
  ASSERT_TRUE(
      dns::ParseResponse(end.body, dns::Question(name, dns::kTypeA), response)
          .ok());
  ASSERT_EQ(response.addresses.size(), 1u);
  EXPECT_EQ(response.addresses[0].ToString(), address);
}

TEST_F(Http2SessionTest, PostAndGetStreamsEndAnsweredWithTheResponse) {
  auto h = Connect();
  ASSERT_NE(h, nullptr);
  const int32_t post = h->Submit(/*get=*/false, Query("www.example.test"));
  const int32_t get = h->Submit(/*get=*/true, Query("www.example.test"));
  EXPECT_GT(post, 0);
  EXPECT_GT(get, post);
  const auto ends = h->Wait(2);
  ASSERT_EQ(ends.size(), 2u);
  for (const auto& [stream, end] : ends) {
    EXPECT_TRUE(stream == post || stream == get) << stream;
    ExpectAddress(end, "www.example.test", "192.0.2.1");
  }
}

TEST_F(Http2SessionTest, AResetStreamIsNeverReported) {
  auto h = Connect();
  ASSERT_NE(h, nullptr);
  h->Submit(/*get=*/false, Query("www.example.test"), /*reset=*/true);
  // One after it, on the same connection: when it has ended, the reset
  // one's answer (if the server sent one) has been read and dropped.
  const int32_t next = h->Submit(/*get=*/false, Query("www.example.test"));
  const auto ends = h->Wait(1);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].first, next);
  ExpectAddress(ends[0].second, "www.example.test", "192.0.2.1");
}

TEST_F(Http2SessionTest, ABodyOverTheLimitEndsItsStreamTooLarge) {
  auto h = Connect(/*max_body=*/20);
  ASSERT_NE(h, nullptr);
  h->Submit(/*get=*/false, Query("www.example.test"));
  const auto ends = h->Wait(1);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].second.kind, Kind::kTooLarge);
  EXPECT_EQ(ends[0].second.status, 200);
  EXPECT_THAT(ends[0].second.detail, HasSubstr("over 20 bytes"));
}

}  // namespace
}  // namespace trr
