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

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"
#include "trr/loop/fd_watch.h"
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
// Plain DNS to one server: UDP, then TCP when the answer is truncated.
//
// What keeps an off-path attacker from answering for the server: each
// exchange has a socket of its own, connected to the server (the kernel
// drops datagrams from any other address or port, and the source port is
// the kernel's random pick), a query ID from the system's CSPRNG that no
// other query in flight has, and an answer must match the question (ID,
// name, type, class) or it is ignored. A lost datagram costs one of up to
// three tries, not the whole timeout (as c-ares: each try waits twice as
// long as the one before, all of them within the timeout).

// IDs from getrandom(2), drawn in batches: no state an attacker could
// learn from watching earlier IDs.
class QueryIds {
 public:
  uint16_t Next() {
    if (next_ == kBatch) {
      size_t filled = 0;
      while (filled < sizeof(ids_)) {
        const ssize_t n = getrandom(reinterpret_cast<uint8_t*>(ids_) + filled,
                                    sizeof(ids_) - filled, 0);
        if (n > 0) filled += static_cast<size_t>(n);
      }
      next_ = 0;
    }
    return ids_[next_++];
  }

 private:
  static constexpr size_t kBatch = 64;
  uint16_t ids_[kBatch] = {};
  size_t next_ = kBatch;
};

class PlainDnsResolver final : public PlainDnsClient {
 public:
  // Tries of one query over UDP.
  static constexpr int kTries = 3;

  PlainDnsResolver(EventLoop* loop, IpAddress server, uint16_t port)
      : loop_(loop), server_(server), port_(port) {}

  ~PlainDnsResolver() override { CancelAll(); }

  void Resolve(const std::string& host, QueryKind kind, absl::Duration timeout,
               Callback done) override {
    std::vector<uint16_t> types;
    switch (kind) {
      case QueryKind::kIpv4:
        types = {dns::kTypeA};
        break;
      case QueryKind::kIpv6:
        types = {dns::kTypeAAAA};
        break;
      case QueryKind::kUnspecified:
        types = {dns::kTypeA, dns::kTypeAAAA};
        break;
      case QueryKind::kHttps:
        types = {dns::kTypeHTTPS};
        break;
      case QueryKind::kTxt:
        types = {dns::kTypeTXT};
        break;
    }
    Start(host, types, timeout, std::move(done));
  }

  void ResolveType(const std::string& host, uint16_t type,
                   absl::Duration timeout, Callback done) override {
    Start(host, {type}, timeout, std::move(done));
  }

  void CancelAll() override {
    auto all = std::move(exchanges_);
    exchanges_.clear();
    for (auto& [id, exchange] : all) CloseExchange(*exchange);
    auto lookups = std::move(lookups_map_);
    lookups_map_.clear();
    for (auto& [id, lookup] : lookups) {
      if (lookup->done) {
        Callback done = std::move(lookup->done);
        done(Failed("cancelled"));
      }
    }
  }

  std::string Describe() const override {
    return absl::StrCat("udp://",
                        server_.is_v6()
                            ? absl::StrCat("[", server_.ToString(), "]")
                            : server_.ToString(),
                        ":", port_);
  }
  uint64_t lookups() const override { return queries_sent_; }

 private:
  struct Answer {
    bool ok = false;
    std::string error;
    uint16_t rcode = 0;
    HostRecord record;  // for NOERROR and NXDOMAIN
  };
  struct Lookup {
    uint64_t id = 0;
    Callback done;
    int waiting = 0;
    std::vector<Answer> answers;
  };
  struct Exchange {
    uint64_t id = 0;
    std::weak_ptr<Lookup> lookup;
    std::string host;
    uint16_t type = 0;
    uint16_t dns_id = 0;
    std::vector<uint8_t> query;
    int fd = -1;
    FdWatch watch;  // fd's; stopped before it is closed
    bool tcp = false;
    std::vector<uint8_t> tcp_in;
    size_t tcp_written = 0;
    Timer timer;  // the whole exchange's timeout
    // UDP: tries so far, and the timer that sends the next one.
    int tries = 0;
    absl::Duration try_timeout;
    Timer retry_timer;
    // Why the last datagram that did not answer the question was ignored.
    std::string ignored;
  };

  void Start(const std::string& host, const std::vector<uint16_t>& types,
             absl::Duration timeout, Callback done) {
    auto lookup = std::make_shared<Lookup>();
    lookup->id = next_lookup_++;
    lookup->done = std::move(done);
    lookups_map_[lookup->id] = lookup;
    lookup->waiting = static_cast<int>(types.size());
    for (uint16_t type : types) StartExchange(lookup, host, type, timeout);
  }

