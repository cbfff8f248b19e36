// rtt_bench: how many round trips a lookup costs on a long link, in the
// cases a long-lived process meets, through the Resolver API. unbound's
// DoH is behind a DelayRelay (tests/peers/delay_relay.h: --delay_ms each
// way, one round trip more before a connection's first bytes, as a TCP
// handshake costs); its plain DNS (the native path) is not delayed.
//   cold            the first lookup of a new resolver (TCP, TLS, query)
//   warm            a lookup on the open connection
//   idle-closed     after the server closed the idle connection (unbound's
//                   tcp-idle-timeout): reconnect, TLS resumed, query
//   network-change  the first lookup after OnNetworkChanged (the open
//                   connection is checked with a PING sent alongside)
//   mode2-blackhole mode 2 with the DoH server black-holed (nftables, as
//                   root): the first lookup and the next, answered natively
// Each case is run --rounds times; the median is printed in ms and RTTs.
// scripts/bench_rtt.sh compares whole processes with kdig instead.
// Usage: build/bench/rtt_bench [--delay_ms=50] [--rounds=5]

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/peers/black_hole.h"
#include "tests/peers/delay_relay.h"
#include "tests/peers/unbound_server.h"
#include "trr/resolver.h"

ABSL_FLAG(int, delay_ms, 50, "one-way delay of the link to the DoH server");
ABSL_FLAG(int, rounds, 5, "runs of each case");

namespace {

using trr::ResolveOptions;
using trr::Resolver;

struct Peers {
  std::unique_ptr<trr::testing::UnboundServer> unbound;
  std::unique_ptr<trr::testing::DelayRelay> relay;
};

std::unique_ptr<Resolver> Make(const Peers& peers, int mode) {
  auto resolver = Resolver::Create();
  if (!resolver.ok()) return nullptr;
  const trr::Status set = (*resolver)->SetPrefs({
      {"network.trr.mode", int32_t{mode}},
      {"network.trr.uri",
       absl::StrCat("https://localhost:", peers.relay->port(), "/dns-query")},
      {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
      {"network.trr.ca_file", peers.unbound->ca_file()},
      {"network.trr.confirmationNS", std::string("example.test")},
      {"network.dns.native_nameserver",
       absl::StrCat("127.0.0.1:", peers.unbound->dns_port())},
  });
  if (!set.ok()) {
    std::fprintf(stderr, "rtt_bench: %s\n", std::string(set.message()).c_str());
    return nullptr;
  }
  return std::move(*resolver);
}

// One fresh lookup: its time, or a negative one when it failed.
double TimeLookup(Resolver& resolver, const std::string& name) {
  ResolveOptions options;
  options.type = trr::QueryKind::kIpv4;
  options.bypass_cache = true;
  const absl::Time start = absl::Now();
  const trr::ResolveResult r = resolver.ResolveSync(name, options);
  const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  return r.ok() ? ms : -ms;
}

// Waits (snapshots, with a deadline) until the resolver has no DoH
// connection open.
bool WaitForNoConnection(Resolver& resolver) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (resolver.Snapshot().doh_connections.empty()) return true;
    absl::SleepFor(absl::Milliseconds(10));  // a bench, not a test
  }
  return false;
}

void Report(const std::string& name, std::vector<double> ms, double rtt) {
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  const bool failed =
      std::any_of(ms.begin(), ms.end(), [](double v) { return v < 0; });
  std::printf("%-28s %8.1f ms = %5.2f RTT%s\n", name.c_str(), median,
              median / rtt, failed ? "  (some lookups FAILED)" : "");
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int delay = absl::GetFlag(FLAGS_delay_ms);
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const double rtt = 2.0 * delay;
  trr::testing::UnboundConfig config;
  config.log_queries = false;
  // Idle connections closed after 300 ms, for the idle-closed case.
  config.server_lines = {"tcp-idle-timeout: 300"};
  Peers peers;
  auto unbound = trr::testing::UnboundServer::Start(config);
  if (!unbound.ok()) {
    std::fprintf(stderr, "rtt_bench: %s\n",
                 std::string(unbound.status().message()).c_str());
    return 1;
  }
  peers.unbound = std::move(*unbound);
  auto relay = trr::testing::DelayRelay::Start(peers.unbound->doh_port(),
                                               absl::Milliseconds(delay));
  if (!relay.ok()) return 1;
  peers.relay = std::move(*relay);

  std::vector<double> cold, warm, idle_closed, network_change;
  for (int i = 0; i < rounds; ++i) {
    auto resolver = Make(peers, 3);
    if (resolver == nullptr) return 1;
    cold.push_back(TimeLookup(*resolver, "www.example.test"));
    warm.push_back(TimeLookup(*resolver, "v4only.example.test"));
    if (!WaitForNoConnection(*resolver)) {
      std::fprintf(stderr, "rtt_bench: the server kept the idle connection\n");
      return 1;
    }
    idle_closed.push_back(TimeLookup(*resolver, "www.example.test"));
    resolver->OnNetworkChanged();
    network_change.push_back(TimeLookup(*resolver, "v4only.example.test"));
  }
  std::printf("RTT %.0f ms (%d ms each way), %d rounds, medians:\n", rtt, delay,
              rounds);
  Report("cold", cold, rtt);
  Report("warm", warm, rtt);
  Report("idle-closed (reconnect)", idle_closed, rtt);
  Report("network-change", network_change, rtt);

  if (!trr::testing::BlackHole::Available()) {
    std::printf("mode2-blackhole: needs root and nft\n");
    return 0;
  }
  std::vector<double> first, next;
  for (int i = 0; i < rounds; ++i) {
    auto hole = trr::testing::BlackHole::Start(peers.relay->port());
    if (!hole.ok()) return 1;
    auto resolver = Make(peers, 2);
    if (resolver == nullptr) return 1;
    first.push_back(TimeLookup(*resolver, "www.example.test"));
    next.push_back(TimeLookup(*resolver, "v4only.example.test"));
  }
  Report("mode2-blackhole first", first, rtt);
  Report("mode2-blackhole next", next, rtt);
  return 0;
}
