// Waiting for a resolver's servers to reach a state, woken by its server
// observer (Resolver::AddServerObserver) rather than by polling: the state
// is read once at the start and again after each availability or
// confirmation event, until it holds or the deadline passes.

#ifndef TRR_TESTS_TRR_SERVER_WAITER_H_
#define TRR_TESTS_TRR_SERVER_WAITER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "trr/resolver.h"

namespace trr::testing {

class ServerWaiter {
 public:
  explicit ServerWaiter(Resolver& resolver) : resolver_(resolver) {
    id_ = resolver_.AddServerObserver([this](const ServerEvent&) {
      MutexLock lock(&mu_);
      ++events_;
      cv_.SignalAll();
    });
  }
  ~ServerWaiter() { resolver_.RemoveServerObserver(id_); }
  ServerWaiter(const ServerWaiter&) = delete;
  ServerWaiter& operator=(const ServerWaiter&) = delete;

  // Until `done` holds for a snapshot; false if it still does not after
  // `timeout`. `last`, when given, gets the last snapshot read.
  bool Until(const std::function<bool(const ResolverSnapshot&)>& done,
             absl::Duration timeout = absl::Seconds(10),
             ResolverSnapshot* last = nullptr) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      uint64_t seen;
      {
        MutexLock lock(&mu_);
        seen = events_;
      }
      // Read after noting the count: an event from here on wakes the wait.
      ResolverSnapshot snapshot = resolver_.Snapshot();
      const bool held = done(snapshot);
      if (last != nullptr) *last = std::move(snapshot);
      if (held) return true;
      MutexLock lock(&mu_);
      while (events_ == seen) {
        if (absl::Now() >= deadline) return false;
        cv_.WaitWithDeadline(&mu_, deadline);
      }
    }
  }

  // Until the resolver's confirmation state is `state`.
  bool UntilConfirmation(const std::string& state,
                         absl::Duration timeout = absl::Seconds(10)) {
    return Until(
        [&](const ResolverSnapshot& s) {
          return s.confirmation_state == state;
        },
        timeout);
  }

 private:
  Resolver& resolver_;
  uint64_t id_ = 0;
  Mutex mu_;
  CondVar cv_;
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace trr::testing

#endif  // TRR_TESTS_TRR_SERVER_WAITER_H_
