// TransportHarness: a DohTransport run on
// its own EventLoop, with the test thread sending queries and waiting for
// their results with a deadline.

#ifndef TRR_TESTS_TRR_TRANSPORT_HARNESS_H_
#define TRR_TESTS_TRR_TRANSPORT_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "trr/dns/query.h"
#include "trr/loop/event_loop.h"
#include "trr/transport/doh_transport.h"

namespace trr {

class TransportHarness {
 public:
  TransportHarness() {
    loop_.RunSync([&] { transport_ = std::make_unique<DohTransport>(&loop_); });
  }
  ~TransportHarness() {
    loop_.RunSync([this] { transport_.reset(); });
  }

  void Configure(DohConfig config) {
    loop_.RunSync([&] { transport_->Configure(std::move(config)); });
  }

  // Sends a query for `name`/`type`; the result lands in results().
  DohSender::RequestId Send(absl::string_view name, uint16_t type,
                            absl::Duration timeout = absl::Seconds(5)) {
    std::vector<uint8_t> query;
    EXPECT_TRUE(dns::EncodeQuery(name, type, dns::QueryOptions(), query).ok());
    DohSender::RequestId id = 0;
    loop_.RunSync([&] {
      id = transport_->Send(query, timeout, [this](DohResult result) {
        MutexLock lock(&mu_);
        results_.push_back(std::move(result));
        cv_.SignalAll();
      });
    });
    return id;
  }

  // Sends every name in one turn of the loop, as a page's worth of
  // lookups arrives: they leave together.
  void SendBurst(const std::vector<std::string>& names, uint16_t type,
                 absl::Duration timeout = absl::Seconds(5)) {
    std::vector<std::vector<uint8_t>> queries(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_TRUE(
          dns::EncodeQuery(names[i], type, dns::QueryOptions(), queries[i])
              .ok());
    }
    loop_.RunSync([&] {
      for (const auto& query : queries) {
        transport_->Send(query, timeout, [this](DohResult result) {
          MutexLock lock(&mu_);
          results_.push_back(std::move(result));
          cv_.SignalAll();
        });
      }
    });
  }

  // Waits until `count` results are in (or `deadline` passes) and returns
  // them, in the order they came.
  std::vector<DohResult> Wait(size_t count,
                              absl::Duration deadline = absl::Seconds(20)) {
    MutexLock lock(&mu_);
    cv_.AwaitWithDeadline(&mu_, absl::Now() + deadline,
                          [&] { return results_.size() >= count; });
    return results_;
  }

  DohResult SendAndWait(absl::string_view name, uint16_t type,
                        absl::Duration timeout = absl::Seconds(5)) {
    size_t before;
    {
      MutexLock lock(&mu_);
      before = results_.size();
    }
    Send(name, type, timeout);
    auto all = Wait(before + 1);
    return all.size() > before ? all[before] : DohResult{};
  }

  size_t ResultCount() {
    MutexLock lock(&mu_);
    return results_.size();
  }

  DohTransportStats Stats() {
    DohTransportStats stats;
    loop_.RunSync([&] { stats = transport_->stats(); });
    return stats;
  }

  std::vector<DohConnectionInfo> Connections() {
    std::vector<DohConnectionInfo> connections;
    loop_.RunSync([&] { connections = transport_->Connections(); });
    return connections;
  }

  EventLoop& loop() { return loop_; }
  DohSender& transport() { return *transport_; }
  void Destroy() {
    loop_.RunSync([this] { transport_.reset(); });
  }

 private:
  EventLoop loop_;
  std::unique_ptr<DohSender> transport_;
  Mutex mu_;
  CondVar cv_;
  std::vector<DohResult> results_;
};

}  // namespace trr

#endif  // TRR_TESTS_TRR_TRANSPORT_HARNESS_H_