  void StartExchange(const std::shared_ptr<Lookup>& lookup,
                     const std::string& host, uint16_t type,
                     absl::Duration timeout) {
    auto exchange = std::make_unique<Exchange>();
    Exchange* x = exchange.get();
    x->id = next_exchange_++;
    x->lookup = lookup;
    x->host = host;
    x->type = type;
    // A random ID no other query in flight has (and the kernel's random
    // source port), so that an off-path answer is unlikely to match;
    // answers must match the question anyway.
    do {
      x->dns_id = ids_.Next();
    } while (!ids_in_flight_.insert(x->dns_id).second);
    dns::QueryOptions options;
    options.id = x->dns_id;
    options.padding_block = 0;
    options.disable_ecs = false;
    if (!dns::EncodeQuery(host, type, options, x->query).ok()) {
      exchanges_[x->id] = std::move(exchange);
      const uint64_t id = x->id;
      loop_->Post(
          [this, id] { FinishExchange(id, BadAnswer("bad host name")); });
      return;
    }
    const uint64_t id = x->id;
    x->timer.Start(loop_, timeout, [this, id] {
      auto it = exchanges_.find(id);
      if (it == exchanges_.end()) return;
      const std::string& ignored = it->second->ignored;
      FinishExchange(
          id, BadAnswer(ignored.empty() ? "timed out"
                                        : absl::StrCat("timed out, after "
                                                       "ignoring an answer: ",
                                                       ignored)));
    });
    exchanges_[x->id] = std::move(exchange);
    // Tries of T/7, 2T/7 and 4T/7: the three fill the timeout.
    x->try_timeout = timeout / ((1 << kTries) - 1);
    SendUdp(*x);
  }

  static Answer BadAnswer(std::string error) {
    Answer answer;
    answer.error = std::move(error);
    return answer;
  }

  void SendUdp(Exchange& x) {
    socklen_t length;
    const sockaddr_storage address = SocketAddress(server_, port_, &length);
    x.fd =
        socket(address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const uint64_t id = x.id;
    if (x.fd < 0 ||
        connect(x.fd, reinterpret_cast<const sockaddr*>(&address), length) !=
            0 ||
        send(x.fd, x.query.data(), x.query.size(), 0) < 0) {
      const std::string error =
          absl::StrCat("UDP to ", Describe(), ": ", std::strerror(errno));
      loop_->Post([this, id, error] { FinishExchange(id, BadAnswer(error)); });
      return;
    }
    ++queries_sent_;
    x.tries = 1;
    ArmRetry(x);
    x.watch.Start(loop_, x.fd, EPOLLIN,
                  [this, id](uint32_t) { OnUdpReadable(id); });
  }

  // After a try's time with no answer, the next try goes on the same
  // socket (same port, same ID: a late answer to an earlier try is as good),
  // waiting twice as long; the last waits for the exchange's timeout.
  void ArmRetry(Exchange& x) {
    if (x.tries >= kTries) return;
    const uint64_t id = x.id;
    const absl::Duration wait = x.try_timeout * (1 << (x.tries - 1));
    x.retry_timer.Start(loop_, wait, [this, id] {
      auto it = exchanges_.find(id);
      if (it == exchanges_.end()) return;
      Exchange& x = *it->second;
      if (x.tcp || x.fd < 0) return;
      if (send(x.fd, x.query.data(), x.query.size(), 0) < 0) return;
      ++queries_sent_;
      ++x.tries;
      ArmRetry(x);
    });
  }

  void OnUdpReadable(uint64_t id) {
    auto it = exchanges_.find(id);
    if (it == exchanges_.end()) return;
    Exchange& x = *it->second;
    uint8_t buffer[65535];
    while (true) {
      const ssize_t n = recv(x.fd, buffer, sizeof(buffer), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        FinishExchange(
            id, BadAnswer(absl::StrCat("UDP receive: ", std::strerror(errno))));
        return;
      }
      dns::Response response;
      const dns::WireError error = dns::ParseResponse(
          absl::MakeConstSpan(buffer, static_cast<size_t>(n)),
          dns::Question(x.host, x.type, x.dns_id), response);
      // An answer to some other question is ignored: it may be spoofed.
      if (!error.ok()) {
        x.ignored = std::string(error.ToStatus().message());
        continue;
      }
      if (response.truncated) {
        StartTcp(x);
        return;
      }
      FinishExchange(id, ToAnswer(response, x.host));
      return;
    }
  }

  void StartTcp(Exchange& x) {
    x.watch.Stop();
    close(x.fd);
    x.tcp = true;
    x.retry_timer.Cancel();
    socklen_t length;
    const sockaddr_storage address = SocketAddress(server_, port_, &length);
    x.fd = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  0);
    const uint64_t id = x.id;
    if (x.fd < 0 || (connect(x.fd, reinterpret_cast<const sockaddr*>(&address),
                             length) != 0 &&
                     errno != EINPROGRESS)) {
      const std::string error =
          absl::StrCat("TCP to ", Describe(), ": ", std::strerror(errno));
      loop_->Post([this, id, error] { FinishExchange(id, BadAnswer(error)); });
      return;
    }
    const uint16_t size = static_cast<uint16_t>(x.query.size());
    x.query.insert(x.query.begin(), {static_cast<uint8_t>(size >> 8),
                                     static_cast<uint8_t>(size)});
    x.watch.Start(loop_, x.fd, EPOLLOUT | EPOLLIN,
                  [this, id](uint32_t events) { OnTcpEvent(id, events); });
  }

