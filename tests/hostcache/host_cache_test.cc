#include "hostcache/host_cache.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hostcache/fake_clock.h"

namespace trr {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

HostRecord Record(std::vector<IpAddress> addresses,
                  std::optional<absl::Duration> ttl,
                  RecordSource source = RecordSource::kTrr) {
  HostRecord record;
  record.addresses = std::move(addresses);
  record.ttl_seconds =
      ttl ? std::optional<uint32_t>(absl::ToInt64Seconds(*ttl)) : std::nullopt;
  record.source = source;
  return record;
}

CacheKeyView Key(absl::string_view host, QueryKind kind = QueryKind::kIpv4,
                 absl::string_view partition = "") {
  CacheKeyView key;
  key.host = host;
  key.kind = kind;
  key.trr_mode = 2;
  key.partition = partition;
  return key;
}

class HostCacheTest : public ::testing::Test {
 protected:
  HostCache& Cache(HostCacheOptions options = HostCacheOptions()) {
    cache_ = std::make_unique<HostCache>(options, &clock_);
    return *cache_;
  }

  FakeClock clock_;
  std::unique_ptr<HostCache> cache_;
};

TEST_F(HostCacheTest, FreshUntilTheTtlRunsOut) {
  HostCacheOptions options;
  options.grace = absl::ZeroDuration();
  HostCache& cache = Cache(options);
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(30)));
  auto hit = cache.Lookup(Key("a.example"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->freshness, CacheFreshness::kFresh);
  EXPECT_THAT(hit->record.addresses, ElementsAre(Ip("192.0.2.1")));
  clock_.Advance(absl::Seconds(29));
  EXPECT_TRUE(cache.Lookup(Key("a.example")).has_value());
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.Lookup(Key("a.example")).has_value());
}

// An IP hint entry and the name's answer are apart: neither key finds the
// other's entry, and the dump lists the answer only.
TEST_F(HostCacheTest, IpHintEntriesAreApartFromAnswersAndUndumped) {
  HostCache& cache = Cache();
  CacheKeyView hint = Key("svc.example", QueryKind::kUnspecified);
  hint.ip_hint = true;
  cache.Insert(hint, Record({Ip("192.0.2.7")}, absl::Seconds(30)));
  EXPECT_FALSE(cache.Lookup(Key("svc.example", QueryKind::kUnspecified)));
  EXPECT_FALSE(cache.Lookup(Key("svc.example", QueryKind::kIpv4)));
  EXPECT_TRUE(cache.Dump().empty());
  cache.Insert(Key("svc.example"),
               Record({Ip("192.0.2.8")}, absl::Seconds(30)));
  auto hit = cache.Lookup(hint);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.addresses, std::vector<IpAddress>{Ip("192.0.2.7")});
  const std::vector<CacheEntryInfo> dump = cache.Dump();
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(dump[0].addresses, std::vector<std::string>{"192.0.2.8"});
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(HostCacheTest, WallClockJumpsNeitherExpireNorRevive) {
  // Someone sets the system clock a day forward, then two days back:
  // entries live by steady time, so the one with 60 s left keeps them, and
  // one that expired stays expired.
  HostCacheOptions options;
  options.grace = absl::ZeroDuration();
  HostCache& cache = Cache(options);
  cache.Insert(Key("live.example"),
               Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  cache.Insert(Key("gone.example"),
               Record({Ip("192.0.2.2")}, absl::Seconds(10)));
  clock_.Advance(absl::Seconds(10));
  EXPECT_FALSE(cache.Lookup(Key("gone.example")).has_value());
  clock_.JumpWall(absl::Hours(24));
  ASSERT_TRUE(cache.Lookup(Key("live.example")).has_value());
  clock_.JumpWall(-absl::Hours(48));
  ASSERT_TRUE(cache.Lookup(Key("live.example")).has_value());
  EXPECT_FALSE(cache.Lookup(Key("gone.example")).has_value());
  auto dump = cache.Dump();
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(dump[0].expires_in_seconds, 50);
  clock_.Advance(absl::Seconds(50));
  EXPECT_FALSE(cache.Lookup(Key("live.example")).has_value());
}

// The fast lookup shows the entry in place, once per hit, and nothing on a
// miss; it counts as a hit like the copying one.
TEST_F(HostCacheTest, VisitorSeesTheRecordInPlace) {
  HostCache& cache = Cache();  // grace 60 s
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(10)));
  int calls = 0;
  std::vector<IpAddress> seen;
  CacheFreshness freshness = CacheFreshness::kStale;
  bool refresh = true;
  absl::Time expires;
  const auto visit = [&](const CacheHitView& hit) {
    ++calls;
    seen = hit.record.addresses;
    freshness = hit.freshness;
    refresh = hit.refresh;
    expires = hit.expires;
  };
  EXPECT_TRUE(cache.Lookup(Key("a.example"), clock_.Now(), visit));
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(seen, ElementsAre(Ip("192.0.2.1")));
  EXPECT_EQ(freshness, CacheFreshness::kFresh);
  EXPECT_FALSE(refresh);
  EXPECT_EQ(expires, clock_.Now() + absl::Seconds(10));

  clock_.Advance(absl::Seconds(15));
  EXPECT_TRUE(cache.Lookup(Key("a.example"), clock_.Now(), visit));
  EXPECT_EQ(freshness, CacheFreshness::kGrace);
  EXPECT_TRUE(refresh);

  EXPECT_FALSE(cache.Lookup(Key("b.example"), clock_.Now(), visit));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cache.Dump().at(0).hits, 2u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST_F(HostCacheTest, GraceHitAsksForRefreshExactlyOnce) {
  HostCache& cache = Cache();  // grace 60 s
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(10)));
  EXPECT_FALSE(cache.Lookup(Key("a.example"))->refresh);
  clock_.Advance(absl::Seconds(10));
  auto first = cache.Lookup(Key("a.example"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->freshness, CacheFreshness::kGrace);
  EXPECT_TRUE(first->refresh);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::Seconds(5));
    auto later = cache.Lookup(Key("a.example"));
    ASSERT_TRUE(later.has_value());
    EXPECT_EQ(later->freshness, CacheFreshness::kGrace);
    EXPECT_FALSE(later->refresh);
  }
  clock_.Advance(absl::Seconds(35));  // 70 s: past TTL and grace
  EXPECT_FALSE(cache.Lookup(Key("a.example")).has_value());
  // A refreshed entry starts over.
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.2")}, absl::Seconds(10)));
  clock_.Advance(absl::Seconds(11));
  EXPECT_TRUE(cache.Lookup(Key("a.example"))->refresh);
}

