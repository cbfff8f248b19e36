// Mutex, MutexLock and CondVar: std::mutex and std::condition_variable with
// abseil's thread-safety annotations, so clang checks ABSL_GUARDED_BY.
//
// Why not absl::Mutex: Debian's abseil is not built with ThreadSanitizer,
// whose instrumentation absl::Mutex needs to be understood; under TSan every
// access it guards was reported as a race. The pthread mutex behind
// std::mutex is intercepted by TSan. An uncontended lock costs about the
// same (see docs/PERFORMANCE.md).

#ifndef TRR_BASE_MUTEX_H_
#define TRR_BASE_MUTEX_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace trr {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A reader-writer lock for data read far more often than written, whose
// readers scale across threads and cost one atomic read-modify-write: each
// thread reads through one of kSlots flags, each on its own cache line, so
// readers on different threads write no shared line (std::shared_mutex
// keeps one reader count that every reader writes); a writer raises its own
// flag and waits until every slot is free. A reader takes its slot with one
// compare-and-swap, sees no writer, and leaves with a plain store; with
// pthread mutexes per slot, a read cost two atomic operations and two calls.
// Readers that share a slot (more threads than slots) exclude each other.
//
// Waiting: a reader leaves its slot with a plain store, which wakes no one,
// so whoever waits for a slot (a writer, or a reader sharing the slot)
// spins briefly, then sleeps in steps of 20 us until the slot is free; a
// reader, which rarely waits long, is then running again soon. A reader
// waiting for a writer, who may hold the lock for a long clear, sleeps on a
// futex until the writer wakes it.
//
// Correctness: the reader stores its slot flag, then loads the writer flag;
// the writer stores the writer flag, then loads the slot flags; both
// sequentially consistent, so at least one of them sees the other. Every
// entry into the lock reads, with acquire, a flag the previous holder
// cleared with release, which is also the order ThreadSanitizer follows.
class ABSL_LOCKABLE ReadMostlyMutex {
 public:
  static constexpr size_t kSlots = 8;

  ReadMostlyMutex() = default;
  ReadMostlyMutex(const ReadMostlyMutex&) = delete;
  ReadMostlyMutex& operator=(const ReadMostlyMutex&) = delete;

  // Returns the caller's slot: it may write per-slot state while it holds
  // it, as no other reader holds the same slot. Give it to ReaderUnlock.
  size_t ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
    const size_t slot = ThreadSlot();
    std::atomic<uint32_t>& held = slots_[slot].held;
    uint32_t free = 0;
    if (ABSL_PREDICT_TRUE(held.compare_exchange_strong(free, 1) &&
                          writer_.load() == 0)) {
      return slot;
    }
    ReaderLockSlow(held, free == 0);
    return slot;
  }
  void ReaderUnlock(size_t slot) ABSL_UNLOCK_FUNCTION() {
    slots_[slot].held.store(0, std::memory_order_release);
  }
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    writers_.lock();
    writer_.store(1);
    for (Slot& s : slots_) WaitUntilFree(s.held);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    writer_.store(0);
    if (sleepers_.load() != 0) Futex(writer_, FUTEX_WAKE_PRIVATE, INT32_MAX);
    writers_.unlock();
  }

  // The slot of the calling thread: threads take slots in turn as they
  // first read, so up to kSlots threads never share one.
  static size_t ThreadSlot() {
    static std::atomic<size_t> next{0};
    thread_local size_t slot_plus_one = 0;  // constant-initialized: no guard
    if (ABSL_PREDICT_FALSE(slot_plus_one == 0)) {
      slot_plus_one = next.fetch_add(1, std::memory_order_relaxed) % kSlots + 1;
    }
    return slot_plus_one - 1;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<uint32_t> held{0};
  };

  static long Futex(std::atomic<uint32_t>& word, int op, uint32_t value,
                    const struct timespec* timeout = nullptr) {
    static_assert(sizeof(word) == sizeof(uint32_t));
    return syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), op, value,
                   timeout, nullptr, 0);
  }

  // Until the slot's holder leaves: spins briefly, then sleeps in short
  // steps (a leaving reader wakes no one).
  static void WaitUntilFree(std::atomic<uint32_t>& held) {
    for (int spins = 0; held.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins < 100) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else {
        const struct timespec step = {0, 20000};
        Futex(held, FUTEX_WAIT_PRIVATE, 1, &step);
      }
    }
  }

  // `holding`: the compare-and-swap took the slot, but a writer was there.
  ABSL_ATTRIBUTE_NOINLINE void ReaderLockSlow(std::atomic<uint32_t>& held,
                                              bool holding) {
    if (holding) held.store(0, std::memory_order_release);
    for (;;) {
      while (writer_.load(std::memory_order_acquire) != 0) {
        sleepers_.fetch_add(1);
        if (writer_.load() != 0) Futex(writer_, FUTEX_WAIT_PRIVATE, 1);
        sleepers_.fetch_sub(1);
      }
      uint32_t free = 0;
      if (held.compare_exchange_strong(free, 1)) {
        if (writer_.load() == 0) return;
        held.store(0, std::memory_order_release);
      } else {
        WaitUntilFree(held);  // another reader of this slot
      }
    }
  }

  std::array<Slot, kSlots> slots_;
  // 1 while a writer holds, or waits for, the lock; readers sleep on it.
  alignas(64) std::atomic<uint32_t> writer_{0};
  // Readers asleep (or about to be) on writer_.
  std::atomic<uint32_t> sleepers_{0};
  // Writers exclude each other here before raising writer_.
  std::mutex writers_;
};

class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(ReadMostlyMutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu)
      : mu_(mu), slot_(mu->ReaderLock()) {}
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(slot_); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;
  size_t slot() const { return slot_; }

 private:
  ReadMostlyMutex* const mu_;
  const size_t slot_;
};

class ABSL_SCOPED_LOCKABLE WriterMutexLock {
 public:
  explicit WriterMutexLock(ReadMostlyMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
  }
  ~WriterMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;

 private:
  ReadMostlyMutex* const mu_;
};

class CondVar {
 public:
  // Waits for a Signal; `mu` is held on entry and on return.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // As Wait, until `deadline`. Returns false if the deadline passed.
  bool WaitWithDeadline(Mutex* mu, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const absl::Duration left = deadline - absl::Now();
    const bool signalled =
        left > absl::ZeroDuration() &&
        cv_.wait_for(lock, absl::ToChronoNanoseconds(left)) ==
            std::cv_status::no_timeout;
    lock.release();
    return signalled;
  }
  // Waits until `done()` is true or the deadline passes; returns done().
  // `done` runs with `mu` held (the analysis cannot follow it into a
  // template argument, hence the opt-out).
  template <typename Predicate>
  bool AwaitWithDeadline(Mutex* mu, absl::Time deadline, Predicate done)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    while (!done()) {
      if (absl::Now() >= deadline) return false;
      WaitWithDeadline(mu, deadline);
    }
    return true;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace trr

#endif  // TRR_BASE_MUTEX_H_
