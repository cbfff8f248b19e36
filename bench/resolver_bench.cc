// Resolver benchmarks through the public API: a cache hit, returned by
// Resolve() itself (goal: under 1 us at p50), and an uncached TRR lookup
// against a real unbound compared with the DoH transport alone sending the same
// query (goal: the resolver adds at most 5%). Both serial, one request at a
// time; loop_cpu_ns is the CPU time of the network thread per lookup.
// docs/PERFORMANCE.md says how to read them on a small VM (pinned to one CPU,
// ratios per round). Also the CPU cost of creating a Resolver (goal: at most 5
// ms).

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "benchmark/benchmark.h"
#include "tests/peers/black_hole.h"
#include "tests/peers/haproxy_server.h"
#include "tests/peers/ohttp_gateway.h"
#include "tests/peers/unbound_server.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/resolver.h"
#include "trr/transport/doh_transport.h"

namespace {

trr::testing::UnboundServer* Server() {
  static trr::testing::UnboundServer* server = [] {
    auto started = trr::testing::UnboundServer::Start();
    return started.ok() ? started->release() : nullptr;
  }();
  return server;
}

std::unique_ptr<trr::Resolver> MakeResolver() {
  auto resolver = trr::Resolver::Create();
  if (!resolver.ok()) return nullptr;
  std::vector<std::pair<std::string, trr::prefs::PrefValue>> prefs = {
      {"network.trr.mode", int32_t{3}},
      {"network.trr.uri", Server()->DohUri("doh.test")},
      {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
      {"network.trr.ca_file", Server()->ca_file()},
  };
  if (!(*resolver)->SetPrefs(prefs).ok()) return nullptr;
  return std::move(*resolver);
}

void ReportPercentiles(benchmark::State& state, std::vector<double>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters["p50_ns"] = ns[ns.size() / 2];
  state.counters["p99_ns"] = ns[ns.size() * 99 / 100];
}

// CPU time of another thread (the loop's), in nanoseconds.
double ThreadCpuNs(pthread_t thread) {
  clockid_t clock;
  timespec ts{};
  if (pthread_getcpuclockid(thread, &clock) != 0) return 0;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void BM_ResolveCacheHit(benchmark::State& state) {
  if (Server() == nullptr) {
    state.SkipWithError("unbound is not installed");
    return;
  }
  auto resolver = MakeResolver();
  trr::ResolveOptions options;
  options.type = trr::QueryKind::kIpv4;
  if (!resolver->ResolveSync("www.example.test", options).ok()) {
    state.SkipWithError("the first lookup failed");
    return;
  }
  std::vector<double> ns;
  ns.reserve(1 << 20);
  size_t addresses = 0;
  for (auto _ : state) {
    const absl::Time start = absl::Now();
    // A hit is returned by Resolve itself.
    auto started = resolver->Resolve(
        "www.example.test", options,
        [&](const trr::ResolveResult& r) { addresses += r.addresses.size(); });
    if (started.answered()) addresses += started.result->addresses.size();
    if (ns.size() < ns.capacity()) {
      ns.push_back(absl::ToDoubleNanoseconds(absl::Now() - start));
    }
  }
  benchmark::DoNotOptimize(addresses);
  ReportPercentiles(state, ns);
}
BENCHMARK(BM_ResolveCacheHit);

// Oblivious DoH to the same unbound: haproxy as the relay and the Node.js
// gateway of tests/peers/ohttp (run from the source tree), started once.
struct OhttpPath {
  std::unique_ptr<trr::testing::OhttpGateway> gateway;
  std::unique_ptr<trr::testing::HaproxyServer> relay;
};

OhttpPath* Ohttp() {
  static OhttpPath* path = []() -> OhttpPath* {
    if (Server() == nullptr || !trr::testing::OhttpGateway::Available() ||
        !trr::testing::HaproxyServer::Available()) {
      return nullptr;
    }
    auto gateway = trr::testing::OhttpGateway::Start(Server()->doh_port(),
                                                     Server()->ca_file());
    if (!gateway.ok()) return nullptr;
    trr::testing::HaproxyConfig config;
    config.backend_port = (*gateway)->port();
    config.alpn = "h2,http/1.1";
    auto relay = trr::testing::HaproxyServer::Start(config);
    if (!relay.ok()) return nullptr;
    return new OhttpPath{std::move(*gateway), std::move(*relay)};
  }();
  return path;
}

std::unique_ptr<trr::Resolver> MakeOhttpResolver() {
  auto resolver = trr::Resolver::Create();
  if (!resolver.ok()) return nullptr;
  const std::string relay =
      absl::StrCat("https://127.0.0.1:", Ohttp()->relay->port());
  std::vector<std::pair<std::string, trr::prefs::PrefValue>> prefs = {
      {"network.trr.mode", int32_t{3}},
      {"network.trr.use_ohttp", true},
      {"network.trr.ohttp.relay_uri", relay + "/gateway"},
      {"network.trr.ohttp.config_uri", relay + "/ohttp-keys"},
      {"network.trr.ohttp.uri", Server()->DohUri("localhost")},
      {"network.trr.ca_file", Ohttp()->relay->ca_file()},
  };
  if (!(*resolver)->SetPrefs(prefs).ok()) return nullptr;
  return std::move(*resolver);
}

// Uncached lookups one after another through `resolver`: their latency
// percentiles, and the resolver's loop-thread CPU per lookup.
void RunUncached(benchmark::State& state, trr::Resolver& resolver) {
  trr::ResolveOptions options;
  options.type = trr::QueryKind::kIpv4;
  options.bypass_cache = true;
  // Connects; an uncached answer's callback runs on the loop thread.
  pthread_t loop_thread{};
  {
    trr::Mutex mu;
    trr::CondVar cv;
    bool done = false;
    resolver.Resolve("www.example.test", options,
                     [&](const trr::ResolveResult&) {
                       trr::MutexLock lock(&mu);
                       loop_thread = pthread_self();
                       done = true;
                       cv.SignalAll();
                     });
    trr::MutexLock lock(&mu);
    while (!done) cv.Wait(&mu);
  }
  std::vector<double> ns;
  const double loop_cpu_start = ThreadCpuNs(loop_thread);
  for (auto _ : state) {
    const absl::Time start = absl::Now();
    trr::ResolveResult r = resolver.ResolveSync("www.example.test", options);
    ns.push_back(absl::ToDoubleNanoseconds(absl::Now() - start));
    if (!r.ok()) state.SkipWithError("lookup failed");
  }
  state.counters["loop_cpu_ns"] =
      (ThreadCpuNs(loop_thread) - loop_cpu_start) / state.iterations();
  ReportPercentiles(state, ns);
}

void BM_ResolveUncachedOhttp(benchmark::State& state) {
  if (Ohttp() == nullptr) {
    state.SkipWithError("unbound, haproxy or the OHTTP gateway is missing");
    return;
  }
  auto resolver = MakeOhttpResolver();
  RunUncached(state, *resolver);
}
BENCHMARK(BM_ResolveUncachedOhttp)->UseRealTime();

void BM_ResolveUncachedTrr(benchmark::State& state) {
  if (Server() == nullptr) {
    state.SkipWithError("unbound is not installed");
    return;
  }
  auto resolver = MakeResolver();
  RunUncached(state, *resolver);
}
BENCHMARK(BM_ResolveUncachedTrr)->UseRealTime();

// Several servers, the first black-holed (nftables drops its SYNs): after
// the lookups that mark it unavailable (network.trr.server_max_failures,
// 10), lookups go straight to the second. Goal: their p50 within 1.2x of
// BM_ResolveUncachedTrr's (one healthy server), in the same run.
void BM_FirstServerBlackHoled(benchmark::State& state) {
  if (Server() == nullptr) {
    state.SkipWithError("unbound is not installed");
    return;
  }
  if (!trr::testing::BlackHole::Available()) {
    state.SkipWithError("nft is not installed or not usable (root needed)");
    return;
  }
  static trr::testing::UnboundServer* vanished = [] {
    auto started = trr::testing::UnboundServer::Start();
    return started.ok() ? started->release() : nullptr;
  }();
  static trr::testing::TempDir* dir = new trr::testing::TempDir;
  const std::string ca_file = trr::testing::WriteCaBundle(
      *dir, "both.pem", {vanished->ca_file(), Server()->ca_file()});
  auto hole = trr::testing::BlackHole::Start(vanished->doh_port());
  if (!hole.ok()) {
    state.SkipWithError("nft could not add the rule");
    return;
  }
  auto resolver = trr::Resolver::Create();
  const std::string list = trr::testing::JsonServerList(
      {vanished->DohUri("doh.test"), Server()->DohUri("doh.test")});
  if (!resolver.ok() ||
      !(*resolver)
           ->SetPrefs({{"network.trr.mode", int32_t{3}},
                       {"network.trr.uri", list},
                       {"network.trr.ca_file", ca_file},
                       {"network.trr.request_timeout_ms", int32_t{200}}})
           .ok()) {
    state.SkipWithError("the resolver did not start");
    return;
  }
  trr::ResolveOptions options;
  options.type = trr::QueryKind::kIpv4;
  options.bypass_cache = true;
  // Lookups 1-10: the first waits out its attempt on the first server,
  // which no connection reaches, and so is unavailable after it.
  for (int i = 0; i < 10; ++i) {
    (*resolver)->ResolveSync("www.example.test", options);
  }
  if ((*resolver)->Snapshot().servers.at(0).state != "unavailable") {
    state.SkipWithError("the first server did not become unavailable");
    return;
  }
  std::vector<double> ns;
  for (auto _ : state) {
    const absl::Time start = absl::Now();
    trr::ResolveResult r =
        (*resolver)->ResolveSync("www.example.test", options);
    ns.push_back(absl::ToDoubleNanoseconds(absl::Now() - start));
    if (!r.ok()) state.SkipWithError("lookup failed");
  }
  ReportPercentiles(state, ns);
}
BENCHMARK(BM_FirstServerBlackHoled)->UseRealTime();

void BM_TransportAlone(benchmark::State& state) {
  if (Server() == nullptr) {
    state.SkipWithError("unbound is not installed");
    return;
  }
  trr::EventLoop loop;
  std::unique_ptr<trr::DohTransport> transport;
  loop.RunSync([&] {
    transport = std::make_unique<trr::DohTransport>(&loop);
    trr::DohConfig config;
    config.uri = *trr::ParseDohUri(Server()->DohUri("doh.test"));
    config.bootstrap = {*trr::IpAddress::Parse("127.0.0.1")};
    config.ca_file = Server()->ca_file();
    transport->Configure(config);
  });
  std::vector<uint8_t> query;
  trr::dns::EncodeQuery("www.example.test", trr::dns::kTypeA,
                        trr::dns::QueryOptions(), query);
  trr::Mutex mu;
  trr::CondVar cv;
  auto send_and_wait = [&] {
    bool done = false;
    loop.Post([&] {
      transport->Send(query, absl::Seconds(5), [&](trr::DohResult) {
        trr::MutexLock lock(&mu);
        done = true;
        cv.SignalAll();
      });
    });
    trr::MutexLock lock(&mu);
    while (!done) cv.Wait(&mu);
  };
  send_and_wait();  // connect
  pthread_t loop_thread{};
  loop.RunSync([&] { loop_thread = pthread_self(); });
  std::vector<double> ns;
  const double loop_cpu_start = ThreadCpuNs(loop_thread);
  for (auto _ : state) {
    const absl::Time start = absl::Now();
    send_and_wait();
    ns.push_back(absl::ToDoubleNanoseconds(absl::Now() - start));
  }
  state.counters["loop_cpu_ns"] =
      (ThreadCpuNs(loop_thread) - loop_cpu_start) / state.iterations();
  ReportPercentiles(state, ns);
  loop.RunSync([&] { transport.reset(); });
}
BENCHMARK(BM_TransportAlone)->UseRealTime();

}  // namespace

// Resolver::Create with a mode-3 configuration, and its destruction: the
// process's CPU (every thread) per resolver; goal at most 5 ms. No TLS work
// is in it: trust is loaded by the first connection (trr/tls_trust.h).
void BM_ResolverCreate(benchmark::State& state) {
  const std::vector<std::pair<std::string, trr::prefs::PrefValue>> prefs = {
      {"network.trr.mode", int32_t{3}},
      {"network.trr.uri", std::string("https://doh.test/dns-query")},
      {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
  };
  for (auto _ : state) {
    auto resolver = trr::Resolver::Create();
    if (!resolver.ok() || !(*resolver)->SetPrefs(prefs).ok()) {
      state.SkipWithError("Create failed");
      return;
    }
    benchmark::DoNotOptimize(resolver);
  }
}
BENCHMARK(BM_ResolverCreate)->MeasureProcessCPUTime()->UseRealTime();

BENCHMARK_MAIN();