// The grace period and max-stale are the cache's current options, also for
// entries inserted before they changed; huge values do not overflow.
TEST_F(HostCacheTest, GraceAndMaxStaleFollowTheCurrentOptions) {
  HostCacheOptions options;  // grace 60 s
  HostCache& cache = Cache(options);
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(10)));
  clock_.Advance(absl::Seconds(30));
  EXPECT_TRUE(cache.Lookup(Key("a.example")).has_value());
  options.grace = absl::Seconds(5);
  cache.SetOptions(options);
  EXPECT_FALSE(cache.Lookup(Key("a.example")).has_value());

  options.grace = absl::InfiniteDuration();
  options.serve_stale = true;
  options.max_stale = absl::InfiniteDuration();
  cache.SetOptions(options);
  cache.Insert(Key("b.example"), Record({Ip("192.0.2.2")}, absl::Seconds(10)));
  clock_.Advance(absl::Hours(24 * 365));
  auto hit = cache.Lookup(Key("b.example"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->freshness, CacheFreshness::kGrace);
}

TEST_F(HostCacheTest, RecordsWithoutTtlLiveTheDefault) {
  HostCacheOptions options;
  options.default_ttl = absl::Seconds(60);
  options.grace = absl::ZeroDuration();
  HostCache& cache = Cache(options);
  cache.Insert(Key("n.example"),
               Record({Ip("192.0.2.9")}, std::nullopt, RecordSource::kNative));
  clock_.Advance(absl::Seconds(59));
  EXPECT_TRUE(cache.Lookup(Key("n.example")).has_value());
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.Lookup(Key("n.example")).has_value());
}

