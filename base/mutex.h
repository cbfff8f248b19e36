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

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

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
// readers scale across threads: each thread reads through one of kSlots
// mutexes, each on its own cache line, so readers on different threads
// write no shared line; a writer takes every slot. std::shared_mutex keeps
// one reader count that every reader writes, which is the line this avoids.
// Readers that share a slot (more threads than slots) exclude each other.
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
    slots_[slot].mu.lock();
    return slot;
  }
  void ReaderUnlock(size_t slot) ABSL_UNLOCK_FUNCTION() {
    slots_[slot].mu.unlock();
  }
  // Always in slot order, so two writers cannot deadlock.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    for (Slot& s : slots_) s.mu.lock();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    for (size_t i = kSlots; i-- > 0;) slots_[i].mu.unlock();
  }

  // The slot of the calling thread: threads take slots in turn as they
  // first read, so up to kSlots threads never share one.
  static size_t ThreadSlot() {
    static std::atomic<size_t> next{0};
    thread_local const size_t slot =
        next.fetch_add(1, std::memory_order_relaxed) % kSlots;
    return slot;
  }

 private:
  struct alignas(64) Slot {
    std::mutex mu;
  };
  std::array<Slot, kSlots> slots_;
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
