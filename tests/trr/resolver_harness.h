// A whole Resolver on fakes, for hermetic tests: a scripted DoH transport
// (Script, FakeTransport), a scripted native resolver (FakeNative) and a
// fake clock, through the seams of trr/resolver_testing.h. No DNS server
// and no sleeps: the mode table (mode_table_test.cc) and the fallback
// rules (fallback_test.cc) run on it.

#ifndef TRR_TESTS_TRR_RESOLVER_HARNESS_H_
#define TRR_TESTS_TRR_RESOLVER_HARNESS_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "hostcache/fake_clock.h"
#include "tests/trr/dns/message_builder.h"
#include "tests/trr/server_waiter.h"
#include "trr/dns/dns_types.h"
#include "trr/native/native_resolver.h"
#include "trr/resolver.h"
#include "trr/resolver/resolver_testing.h"

namespace trr {
namespace fake {

using dns::testing::Bytes;
using dns::testing::Concat;
using dns::testing::MessageBuilder;
using dns::testing::Pointer;
using dns::testing::U16;

// What the fake DoH server does with an A query.
enum class Server {
  kAnswer,
  kNxDomain,
  kNoData,
  kPrivateAddress,
  kServFail,
  kRefused,
  // SERVFAIL with Extended DNS Error 6 (DNSSEC Bogus).
  kDnssecBogus,
  kBlocked,
  // HTTP 200 with a body that is no DNS answer (garbled).
  kBadAnswer,
  // The exchange fails (DohError).
  kHttpStatus,
  kContentType,
  kTooLarge,
  kTls,
  kConnect,
  kTimeout,
  kReset,
  kStreamRefused,
};

inline const char* ServerName(Server s) {
  switch (s) {
    case Server::kAnswer:
      return "Answer";
    case Server::kNxDomain:
      return "NxDomain";
    case Server::kNoData:
      return "NoData";
    case Server::kPrivateAddress:
      return "PrivateAddress";
    case Server::kServFail:
      return "ServFail";
    case Server::kRefused:
      return "Refused";
    case Server::kDnssecBogus:
      return "DnssecBogus";
    case Server::kBlocked:
      return "EdeBlocked";
    case Server::kBadAnswer:
      return "BadAnswer";
    case Server::kHttpStatus:
      return "HttpStatus";
    case Server::kContentType:
      return "ContentType";
    case Server::kTooLarge:
      return "TooLarge";
    case Server::kTls:
      return "Tls";
    case Server::kConnect:
      return "Connect";
    case Server::kTimeout:
      return "Timeout";
    case Server::kReset:
      return "Reset";
    case Server::kStreamRefused:
      return "StreamRefused";
  }
  return "?";
}

enum class Confirm { kSkipped, kConfirmed, kFailed };

inline const char* ConfirmName(Confirm c) {
  switch (c) {
    case Confirm::kSkipped:
      return "NoConfirmation";
    case Confirm::kConfirmed:
      return "Confirmed";
    case Confirm::kFailed:
      return "Unconfirmed";
  }
  return "?";
}

inline void PrintTo(Server s, std::ostream* os) { *os << ServerName(s); }
inline void PrintTo(Confirm c, std::ostream* os) { *os << ConfirmName(c); }

// The question of a query as the resolver encodes it (one question,
// uncompressed name).
inline std::pair<std::string, uint16_t> QuestionOf(
    const std::vector<uint8_t>& q) {
  std::string name;
  size_t at = 12;
  while (at < q.size() && q[at] != 0) {
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(&q[at + 1]), q[at]);
    at += 1 + q[at];
  }
  const uint16_t type =
      at + 2 < q.size() ? static_cast<uint16_t>(q[at + 1] << 8 | q[at + 2]) : 0;
  return {name, type};
}

inline Bytes A(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {a, b, c, d};
}

// An EDNS Extended DNS Error option (RFC 8914).
inline Bytes Ede(uint16_t code, const std::string& text) {
  return Concat({U16(15), U16(static_cast<uint16_t>(2 + text.size())),
                 U16(code), Bytes(text.begin(), text.end())});
}

// What the server sends for `name`/`type` when it behaves as `s`. `detail`
// varies what it says beyond the outcome (an EDE's text, an RCODE).
inline DohResult Respond(Server s, const std::string& name, uint16_t type,
                         const std::string& detail = "policy") {
  DohResult result;
  auto body = [&](MessageBuilder& m) {
    result.http_status = 200;
    result.body = m.Build();
  };
  MessageBuilder m(name, type);
  switch (s) {
    case Server::kAnswer:
      if (type == dns::kTypeA) {
        m.Answer(Pointer(12), dns::kTypeA, 60, A(192, 0, 2, 10));
      }
      body(m);
      break;
    case Server::kNxDomain:
      m.Rcode(dns::kRcodeNxDomain);
      body(m);
      break;
    case Server::kNoData:
      body(m);
      break;
    case Server::kPrivateAddress:
      m.Answer(Pointer(12), dns::kTypeA, 60, A(10, 0, 0, 1));
      body(m);
      break;
    case Server::kServFail:
      m.Rcode(dns::kRcodeServFail);
      body(m);
      break;
    case Server::kRefused:
      m.Rcode(dns::kRcodeRefused);
      body(m);
      break;
    case Server::kDnssecBogus:
      m.Rcode(dns::kRcodeServFail);
      m.Opt(Ede(dns::kEdeDnssecBogus, "validation failed"));
      body(m);
      break;
    case Server::kBlocked:
      m.Opt(Ede(dns::kEdeBlocked, detail));
      body(m);
      break;
    case Server::kBadAnswer:
      result.http_status = 200;
      result.body = {0x12, 0x34, 0x56};
      break;
    case Server::kHttpStatus:
      result.error = DohError::kHttpStatus;
      result.http_status = 500;
      break;
    case Server::kContentType:
      result.error = DohError::kContentType;
      break;
    case Server::kTooLarge:
      result.error = DohError::kTooLarge;
      break;
    case Server::kTls:
      result.error = DohError::kTls;
      break;
    case Server::kConnect:
      result.error = DohError::kConnect;
      break;
    case Server::kTimeout:
      result.error = DohError::kTimeout;
      break;
    case Server::kReset:
      result.error = DohError::kReset;
      break;
    case Server::kStreamRefused:
      result.error = DohError::kRefused;
      break;
  }
  if (!result.ok()) result.detail = "fake";
  return result;
}

// The fake DoH server's script: how to answer each query. Read and
// counted on the resolver's loop, looked at by the test thread.
struct Script {
  std::function<DohResult(const std::string& name, uint16_t type)> answer;
  // With several servers: answers by the server's host, when set.
  std::function<DohResult(const std::string& server, const std::string& name,
                          uint16_t type)>
      answer_from;
  std::atomic<int> a_queries{0};
  std::atomic<int> aaaa_queries{0};
  std::atomic<int> native_lookups{0};
  // When set and true for (server, name): the query is never answered
  // (until cancelled).
  std::function<bool(const std::string& server, const std::string& name)> hold;
  // The native resolver's answer for a name, when set (else 198.51.100.7).
  std::function<NativeResult(const std::string& name)> native;
  // DDR: the unencrypted resolver's answer to _dns.resolver.arpa SVCB
  // (else NXDOMAIN), the address it was asked at, and the queries.
  std::function<NativeResult()> ddr;
  std::atomic<int> ddr_queries{0};
  // DohSender::CheckConnections calls, over every server's transport.
  std::atomic<int> connection_checks{0};
  // When set: answers every request by the server's host and the body as
  // sent, not parsed as a DNS query (an Oblivious HTTP relay or key
  // configuration).
  std::function<DohResult(const std::string& server,
                          const std::vector<uint8_t>& body)>
      raw;
  // The last configuration each server's transport got, by host.
  Mutex configs_mu;
  std::map<std::string, DohConfig> configs ABSL_GUARDED_BY(configs_mu);
  DohConfig ConfigOf(const std::string& host) {
    MutexLock lock(&configs_mu);
    return configs[host];
  }
};

class FakeTransport final : public DohSender {
 public:
  FakeTransport(EventLoop* loop, std::shared_ptr<Script> script)
      : loop_(loop), script_(std::move(script)) {}
  void Configure(DohConfig config) override {
    host_ = config.uri.host;
    MutexLock lock(&script_->configs_mu);
    script_->configs[host_] = std::move(config);
  }
  RequestId Send(absl::Span<const uint8_t> query, absl::Duration,
                 Callback done) override {
    const RequestId id = next_++;
    ++stats_.requests;
    if (script_->raw) {
      pending_[id] = std::move(done);
      // `hold` sees no name here: the body is not a DNS query.
      if (script_->hold && script_->hold(host_, "")) return id;
      Answer(id, script_->raw(host_, {query.begin(), query.end()}));
      return id;
    }
    const auto [name, type] =
        QuestionOf(std::vector<uint8_t>(query.begin(), query.end()));
    if (type == dns::kTypeA) ++script_->a_queries;
    if (type == dns::kTypeAAAA) ++script_->aaaa_queries;
    if (script_->hold && script_->hold(host_, name)) {
      pending_[id] = std::move(done);
      return id;
    }
    DohResult result = script_->answer_from
                           ? script_->answer_from(host_, name, type)
                           : script_->answer(name, type);
    pending_[id] = std::move(done);
    Answer(id, std::move(result));
    return id;
  }
  // Never inside Send: on the next turn of the loop, as a server would;
  // and not at all once this transport is gone (as DohTransport's
  // PostWhileAlive), which the resolver's shutdown may do first.
  void Answer(RequestId id, DohResult result) {
    loop_->Post([this, alive = std::weak_ptr<bool>(alive_), id,
                 result = std::move(result)]() mutable {
      if (alive.expired()) return;
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      Callback done = std::move(it->second);
      pending_.erase(it);
      done(std::move(result));
    });
  }
  void Cancel(RequestId id) override {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Callback done = std::move(it->second);
    pending_.erase(it);
    DohResult result;
    result.error = DohError::kCancelled;
    done(std::move(result));
  }
  void CancelAll() override {
    while (!pending_.empty()) Cancel(pending_.begin()->first);
  }
  void CheckConnections() override { ++script_->connection_checks; }
  DohTransportStats stats() const override { return stats_; }
  std::vector<DohConnectionInfo> Connections() const override { return {}; }