TEST_F(HostCacheTest, NegativeEntriesUseTheirTtlCapped) {
  HostCacheOptions options;
  options.grace = absl::ZeroDuration();
  options.max_negative_ttl = absl::Seconds(300);
  HostCache& cache = Cache(options);
  HostRecord nx = Record({}, absl::Seconds(100));
  nx.negative = NegativeKind::kNxDomain;
  cache.Insert(Key("nx.example"), nx);
  HostRecord long_nx = Record({}, absl::Seconds(86400));
  long_nx.negative = NegativeKind::kNoData;
  cache.Insert(Key("nodata.example"), long_nx);
  auto hit = cache.Lookup(Key("nx.example"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.negative, NegativeKind::kNxDomain);
  clock_.Advance(absl::Seconds(100));
  EXPECT_FALSE(cache.Lookup(Key("nx.example")).has_value());
  clock_.Advance(absl::Seconds(199));
  EXPECT_TRUE(cache.Lookup(Key("nodata.example")).has_value());
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.Lookup(Key("nodata.example")).has_value());
}

TEST_F(HostCacheTest, ServeStaleIsOffByDefault) {
  HostCache& cache = Cache();
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(10)));
  clock_.Advance(absl::Seconds(100));
  EXPECT_FALSE(cache.LookupStale(Key("a.example")).has_value());
}

TEST_F(HostCacheTest, ServeStaleAnswersUpToMaxStale) {
  HostCacheOptions options;
  options.serve_stale = true;
  options.grace = absl::Seconds(60);
  options.max_stale = absl::Seconds(3600);
  HostCache& cache = Cache(options);
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(10)));
  clock_.Advance(absl::Seconds(100));
  EXPECT_FALSE(cache.Lookup(Key("a.example")).has_value());
  auto stale = cache.LookupStale(Key("a.example"));
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->freshness, CacheFreshness::kStale);
  EXPECT_THAT(stale->record.addresses, ElementsAre(Ip("192.0.2.1")));
  clock_.Advance(absl::Seconds(10 + 60 + 3600 - 100 - 1));
  EXPECT_TRUE(cache.LookupStale(Key("a.example")).has_value());
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.LookupStale(Key("a.example")).has_value());
}

TEST_F(HostCacheTest, EvictsLeastRecentlyUsedWhenFull) {
  HostCacheOptions options;
  options.max_entries = 3;
  HostCache& cache = Cache(options);
  for (const char* host : {"a", "b", "c"}) {
    cache.Insert(Key(host), Record({Ip("192.0.2.1")}, absl::Seconds(600)));
  }
  ASSERT_TRUE(cache.Lookup(Key("a")).has_value());  // b is now oldest
  cache.Insert(Key("d"), Record({Ip("192.0.2.1")}, absl::Seconds(600)));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Lookup(Key("b")).has_value());
  EXPECT_TRUE(cache.Lookup(Key("a")).has_value());
  EXPECT_TRUE(cache.Lookup(Key("c")).has_value());
  EXPECT_TRUE(cache.Lookup(Key("d")).has_value());
  EXPECT_EQ(cache.stats().evicted_lru, 1u);
}

TEST_F(HostCacheTest, EvictsExpiredEntriesBeforeLiveOnes) {
  HostCacheOptions options;
  options.max_entries = 3;
  options.serve_stale = true;  // keep expired entries around
  HostCache& cache = Cache(options);
  cache.Insert(Key("live1"), Record({Ip("192.0.2.1")}, absl::Seconds(600)));
  cache.Insert(Key("short"), Record({Ip("192.0.2.2")}, absl::Seconds(5)));
  cache.Insert(Key("live2"), Record({Ip("192.0.2.3")}, absl::Seconds(600)));
  clock_.Advance(absl::Seconds(10));
  // "short" was used last, so LRU alone would evict live1.
  ASSERT_TRUE(cache.LookupStale(Key("short")).has_value());
  cache.Insert(Key("new"), Record({Ip("192.0.2.4")}, absl::Seconds(600)));
  EXPECT_FALSE(cache.LookupStale(Key("short")).has_value());
  EXPECT_TRUE(cache.Lookup(Key("live1")).has_value());
  EXPECT_EQ(cache.stats().evicted_expired, 1u);
  EXPECT_EQ(cache.stats().evicted_lru, 0u);
}

