// H2ProbeSender: a measuring probe, not a transport. DoH over nghttp2 driven
// directly over OpenSSL on trr's EventLoop, with none of libcurl's
// per-transfer machinery, so bench/doh_load can put a number on what issue
// 6's goals would get from that stack before the real transport is
// rewritten. It does only what the benchmark needs: one connection to the
// first bootstrap address, TLS verified against ca_file with the URI's host,
// ALPN h2, GET or POST, and every request completed exactly once (answers,
// timeouts, cancels, a broken connection). No reconnect, no credentials.
//
// Loop thread only.

#ifndef TRR_BENCH_H2_PROBE_SENDER_H_
#define TRR_BENCH_H2_PROBE_SENDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "trr/doh_transport.h"
#include "trr/event_loop.h"

namespace trr_bench {

class H2ProbeSender final : public trr::DohSender {
 public:
  explicit H2ProbeSender(trr::EventLoop* loop);
  ~H2ProbeSender() override;
  H2ProbeSender(const H2ProbeSender&) = delete;
  H2ProbeSender& operator=(const H2ProbeSender&) = delete;

  void Configure(trr::DohConfig config) override;
  RequestId Send(absl::Span<const uint8_t> query, absl::Duration timeout,
                 Callback done) override;
  void Cancel(RequestId id) override;
  void CancelAll() override;
  uint64_t connections_opened() const override { return connections_; }

 private:
  struct Request;
  struct Connection;

  // Posts `task`, which runs only if this sender still exists by then.
  void PostWhileAlive(std::function<void()> task);
  void Connect();
  void OnEvents(uint32_t events);
  void Handshake();
  void StartSession();
  void Submit(Request* request);
  // Reads what TLS has, feeds nghttp2, writes what nghttp2 has to send.
  void Pump();
  void Flush();
  void Fail(trr::DohError error, const std::string& detail);
  void Finish(RequestId id, trr::DohResult result);
  // Asks the loop for EPOLLOUT too while TLS holds unwritten bytes.
  void Watch();
  void WatchFor(uint32_t events);

  trr::EventLoop* const loop_;
  trr::DohConfig config_;
  std::unique_ptr<Connection> conn_;
  uint64_t connections_ = 0;
  RequestId next_id_ = 1;
  absl::flat_hash_map<RequestId, std::unique_ptr<Request>> requests_;
  // Sent before the session was up: submitted once it is.
  std::vector<RequestId> waiting_;
  bool flush_posted_ = false;
  // PostWhileAlive's tasks check it, as they may run after this is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace trr_bench

#endif  // TRR_BENCH_H2_PROBE_SENDER_H_