 private:
  EventLoop* const loop_;
  // Expires with this object: posted answers check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<Script> script_;
  std::string host_;
  absl::flat_hash_map<RequestId, Callback> pending_;
  RequestId next_ = 1;
  DohTransportStats stats_;
};

// Answers every name with 198.51.100.7, or as the script says; as the
// plain-DNS client DDR asks, answers _dns.resolver.arpa SVCB as the script
// says (else NXDOMAIN).
class FakeNative final : public PlainDnsClient {
 public:
  FakeNative(EventLoop* loop, std::shared_ptr<Script> script)
      : loop_(loop), script_(std::move(script)) {}
  void Resolve(const std::string& host, QueryKind, absl::Duration,
               Callback done) override {
    ++script_->native_lookups;
    ++lookups_;
    NativeResult result;
    if (script_->native) {
      result = script_->native(host);
    } else {
      result.outcome = NativeResult::Outcome::kOk;
      result.answer.addresses = {*IpAddress::Parse("198.51.100.7")};
    }
    Deliver(std::move(result), std::move(done));
  }
  void ResolveType(const std::string& host, uint16_t type, absl::Duration,
                   Callback done) override {
    ++script_->ddr_queries;
    NativeResult result;
    result.outcome = NativeResult::Outcome::kNxDomain;
    if (host == "_dns.resolver.arpa" && type == dns::kTypeSVCB &&
        script_->ddr) {
      result = script_->ddr();
    }
    Deliver(std::move(result), std::move(done));
  }
  void CancelAll() override {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, done] : pending) {
      NativeResult result;
      result.error = "cancelled";
      done(std::move(result));
    }
  }
  std::string Describe() const override { return "fake"; }
  uint64_t lookups() const override { return lookups_; }

 private:
  // On the next turn of the loop, as a server would.
  void Deliver(NativeResult result, Callback done) {
    const uint64_t id = next_++;
    pending_[id] = std::move(done);
    loop_->Post([this, alive = std::weak_ptr<bool>(alive_), id,
                 result = std::move(result)]() mutable {
      if (alive.expired()) return;
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      Callback done = std::move(it->second);
      pending_.erase(it);
      done(std::move(result));
    });
  }

  EventLoop* const loop_;
  // Expires with this object: posted answers check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<Script> script_;
  absl::flat_hash_map<uint64_t, Callback> pending_;
  uint64_t next_ = 1;
  uint64_t lookups_ = 0;
};