TEST_F(HostCacheTest, LongTtlEntriesAreSeenExpiredHoursLater) {
  HostCacheOptions options;
  options.max_entries = 3;
  options.serve_stale = true;
  HostCache& cache = Cache(options);
  cache.Insert(Key("two-hours"), Record({Ip("192.0.2.1")}, absl::Hours(2)));
  cache.Insert(Key("ten-hours"), Record({Ip("192.0.2.2")}, absl::Hours(10)));
  ASSERT_TRUE(cache.Lookup(Key("two-hours")).has_value());
  // Time passes in steps, with inserts that let the cache notice.
  for (int i = 0; i < 12; ++i) {
    clock_.Advance(absl::Minutes(15));
    cache.Insert(Key("tick"), Record({Ip("192.0.2.9")}, absl::Hours(9)));
    cache.Remove(Key("tick"));
  }
  // Full: the next insert evicts. LRU alone would pick ten-hours.
  cache.Insert(Key("new1"), Record({Ip("192.0.2.3")}, absl::Hours(1)));
  cache.Insert(Key("new2"), Record({Ip("192.0.2.4")}, absl::Hours(1)));
  EXPECT_FALSE(cache.LookupStale(Key("two-hours")).has_value());
  EXPECT_TRUE(cache.Lookup(Key("ten-hours")).has_value());
  EXPECT_EQ(cache.stats().evicted_expired, 1u);
}

// Short names are kept inside the entry, longer ones in their own buffer:
// both ends of that line find their entry, and only their own.
TEST_F(HostCacheTest, NamesOfEveryLengthFindTheirOwnEntry) {
  HostCache& cache = Cache();
  std::vector<std::string> names;
  for (size_t length : {1, 39, 40, 41, 253}) {
    names.push_back(std::string(length - 1, 'a') + "b");
    names.push_back(std::string(length - 1, 'a') + "c");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    cache.Insert(Key(names[i]),
                 Record({IpAddress::V4(192, 0, 2, static_cast<uint8_t>(i))},
                        absl::Seconds(60)));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    auto hit = cache.Lookup(Key(names[i]));
    ASSERT_TRUE(hit.has_value()) << names[i].size();
    EXPECT_EQ(hit->record.addresses.at(0),
              IpAddress::V4(192, 0, 2, static_cast<uint8_t>(i)));
  }
  std::set<std::string> dumped;
  for (const CacheEntryInfo& info : cache.Dump()) dumped.insert(info.host);
  EXPECT_EQ(dumped, std::set<std::string>(names.begin(), names.end()));
}

TEST_F(HostCacheTest, PartitionsNeverSeeEachOther) {
  HostCache& cache = Cache();
  cache.Insert(Key("a.example", QueryKind::kIpv4, "private"),
               Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  EXPECT_FALSE(
      cache.Lookup(Key("a.example", QueryKind::kIpv4, "")).has_value());
  EXPECT_FALSE(
      cache.Lookup(Key("a.example", QueryKind::kIpv4, "other")).has_value());
  EXPECT_TRUE(
      cache.Lookup(Key("a.example", QueryKind::kIpv4, "private")).has_value());
  cache.Insert(Key("a.example", QueryKind::kIpv4, ""),
               Record({Ip("192.0.2.2")}, absl::Seconds(60)));
  cache.ClearPartition("private");
  EXPECT_FALSE(
      cache.Lookup(Key("a.example", QueryKind::kIpv4, "private")).has_value());
  EXPECT_TRUE(cache.Lookup(Key("a.example", QueryKind::kIpv4, "")).has_value());
}

TEST_F(HostCacheTest, KeysDifferByKindAndTrrFlags) {
  HostCache& cache = Cache();
  cache.Insert(Key("a.example", QueryKind::kIpv6),
               Record({Ip("2001:db8::1")}, absl::Seconds(60)));
  EXPECT_FALSE(cache.Lookup(Key("a.example", QueryKind::kIpv4)).has_value());
  CacheKeyView disabled = Key("a.example", QueryKind::kIpv6);
  disabled.trr_disabled = true;
  EXPECT_FALSE(cache.Lookup(disabled).has_value());
  CacheKeyView mode3 = Key("a.example", QueryKind::kIpv6);
  mode3.trr_mode = 3;
  EXPECT_FALSE(cache.Lookup(mode3).has_value());
}

TEST_F(HostCacheTest, NetworkChangeMakesEverythingStale) {
  HostCacheOptions options;
  options.serve_stale = true;
  HostCache& cache = Cache(options);
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(600)));
  cache.OnNetworkChange();
  EXPECT_FALSE(cache.Lookup(Key("a.example")).has_value());
  auto stale = cache.LookupStale(Key("a.example"));
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->freshness, CacheFreshness::kStale);
  ASSERT_EQ(cache.Dump().size(), 1u);
  EXPECT_TRUE(cache.Dump()[0].stale);
  // A new answer after the change is fresh again.
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.5")}, absl::Seconds(600)));
  EXPECT_TRUE(cache.Lookup(Key("a.example")).has_value());
}

