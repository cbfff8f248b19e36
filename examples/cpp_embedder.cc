// A C++ embedder of trr: several threads resolve with callbacks, the app
// reports a network change, and prints what the resolver knows.
//
//   DOH_PORT=... CA_FILE=... cpp_embedder
// (tests/api/run_with_unbound.sh provides both from a local unbound.)

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trr/resolver.h"

int main() {
  const char* port = std::getenv("DOH_PORT");
  const char* ca = std::getenv("CA_FILE");
  if (port == nullptr || ca == nullptr) {
    std::fprintf(stderr, "set DOH_PORT and CA_FILE\n");
    return 2;
  }
  auto created = trr::Resolver::Create();
  if (!created.ok()) return 1;
  std::unique_ptr<trr::Resolver> resolver = std::move(*created);
  // TRR only (mode 3) through a DoH server reached at its address.
  trr::Status status = resolver->SetPrefs({
      {"network.trr.mode", int32_t{3}},
      {"network.trr.uri",
       std::string("https://doh.test:") + port + "/dns-query"},
      {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
      {"network.trr.ca_file", std::string(ca)},
  });
  if (!status.ok()) {
    std::fprintf(stderr, "prefs: %s\n", std::string(status.message()).c_str());
    return 1;
  }

  // Four threads, each resolving three names; callbacks arrive on the
  // resolver's thread (or at once, for cache hits) and must not block.
  const std::vector<std::string> names = {
      "www.example.test", "alias.example.test", "multi.example.test"};
  std::mutex mu;
  std::condition_variable cv;
  int pending = 4 * static_cast<int>(names.size());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (const std::string& name : names) {
        auto complete = [&, t, name](const trr::ResolveResult& r) {
          std::lock_guard<std::mutex> lock(mu);
          std::printf("thread %d: %s -> %s%s (%s)\n", t, name.c_str(),
                      r.ok() ? r.addresses[0].ToString().c_str() : "error: ",
                      r.ok() ? "" : std::string(r.status.message()).c_str(),
                      std::string(trr::ResultSourceName(r.source)).c_str());
          if (r.ok()) ++ok;
          --pending;
          cv.notify_all();
        };
        // A cache hit (or localhost, or a bad name) comes back from Resolve
        // itself; the callback is for everything else, on the network
        // thread. Never both.
        auto started = resolver->Resolve(name, trr::ResolveOptions(), complete);
        if (started.answered()) complete(*started.result);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }

  // The network changed: cached answers go stale, the next lookup asks
  // the DoH server again.
  resolver->OnNetworkChanged();
  trr::ResolveResult after = resolver->ResolveSync("www.example.test");
  std::printf("after the network change: %s from %s\n",
              after.ok() ? after.addresses[0].ToString().c_str() : "error",
              std::string(trr::ResultSourceName(after.source)).c_str());

  const trr::ResolverSnapshot snapshot = resolver->Snapshot();
  std::printf("\nmode %d, uri %s, confirmation %s\n", snapshot.mode,
              snapshot.uri.c_str(), snapshot.confirmation_state.c_str());
  for (const trr::CacheEntryInfo& e : snapshot.cache) {
    std::printf("  %-22s %-7s trr=%d expires=%llds%s\n", e.host.c_str(),
                std::string(trr::QueryKindName(e.kind)).c_str(), e.trr,
                static_cast<long long>(e.expires_in_seconds),
                e.stale ? " stale" : "");
  }
  const bool pass =
      ok == 12 && after.ok() && after.source == trr::ResultSource::kTrr;
  std::printf("%s\n", pass ? "cpp_embedder: ok" : "cpp_embedder: FAILED");
  return pass ? 0 : 1;
}
