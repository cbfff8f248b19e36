// Host cache benchmarks: hits and misses at 1 and 2 threads over 100, 10,000
// and 100,000 entries, inserts, and the limit to compare with: a bare
// absl::flat_hash_map<std::string, HostRecord> lookup with no lock
// (BM_Hit_trr vs BM_Hit_baremap). BM_MemoryPerEntry reports RSS per entry.

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "hostcache/host_cache.h"

namespace {

using trr::CacheKeyView;
using trr::HostCache;
using trr::HostCacheOptions;
using trr::HostRecord;
using trr::IpAddress;

std::vector<std::string> Hosts(int n) {
  std::vector<std::string> hosts;
  hosts.reserve(n);
  for (int i = 0; i < n; ++i)
    hosts.push_back(absl::StrCat("host", i, ".example.com"));
  return hosts;
}

HostRecord Record(int i) {
  HostRecord record;
  record.addresses = {IpAddress::V4(192, 0, 2, static_cast<uint8_t>(i))};
  record.ttl_seconds = 3600;
  record.source = trr::RecordSource::kTrr;
  return record;
}

CacheKeyView Key(const std::string& host) {
  CacheKeyView key;
  key.host = host;
  key.kind = trr::QueryKind::kIpv4;
  key.trr_mode = 2;
  return key;
}

// One cache per size, shared by the threads of a benchmark run.
struct Fixture {
  explicit Fixture(int n) : hosts(Hosts(n)) {
    // The default capacity (800), or room for all n.
    HostCacheOptions options;
    options.max_entries = std::max<size_t>(options.max_entries, n);
    cache = std::make_unique<HostCache>(options, trr::RealClock::Get());
    for (int i = 0; i < n; ++i) cache->Insert(Key(hosts[i]), Record(i));
  }
  std::vector<std::string> hosts;
  std::unique_ptr<HostCache> cache;
};

Fixture& FixtureFor(int n) {
  static auto* fixtures =
      new absl::flat_hash_map<int, std::unique_ptr<Fixture>>;
  static trr::Mutex mu;
  trr::MutexLock lock(&mu);
  auto& slot = (*fixtures)[n];
  if (!slot) slot = std::make_unique<Fixture>(n);
  return *slot;
}

// Each thread visits its own slice of the keys in a scattered order, as tabs
// of a browser resolve their own hosts.
struct Walk {
  Walk(const benchmark::State& state, size_t n) {
    const size_t threads = static_cast<size_t>(state.threads());
    size = n / threads;
    base = size * static_cast<size_t>(state.thread_index());
  }
  size_t Next() {
    i = (i + 7919) % size;
    return base + i;
  }
  size_t base = 0, size = 1, i = 0;
};

// What a hit's visitor does here: take the record's address, as map.find
// hands out an iterator.
// (A lambda, so the visitor's call is one indirect call, not two.)
constexpr auto SeeRecord = [](const trr::CacheHitView& view) {
  benchmark::DoNotOptimize(&view.record);
};

// Walks this thread's names with the time read once per batch of 64 hits,
// as the resolver reads it once per request (BM_HitReadingClock_trr reads
// it every time), and gives each name and that time to `lookup`.
template <typename LookupFn>
void WalkHits(benchmark::State& state, LookupFn lookup) {
  Fixture& f = FixtureFor(static_cast<int>(state.range(0)));
  Walk walk(state, f.hosts.size());
  absl::Time now = trr::RealClock::Get()->Now();
  int until_clock = 0;
  for (auto _ : state) {
    if (--until_clock < 0) {
      now = trr::RealClock::Get()->Now();
      until_clock = 64;
    }
    auto hit = lookup(*f.cache, Key(f.hosts[walk.Next()]), now);
    benchmark::DoNotOptimize(hit);
  }
  state.SetItemsProcessed(state.iterations());
}

// A hit as the resolver makes it: the record seen in place, as map.find's
// iterator shows it.
void BM_Hit_trr(benchmark::State& state) {
  WalkHits(state,
           [](HostCache& cache, const CacheKeyView& key, absl::Time now) {
             return cache.Lookup(key, now, SeeRecord);
           });
}
BENCHMARK(BM_Hit_trr)
    ->Arg(100)
    ->Arg(10000)
    ->Arg(100000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// The same hit copied out (std::optional<CacheHit>): one allocation for the
// address list.
void BM_HitCopy_trr(benchmark::State& state) {
  WalkHits(state, [](HostCache& cache, const CacheKeyView& key,
                     absl::Time now) { return cache.Lookup(key, now); });
}
BENCHMARK(BM_HitCopy_trr)->Arg(100)->Arg(10000)->Arg(100000)->UseRealTime();

void BM_HitReadingClock_trr(benchmark::State& state) {
  Fixture& f = FixtureFor(static_cast<int>(state.range(0)));
  Walk walk(state, f.hosts.size());
  for (auto _ : state) {
    const bool hit = f.cache->Lookup(Key(f.hosts[walk.Next()]),
                                     trr::RealClock::Get()->Now(), SeeRecord);
    benchmark::DoNotOptimize(hit);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HitReadingClock_trr)
    ->Arg(100)
    ->Arg(10000)
    ->Arg(100000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void BM_Miss_trr(benchmark::State& state) {
  Fixture& f = FixtureFor(static_cast<int>(state.range(0)));
  const std::vector<std::string> absent = Hosts(1000);
  std::vector<std::string> names;
  for (const auto& h : absent) names.push_back("absent-" + h);
  size_t i = 0;
  for (auto _ : state) {
    auto hit = f.cache->Lookup(Key(names[i]));
    benchmark::DoNotOptimize(hit);
    i = (i + 1) % names.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Miss_trr)
    ->Arg(100)
    ->Arg(10000)
    ->Arg(100000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void BM_Insert_trr(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<std::string> hosts = Hosts(n * 2);
  HostCacheOptions options;
  options.max_entries = n;
  HostCache cache(options, trr::RealClock::Get());
  size_t i = 0;
  for (auto _ : state) {
    cache.Insert(Key(hosts[i]), Record(static_cast<int>(i)));
    i = (i + 1) % hosts.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Insert_trr)->Arg(100)->Arg(10000)->Arg(100000);

void BM_Hit_baremap(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<std::string> hosts = Hosts(n);
  absl::flat_hash_map<std::string, HostRecord> map;
  for (int i = 0; i < n; ++i) map.emplace(hosts[i], Record(i));
  Walk walk(state, hosts.size());
  for (auto _ : state) {
    auto it = map.find(hosts[walk.Next()]);
    benchmark::DoNotOptimize(it);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hit_baremap)
    ->Arg(100)
    ->Arg(10000)
    ->Arg(100000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// RSS growth per entry for 100,000 entries of "hostN.example.com" with one
// IPv4 address; "overhead" subtracts the payload (name bytes + 4 per address).
void BM_MemoryPerEntry(benchmark::State& state) {
  constexpr int kEntries = 100000;
  const std::vector<std::string> hosts = Hosts(kEntries);
  size_t payload = 0;
  for (const auto& h : hosts) payload += h.size() + 4;
  double per_entry = 0;
  for (auto _ : state) {
    HostCacheOptions options;
    options.max_entries = kEntries;
    const size_t before = ResidentBytes();
    auto cache = std::make_unique<HostCache>(options, trr::RealClock::Get());
    for (int i = 0; i < kEntries; ++i) cache->Insert(Key(hosts[i]), Record(i));
    const size_t after = ResidentBytes();
    per_entry = static_cast<double>(after - before) / kEntries;
    benchmark::DoNotOptimize(cache);
  }
  state.counters["rss_bytes_per_entry"] = per_entry;
  state.counters["overhead_bytes_per_entry"] =
      per_entry - static_cast<double>(payload) / kEntries;
}
BENCHMARK(BM_MemoryPerEntry)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