TEST_F(HostCacheTest, UnspecifiedIsServedFromBothFamilies) {
  HostCache& cache = Cache();
  cache.Insert(Key("d.example", QueryKind::kIpv4),
               Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  // One family alone is not a whole answer.
  EXPECT_FALSE(
      cache.Lookup(Key("d.example", QueryKind::kUnspecified)).has_value());
  cache.Insert(Key("d.example", QueryKind::kIpv6),
               Record({Ip("2001:db8::1")}, absl::Seconds(30)));
  auto hit = cache.Lookup(Key("d.example", QueryKind::kUnspecified));
  ASSERT_TRUE(hit.has_value());
  EXPECT_THAT(hit->record.addresses,
              UnorderedElementsAre(Ip("192.0.2.1"), Ip("2001:db8::1")));
  EXPECT_EQ(hit->expires, clock_.Now() + absl::Seconds(30));
}

TEST_F(HostCacheTest, UnspecifiedFromFamiliesKeepsNegativeAnswers) {
  HostCache& cache = Cache();
  HostRecord nodata = Record({}, absl::Seconds(60));
  nodata.negative = NegativeKind::kNoData;
  cache.Insert(Key("v4.example", QueryKind::kIpv4),
               Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  cache.Insert(Key("v4.example", QueryKind::kIpv6), nodata);
  auto hit = cache.Lookup(Key("v4.example", QueryKind::kUnspecified));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.negative, NegativeKind::kNone);
  EXPECT_THAT(hit->record.addresses, ElementsAre(Ip("192.0.2.1")));

  HostRecord nx = Record({}, absl::Seconds(60));
  nx.negative = NegativeKind::kNxDomain;
  cache.Insert(Key("nx.example", QueryKind::kIpv4), nx);
  cache.Insert(Key("nx.example", QueryKind::kIpv6), nx);
  EXPECT_EQ(
      cache.Lookup(Key("nx.example", QueryKind::kUnspecified))->record.negative,
      NegativeKind::kNxDomain);
}

TEST_F(HostCacheTest, OneFamilyIsServedFromTheUnspecifiedEntry) {
  HostCache& cache = Cache();
  cache.Insert(Key("u.example", QueryKind::kUnspecified),
               Record({Ip("192.0.2.1"), Ip("2001:db8::1"), Ip("192.0.2.2")},
                      absl::Seconds(60)));
  auto a = cache.Lookup(Key("u.example", QueryKind::kIpv4));
  ASSERT_TRUE(a.has_value());
  EXPECT_THAT(a->record.addresses,
              ElementsAre(Ip("192.0.2.1"), Ip("192.0.2.2")));
  auto aaaa = cache.Lookup(Key("u.example", QueryKind::kIpv6));
  ASSERT_TRUE(aaaa.has_value());
  EXPECT_THAT(aaaa->record.addresses, ElementsAre(Ip("2001:db8::1")));
  EXPECT_EQ(aaaa->expires, clock_.Now() + absl::Seconds(60));
  // No address of the family: that family may have failed, so ask.
  cache.Insert(Key("v4only.example", QueryKind::kUnspecified),
               Record({Ip("192.0.2.4")}, absl::Seconds(60)));
  EXPECT_FALSE(cache.Lookup(Key("v4only.example", QueryKind::kIpv6)));
  // NXDOMAIN holds for every type; NODATA for both says nothing of one.
  HostRecord nx = Record({}, absl::Seconds(60));
  nx.negative = NegativeKind::kNxDomain;
  cache.Insert(Key("nx.example", QueryKind::kUnspecified), nx);
  auto nx_a = cache.Lookup(Key("nx.example", QueryKind::kIpv4));
  ASSERT_TRUE(nx_a.has_value());
  EXPECT_EQ(nx_a->record.negative, NegativeKind::kNxDomain);
  HostRecord nodata = Record({}, absl::Seconds(60));
  nodata.negative = NegativeKind::kNoData;
  cache.Insert(Key("nodata.example", QueryKind::kUnspecified), nodata);
  EXPECT_FALSE(cache.Lookup(Key("nodata.example", QueryKind::kIpv4)));
  // Another partition or mode is another cache.
  CacheKeyView other = Key("u.example", QueryKind::kIpv4);
  other.partition = "other";
  EXPECT_FALSE(cache.Lookup(other));
  // HTTPS is never derived.
  EXPECT_FALSE(cache.Lookup(Key("u.example", QueryKind::kHttps)));
}

TEST_F(HostCacheTest, FamiliesMergeByTheResolversOneRule) {
  // MergeFamilies is the rule the resolver combines its A and AAAA queries
  // by too, so an unspecified hit reads as the live lookup would have:
  // addresses win over a negative family, and NXDOMAIN needs both.
  HostCache& cache = Cache();
  HostRecord nx = Record({}, absl::Seconds(60));
  nx.negative = NegativeKind::kNxDomain;
  HostRecord nodata = Record({}, absl::Seconds(30));
  nodata.negative = NegativeKind::kNoData;
  cache.Insert(Key("mixed.example", QueryKind::kIpv4),
               Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  cache.Insert(Key("mixed.example", QueryKind::kIpv6), nx);
  auto hit = cache.Lookup(Key("mixed.example", QueryKind::kUnspecified));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.negative, NegativeKind::kNone);
  EXPECT_THAT(hit->record.addresses, ElementsAre(Ip("192.0.2.1")));

  cache.Insert(Key("half.example", QueryKind::kIpv4), nx);
  cache.Insert(Key("half.example", QueryKind::kIpv6), nodata);
  hit = cache.Lookup(Key("half.example", QueryKind::kUnspecified));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.negative, NegativeKind::kNoData);

  HostRecord a = Record({Ip("192.0.2.1")}, absl::Seconds(60));
  a.canonical_name = "edge.example";
  a.authentic_data = true;
  HostRecord aaaa = Record({Ip("2001:db8::1")}, absl::Seconds(20));
  MergeFamilies(a, aaaa);
  EXPECT_THAT(a.addresses, ElementsAre(Ip("192.0.2.1"), Ip("2001:db8::1")));
  EXPECT_EQ(a.ttl_seconds, 20u);
  EXPECT_FALSE(a.authentic_data);
  EXPECT_EQ(a.canonical_name, "edge.example");

  // A family without records does not cut the answer's TTL short, in
  // either order, with an SOA's TTL or without one (0): A with TTL 55 and
  // AAAA NODATA stays 55 s, as in Firefox.
  for (std::optional<uint32_t> negative_ttl :
       {std::optional<uint32_t>(0), std::optional<uint32_t>(10)}) {
    HostRecord empty;
    empty.negative = NegativeKind::kNoData;
    empty.ttl_seconds = negative_ttl;
    HostRecord v4 = Record({Ip("192.0.2.1")}, absl::Seconds(55));
    MergeFamilies(v4, empty);
    EXPECT_EQ(v4.ttl_seconds, 55u);
    HostRecord first = empty;
    MergeFamilies(first, Record({Ip("2001:db8::1")}, absl::Seconds(55)));
    EXPECT_EQ(first.ttl_seconds, 55u);
    EXPECT_EQ(first.negative, NegativeKind::kNone);
  }
  // Two negative families keep the shorter negative TTL.
  HostRecord nx30 = nodata;
  MergeFamilies(nx30, nx);
  EXPECT_EQ(nx30.ttl_seconds, 30u);
}