// A resolver on the fakes, in `mode`, its confirmation as asked.
struct Harness {
  FakeClock clock;
  std::shared_ptr<Script> script = std::make_shared<Script>();
  std::unique_ptr<Resolver> resolver;

  std::string etc_hosts_path = "/nonexistent/hosts";
  std::string resolv_conf_path = "/nonexistent/resolv.conf";

  // A server that answers every query (Respond kAnswer) unless the test
  // scripted another.
  void Start(int mode, Confirm confirm,
             std::vector<std::pair<std::string, prefs::PrefValue>> extra = {}) {
    if (!script->answer) {
      script->answer = [](const std::string& name, uint16_t type) {
        return Respond(Server::kAnswer, name, type);
      };
    }
    Resolver::Options options;
    options.etc_hosts_path = etc_hosts_path;
    options.resolv_conf_path = resolv_conf_path;
    ResolverSeams seams;
    seams.clock = &clock;
    auto script_copy = script;
    seams.make_transport = [script_copy](EventLoop* loop) {
      return std::make_unique<FakeTransport>(loop, script_copy);
    };
    seams.make_native = [script_copy](EventLoop* loop) {
      return std::make_unique<FakeNative>(loop, script_copy);
    };
    seams.make_plain_dns = [script_copy](EventLoop* loop, IpAddress, uint16_t) {
      return std::make_unique<FakeNative>(loop, script_copy);
    };
    auto created = CreateResolverForTesting(options, seams);
    ASSERT_TRUE(created.ok()) << created.status();
    resolver = std::move(*created);
    std::vector<std::pair<std::string, prefs::PrefValue>> prefs = {
        {"network.trr.mode", int32_t{mode}},
        {"network.trr.uri", std::string("https://doh.test/dns-query")},
        {"network.trr.confirmationNS",
         std::string(confirm == Confirm::kSkipped ? "skip" : "confirm.test")},
    };
    prefs.insert(prefs.end(), extra.begin(), extra.end());
    ASSERT_TRUE(resolver->SetPrefs(prefs).ok());
  }

