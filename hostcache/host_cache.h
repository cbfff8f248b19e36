// HostCache: the TTL cache under every lookup, with grace-period refresh,
// negative entries, serve-stale (RFC 8767) and the data behind the
// about:networking#dns table.
//
// Lookups from any thread; a hit takes one shard's lock to read (a
// writer-preferring rwlock: hits run in parallel, an insert waits for them
// and holds new ones back), counts itself with relaxed atomics and marks
// the entry used. The fast lookup shows the record in place to a visitor,
// under that lock; the others copy it out. When full, the
// cache evicts an expired entry if there is one, else the least recently
// used one, approximated by second chance (CLOCK); both in O(1). Time is
// read from the Clock given at construction, so tests move time instead of
// sleeping.

#ifndef TRR_HOSTCACHE_HOST_CACHE_H_
#define TRR_HOSTCACHE_HOST_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "hostcache/clock.h"
#include "hostcache/host_record.h"

namespace trr {

struct HostCacheOptions {
  // network.dnsCacheEntries.
  size_t max_entries = 800;
  // network.dnsCacheExpiration: the lifetime of records without a TTL.
  absl::Duration default_ttl = absl::Seconds(60);
  // network.dnsCacheExpirationGracePeriod: after expiry, entries are still
  // served this long while one refresh is requested.
  absl::Duration grace = absl::Seconds(60);
  // Negative entries live their RFC 2308 TTL, but never longer than this.
  absl::Duration max_negative_ttl = absl::Seconds(300);
  // network.dns.serve_stale and network.dns.serve_stale.max_sec (ours):
  // after expiry and grace, LookupStale() may still answer this long.
  bool serve_stale = false;
  absl::Duration max_stale = absl::Seconds(86400);
};

enum class CacheFreshness : uint8_t {
  kFresh,  // within its TTL
  kGrace,  // expired, within the grace period
  kStale,  // expired past grace (or marked by a network change): serve-stale
};

// A hit seen in place, by Lookup's visitor. Valid only during the call.
struct CacheHitView {
  const HostRecord& record;
  CacheFreshness freshness = CacheFreshness::kFresh;
  // Set on the first hit in the grace period only: the caller should start
  // one refresh. Later grace hits do not ask again.
  bool refresh = false;
  absl::Time expires;
};

// A hit copied out: the caller owns it. The fields are CacheHitView's.
struct CacheHit {
  HostRecord record;
  CacheFreshness freshness = CacheFreshness::kFresh;
  bool refresh = false;
  absl::Time expires;

  CacheHitView view() const {
    return CacheHitView{record, freshness, refresh, expires};
  }
};

struct HostCacheStats {
  uint64_t hits = 0;
  uint64_t grace_hits = 0;
  uint64_t stale_hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t evicted_expired = 0;
  uint64_t evicted_lru = 0;
};

class HostCache {
 public:
  HostCache(HostCacheOptions options, const Clock* clock);
  ~HostCache();
  HostCache(const HostCache&) = delete;
  HostCache& operator=(const HostCache&) = delete;

  // A fresh entry, or one in its grace period. Expired and stale entries are
  // a miss here (see LookupStale). An unspecified-family key with no entry of
  // its own is answered from the IPv4 and IPv6 entries when both are there,
  // and an IPv4 or IPv6 key from the unspecified entry when it has
  // addresses of that family (or is NXDOMAIN).
  std::optional<CacheHit> Lookup(const CacheKeyView& key);
  // The same at a time the caller read already (a resolver reads the clock
  // once per request).
  std::optional<CacheHit> Lookup(const CacheKeyView& key, absl::Time now);
  // The fast path, with nothing copied or counted out: on a hit, calls
  // `visit` with the record in place and returns true. The visitor runs
  // under a shard's lock, held to read (not recursive): it must be short
  // and must not call into this cache.
  bool Lookup(const CacheKeyView& key, absl::Time now,
              absl::FunctionRef<void(const CacheHitView&)> visit);

  // Serve-stale, for after a fresh lookup failed: any entry, however
  // expired, up to max_stale past its grace period. Nothing unless
  // serve_stale is on. Answers are marked kStale.
  std::optional<CacheHit> LookupStale(const CacheKeyView& key);

  // Adds or replaces the entry; it expires after the record's TTL (capped
  // for negative records), or default_ttl when it has none.
  void Insert(const CacheKeyView& key, HostRecord record);

  bool Remove(const CacheKeyView& key);

  // Every entry becomes stale: kept for serve-stale, never served as fresh.
  void OnNetworkChange();
  void Clear();
  void ClearPartition(absl::string_view partition);
  // Drops every entry for `host` that came from TRR, in any partition and
  // for any kind (the embedder could not connect to its addresses).
  void RemoveTrrAnswers(absl::string_view host);

  void SetOptions(const HostCacheOptions& options);
  HostCacheOptions options() const;

  size_t size() const;
  // Each count is exact, but they are read one by one while lookups go
  // on: taken under load, hits and misses need not add up to one instant.
  HostCacheStats stats() const;
  // Every entry, most recently inserted first within each shard.
  std::vector<CacheEntryInfo> Dump() const;

 private:
  class Shard;
  Shard& ShardFor(size_t hash) const;
  bool LookupUnspecifiedFromFamilies(
      const CacheKeyView& key, absl::Time now,
      absl::FunctionRef<void(const CacheHitView&)> visit);
  // An A or AAAA lookup answered from the unspecified lookup's entry, as
  // Firefox does: its addresses of that family.
  bool LookupFamilyFromUnspecified(
      const CacheKeyView& key, absl::Time now,
      absl::FunctionRef<void(const CacheHitView&)> visit);

  const Clock* const clock_;
  std::atomic<size_t> total_entries_{0};
  std::vector<std::unique_ptr<Shard>> shards_;
  mutable Mutex options_mu_;
  HostCacheOptions options_ ABSL_GUARDED_BY(options_mu_);
};

}  // namespace trr

#endif  // TRR_HOSTCACHE_HOST_CACHE_H_