TEST_F(HostCacheTest, DumpHasTheAboutNetworkingFields) {
  HostCache& cache = Cache();
  HostRecord record =
      Record({Ip("192.0.2.1"), Ip("192.0.2.2")}, absl::Seconds(120));
  record.canonical_name = "edge.example";
  cache.Insert(Key("a.example", QueryKind::kIpv4, "p1"), record);
  cache.Lookup(Key("a.example", QueryKind::kIpv4, "p1"));
  cache.Lookup(Key("a.example", QueryKind::kIpv4, "p1"));
  clock_.Advance(absl::Seconds(20));
  auto dump = cache.Dump();
  ASSERT_EQ(dump.size(), 1u);
  const CacheEntryInfo& row = dump[0];
  EXPECT_EQ(row.host, "a.example");
  EXPECT_EQ(row.kind, QueryKind::kIpv4);
  EXPECT_TRUE(row.trr);
  EXPECT_THAT(row.addresses, ElementsAre("192.0.2.1", "192.0.2.2"));
  EXPECT_EQ(row.canonical_name, "edge.example");
  EXPECT_EQ(row.expires_in_seconds, 100);
  EXPECT_EQ(row.partition, "p1");
  EXPECT_EQ(row.trr_mode, 2);
  EXPECT_EQ(row.hits, 2u);
  EXPECT_FALSE(row.stale);
}

