// Oblivious DoH (network.trr.use_ohttp): a DohSender that sends each query
// as a Binary HTTP POST to the DoH server (the target), sealed to the
// gateway's key (RFC 9458) and POSTed to the relay, and opens the answer.
// The relay sees the client but not the query; the gateway sees the query
// but not the client.
//
// Two ordinary transports do the HTTP: one to the relay (message/ohttp-req
// and -res), one that GETs the gateway's key configuration
// (application/ohttp-keys) before the first query and again after an
// answer fails to open or the gateway refuses a request with 400 or 422
// (the gateway's key may have changed). A query that
// cannot go sealed fails (DohError::kOhttp, or the relay's own error);
// it never goes to the DoH server in the clear, which would show the
// query to the resolver with the client's address.

#ifndef TRR_TRR_TRANSPORT_OHTTP_SENDER_H_
#define TRR_TRR_TRANSPORT_OHTTP_SENDER_H_

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "trr/loop/event_loop.h"
#include "trr/loop/timer.h"
#include "trr/ohttp/ohttp.h"
#include "trr/resolver.h"
#include "trr/transport/doh_transport.h"

namespace trr {

class OhttpSender final : public DohSender {
 public:
  using MakeTransport = std::function<std::unique_ptr<DohSender>()>;
  // `make` makes the two inner transports (a DohTransport on `loop`).
  OhttpSender(EventLoop* loop, MakeTransport make);
  ~OhttpSender() override;
  OhttpSender(const OhttpSender&) = delete;
  OhttpSender& operator=(const OhttpSender&) = delete;

  // `config.uri` is the DoH server the gateway forwards to; `config.ohttp`
  // the relay and the key configuration's URI. Without `ohttp`, every
  // query fails.
  void Configure(DohConfig config) override;
  RequestId Send(absl::Span<const uint8_t> query, absl::Duration timeout,
                 Callback done) override;
  void Cancel(RequestId id) override;
  void CancelAll() override;
  void CheckConnections() override;
  // The relay transport's.
  DohTransportStats stats() const override;
  std::vector<DohConnectionInfo> Connections() const override;

  // For the dump: the relay, the key, and what was sealed and opened.
  OhttpInfo Info() const;

  // How many sender contexts are prepared ahead for the key in use: each
  // is the X25519 work of one query (two scalar multiplications, nearly
  // all of sealing's cost), done on a turn of the loop of its own once a
  // query has gone, so that the next queries find one ready.
  static constexpr size_t kPreparedSeals = 8;

 private:
  struct Pending {
    std::vector<uint8_t> query;
    absl::Time deadline;
    Callback done;
    RequestId relay_request = 0;  // 0 while it waits for the key
    Timer timer;                  // its deadline, while it waits
    std::optional<ohttp::ClientRequest> sealed;
  };

  void FetchKey();
  // Drops the key, and the contexts prepared for it.
  void ForgetKey();
  // Prepares contexts up to kPreparedSeals, one a turn of the loop.
  void ScheduleRefill();
  void Refill();
  void OnKey(DohResult result);
  void SendSealed(RequestId id);
  void OnRelayAnswer(RequestId id, DohResult result);
  void Complete(RequestId id, DohResult result);
  void Fail(RequestId id, DohError error, std::string detail);
  DohConfig InnerConfig(const DohUri& uri) const;

  EventLoop* loop_;
  MakeTransport make_;
  DohConfig config_;
  std::optional<ohttp::GatewayKey> key_;
  std::vector<ohttp::SenderSetup> prepared_;  // for key_, each used once
  bool refill_posted_ = false;
  RequestId key_request_ = 0;  // the key configuration's GET in flight
  OhttpInfo info_;             // its counters
  // Posted tasks check it: they may run after this sender is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  RequestId next_ = 1;
  absl::node_hash_map<RequestId, Pending> pending_;  // holds Timers
  // Last, so that they go first: their callbacks reach the state above.
  std::unique_ptr<DohSender> relay_;
  std::unique_ptr<DohSender> keys_;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_OHTTP_SENDER_H_
