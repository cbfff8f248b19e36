#include "trr/loop/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace trr {

absl::Time EventLoop::MonotonicNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::TimeFromTimespec(ts);
}

EventLoop::EventLoop() {
  const char* step = "epoll_create1";
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ >= 0) {
    step = "eventfd";
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  if (wake_fd_ >= 0) {
    step = "epoll_ctl";
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wake_fd_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) == 0) {
      running_thread_.store(true);
      thread_ = std::thread([this] { Run(); });
      thread_id_ = thread_.get_id();
      return;
    }
  }
  const int error = errno;
  MutexLock lock(&mu_);
  dead_ = true;
  status_ = absl::ErrnoToStatus(
      error, absl::StrCat("the resolver's event loop cannot start: ", step));
}

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  auto loop = std::make_unique<EventLoop>();
  if (absl::Status status = loop->status(); !status.ok()) return status;
  return loop;
}

EventLoop::~EventLoop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  // Timers that never ran are dropped here, and a task's captures may own
  // a Timer (a job that holds its own timer, say): every Timer learns
  // first that nothing of it is armed, so none reaches back into a loop
  // half destroyed.
  for (auto& [when, entry] : timers_) {
    if (entry.owner_id != nullptr) *entry.owner_id = 0;
  }
  timer_index_.clear();
  auto dropped = std::move(timers_);
  dropped.clear();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

absl::Status EventLoop::status() const {
  MutexLock lock(&mu_);
  return status_;
}

void EventLoop::BreakForTesting() {
  // epoll_wait on a descriptor that is not an epoll instance fails with
  // EINVAL. The eventfd itself stands in, wakes the loop and is read by
  // nobody after.
  const int fd = dup(wake_fd_);
  dup2(fd, epoll_fd_);
  close(fd);
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

bool EventLoop::IsLoopThread() const {
  return std::this_thread::get_id() == thread_id_;
}

void EventLoop::CheckLoopThread(const char* method) const {
  if (IsLoopThread() || !running_thread_.load(std::memory_order_acquire)) {
    return;
  }
  std::fprintf(stderr,
               "trr: EventLoop::%s called off the loop thread while the loop "
               "runs\n",
               method);
  std::abort();
}

bool EventLoop::Post(Task task) {
  bool was_empty;
  {
    MutexLock lock(&mu_);
    if (dead_) return false;
    was_empty = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  // One wake-up per batch: the loop drains the whole queue when it wakes.
  // The loop itself needs none: it looks at the queue before it waits
  // (Run), which saves two system calls per task posted from callbacks.
  if (was_empty && !IsLoopThread()) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
  return true;
}

bool EventLoop::RunSync(Task task) {
  if (IsLoopThread()) {
    task();
    return true;
  }
  Mutex done_mu;
  CondVar done_cv;
  bool done = false;
  const bool posted = Post([&] {
    task();
    MutexLock lock(&done_mu);
    done = true;
    done_cv.SignalAll();
  });
  // A loop that stops for an error runs what was posted first (Run).
  if (!posted) return false;
  MutexLock lock(&done_mu);
  while (!done) done_cv.Wait(&done_mu);
  return true;
}

EventLoop::TimerId EventLoop::AddTimer(absl::Duration delay, Task task) {
  return AddOwnedTimer(delay, std::move(task), nullptr);
}

EventLoop::TimerId EventLoop::AddOwnedTimer(absl::Duration delay, Task task,
                                            TimerId* owner_id) {
  CheckLoopThread("AddTimer");
  const TimerId id = next_timer_++;
  auto it = timers_.emplace(MonotonicNow() + delay,
                            TimerEntry{id, std::move(task), owner_id});
  timer_index_[id] = it;
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  CheckLoopThread(__func__);
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return;
  timers_.erase(it->second);
  timer_index_.erase(it);
}

void EventLoop::WatchFd(int fd, uint32_t events, FdCallback callback) {
  CheckLoopThread(__func__);
  AddWatch(fd, events, std::move(callback), 0);
}

void EventLoop::UnwatchFd(int fd) {
  CheckLoopThread(__func__);
  if (fds_.erase(fd) > 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::WatchId EventLoop::WatchOwnedFd(int fd, uint32_t events,
                                           FdCallback callback) {
  CheckLoopThread("WatchFd");
  const WatchId id = next_watch_++;
  AddWatch(fd, events, std::move(callback), id);
  return id;
}

void EventLoop::UnwatchOwnedFd(int fd, WatchId id) {
  CheckLoopThread("UnwatchFd");
  auto it = fds_.find(fd);
  if (it == fds_.end() || it->second.id != id) return;
  fds_.erase(it);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::AddWatch(int fd, uint32_t events, FdCallback callback,
                         WatchId id) {
  auto it = fds_.find(fd);
  const bool known = it != fds_.end();
  if (known && it->second.events == events && it->second.id == id) {
    // The same watch, same events: no system call, just the new callback.
    it->second.callback = std::make_shared<FdCallback>(std::move(callback));
    return;
  }
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  fds_[fd] =
      Watch{events, std::make_shared<FdCallback>(std::move(callback)), id};
  // A watch of a descriptor that was closed (and its number reused) while
  // still watched is gone from epoll: the new one is added instead.
  if (epoll_ctl(epoll_fd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) !=
          0 &&
      known && errno == ENOENT) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }
}

int EventLoop::NextTimeoutMs() const {
  if (timers_.empty()) return -1;
  const absl::Duration left = timers_.begin()->first - MonotonicNow();
  if (left <= absl::ZeroDuration()) return 0;
  // Round up, so a timer never fires early.
  return static_cast<int>(
      absl::ToInt64Milliseconds(left + absl::Nanoseconds(999999)));
}

void EventLoop::RunTasks() {
  {
    MutexLock lock(&mu_);
    running_.swap(tasks_);
  }
  for (Task& task : running_) task();
  running_.clear();
}

void EventLoop::RunDueTimers() {
  const absl::Time now = MonotonicNow();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto it = timers_.begin();
    Task task = std::move(it->second.task);
    // Before the task, which may destroy the Timer.
    if (it->second.owner_id != nullptr) *it->second.owner_id = 0;
    timer_index_.erase(it->second.id);
    timers_.erase(it);
    task();
  }
}

void EventLoop::Run() {
  epoll_event events[64];
  while (true) {
    bool tasks_waiting;
    {
      MutexLock lock(&mu_);
      tasks_waiting = !tasks_.empty();
    }
    const int n =
        epoll_wait(epoll_fd_, events, 64, tasks_waiting ? 0 : NextTimeoutMs());
    if (n < 0 && errno != EINTR) {
      // Nothing more can be waited on. What was posted still runs (a
      // RunSync caller is waiting on it); what is posted from now on is
      // refused.
      const int error = errno;
      std::vector<Task> last;
      {
        MutexLock lock(&mu_);
        dead_ = true;
        status_ = absl::ErrnoToStatus(
            error, "the resolver's event loop stopped: epoll_wait");
        last.swap(tasks_);
      }
      for (Task& task : last) task();
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
        continue;
      }
      auto it = fds_.find(fd);
      // Hold a reference: the callback may unwatch (and so drop) itself.
      if (it != fds_.end()) {
        std::shared_ptr<FdCallback> callback = it->second.callback;
        (*callback)(events[i].events);
      }
    }
    RunTasks();
    RunDueTimers();
    bool stopping;
    {
      MutexLock lock(&mu_);
      stopping = stopping_ && tasks_.empty();
    }
    if (stopping) break;
  }
  running_thread_.store(false, std::memory_order_release);
}

}  // namespace trr