  void OnTcpEvent(uint64_t id, uint32_t events) {
    auto it = exchanges_.find(id);
    if (it == exchanges_.end()) return;
    Exchange& x = *it->second;
    if (events & EPOLLERR) {
      FinishExchange(id, BadAnswer("TCP connection failed"));
      return;
    }
    if ((events & EPOLLOUT) && x.tcp_written < x.query.size()) {
      const ssize_t n = send(x.fd, x.query.data() + x.tcp_written,
                             x.query.size() - x.tcp_written, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) {
        FinishExchange(id, BadAnswer("TCP send failed"));
        return;
      }
      if (n > 0) x.tcp_written += static_cast<size_t>(n);
      if (x.tcp_written == x.query.size()) {
        x.watch.Start(loop_, x.fd, EPOLLIN,
                      [this, id](uint32_t e) { OnTcpEvent(id, e); });
      }
    }
    if (!(events & (EPOLLIN | EPOLLHUP))) return;
    uint8_t buffer[4096];
    while (true) {
      const ssize_t n = recv(x.fd, buffer, sizeof(buffer), 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        FinishExchange(id, BadAnswer("TCP connection closed early"));
        return;
      }
      x.tcp_in.insert(x.tcp_in.end(), buffer, buffer + n);
      if (x.tcp_in.size() >= 2) {
        const size_t want = (size_t{x.tcp_in[0]} << 8) | x.tcp_in[1];
        if (x.tcp_in.size() >= want + 2) {
          dns::Response response;
          const dns::WireError error = dns::ParseResponse(
              absl::MakeConstSpan(x.tcp_in.data() + 2, want),
              dns::Question(x.host, x.type, x.dns_id), response);
          FinishExchange(
              id, error.ok()
                      ? ToAnswer(response, x.host)
                      : BadAnswer(std::string(error.ToStatus().message())));
          return;
        }
      }
    }
  }

  static Answer ToAnswer(const dns::Response& response,
                         absl::string_view host) {
    Answer answer;
    answer.ok = true;
    answer.rcode = response.rcode;
    answer.record = RecordFromResponse(response, host, RecordSource::kNative);
    return answer;
  }

  void CloseExchange(Exchange& x) {
    if (x.fd >= 0) {
      x.watch.Stop();
      close(x.fd);
      x.fd = -1;
    }
    x.timer.Cancel();
    x.retry_timer.Cancel();
    ids_in_flight_.erase(x.dns_id);
  }

  void FinishExchange(uint64_t id, Answer answer) {
    auto it = exchanges_.find(id);
    if (it == exchanges_.end()) return;
    std::unique_ptr<Exchange> x = std::move(it->second);
    exchanges_.erase(it);
    CloseExchange(*x);
    std::shared_ptr<Lookup> lookup = x->lookup.lock();
    if (!lookup || !lookup->done) return;
    lookup->answers.push_back(std::move(answer));
    if (--lookup->waiting > 0) return;
    lookups_map_.erase(lookup->id);
    Callback done = std::move(lookup->done);
    done(Merge(lookup->answers));
  }

  // One answer per type asked; for both families, MergeFamilies of the
  // answers. A family that failed does not matter when the other has
  // records or said NODATA; with only NXDOMAIN beside it, the lookup failed.
  static NativeResult Merge(std::vector<Answer>& answers) {
    NativeResult result;
    bool answered = false, noerror = false;
    std::string error;
    for (Answer& a : answers) {
      if (!a.ok) {
        error = a.error;
        continue;
      }
      if (a.rcode != dns::kRcodeNoError && a.rcode != dns::kRcodeNxDomain) {
        error = absl::StrCat("server answered ", dns::RcodeName(a.rcode));
        continue;
      }
      noerror = noerror || a.rcode == dns::kRcodeNoError;
      if (!answered) {
        result.answer = std::move(a.record);
        answered = true;
      } else {
        MergeFamilies(result.answer, a.record);
      }
    }
    const HostRecord& r = result.answer;
    if (!r.addresses.empty() || !r.https.empty() || !r.txt.empty()) {
      result.outcome = NativeResult::Outcome::kOk;
    } else if (answered && error.empty() &&
               r.negative == NegativeKind::kNxDomain) {
      result.outcome = NativeResult::Outcome::kNxDomain;
    } else if (noerror) {
      result.outcome = NativeResult::Outcome::kNoData;
      result.answer.negative = NegativeKind::kNoData;
    } else {
      return Failed(error.empty() ? "no answer" : error);
    }
    return result;
  }

  EventLoop* const loop_;
  const IpAddress server_;
  const uint16_t port_;
  QueryIds ids_;
  absl::flat_hash_set<uint16_t> ids_in_flight_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Exchange>> exchanges_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Lookup>> lookups_map_;
  uint64_t next_exchange_ = 1;
  uint64_t next_lookup_ = 1;
  uint64_t queries_sent_ = 0;
};

}  // namespace

std::unique_ptr<PlainDnsClient> MakePlainDnsResolver(EventLoop* loop,
                                                     IpAddress server,
                                                     uint16_t port) {
  return std::make_unique<PlainDnsResolver>(loop, server, port);
}

}  // namespace trr
