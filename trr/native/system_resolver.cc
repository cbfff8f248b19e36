#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"
#include "trr/loop/socket_address.h"
#include "trr/loop/timer.h"
#include "trr/native/dns_record.h"
#include "trr/native/native_resolver.h"
#include "trr/public/public_status.h"

namespace trr {
namespace {

NativeResult Failed(std::string error) {
  return NativeFailure(std::move(error));
}

// ---------------------------------------------------------------------------
// The system resolver: getaddrinfo() blocks, so it runs on worker threads.

class SystemResolver final : public NativeResolver {
 public:
  // The workers start with the first lookup: a resolver that never goes
  // native (mode 3) has none.
  SystemResolver(EventLoop* loop, int threads, SystemLookup lookup)
      : loop_(loop), threads_(threads), shared_(std::make_shared<Shared>()) {
    shared_->loop = loop;
    shared_->lookup = std::move(lookup);
  }

  ~SystemResolver() override {
    CancelAll();
    shared_->stopped_on_loop = true;
    MutexLock lock(&shared_->mu);
    shared_->stopped = true;
    shared_->cv.SignalAll();
  }

  void Resolve(const std::string& host, QueryKind kind, absl::Duration timeout,
               Callback done) override {
    const uint64_t id = next_id_++;
    ++lookups_;
    if (kind == QueryKind::kHttps || kind == QueryKind::kTxt) {
      pending_[id].done = std::move(done);
      loop_->Post([this, id, shared = shared_] {
        if (!shared->stopped_on_loop) {
          Complete(id, Failed("the system resolver only looks up addresses"));
        }
      });
      return;
    }
    // getaddrinfo() cannot be stopped, and on a dead network it may not
    // return for a long time: the lookup fails at its timeout, and what
    // the worker finds later is dropped.
    Pending& pending = pending_[id];
    pending.done = std::move(done);
    pending.timer.Start(loop_, timeout, [this, id, timeout] {
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      {
        // Not started yet (every worker busy): it need not start.
        MutexLock lock(&shared_->mu);
        auto& queue = shared_->queue;
        queue.erase(std::remove_if(queue.begin(), queue.end(),
                                   [this, id](const Job& job) {
                                     return job.id == id && job.owner == this;
                                   }),
                    queue.end());
      }
      Complete(id,
               Failed(absl::StrCat("the system resolver did not answer within ",
                                   absl::FormatDuration(timeout))));
    });
    for (; threads_ > 0; --threads_) {
      // Detached: a getaddrinfo() stuck on a dead network must not hold up
      // shutdown. The workers keep `shared_` alive and post nothing once it
      // is stopped.
      std::thread([shared = shared_] { Work(shared); }).detach();
    }
    const int family = kind == QueryKind::kIpv4   ? AF_INET
                       : kind == QueryKind::kIpv6 ? AF_INET6
                                                  : AF_UNSPEC;
    MutexLock lock(&shared_->mu);
    shared_->queue.push_back(Job{id, host, family, this});
    shared_->cv.Signal();
  }

  void CancelAll() override {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : pending) {
      p.timer.Cancel();
      p.done(Failed("cancelled"));
    }
  }

  std::string Describe() const override { return "system"; }
  uint64_t lookups() const override { return lookups_; }

 private:
  struct Job {
    uint64_t id;
    std::string host;
    int family;
    SystemResolver* owner;
  };
  struct Pending {
    Callback done;
    Timer timer;
  };
  struct Shared {
    EventLoop* loop = nullptr;
    SystemLookup lookup;
    Mutex mu;
    CondVar cv;
    std::deque<Job> queue ABSL_GUARDED_BY(mu);
    bool stopped ABSL_GUARDED_BY(mu) = false;
    // Read and written on the loop thread only.
    bool stopped_on_loop = false;
  };

  static void Work(std::shared_ptr<Shared> shared) {
    while (true) {
      Job job;
      {
        MutexLock lock(&shared->mu);
        while (shared->queue.empty() && !shared->stopped) {
          shared->cv.Wait(&shared->mu);
        }
        if (shared->stopped) return;
        job = std::move(shared->queue.front());
        shared->queue.pop_front();
      }
      NativeResult result = shared->lookup(job.host, job.family);
      MutexLock lock(&shared->mu);
      if (shared->stopped) return;
      shared->loop->Post(
          [shared, job = std::move(job), result = std::move(result)]() mutable {
            if (!shared->stopped_on_loop)
              job.owner->Complete(job.id, std::move(result));
          });
    }
  }

  static NativeResult GetAddrInfo(const std::string& host, int family) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_CANONNAME;
    addrinfo* list = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    NativeResult result;
    HostRecord& answer = result.answer;
    answer.source = RecordSource::kNative;
    if (rc == EAI_NONAME) {
      result.outcome = NativeResult::Outcome::kNxDomain;
      answer.negative = NegativeKind::kNxDomain;
      return result;
    }
    if (rc == EAI_NODATA) {
      result.outcome = NativeResult::Outcome::kNoData;
      answer.negative = NegativeKind::kNoData;
      return result;
    }
    if (rc != 0) return Failed(gai_strerror(rc));
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
      const std::optional<IpAddress> ip = AddressOf(ai->ai_addr);
      if (ip && std::find(answer.addresses.begin(), answer.addresses.end(),
                          *ip) == answer.addresses.end()) {
        answer.addresses.push_back(*ip);
      }
      if (ai->ai_canonname != nullptr && answer.canonical_name.empty()) {
        answer.canonical_name = ai->ai_canonname;
      }
    }
    freeaddrinfo(list);
    if (answer.addresses.empty()) {
      result.outcome = NativeResult::Outcome::kNoData;
      answer.negative = NegativeKind::kNoData;
    } else {
      result.outcome = NativeResult::Outcome::kOk;
    }
    return result;
  }

  void Complete(uint64_t id, NativeResult result) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // cancelled or timed out already
    Callback done = std::move(it->second.done);
    it->second.timer.Cancel();
    pending_.erase(it);
    done(std::move(result));
  }

 public:
  static SystemLookup DefaultLookup() { return &GetAddrInfo; }

 private:
  EventLoop* const loop_;
  int threads_;  // workers not started yet
  std::shared_ptr<Shared> shared_;
  absl::node_hash_map<uint64_t, Pending> pending_;  // holds Timers
  uint64_t next_id_ = 1;
  uint64_t lookups_ = 0;
};

}  // namespace

std::unique_ptr<NativeResolver> MakeSystemResolver(EventLoop* loop, int threads,
                                                   SystemLookup lookup) {
  return std::make_unique<SystemResolver>(
      loop, threads,
      lookup != nullptr ? std::move(lookup) : SystemResolver::DefaultLookup());
}

}  // namespace trr