TEST_F(HostCacheTest, InsertReplacesAndClearEmpties) {
  HostCache& cache = Cache();
  cache.Insert(Key("a"), Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  cache.Insert(Key("a"), Record({Ip("192.0.2.2")}, absl::Seconds(60)));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_THAT(cache.Lookup(Key("a"))->record.addresses,
              ElementsAre(Ip("192.0.2.2")));
  EXPECT_TRUE(cache.Remove(Key("a")));
  EXPECT_FALSE(cache.Remove(Key("a")));
  cache.Insert(Key("b"), Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert(Key("c"), Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(HostCacheTest, ShrinkingCapacityEvicts) {
  HostCache& cache = Cache();
  for (int i = 0; i < 800; ++i) {
    cache.Insert(Key(absl::StrCat("h", i, ".example")),
                 Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  }
  EXPECT_EQ(cache.size(), 800u);
  cache.Insert(Key("one-more"), Record({Ip("192.0.2.1")}, absl::Seconds(60)));
  EXPECT_EQ(cache.size(), 800u);
  HostCacheOptions smaller;
  smaller.max_entries = 100;
  cache.SetOptions(smaller);
  EXPECT_EQ(cache.size(), 100u);
}

TEST_F(HostCacheTest, ConcurrentReadersAndWriters) {
  HostCacheOptions options;
  options.max_entries = 256;
  HostCache& cache = Cache(options);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string host = absl::StrCat("h", (i * 7 + t) % 300);
        if (i % 3 == 0) {
          cache.Insert(Key(host), Record({IpAddress::V4(192, 0, 2, t)},
                                         absl::Seconds(30)));
        } else if (auto hit = cache.Lookup(Key(host))) {
          if (hit->record.addresses.size() != 1) failed = true;
        }
        if (i % 1000 == 0 && t == 0) {
          clock_.Advance(absl::Seconds(7));
          cache.Dump();
        }
        if (i == 2500 && t == 1) cache.OnNetworkChange();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(failed);
  EXPECT_LE(cache.size(), 256u);
}

// Hits run in parallel (the shard's lock held to read by each): one refresh
// is still asked for in all, and every hit and miss is counted.
TEST_F(HostCacheTest, ParallelGraceHitsAskForOneRefreshAndAreAllCounted) {
  HostCache& cache = Cache();  // grace 60 s
  cache.Insert(Key("a.example"), Record({Ip("192.0.2.1")}, absl::Seconds(10)));
  clock_.Advance(absl::Seconds(20));
  constexpr int kThreads = 4;
  constexpr int kLookups = 2000;
  std::atomic<int> refreshes{0};
  std::atomic<int> grace_hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kLookups; ++i) {
        if (auto hit = cache.Lookup(Key("a.example"))) {
          if (hit->freshness == CacheFreshness::kGrace) ++grace_hits;
          if (hit->refresh) ++refreshes;
        }
        (void)cache.Lookup(Key("missing.example"));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(refreshes.load(), 1);
  EXPECT_EQ(grace_hits.load(), kThreads * kLookups);
  const HostCacheStats stats = cache.stats();
  EXPECT_EQ(stats.grace_hits, uint64_t{kThreads * kLookups});
  EXPECT_EQ(stats.misses, uint64_t{kThreads * kLookups});
  EXPECT_EQ(cache.Dump().at(0).hits, uint32_t{kThreads * kLookups});
}

TEST(NormalizeHostNameTest, LowerCasesAndDropsOneTrailingDot) {
  EXPECT_EQ(NormalizeHostName("WWW.Example.COM."), "www.example.com");
  EXPECT_EQ(NormalizeHostName("a.b"), "a.b");
  EXPECT_EQ(NormalizeHostName("a.."), "a.");
  EXPECT_STREQ(QueryKindName(QueryKind::kIpv6), "ipv6");
}

}  // namespace
}  // namespace trr
