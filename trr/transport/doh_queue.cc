// DohTransport's request queue: requests waiting for room on a connection,
// in the order they were sent (a request sent again goes back in its
// place), put on the active connection or the HTTP/1.1 pool, or failed at
// once while connection setups back off.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "trr/transport/doh_transport_internal.h"

namespace trr {

bool DohTransport::Requeue(Request* r) {
  if (r->answered || shutting_down_ || r->retries >= kMaxRefusedRetries) {
    return false;
  }
  ++r->retries;
  ++stats_.retried;
  r->status = 0;
  const absl::Duration delay = RetryDelay(r->retries);
  if (delay == absl::ZeroDuration()) {
    Enqueue(r);
    return true;
  }
  const RequestId id = r->id;
  r->retry_timer.Start(loop_, delay, [this, id] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    DeliveryScope scope(this);
    Enqueue(it->second.get());
  });
  return true;
}

void DohTransport::Enqueue(Request* r) {
  // Older requests first: a retried one goes back before those sent after.
  waiting_.Insert(r->id);
  Tick();
}

DohTransport::Request* DohTransport::TakeWaiting() {
  while (std::optional<RequestId> id = waiting_.PopFront()) {
    auto it = requests_.find(*id);
    if (it != requests_.end() && it->second->conn == nullptr) {
      return it->second.get();
    }
  }
  return nullptr;
}

bool DohTransport::HasRoom(Connection* conn) const {
  if (conn->state != Connection::State::kReady || conn->h2 == nullptr ||
      conn->draining || !conn->h2->MayStartStream()) {
    return false;
  }
  return conn->streams.size() < window_.Limit(conn->h2->ServerMaxStreams());
}

void DohTransport::Dispatch() {
  if (shutting_down_ || waiting_.empty()) return;
  // Submitting runs nghttp2, whose callbacks may finish requests: their
  // callbacks wait until nghttp2 is off the stack (our caller delivers).
  ++io_depth_;
  DispatchWaiting();
  --io_depth_;
  if (io_depth_ == 0 && !deliveries_.empty()) Tick();
}

void DohTransport::DispatchWaiting() {
  if (http1_) {
    DispatchHttp1();
    return;
  }
  if (active_ == nullptr) {
    if (active_setup_ != nullptr) return;  // coming up
    if (!MaySetUp()) {
      FailWaitingForBackoff();
      return;
    }
    StartConnection(/*make_active=*/true);
    return;
  }
  bool submitted = false;
  if (HasRoom(active_)) PingIfIdle(active_);
  // Submit may retire the connection (stream ids run out).
  while (active_ != nullptr && HasRoom(active_)) {
    Request* r = TakeWaiting();
    if (r == nullptr) break;
    SubmitWaiting(active_, r);
    submitted = true;
  }
  if (submitted) Tick();
}

void DohTransport::DispatchHttp1() {
  // Idle connections take the oldest waiting requests, one each.
  bool submitted = false;
  size_t coming = 0;  // connections being set up
  for (const Setup& setup : setups_) {
    if (!setup.job->done()) ++coming;
  }
  size_t live = coming;
  for (size_t i = 0; i < connections_.size(); ++i) {
    Connection* conn = connections_[i].get();
    if (conn->state == Connection::State::kDead || conn->draining) continue;
    ++live;
    while (conn->h1 != nullptr && conn->streams.empty()) {
      Request* r = TakeWaiting();
      if (r == nullptr) break;
      SubmitWaiting(conn, r);
      submitted = true;
    }
  }
  // The rest wait for the connections coming up, or for new ones, up to
  // the pool's size; past that, for one to come free.
  size_t uncovered = waiting_.size() > coming ? waiting_.size() - coming : 0;
  if (!MaySetUp()) {
    if (live == 0) FailWaitingForBackoff();
    uncovered = 0;
  }
  while (uncovered > 0 && live < kHttp1Connections && !waiting_.empty()) {
    StartConnection(/*make_active=*/false);
    --uncovered;
    ++live;
  }
  if (submitted) Tick();
}

bool DohTransport::MaySetUp() const {
  return backoff_.MaySetUp(EventLoop::MonotonicNow());
}

void DohTransport::OnSetupFailed(DohError error) {
  // Only a server that could not be reached: a cancelled setup (a new
  // configuration) says nothing of it.
  if (error == DohError::kCancelled || shutting_down_) return;
  backoff_.OnFailed(EventLoop::MonotonicNow());
}

void DohTransport::FailWaitingForBackoff() {
  const std::string detail =
      backoff_.Describe(config_.uri.host, EventLoop::MonotonicNow());
  for (RequestId id : waiting_.TakeAll()) {
    auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    ++stats_.backoff_refusals;
    Finish(it->second.get(), DohError::kConnect, detail);
  }
}

}  // namespace trr
