// EventLoop: a loop that cannot start says why instead of running without
// epoll, and a loop whose epoll fails stops without leaving a caller of
// RunSync waiting for ever; its handles (Timer, FdWatch) own what they arm.

#include "trr/loop/event_loop.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "trr/loop/fd_watch.h"
#include "trr/loop/timer.h"
#include "trr/resolver.h"

namespace trr {
namespace {

TEST(EventLoopTest, TasksAndTimersRun) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  int ran = 0;
  EXPECT_TRUE((*loop)->RunSync([&] { ++ran; }));
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE((*loop)->status().ok());
}

// Runs `body` in a child process with no file descriptor left to open
// (after `before`, with them).
void WithoutFileDescriptors(const std::function<bool()>& body,
                            const std::function<void()>& before = {}) {
  if (before) before();
  const int next = dup(0);
  close(next);
  rlimit limit{static_cast<rlim_t>(next), static_cast<rlim_t>(next)};
  setrlimit(RLIMIT_NOFILE, &limit);
  std::_Exit(body() ? 0 : 1);
}

TEST(EventLoopDeathTest, ALoopThatCannotStartSaysWhy) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(WithoutFileDescriptors([] {
                auto loop = EventLoop::Create();
                return !loop.ok() &&
                       loop.status().code() ==
                           absl::StatusCode::kResourceExhausted &&
                       loop.status().message().find("epoll_create1") !=
                           absl::string_view::npos;
              }),
              ::testing::ExitedWithCode(0), "");
  // A Resolver too: Create fails instead of handing out one that hangs.
  // (One made first, with descriptors: UBSan checks each dynamic type
  // once, through a pipe it could not open later.)
  EXPECT_EXIT(WithoutFileDescriptors(
                  [] {
                    auto resolver = Resolver::Create();
                    return !resolver.ok() && resolver.status().message().find(
                                                 "event loop cannot start") !=
                                                 absl::string_view::npos;
                  },
                  [] { (void)Resolver::Create(); }),
              ::testing::ExitedWithCode(0), "");
}

TEST(EventLoopTest, AnEpollErrorStopsTheLoopWithoutStrandingAnyCaller) {
  EventLoop loop;
  ASSERT_TRUE(loop.status().ok());
  // Four threads round-trip to the loop until it refuses them.
  std::atomic<int> round_trips{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      while (loop.RunSync([&] { ++round_trips; })) {
      }
    });
  }
  while (round_trips.load() < 100) {
    ASSERT_TRUE(loop.RunSync([] {}));
  }
  loop.BreakForTesting();
  // Each returns once the loop has stopped: a task posted before it did
  // still runs, one posted after is refused at once.
  for (std::thread& caller : callers) caller.join();
  EXPECT_FALSE(loop.RunSync([] { ADD_FAILURE() << "ran after the stop"; }));
  EXPECT_FALSE(loop.Post([] { ADD_FAILURE() << "ran after the stop"; }));
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(loop.status().message().find("epoll_wait"),
            absl::string_view::npos);
}

// A timer or a watch touched from another thread while the loop runs is a
// data race; the loop refuses it loudly instead.
TEST(EventLoopDeathTest, ALoopOnlyCallFromAnotherThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop loop;
        loop.AddTimer(absl::Seconds(1), [] {});
      },
      "EventLoop::AddTimer called off the loop thread");
  EXPECT_DEATH(
      {
        EventLoop loop;
        loop.WatchFd(0, 1, [](uint32_t) {});
      },
      "EventLoop::WatchFd called off the loop thread");
}

TEST(EventLoopTest, LoopOnlyCallsOnTheLoopRunAsAsked) {
  EventLoop loop;
  std::atomic<bool> fired{false};
  ASSERT_TRUE(loop.RunSync([&] {
    const EventLoop::TimerId never = loop.AddTimer(absl::Hours(1), [] {});
    loop.CancelTimer(never);
    loop.AddTimer(absl::ZeroDuration(), [&] { fired = true; });
  }));
  // A turn runs its tasks, then its due timers: the zero-delay timer has
  // run before the next turn's task.
  ASSERT_TRUE(loop.RunSync([] {}));
  EXPECT_TRUE(fired.load());
}

// A Timer owns what it armed: going out of scope or starting again cancels
// it, and it knows when its task has run.
TEST(TimerTest, DestroyingOrRestartingCancelsAndPendingEndsWhenItRuns) {
  EventLoop loop;
  std::atomic<int> destroyed_ran{0}, first_ran{0}, second_ran{0};
  auto timer = std::make_unique<Timer>();
  std::unique_ptr<Timer> gone = std::make_unique<Timer>();
  ASSERT_TRUE(loop.RunSync([&] {
    gone->Start(&loop, absl::ZeroDuration(), [&] { ++destroyed_ran; });
    gone.reset();
    timer->Start(&loop, absl::ZeroDuration(), [&] { ++first_ran; });
    timer->Start(&loop, absl::ZeroDuration(), [&] { ++second_ran; });
    EXPECT_TRUE(timer->pending());
  }));
  // A turn runs its tasks, then its due timers.
  bool pending = true;
  ASSERT_TRUE(loop.RunSync([&] { pending = timer->pending(); }));
  EXPECT_FALSE(pending);
  EXPECT_EQ(destroyed_ran.load(), 0);
  EXPECT_EQ(first_ran.load(), 0);
  EXPECT_EQ(second_ran.load(), 1);
  // A task may destroy its own timer.
  ASSERT_TRUE(loop.RunSync([&] {
    timer->Start(&loop, absl::ZeroDuration(), [&] { timer.reset(); });
  }));
  ASSERT_TRUE(loop.RunSync([] {}));
  EXPECT_EQ(timer, nullptr);
}

