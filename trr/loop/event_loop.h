// EventLoop: the resolver's network thread. One thread runs epoll over the
// sockets it is asked to watch, a queue of tasks posted from any thread (an
// eventfd wakes it), and timers. Everything that touches libcurl, sockets or
// TRR state runs here, so none of it needs locks.

#ifndef TRR_TRR_LOOP_EVENT_LOOP_H_
#define TRR_TRR_LOOP_EVENT_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace trr {

class EventLoop {
 public:
  using Task = std::function<void()>;
  using TimerId = uint64_t;
  // Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR...) that fired.
  using FdCallback = std::function<void(uint32_t events)>;

  // Starts the thread, unless the epoll instance or the eventfd that wakes
  // it cannot be made (out of file descriptors, say): status() says so,
  // and the loop is stopped from the start.
  EventLoop();
  // The same, as an error when the loop cannot run.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  // Stops the thread; tasks still queued are run first, timers dropped.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Why the loop cannot run (or stopped running: epoll_wait failed); OK
  // while it runs.
  absl::Status status() const;

  // Any thread. Tasks run on the loop in the order posted. False, and the
  // task dropped, once the loop has stopped for an error. A loop that
  // stops for an error runs what was posted before it did, so nothing
  // posted waits for ever.
  bool Post(Task task);
  // Any thread: runs `task` on the loop and waits for it to finish (or runs
  // it inline when already on the loop). False, at once and without
  // running it, once the loop has stopped for an error.
  bool RunSync(Task task);
  // Any thread: drops this reference to `object` on a later turn of the
  // loop, once whatever is on the loop's stack now (perhaps one of the
  // object's own callbacks) has returned. A loop stopped for an error
  // refuses the post, and the reference goes at once, on the caller's
  // stack; a loop shutting down drops it when it is destroyed.
  template <typename T>
  void DeleteSoon(std::shared_ptr<T> object) {
    Post([object = std::move(object)] {});
  }

  // Tests: makes the next epoll_wait fail, as a broken epoll instance
  // would.
  void BreakForTesting();

  bool IsLoopThread() const;

  // Loop thread only (or once the loop's thread has ended). Each checks
  // its caller and aborts, naming the method, on a call from another
  // thread while the loop runs: that call is a data race, which would
  // corrupt the timers or the watches silently. The check is a thread-id
  // compare, so it stays on in every build.
  // Most code holds a Timer (trr/loop/timer.h) instead of an id.
  TimerId AddTimer(absl::Duration delay, Task task);
  void CancelTimer(TimerId id);
  // Watches `fd` for `events` (EPOLLIN | EPOLLOUT); replaces any earlier
  // watch of the same fd. Remove before closing the fd. Most code holds
  // an FdWatch (trr/loop/fd_watch.h) instead.
  void WatchFd(int fd, uint32_t events, FdCallback callback);
  void UnwatchFd(int fd);

  // Monotonic time as the loop sees it.
  static absl::Time MonotonicNow();

 private:
  void Run();
  void RunTasks();
  void RunDueTimers();
  int NextTimeoutMs() const;
  // Aborts when called off the loop thread while the loop runs.
  void CheckLoopThread(const char* method) const;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::thread::id thread_id_;
  // True from the thread's start until Run returns.
  std::atomic<bool> running_thread_{false};

  mutable Mutex mu_;
  std::vector<Task> tasks_ ABSL_GUARDED_BY(mu_);
  // The tasks one turn runs, swapped with tasks_: each vector keeps its
  // capacity, so posting allocates nothing once both have grown. Loop thread.
  std::vector<Task> running_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Stopped for an error: posts are refused from then on.
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);

  // Loop thread only.
  struct TimerEntry {
    TimerId id;
    Task task;
    // A Timer's own id, cleared before its task runs (Timer::pending).
    TimerId* owner_id;
  };
  friend class Timer;
  friend class FdWatch;
  // An FdWatch's watch: UnwatchOwnedFd removes it only while it is still
  // that watch's (not since replaced by a watch of a reused fd number).
  using WatchId = uint64_t;
  WatchId WatchOwnedFd(int fd, uint32_t events, FdCallback callback);
  void UnwatchOwnedFd(int fd, WatchId id);
  void AddWatch(int fd, uint32_t events, FdCallback callback, WatchId id);
  TimerId AddOwnedTimer(absl::Duration delay, Task task, TimerId* owner_id);
  std::multimap<absl::Time, TimerEntry> timers_;
  absl::flat_hash_map<TimerId, std::multimap<absl::Time, TimerEntry>::iterator>
      timer_index_;
  TimerId next_timer_ = 1;
  struct Watch {
    uint32_t events;
    std::shared_ptr<FdCallback> callback;
    WatchId id;  // 0 for a watch made by WatchFd
  };
  WatchId next_watch_ = 1;
  absl::flat_hash_map<int, Watch> fds_;
};

}  // namespace trr

#endif  // TRR_TRR_LOOP_EVENT_LOOP_H_
