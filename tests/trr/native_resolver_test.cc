// The system resolver (getaddrinfo on worker threads) with a lookup that
// hangs, as getaddrinfo does on a dead network: each request still ends at
// its timeout, exactly once, and what the worker finds later is dropped.
// No network: the lookup is the test's. And the plain-DNS resolver against
// a UDP responder of the test's own on loopback: its answer for both
// families, combined by MergeFamilies; forged answers (a wrong ID, a wrong
// question, another source port) ignored and the real one taken; a lost
// datagram costing one retransmission; IDs unique among queries in flight.

#include "trr/native/native_resolver.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "tests/peers/udp_responder.h"
#include "tests/trr/dns/message_builder.h"
#include "trr/dns/dns_types.h"
#include "trr/loop/event_loop.h"

namespace trr {
namespace {

// A lookup that blocks until released, counting the calls it got.
class HangingLookup {
 public:
  NativeResult operator()(const std::string&, int) {
    MutexLock lock(&mu_);
    ++calls_;
    cv_.SignalAll();
    while (!released_) cv_.Wait(&mu_);
    NativeResult result;
    result.outcome = NativeResult::Outcome::kOk;
    result.answer.addresses = {*IpAddress::Parse("192.0.2.7")};
    return result;
  }
  void Release() {
    MutexLock lock(&mu_);
    released_ = true;
    cv_.SignalAll();
  }
  bool WaitForCalls(int n) {
    MutexLock lock(&mu_);
    return cv_.AwaitWithDeadline(&mu_, absl::Now() + absl::Seconds(10),
                                 [&] { return calls_ >= n; });
  }
  int calls() {
    MutexLock lock(&mu_);
    return calls_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  int calls_ = 0;          // under mu_
  bool released_ = false;  // under mu_
};

class Results {
 public:
  NativeResolver::Callback Collect(int tag) {
    return [this, tag](NativeResult result) {
      MutexLock lock(&mu_);
      got_.emplace_back(tag, std::move(result));
      cv_.SignalAll();
    };
  }
  std::vector<std::pair<int, NativeResult>> Wait(size_t n) {
    MutexLock lock(&mu_);
    cv_.AwaitWithDeadline(&mu_, absl::Now() + absl::Seconds(10),
                          [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::vector<std::pair<int, NativeResult>> got_;  // under mu_
};

TEST(SystemResolverTest, AHungLookupEndsAtItsTimeoutExactlyOnce) {
  EventLoop loop;
  HangingLookup hanging;
  Results results;
  std::unique_ptr<NativeResolver> resolver;
  loop.RunSync([&] {
    resolver = MakeSystemResolver(&loop, /*threads=*/1,
                                  [&](const std::string& host, int family) {
                                    return hanging(host, family);
                                  });
    // The first takes the only worker and hangs; the second waits behind
    // it and never starts.
    resolver->Resolve("hung.example", QueryKind::kIpv4, absl::Milliseconds(100),
                      results.Collect(1));
    resolver->Resolve("queued.example", QueryKind::kIpv4,
                      absl::Milliseconds(150), results.Collect(2));
  });
  ASSERT_TRUE(hanging.WaitForCalls(1));
  const auto timed_out = results.Wait(2);
  ASSERT_EQ(timed_out.size(), 2u);
  for (const auto& [tag, result] : timed_out) {
    EXPECT_EQ(result.outcome, NativeResult::Outcome::kFailed) << tag;
    EXPECT_NE(result.error.find("did not answer within"), std::string::npos)
        << result.error;
  }
  // The worker's late answer is dropped, and the queued lookup, whose
  // request is over, is never started.
  hanging.Release();
  bool done = false;
  loop.RunSync([&] {
    resolver->Resolve("after.example", QueryKind::kIpv4, absl::Seconds(5),
                      results.Collect(3));
    done = true;
  });
  ASSERT_TRUE(done);
  const auto all = results.Wait(3);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].first, 3);
  EXPECT_EQ(all[2].second.outcome, NativeResult::Outcome::kOk);
  EXPECT_EQ(hanging.calls(), 2);  // hung.example and after.example
  loop.RunSync([&] { resolver.reset(); });
  EXPECT_EQ(results.Wait(3).size(), 3u);
}

// Answers A and AAAA queries for names "a-X.aaaa-Y.test" as X and Y say:
// ok (one address, TTL 60), nodata and nx (with an SOA whose negative TTL
// is 30), servfail.
std::vector<uint8_t> FamilyAnswer(absl::Span<const uint8_t> query) {
  // The question: labels from offset 12, then the type.
  std::string name;
  size_t at = 12;
  while (at < query.size() && query[at] != 0) {
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(query.data() + at + 1),
                query[at]);
    at += 1 + query[at];
  }
  const uint16_t type =
      static_cast<uint16_t>(query[at + 1] << 8 | query[at + 2]);
  const std::vector<std::string> labels = absl::StrSplit(name, '.');
  const std::string how =
      labels[type == dns::kTypeA ? 0 : 1].substr(type == dns::kTypeA ? 2 : 5);
  dns::testing::MessageBuilder m(name, type);
  m.Id(static_cast<uint16_t>(query[0] << 8 | query[1]));
  const dns::testing::Bytes soa =
      dns::testing::Concat({{0},
                            {0},
                            dns::testing::U32(1),
                            dns::testing::U32(3600),
                            dns::testing::U32(600),
                            dns::testing::U32(86400),
                            dns::testing::U32(30)});
  if (how == "ok") {
    m.Answer(dns::testing::Pointer(12), type, 60,
             type == dns::kTypeA
                 ? dns::testing::Bytes{192, 0, 2, 1}
                 : dns::testing::Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 1});
  } else if (how == "nodata" || how == "nx") {
    if (how == "nx") m.Rcode(dns::kRcodeNxDomain);
    m.Authority(dns::testing::WireName("test"), dns::kTypeSOA, 300, soa);
  } else {
    m.Rcode(dns::kRcodeServFail);
  }
  return m.Build();
}

TEST(PlainDnsResolverTest, BothFamiliesCombineByTheOneMerge) {
  testing::UdpResponder responder(&FamilyAnswer);
  EventLoop loop;
  Results results;
  std::unique_ptr<NativeResolver> resolver;
  struct Case {
    std::string name;
    NativeResult::Outcome outcome;
    size_t addresses;
    std::optional<uint32_t> ttl;
  };
  using O = NativeResult::Outcome;
  const std::vector<Case> cases = {
      {"a-ok.aaaa-ok.test", O::kOk, 2, 60},
      // Records and NODATA: the records, with their own TTL (a family
      // without records does not cut the answer short).
      {"a-ok.aaaa-nodata.test", O::kOk, 1, 60},
      // NXDOMAIN only when both families say so.
      {"a-nx.aaaa-nx.test", O::kNxDomain, 0, 30},
      {"a-nx.aaaa-nodata.test", O::kNoData, 0, 30},
      // A family that failed does not matter beside records or NODATA...
      {"a-ok.aaaa-servfail.test", O::kOk, 1, 60},
      {"a-nodata.aaaa-servfail.test", O::kNoData, 0, 30},
      // ...but beside NXDOMAIN alone, the lookup failed.
      {"a-nx.aaaa-servfail.test", O::kFailed, 0, std::nullopt},
  };
  loop.RunSync([&] {
    resolver = MakePlainDnsResolver(&loop, IpAddress::V4(127, 0, 0, 1),
                                    responder.port());
    for (size_t i = 0; i < cases.size(); ++i) {
      resolver->Resolve(cases[i].name, QueryKind::kUnspecified,
                        absl::Seconds(5), results.Collect(static_cast<int>(i)));
    }
  });
  const auto got = results.Wait(cases.size());
  ASSERT_EQ(got.size(), cases.size());
  for (const auto& [tag, result] : got) {
    const Case& c = cases[static_cast<size_t>(tag)];
    EXPECT_EQ(result.outcome, c.outcome) << c.name << ": " << result.error;
    EXPECT_EQ(result.answer.addresses.size(), c.addresses) << c.name;
    if (c.outcome == O::kFailed) {
      EXPECT_NE(result.error.find("SERVFAIL"), std::string::npos)
          << c.name << ": " << result.error;
    } else {
      EXPECT_EQ(result.answer.ttl_seconds, c.ttl) << c.name;
    }
    if (c.outcome == O::kOk && c.addresses == 2) {
      EXPECT_TRUE(result.answer.addresses[0].is_v4()) << "A first";
    }
  }
  loop.RunSync([&] { resolver.reset(); });
}

// The question of `query` (its name and type), and an answer to it with
// `address`, under `id` (the query's own when nullopt) and for `name`
// (the query's own when empty).
struct Asked {
  uint16_t id = 0;
  std::string name;
  uint16_t type = 0;
};
Asked Read(absl::Span<const uint8_t> query) {
  Asked q;
  q.id = static_cast<uint16_t>(query[0] << 8 | query[1]);
  size_t at = 12;
  while (at < query.size() && query[at] != 0) {
    if (!q.name.empty()) q.name += '.';
    q.name.append(reinterpret_cast<const char*>(query.data() + at + 1),
                  query[at]);
    at += 1 + query[at];
  }
  q.type = static_cast<uint16_t>(query[at + 1] << 8 | query[at + 2]);
  return q;
}
std::vector<uint8_t> AnswerWith(const Asked& q, dns::testing::Bytes address,
                                std::optional<uint16_t> id = std::nullopt,
                                const std::string& name = "") {
  dns::testing::MessageBuilder m(name.empty() ? q.name : name, q.type);
  m.Id(id.value_or(q.id));
  m.Answer(dns::testing::Pointer(12), dns::kTypeA, 60, address);
  return m.Build();
}

// One lookup through a plain-DNS resolver to `port`, with `timeout`.
NativeResult LookUp(uint16_t port, const std::string& name,
                    absl::Duration timeout) {
  EventLoop loop;
  Results results;
  std::unique_ptr<NativeResolver> resolver;
  loop.RunSync([&] {
    resolver = MakePlainDnsResolver(&loop, IpAddress::V4(127, 0, 0, 1), port);
    resolver->Resolve(name, QueryKind::kIpv4, timeout, results.Collect(0));
  });
  auto got = results.Wait(1);
  loop.RunSync([&] { resolver.reset(); });
  if (got.empty()) return NativeResult();
  return got[0].second;
}

TEST(PlainDnsResolverTest, ForgedAnswersAreIgnoredAndTheRealOneTaken) {
  // Before the server's answer, three forgeries arrive: one with a wrong
  // ID, one for another name, and one right in every field but sent from
  // another port (which the connected socket never delivers).
  testing::UdpResponder responder(
      [](absl::Span<const uint8_t> query)
          -> std::vector<testing::UdpResponder::Reply> {
        const Asked q = Read(query);
        const dns::testing::Bytes forged = {203, 0, 113, 66};
        return {
            {AnswerWith(q, forged, static_cast<uint16_t>(q.id ^ 0x5a5a))},
            {AnswerWith(q, forged, std::nullopt, "other.example.test")},
            {AnswerWith(q, forged), /*from_decoy=*/true},
            {AnswerWith(q, {192, 0, 2, 8})},
        };
      });
  const NativeResult r =
      LookUp(responder.port(), "www.example.test", absl::Seconds(30));
  ASSERT_EQ(r.outcome, NativeResult::Outcome::kOk) << r.error;
  ASSERT_EQ(r.answer.addresses.size(), 1u);
  EXPECT_EQ(r.answer.addresses[0].ToString(), "192.0.2.8");
}

TEST(PlainDnsResolverTest, OnlyForgeriesMeanATimeoutThatSaysWhatWasIgnored) {
  testing::UdpResponder responder(
      [](absl::Span<const uint8_t> query)
          -> std::vector<testing::UdpResponder::Reply> {
        const Asked q = Read(query);
        return {{AnswerWith(q, {203, 0, 113, 66}, std::nullopt,
                            "other.example.test")}};
      });
  const NativeResult r =
      LookUp(responder.port(), "www.example.test", absl::Milliseconds(300));
  EXPECT_EQ(r.outcome, NativeResult::Outcome::kFailed);
  EXPECT_NE(r.error.find("timed out, after ignoring an answer"),
            std::string::npos)
      << r.error;
}

TEST(PlainDnsResolverTest, ALostDatagramCostsOneRetransmissionNotTheTimeout) {
  // The first datagram is lost; the retransmission, with the same ID on
  // the same port, is answered. The timeout is 7 s, so the first try waits
  // 1 s: without the retransmission the lookup would fail at 7 s.
  Mutex mu;
  std::vector<Asked> seen;  // under mu
  testing::UdpResponder responder([&](absl::Span<const uint8_t> query) {
    const Asked q = Read(query);
    MutexLock lock(&mu);
    seen.push_back(q);
    if (seen.size() == 1) return std::vector<uint8_t>();  // lost
    return AnswerWith(q, {192, 0, 2, 9});
  });
  const NativeResult r =
      LookUp(responder.port(), "www.example.test", absl::Seconds(7));
  ASSERT_EQ(r.outcome, NativeResult::Outcome::kOk) << r.error;
  EXPECT_EQ(r.answer.addresses.at(0).ToString(), "192.0.2.9");
  MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id, seen[1].id) << "a retransmission, not a new query";
}

TEST(PlainDnsResolverTest, QueryIdsAreUniqueAmongQueriesInFlight) {
  // 2,000 queries in flight at once (the responder answers none): no two
  // share an ID, and they do not follow each other. A burst this size can
  // overflow the responder's socket buffer; a lost query is sent again
  // (with its own ID) after a try's time, so each name counts once.
  Mutex mu;
  std::vector<uint16_t> ids;    // under mu, first sight of each name
  std::set<std::string> names;  // under mu
  CondVar cv;
  testing::UdpResponder responder([&](absl::Span<const uint8_t> query) {
    const Asked asked = Read(query);
    MutexLock lock(&mu);
    if (names.insert(asked.name).second) ids.push_back(asked.id);
    cv.SignalAll();
    return std::vector<uint8_t>();
  });
  EventLoop loop;
  Results results;
  std::unique_ptr<NativeResolver> resolver;
  constexpr int kQueries = 2000;
  loop.RunSync([&] {
    resolver = MakePlainDnsResolver(&loop, IpAddress::V4(127, 0, 0, 1),
                                    responder.port());
    for (int i = 0; i < kQueries; ++i) {
      resolver->Resolve(absl::StrCat("n", i, ".example.test"), QueryKind::kIpv4,
                        absl::Seconds(60), results.Collect(i));
    }
  });
  {
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(30),
                                     [&] { return ids.size() >= kQueries; }));
    std::set<uint16_t> distinct(ids.begin(), ids.begin() + kQueries);
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kQueries));
    int sequential = 0;
    for (int i = 1; i < kQueries; ++i) {
      if (ids[i] == static_cast<uint16_t>(ids[i - 1] + 1)) ++sequential;
    }
    EXPECT_LT(sequential, 5);
  }
  loop.RunSync([&] { resolver.reset(); });  // cancels them all
  EXPECT_EQ(results.Wait(kQueries).size(), static_cast<size_t>(kQueries));
}

}  // namespace
}  // namespace trr
