// Timer: one timer on an EventLoop, owned by whoever holds it. Destroying
// it or starting it again cancels what it had armed, so a timer never
// outlives the state its task reads: the callers keep no timer ids, and
// cancel by hand only where the logic says to stop early.
//
// Loop thread only, like the loop's timers themselves (EventLoop checks).
// The loop must outlive it.

#ifndef TRR_TRR_LOOP_TIMER_H_
#define TRR_TRR_LOOP_TIMER_H_

#include <utility>

#include "absl/time/time.h"
#include "trr/loop/event_loop.h"

namespace trr {

class Timer {
 public:
  Timer() = default;
  ~Timer() { Cancel(); }
  // Its task refers to it: it stays where it is (hold it in a node-based
  // container, or behind a pointer).
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // `task` runs on `loop` after `delay`, unless the timer is cancelled
  // first; whatever it had armed before is cancelled.
  void Start(EventLoop* loop, absl::Duration delay, EventLoop::Task task) {
    Cancel();
    loop_ = loop;
    // The loop clears id_ before the task runs (the task may destroy this
    // timer): no wrapper, so a small task stays in std::function's own
    // storage.
    id_ = loop->AddOwnedTimer(delay, std::move(task), &id_);
  }
  // Nothing runs; a no-op when nothing is armed or the task has run.
  void Cancel() {
    if (id_ != 0) loop_->CancelTimer(std::exchange(id_, 0));
  }
  // Armed, and its task has not run yet.
  bool pending() const { return id_ != 0; }

 private:
  EventLoop* loop_ = nullptr;
  EventLoop::TimerId id_ = 0;
};

}  // namespace trr

#endif  // TRR_TRR_LOOP_TIMER_H_
