// FdWatch: one watch of a file descriptor on an EventLoop, owned by whoever
// holds it. Destroying it or stopping it unwatches the descriptor, and a
// watch that another FdWatch has since taken over (the descriptor closed
// and its number reused) is left alone, so a watch never outlives the state
// its callback reads.
//
// Loop thread only, like the loop's watches themselves (EventLoop checks).
// The loop must outlive it. Stop it before closing the descriptor.

#ifndef TRR_TRR_LOOP_FD_WATCH_H_
#define TRR_TRR_LOOP_FD_WATCH_H_

#include <cstdint>
#include <utility>

#include "trr/loop/event_loop.h"

namespace trr {

class FdWatch {
 public:
  FdWatch() = default;
  ~FdWatch() { Stop(); }
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  // Watches `fd` for `events` (EPOLLIN | EPOLLOUT), calling `callback` with
  // what fired; replaces what this watch had before (another descriptor is
  // unwatched first).
  void Start(EventLoop* loop, int fd, uint32_t events,
             EventLoop::FdCallback callback) {
    if (id_ != 0 && fd != fd_) Stop();
    loop_ = loop;
    fd_ = fd;
    events_ = events;
    id_ = loop->WatchOwnedFd(fd, events, std::move(callback));
  }
  // A no-op when nothing is watched.
  void Stop() {
    if (id_ == 0) return;
    loop_->UnwatchOwnedFd(fd_, std::exchange(id_, 0));
    fd_ = -1;
    events_ = 0;
  }
  // The events asked for; 0 when nothing is watched.
  uint32_t events() const { return events_; }
  bool active() const { return id_ != 0; }

 private:
  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  uint32_t events_ = 0;
  EventLoop::WatchId id_ = 0;
};

}  // namespace trr

#endif  // TRR_TRR_LOOP_FD_WATCH_H_
