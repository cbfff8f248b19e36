// Seams for tests and fuzzers: a Resolver whose DoH transport and native
// resolver are stand-ins, so a fuzzer can answer every query itself, with
// fuzzed bytes and fuzzed timing, and never touch the network.

#ifndef TRR_TRR_RESOLVER_RESOLVER_TESTING_H_
#define TRR_TRR_RESOLVER_RESOLVER_TESTING_H_

#include <functional>
#include <memory>

#include "hostcache/clock.h"
#include "trr/loop/event_loop.h"
#include "trr/native/native_resolver.h"
#include "trr/resolver.h"
#include "trr/transport/doh_transport.h"

namespace trr {

struct ResolverSeams {
  // Each runs once, on the resolver's network thread. Empty: the real one.
  std::function<std::unique_ptr<DohSender>(EventLoop*)> make_transport;
  std::function<std::unique_ptr<NativeResolver>(EventLoop*)> make_native;
  // The plain-DNS client DDR asks the unencrypted resolver with.
  std::function<std::unique_ptr<PlainDnsClient>(EventLoop*, IpAddress,
                                                uint16_t)>
      make_plain_dns;
  // Where "now" comes from; null: the system's clocks (RealClock).
  const Clock* clock = nullptr;
};

// Resolver's constructor is private; this is how a seamed one is made.
class ResolverFactory {
 public:
  static StatusOr<std::unique_ptr<Resolver>> Create(Resolver::Options options,
                                                    ResolverSeams seams);
};

inline StatusOr<std::unique_ptr<Resolver>> CreateResolverForTesting(
    Resolver::Options options, ResolverSeams seams) {
  return ResolverFactory::Create(std::move(options), std::move(seams));
}

}  // namespace trr

#endif  // TRR_TRR_RESOLVER_RESOLVER_TESTING_H_
