// Drives a whole Resolver with fuzzed DoH answers, fuzzed native answers,
// fuzzed timing (how many turns of the network loop each answer waits) and
// fuzzed API calls (cancel, network change, portal, cache clear, pref
// changes, IP hint reads), through the transport and native-resolver seams:
// nothing leaves the process. Every Resolve() must complete exactly once.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "hostcache/clock.h"
#include "hostcache/fake_clock.h"
#include "trr/resolver.h"
#include "trr/resolver/resolver_testing.h"

namespace {

// Reads the fuzz input front to back; zeros once it runs out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bool() { return Byte() & 1; }
  std::vector<uint8_t> Bytes(size_t n) {
    n = std::min(n, size_ - pos_);
    std::vector<uint8_t> out(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return out;
  }
  bool empty() const { return pos_ >= size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The fuzz input, shared by the stand-ins on the loop thread and the driver.
struct Script {
  trr::Mutex mu;
  Input* input ABSL_GUARDED_BY(mu) = nullptr;
  uint8_t Byte() {
    trr::MutexLock lock(&mu);
    return input != nullptr ? input->Byte() : 0;
  }
  std::vector<uint8_t> Bytes(size_t n) {
    trr::MutexLock lock(&mu);
    return input != nullptr ? input->Bytes(n) : std::vector<uint8_t>();
  }
};

Script* g_script = new Script;

// Runs `task` after `turns` more turns of the loop.
void After(trr::EventLoop* loop, int turns, std::function<void()> task) {
  if (turns <= 0) {
    loop->Post(std::move(task));
    return;
  }
  loop->Post([loop, turns, task = std::move(task)]() mutable {
    After(loop, turns - 1, std::move(task));
  });
}

class FuzzTransport final : public trr::DohSender {
 public:
  explicit FuzzTransport(trr::EventLoop* loop) : loop_(loop) {}
  void Configure(trr::DohConfig) override {}
  RequestId Send(absl::Span<const uint8_t> query, absl::Duration,
                 Callback done) override {
    const RequestId id = next_++;
    pending_[id] = std::move(done);
    const uint8_t kind = g_script->Byte();
    const int turns = g_script->Byte() % 8;
    trr::DohResult result;
    if (kind % 4 == 0) {
      result.error = static_cast<trr::DohError>(
          1 + g_script->Byte() % static_cast<int>(trr::DohError::kOther));
    } else {
      // An answer: the query's own header and question with the response
      // bit set and fuzzed flags, then fuzzed records; or raw bytes.
      const size_t length = g_script->Byte() * 2;
      std::vector<uint8_t> tail = g_script->Bytes(length);
      if (kind % 4 != 3 && query.size() > 12) {
        size_t question_end = 12;
        while (question_end < query.size() && query[question_end] != 0) {
          question_end += 1 + query[question_end];
        }
        question_end = std::min(question_end + 5, query.size());
        result.body.assign(query.begin(), query.begin() + question_end);
        result.body[2] = 0x81;
        result.body[3] = tail.empty() ? 0x80 : tail[0];
        // Counts from the fuzz input: records follow.
        for (int i = 6; i < 12 && tail.size() > 1; ++i) {
          result.body[i] = tail[i % tail.size()] % 4;
        }
        result.body.insert(result.body.end(), tail.begin(), tail.end());
      } else {
        result.body = std::move(tail);
      }
    }
    After(loop_, turns, [this, id, result = std::move(result)]() mutable {
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      Callback done = std::move(it->second);
      pending_.erase(it);
      done(std::move(result));
    });
    return id;
  }
  void Cancel(RequestId id) override {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Callback done = std::move(it->second);
    pending_.erase(it);
    trr::DohResult result;
    result.error = trr::DohError::kCancelled;
    done(std::move(result));
  }
  void CancelAll() override {
    while (!pending_.empty()) Cancel(pending_.begin()->first);
  }
  trr::DohTransportStats stats() const override { return stats_; }
  std::vector<trr::DohConnectionInfo> Connections() const override {
    return {};
  }

 private:
  trr::EventLoop* loop_;
  trr::DohTransportStats stats_;
  RequestId next_ = 1;
  absl::flat_hash_map<RequestId, Callback> pending_;
};

class FuzzNative final : public trr::NativeResolver {
 public:
  explicit FuzzNative(trr::EventLoop* loop) : loop_(loop) {}
  void Resolve(const std::string&, trr::QueryKind, absl::Duration,
               Callback done) override {
    const uint64_t id = next_++;
    pending_[id] = std::move(done);
    trr::NativeResult result;
    const uint8_t kind = g_script->Byte();
    result.outcome = static_cast<trr::NativeResult::Outcome>(kind % 4);
    if (result.outcome == trr::NativeResult::Outcome::kOk) {
      result.answer.addresses.push_back(trr::IpAddress::V4(198, 51, 100, kind));
    }
    if (kind & 0x10) result.answer.ttl_seconds = kind;
    After(loop_, g_script->Byte() % 8,
          [this, id, result = std::move(result)]() mutable {
            auto it = pending_.find(id);
            if (it == pending_.end()) return;
            Callback done = std::move(it->second);
            pending_.erase(it);
            done(std::move(result));
          });
  }
  void CancelAll() override {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, done] : pending) done(trr::NativeResult());
  }
  std::string Describe() const override { return "fuzz"; }
  uint64_t lookups() const override { return 0; }

 private:
  trr::EventLoop* loop_;
  uint64_t next_ = 1;
  absl::flat_hash_map<uint64_t, Callback> pending_;
};

const char* const kNames[] = {
    "www.example.test", "a.b.example.test", "intranet",  "localhost",
    "printer.local",    "x.excluded.test",  "bad..name", "www.example.test."};

trr::FakeClock* g_clock = new trr::FakeClock;
// The resolver's network thread, once the resolver has made its transport.
std::atomic<trr::EventLoop*> g_loop{nullptr};

// Returns once the network thread has run everything posted before.
void DrainLoop() {
  g_loop.load()->RunSync([] {});
}

trr::Resolver& SharedResolver() {
  // One resolver for the whole run: creating threads per input would
  // drown the interesting work.
  static trr::Resolver* resolver = [] {
    trr::Resolver::Options options;
    options.etc_hosts_path = "/nonexistent";
    trr::ResolverSeams seams;
    seams.clock = g_clock;
    seams.make_transport = [](trr::EventLoop* loop) {
      g_loop.store(loop);
      return std::make_unique<FuzzTransport>(loop);
    };
    seams.make_native = [](trr::EventLoop* loop) {
      return std::make_unique<FuzzNative>(loop);
    };
    return trr::CreateResolverForTesting(options, seams)->release();
  }();
  return *resolver;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trr::Resolver& resolver = SharedResolver();
  Input input(data, size);
  {
    trr::MutexLock lock(&g_script->mu);
    g_script->input = &input;
  }
  const uint8_t config = g_script->Byte();
  const uint8_t flags = g_script->Byte();
  (void)resolver.SetPrefs({
      {"network.trr.mode", int32_t{config % 7}},
      {"network.trr.uri", std::string("https://doh.fuzz/dns-query")},
      {"network.trr.allow-rfc1918", (flags & 1) != 0},
      {"network.trr.wait-for-A-and-AAAA", (flags & 2) != 0},
      {"network.trr.early-AAAA", (flags & 4) != 0},
      {"network.trr.strict_native_fallback", (flags & 8) != 0},
      {"network.dns.disableIPv6", (flags & 16) != 0},
      {"network.dns.serve_stale", (flags & 32) != 0},
      {"network.trr.wait-for-portal", (flags & 64) != 0},
      {"network.trr.excluded-domains", std::string("excluded.test")},
      {"network.trr.request_timeout_mode_trronly_ms", int32_t{1}},
      {"network.trr.retry-timeout-ms", int32_t{1}},
      {"network.trr.confirmationNS",
       std::string((flags & 128) ? "skip" : "example.test")},
  });

  // Completions per request, in state that outlives this call, so a late
  // second completion is caught rather than written to a dead stack.
  struct Tally {
    trr::Mutex mu;
    trr::CondVar cv;
    std::vector<int> completions ABSL_GUARDED_BY(mu);
    int done ABSL_GUARDED_BY(mu) = 0;
  };
  auto tally = std::make_shared<Tally>();
  std::vector<trr::Resolver::RequestId> ids;
  const int lookups = 1 + g_script->Byte() % 16;
  for (int i = 0; i < lookups; ++i) {
    const uint8_t op = g_script->Byte();
    switch (op >> 5) {
      case 0:
        resolver.OnNetworkChanged();
        break;
      case 1:
        resolver.SetCaptivePortalState(
            static_cast<trr::CaptivePortalState>(op % 3));
        break;
      case 2:
        if (!ids.empty()) resolver.Cancel(ids[op % ids.size()]);
        break;
      case 3:
        if (op & 1) resolver.ClearCache();
        g_clock->Advance(absl::Seconds(op % 128));
        break;
      case 4: {
        // What earlier HTTPS answers left as hints: read at once, any type.
        trr::ResolveOptions hint;
        hint.type = static_cast<trr::QueryKind>(op % 5);
        (void)resolver.LookupIpHint(kNames[op % 8], hint);
        break;
      }
      default:
        break;
    }
    trr::ResolveOptions options;
    options.type = static_cast<trr::QueryKind>(op % 5);
    options.bypass_cache = op & 8;
    options.disable_trr = (op & 0x30) == 0x30;
    if (op & 0x40) options.trr_mode = op % 6;
    options.partition = (op & 4) ? "p" : "";
    {
      trr::MutexLock lock(&tally->mu);
      tally->completions.push_back(0);
    }
    // Both ways of completing: answered by Resolve itself (a cache hit, a
    // bad name), or through the callback, once, and never both.
    options.complete_async = op & 0x80;
    auto complete = [tally, i](const trr::ResolveResult&) {
      trr::MutexLock lock(&tally->mu);
      if (++tally->completions[i] == 1) ++tally->done;
      tally->cv.SignalAll();
    };
    auto started = resolver.Resolve(kNames[(op ^ i) % 8], options, complete);
    if (started.answered()) {
      complete(*started.result);
    } else {
      ids.push_back(started.id);
    }
  }
  {
    trr::MutexLock lock(&tally->mu);
    if (!tally->cv.AwaitWithDeadline(&tally->mu,
                                     absl::Now() + absl::Seconds(30),
                                     [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                       return tally->done == lookups;
                                     })) {
      std::abort();  // a lost completion
    }
  }
  // Two round trips through the network thread let any doubled completion
  // already queued arrive before the counts are checked.
  DrainLoop();
  DrainLoop();
  {
    trr::MutexLock lock(&tally->mu);
    for (int count : tally->completions) {
      if (count != 1) std::abort();  // a doubled completion
    }
  }
  {
    trr::MutexLock lock(&g_script->mu);
    g_script->input = nullptr;
  }
  // Each input starts from an empty cache: what one input cached would
  // otherwise pile up, slowing every later one (a network change walks the
  // whole cache) and hiding leaks among live state.
  resolver.ClearCache();
  return 0;
}
