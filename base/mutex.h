// Mutex, MutexLock, SharedMutex and CondVar: std::mutex, pthread rwlocks
// and std::condition_variable with abseil's thread-safety annotations, so
// clang checks ABSL_GUARDED_BY; and StripedCounters, for counts many
// threads add to.
//
// Why not absl::Mutex: Debian's abseil is not built with ThreadSanitizer,
// whose instrumentation absl::Mutex needs to be understood; under TSan every
// access it guards was reported as a race. The pthread mutex behind
// std::mutex is intercepted by TSan. An uncontended lock costs about the
// same (see docs/PERFORMANCE.md).

#ifndef TRR_BASE_MUTEX_H_
#define TRR_BASE_MUTEX_H_

#include <pthread.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>

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

// The calling thread's stripe of kStripes, for StripedCounters: threads
// take stripes in turn as they first ask, so up to kStripes threads never
// share one.
inline constexpr size_t kStripes = 8;
inline size_t ThreadStripe() {
  static std::atomic<size_t> next{0};
  thread_local size_t stripe_plus_one = 0;  // constant-initialized: no guard
  if (ABSL_PREDICT_FALSE(stripe_plus_one == 0)) {
    stripe_plus_one =
        next.fetch_add(1, std::memory_order_relaxed) % kStripes + 1;
  }
  return stripe_plus_one - 1;
}

// A reader-writer lock: a pthread rwlock (what std::shared_mutex wraps;
// TSan understands it) that prefers writers, with the thread-safety
// annotations. glibc's default, and so std::shared_mutex, lets readers
// whose holds overlap keep a writer out indefinitely; here a waiting
// writer holds new readers back. Waiting is in the kernel, woken on
// release. Not recursive: a thread holding it to read must not take it
// again.
class ABSL_LOCKABLE SharedMutex {
 public:
  SharedMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    if (pthread_rwlockattr_setkind_np(
            &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) != 0) {
      abort();  // glibc always accepts it; a writer could starve otherwise
    }
    pthread_rwlock_init(&mu_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~SharedMutex() { pthread_rwlock_destroy(&mu_); }
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { pthread_rwlock_rdlock(&mu_); }
  // Takes it to read only if that needs no wait: not while a writer holds
  // it, nor while one waits for it.
  bool ReaderTryLock() ABSL_SHARED_TRYLOCK_FUNCTION(true) {
    return pthread_rwlock_tryrdlock(&mu_) == 0;
  }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&mu_); }
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { pthread_rwlock_wrlock(&mu_); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&mu_); }

 private:
  pthread_rwlock_t mu_;
};

class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE WriterMutexLock {
 public:
  explicit WriterMutexLock(SharedMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
  }
  ~WriterMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Counters that many threads add to and few read: one copy per thread
// stripe, each on its own cache line, added to with a relaxed atomic.
// Threads on different stripes write no shared line; none is lost when
// they share one.
template <typename Counts>
class StripedCounters {
 public:
  // The calling thread's copy.
  Counts& Mine() { return stripes_[ThreadStripe()].counts; }
  // Every copy, to add up.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Stripe& s : stripes_) visit(s.counts);
  }

 private:
  struct alignas(64) Stripe {
    Counts counts{};
  };
  std::array<Stripe, kStripes> stripes_;
};

// Adds one to a counter of StripedCounters.
template <typename T>
inline void Bump(std::atomic<T>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

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
