// soak: the resolver under steady load while its DoH server flaps. Runs
// mode 2 against a real unbound behind DoH (killed and restarted every
// --flap seconds) and a second unbound for native fallback, at --rate
// lookups/s over --names names, for --duration seconds. Fails (exit 1)
// on a lost or doubled completion, RSS growth over 5% after warm-up, or
// more open file descriptors at the end than after warm-up (the most seen
// in the --flap seconds after warm-up: whether the DoH connection is open
// depends on the server's phase, so one sample could miss it).
//   soak --duration 600 --rate 1000 --names 3000 --flap 10

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "tests/peers/unbound_server.h"
#include "trr/resolver.h"

ABSL_FLAG(double, duration, 600, "seconds to run");
ABSL_FLAG(int, rate, 1000, "lookups started per second");
ABSL_FLAG(int, names, 3000, "distinct names in the zone, looked up in turn");
ABSL_FLAG(double, flap, 10, "seconds between DoH server kills and restarts");

namespace {

size_t ResidentKb() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

int OpenFds() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
  }
  return count - 3;  // ".", ".." and the DIR's own fd
}

std::string Zone(const std::string& net, int names) {
  std::string zone = trr::testing::DefaultTestZone(net);
  for (int i = 0; i < names; ++i) {
    absl::StrAppend(&zone, "h", i, " 300 IN A ", net, ".", 1 + i % 250, "\n");
  }
  return zone;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_duration));
  const int rate = absl::GetFlag(FLAGS_rate);
  const int names = absl::GetFlag(FLAGS_names);
  const absl::Duration flap = absl::Seconds(absl::GetFlag(FLAGS_flap));

  trr::testing::UnboundConfig doh_config;
  doh_config.zone = Zone("192.0.2", names);
  doh_config.log_queries = false;
  auto doh = trr::testing::UnboundServer::Start(doh_config);
  trr::testing::UnboundConfig native_config;
  native_config.zone = Zone("198.51.100", names);
  native_config.doh = false;
  native_config.log_queries = false;
  auto native = trr::testing::UnboundServer::Start(native_config);
  if (!doh.ok() || !native.ok()) {
    std::fprintf(stderr, "soak: cannot start unbound: %s %s\n",
                 std::string(doh.status().message()).c_str(),
                 std::string(native.status().message()).c_str());
    return 2;
  }
  auto resolver = trr::Resolver::Create();
  if (!resolver.ok() ||
      !(*resolver)
           ->SetPrefs({
               {"network.trr.mode", int32_t{2}},
               {"network.trr.uri", (*doh)->DohUri("doh.test")},
               {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
               {"network.trr.ca_file", (*doh)->ca_file()},
               {"network.trr.confirmationNS", std::string("example.test")},
               {"network.trr.request_timeout_ms", int32_t{300}},
               {"network.trr.temp_blocklist_duration_sec", int32_t{2}},
               {"network.dns.native_nameserver",
                absl::StrCat("127.0.0.1:", (*native)->dns_port())},
           })
           .ok()) {
    std::fprintf(stderr, "soak: cannot configure the resolver\n");
    return 2;
  }

  // One byte per request: how many times it completed.
  const int64_t planned =
      static_cast<int64_t>(absl::ToDoubleSeconds(duration) * rate) + rate;
  auto completions = std::make_unique<std::atomic<uint8_t>[]>(planned);
  std::atomic<int64_t> done{0}, ok{0}, trr_answers{0}, native_answers{0};
  int64_t started = 0;

  const absl::Time start = absl::Now();
  // Warm once the cache is full and the server has gone down and come back
  // up at least once: a fifth of the run, or two flaps, whichever is later.
  const absl::Time warm = start + std::max(duration / 5, 2 * flap);
  absl::Time next_flap = start + flap;
  bool doh_up = true;
  size_t rss_warm = 0;
  int fds_warm = 0;
  size_t rss_peak = 0;
  int flaps = 0;
  trr::ResolveOptions options;
  options.type = trr::QueryKind::kIpv4;
  while (absl::Now() < start + duration) {
    // Start the lookups due by now, in 10 ms steps.
    const int64_t due =
        static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start) * rate);
    for (; started < due && started < planned; ++started) {
      const int64_t id = started;
      options.bypass_cache = id % 4 != 0;
      auto complete = [&, id](const trr::ResolveResult& r) {
        completions[id].fetch_add(1);
        done.fetch_add(1);
        if (r.ok()) {
          ok.fetch_add(1);
          (r.source == trr::ResultSource::kNative ? native_answers
                                                  : trr_answers)
              .fetch_add(1);
        }
      };
      // A cache hit is answered by Resolve itself, not the callback.
      auto started = (*resolver)->Resolve(
          absl::StrCat("h", id % names, ".example.test"), options, complete);
      if (started.answered()) complete(*started.result);
    }
    if (absl::Now() >= next_flap) {
      if (doh_up) {
        (*doh)->Kill();
      } else if (!(*doh)->Restart().ok()) {
        std::fprintf(stderr, "soak: unbound did not restart\n");
        return 2;
      }
      doh_up = !doh_up;
      ++flaps;
      next_flap += flap;
    }
    if (rss_warm == 0 && absl::Now() >= warm) rss_warm = ResidentKb();
    if (rss_warm != 0 && absl::Now() < warm + flap) {
      fds_warm = std::max(fds_warm, OpenFds());
    }
    if (rss_warm != 0) rss_peak = std::max(rss_peak, ResidentKb());
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (!doh_up) (void)(*doh)->Restart();
  // Let the last lookups finish (their timeouts are short).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (done.load() < started && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const size_t rss_end = ResidentKb();
  const int fds_end = OpenFds();
  int64_t lost = 0, doubled = 0;
  for (int64_t i = 0; i < started; ++i) {
    const uint8_t count = completions[i].load();
    if (count == 0) ++lost;
    if (count > 1) ++doubled;
  }
  const double seconds = absl::ToDoubleSeconds(duration);
  const double growth =
      rss_warm == 0 ? 0
                    : 100.0 * (static_cast<double>(rss_end) - rss_warm) /
                          static_cast<double>(rss_warm);
  std::printf(
      "lookups=%lld rate=%.0f/s ok=%lld trr=%lld native=%lld flaps=%d "
      "lost=%lld doubled=%lld rss_warm_kb=%zu rss_peak_kb=%zu rss_end_kb=%zu "
      "rss_growth_pct=%.2f fds_warm=%d fds_end=%d\n",
      static_cast<long long>(started), started / seconds,
      static_cast<long long>(ok.load()),
      static_cast<long long>(trr_answers.load()),
      static_cast<long long>(native_answers.load()), flaps,
      static_cast<long long>(lost), static_cast<long long>(doubled), rss_warm,
      rss_peak, rss_end, growth, fds_warm, fds_end);
  const bool pass =
      lost == 0 && doubled == 0 && growth < 5.0 && fds_end <= fds_warm;
  std::printf("soak: %s\n", pass ? "PASS" : "FAIL");
  resolver->reset();
  return pass ? 0 : 1;
}