  // Waits (woken by the server observer, with a deadline) until its
  // confirmation state is one of `states`.
  bool WaitForConfirmation(const std::vector<std::string>& states) {
    testing::ServerWaiter waiter(*resolver);
    return waiter.Until([&](const ResolverSnapshot& s) {
      return std::find(states.begin(), states.end(), s.confirmation_state) !=
             states.end();
    });
  }
};

// The typed failure a lookup gets from a server that behaves as `s`.
inline TrrFailure FailureOf(Server s) {
  switch (s) {
    case Server::kAnswer:
      return TrrFailure::kNone;
    case Server::kNxDomain:
      return TrrFailure::kNxDomain;
    case Server::kNoData:
      return TrrFailure::kNoRecords;
    case Server::kPrivateAddress:
      return TrrFailure::kPrivateAddress;
    case Server::kServFail:
      return TrrFailure::kServFail;
    case Server::kRefused:
      return TrrFailure::kRefused;
    case Server::kDnssecBogus:
      return TrrFailure::kDnssecBogus;
    case Server::kBlocked:
      return TrrFailure::kBlocked;
    case Server::kBadAnswer:
      return TrrFailure::kBadAnswer;
    case Server::kHttpStatus:
      return TrrFailure::kHttpStatus;
    case Server::kContentType:
      return TrrFailure::kContentType;
    case Server::kTooLarge:
      return TrrFailure::kTooLarge;
    case Server::kTls:
      return TrrFailure::kTls;
    case Server::kConnect:
      return TrrFailure::kConnect;
    case Server::kTimeout:
      return TrrFailure::kTimeout;
    case Server::kReset:
      return TrrFailure::kReset;
    case Server::kStreamRefused:
      return TrrFailure::kStreamRefused;
  }
  return TrrFailure::kNone;
}

inline ResolveOptions Ipv4() {
  ResolveOptions options;
  options.type = QueryKind::kIpv4;
  return options;
}

}  // namespace fake

// The names every resolver suite uses, said once for all of them.
using dns::testing::Bytes;
using dns::testing::Concat;
using dns::testing::MessageBuilder;
using dns::testing::Pointer;
using dns::testing::U16;
using dns::testing::WireName;
using fake::A;
using fake::Confirm;
using fake::ConfirmName;
using fake::Ede;
using fake::FailureOf;
using fake::FakeNative;
using fake::FakeTransport;
using fake::Harness;
using fake::Ipv4;
using fake::QuestionOf;
using fake::Respond;
using fake::Script;
using fake::Server;
using fake::ServerName;

}  // namespace trr

#endif  // TRR_TESTS_TRR_RESOLVER_HARNESS_H_
