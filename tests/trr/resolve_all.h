// ResolveAll: many lookups in flight at once through one Resolver, the way
// a page's worth of names arrives, waited for with a deadline.

#ifndef TRR_TESTS_TRR_RESOLVE_ALL_H_
#define TRR_TESTS_TRR_RESOLVE_ALL_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "trr/resolver.h"

namespace trr {

// Resolves every name at once (each Resolve() before any answer is in,
// every answer through the callback) and returns the results in the
// names' order. Fails the test if some are still out at the deadline.
inline std::vector<ResolveResult> ResolveAll(
    Resolver& resolver, const std::vector<std::string>& names, QueryKind kind,
    absl::Duration deadline = absl::Seconds(60)) {
  Mutex mu;
  CondVar cv;
  std::vector<ResolveResult> results(names.size());
  size_t done = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    ResolveOptions options;
    options.type = kind;
    options.complete_async = true;
    resolver.Resolve(names[i], options, [&, i](const ResolveResult& result) {
      MutexLock lock(&mu);
      results[i] = result;
      ++done;
      cv.SignalAll();
    });
  }
  MutexLock lock(&mu);
  cv.AwaitWithDeadline(&mu, absl::Now() + deadline,
                       [&] { return done == names.size(); });
  EXPECT_EQ(done, names.size()) << "lookups still outstanding";
  return results;
}

}  // namespace trr

#endif  // TRR_TESTS_TRR_RESOLVE_ALL_H_