// A timer's task may own the Timer itself (a job that holds its own
// timeout): destroying the loop with it armed frees it, and the Timer does
// not reach back into the loop (before, it searched the loop's timer index
// after that was destroyed: undefined behaviour that no sanitizer caught;
// a review found it).
TEST(TimerTest, ALoopDestroyedWithATimerItsTaskOwnsFreesItCleanly) {
  struct Owner {
    Timer timer;
  };
  std::weak_ptr<Owner> weak;
  {
    EventLoop loop;
    ASSERT_TRUE(loop.RunSync([&] {
      auto owner = std::make_shared<Owner>();
      weak = owner;
      owner->timer.Start(&loop, absl::Hours(1), [owner] {});
    }));
    EXPECT_FALSE(weak.expired());
  }
  EXPECT_TRUE(weak.expired());
}

TEST(EventLoopTest, DeleteSoonDropsTheReferenceOnALaterTurn) {
  EventLoop loop;
  auto object = std::make_shared<int>(7);
  std::weak_ptr<int> weak = object;
  bool alive_after_the_call = false;
  ASSERT_TRUE(loop.RunSync([&] {
    loop.DeleteSoon(std::move(object));
    alive_after_the_call = !weak.expired();
  }));
  EXPECT_TRUE(alive_after_the_call);
  // The next turn runs it; a turn drops its tasks once all have run, so
  // the turn after that sees it gone.
  ASSERT_TRUE(loop.RunSync([] {}));
  bool expired = false;
  ASSERT_TRUE(loop.RunSync([&] { expired = weak.expired(); }));
  EXPECT_TRUE(expired);
}

// A pipe whose read end is readable until drained, so a level-triggered
// watch of it fires on every turn.
struct Pipe {
  Pipe() {
    EXPECT_EQ(pipe(fds), 0);
    EXPECT_EQ(write(fds[1], "x", 1), 1);
  }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
  int fds[2] = {-1, -1};
};

// An FdWatch owns its watch: once it is destroyed its callback never runs
// again, though the descriptor stays readable.
TEST(FdWatchTest, DestroyingItStopsTheCallbacks) {
  EventLoop loop;
  Pipe p;
  std::atomic<int> calls{0};
  std::promise<void> fired;
  auto watch = std::make_unique<FdWatch>();
  ASSERT_TRUE(loop.RunSync([&] {
    watch->Start(&loop, p.fds[0], EPOLLIN, [&](uint32_t events) {
      EXPECT_TRUE(events & EPOLLIN);
      if (calls.fetch_add(1) == 0) fired.set_value();
    });
    EXPECT_EQ(watch->events(), uint32_t{EPOLLIN});
  }));
  ASSERT_EQ(fired.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  int seen = 0;
  ASSERT_TRUE(loop.RunSync([&] {
    watch.reset();
    seen = calls.load();
  }));
  for (int turn = 0; turn < 3; ++turn) ASSERT_TRUE(loop.RunSync([] {}));
  EXPECT_EQ(calls.load(), seen);
}

// Two watches of one descriptor number: stopping the older leaves the newer
// in place.
TEST(FdWatchTest, StoppingAnOlderWatchLeavesTheNewerOfTheSameFdAlone) {
  EventLoop loop;
  Pipe p;
  std::atomic<int> old_calls{0};
  std::promise<void> fired;
  std::atomic<bool> once{false};
  FdWatch older, newer;
  ASSERT_TRUE(loop.RunSync([&] {
    older.Start(&loop, p.fds[0], EPOLLIN, [&](uint32_t) { ++old_calls; });
    newer.Start(&loop, p.fds[0], EPOLLIN, [&](uint32_t) {
      if (!once.exchange(true)) fired.set_value();
    });
    older.Stop();
    EXPECT_FALSE(older.active());
    EXPECT_TRUE(newer.active());
  }));
  EXPECT_EQ(fired.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_EQ(old_calls.load(), 0);
  ASSERT_TRUE(loop.RunSync([&] { newer.Stop(); }));
}

// A descriptor closed while still watched (a caller's mistake) and its
// number reused: a new watch of the new descriptor is registered and
// fires, and stopping the stale watch leaves it alone.
TEST(FdWatchTest, AReusedDescriptorNumberGetsItsNewWatch) {
  EventLoop loop;
  auto first = std::make_unique<Pipe>();
  const int number = first->fds[0];
  std::atomic<int> stale_calls{0};
  std::promise<void> fired;
  std::atomic<bool> once{false};
  FdWatch stale, fresh;
  Pipe second;
  ASSERT_TRUE(loop.RunSync([&] {
    stale.Start(&loop, number, EPOLLIN, [&](uint32_t) { ++stale_calls; });
  }));
  ASSERT_TRUE(loop.RunSync([&] {
    // Closed under the watch; the number now names the second pipe.
    ASSERT_EQ(dup2(second.fds[0], number), number);
    fresh.Start(&loop, number, EPOLLIN, [&](uint32_t) {
      if (!once.exchange(true)) fired.set_value();
    });
    stale.Stop();
  }));
  EXPECT_EQ(fired.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  ASSERT_TRUE(loop.RunSync([&] { fresh.Stop(); }));
  first.reset();  // closes `number` (now the second pipe's duplicate)
}

}  // namespace
}  // namespace trr
