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

#include <chrono>
#include <condition_variable>
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
