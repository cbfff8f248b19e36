// JobHarness: one ConnectJob run on its own EventLoop, with the test
// thread waiting for its end (a TLS connection, or a typed failure).

#ifndef TRR_TESTS_TRR_CONNECT_JOB_HARNESS_H_
#define TRR_TESTS_TRR_CONNECT_JOB_HARNESS_H_

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "trr/loop/event_loop.h"
#include "trr/transport/connect_job.h"
#include "trr/transport/tls_trust.h"

namespace trr {

// Runs one job on its own loop; the test thread waits for its end.
class JobHarness final : private ConnectJob::Delegate {
 public:
  // Verification on against `ca_file`, ALPN h2 then http/1.1, as the
  // transport sets its context up.
  explicit JobHarness(const std::string& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    static const unsigned char kAlpn[] = {2,   'h', '2', 8,   'h', 't',
                                          't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof(kAlpn));
    absl::StatusOr<X509_STORE*> store = TrustedStore(ca_file);
    EXPECT_TRUE(store.ok()) << store.status();
    if (store.ok()) SSL_CTX_set_cert_store(ctx_, *store);  // ours to give
  }
  ~JobHarness() {
    loop_.RunSync([this] { job_.reset(); });
    SSL_CTX_free(ctx_);
  }

  // The parameters for `host` on `port` at `addresses`, with this context.
  ConnectJob::Params Params(const std::string& host, uint16_t port,
                            std::vector<IpAddress> addresses) {
    ConnectJob::Params params;
    params.host = host;
    params.port = port;
    params.bootstrap = std::move(addresses);
    params.tls = ctx_;
    params.resolver = [] { return nullptr; };  // never asked: addresses given
    return params;
  }

  void Start(ConnectJob::Params params) {
    loop_.RunSync([&] {
      job_ = std::make_unique<ConnectJob>(&loop_, std::move(params),
                                          static_cast<Delegate*>(this));
      job_->Start();
    });
  }
  // Waits for Done or Failed (within 5 s). Through base/mutex.h, which
  // ThreadSanitizer sees: the results below are read after it.
  bool Wait() {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    MutexLock lock(&mu_);
    while (!ended_) {
      if (!cv_.WaitWithDeadline(&mu_, deadline)) break;
    }
    return ended_;
  }

  std::vector<ConnectJob::AttemptInfo> Attempts() {
    std::vector<ConnectJob::AttemptInfo> attempts;
    loop_.RunSync([&] { attempts = job_->Attempts(); });
    return attempts;
  }

  // Read after Wait().
  std::unique_ptr<TlsSocket> socket;
  std::optional<DohError> error;
  std::string detail;
  int attempts_started = 0;

 private:
  void OnAttemptStarted() override {
    MutexLock lock(&mu_);
    ++attempts_started;
  }
  void OnConnectJobDone(ConnectJob*, std::unique_ptr<TlsSocket> s) override {
    MutexLock lock(&mu_);
    socket = std::move(s);
    ended_ = true;
    cv_.SignalAll();
  }
  void OnConnectJobFailed(ConnectJob*, DohError e,
                          const std::string& d) override {
    MutexLock lock(&mu_);
    error = e;
    detail = d;
    ended_ = true;
    cv_.SignalAll();
  }

  EventLoop loop_;
  SSL_CTX* ctx_ = nullptr;
  std::unique_ptr<ConnectJob> job_;
  Mutex mu_;
  CondVar cv_;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace trr

#endif  // TRR_TESTS_TRR_CONNECT_JOB_HARNESS_H_
