#include "hostcache/host_cache.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "base/mutex.h"

namespace trr {
namespace {

// Entries are filed by expiry second in a wheel covering kWheelSeconds;
// later ones wait in a "far" list that is sorted into the wheel every half
// turn. As time passes, whole buckets are spliced onto the expired list, so
// eviction finds an expired entry, when there is one, without a scan.
constexpr int64_t kWheelSeconds = 1024;

// A link in an intrusive circular list; a list is a sentinel Link.
struct Link {
  Link* prev = this;
  Link* next = this;

  Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  bool linked() const { return next != this; }
  // Forgets its neighbours without touching them (they are gone).
  void Reset() { prev = next = this; }
  void Unlink() {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
  // Inserts `link` just before this one (at the back, when this is a list).
  void InsertBefore(Link* link) {
    link->prev = prev;
    link->next = this;
    prev->next = link;
    prev = link;
  }
  void InsertAfter(Link* link) { next->InsertBefore(link); }
  // Moves every link of the list `other` to the back of this list.
  void SpliceBack(Link& other) {
    if (!other.linked()) return;
    Link* first = other.next;
    Link* last = other.prev;
    other.prev = other.next = &other;
    first->prev = prev;
    prev->next = first;
    last->next = this;
    prev = last;
  }
};

// The key's small fields (kind, TRR mode, TRR disabled, IP hint) as one
// word, so a probe compares them in one go.
uint32_t SmallFields(const CacheKeyView& k) {
  return static_cast<uint32_t>(k.kind) | uint32_t{k.trr_mode} << 8 |
         uint32_t{k.trr_disabled} << 16 | uint32_t{k.ip_hint} << 17;
}

// absl's hash of the name (seeded per process, so names cannot be chosen
// to collide in advance), with the small fields and the partition, when
// there is one, folded in by odd multipliers: most lookups have no
// partition, and hash one string, not two.
size_t HashKey(const CacheKeyView& k) {
  uint64_t h = absl::Hash<absl::string_view>{}(k.host) ^
               (SmallFields(k) * uint64_t{0x9e3779b97f4a7c15});
  if (!k.partition.empty()) {
    h ^= absl::Hash<absl::string_view>{}(k.partition) *
         uint64_t{0xc2b2ae3d27d4eb4f};
  }
  return static_cast<size_t>(h);
}

// An entry's key: the small fields, then the host name and the partition
// together in one buffer, kept inside the entry when they fit (most do), so
// a hit compares them without reading another allocation.
class EntryKey {
 public:
  explicit EntryKey(const CacheKeyView& k)
      : small_(SmallFields(k)),
        host_size_(static_cast<uint32_t>(k.host.size())),
        partition_size_(static_cast<uint32_t>(k.partition.size())) {
    char* to = inline_;
    if (!fits()) {
      to = new char[size()];
      std::memcpy(inline_, &to, sizeof(to));
    }
    std::memcpy(to, k.host.data(), host_size_);
    std::memcpy(to + host_size_, k.partition.data(), partition_size_);
  }
  ~EntryKey() {
    if (!fits()) delete[] bytes();
  }
  EntryKey(const EntryKey&) = delete;
  EntryKey& operator=(const EntryKey&) = delete;

  absl::string_view host() const { return {bytes(), host_size_}; }
  absl::string_view partition() const {
    return {bytes() + host_size_, partition_size_};
  }
  CacheKeyView view() const {
    CacheKeyView v;
    v.host = host();
    v.kind = static_cast<QueryKind>(small_ & 0xff);
    v.trr_mode = static_cast<uint8_t>(small_ >> 8);
    v.trr_disabled = ((small_ >> 16) & 1) != 0;
    v.ip_hint = ((small_ >> 17) & 1) != 0;
    v.partition = partition();
    return v;
  }
  // `small` is SmallFields(k), computed once per lookup.
  bool Matches(const CacheKeyView& k, uint32_t small) const {
    if (small_ != small || host_size_ != k.host.size() ||
        partition_size_ != k.partition.size()) {
      return false;
    }
    const char* b = bytes();
    return std::memcmp(b, k.host.data(), host_size_) == 0 &&
           (partition_size_ == 0 ||
            std::memcmp(b + host_size_, k.partition.data(), partition_size_) ==
                0);
  }

 private:
  size_t size() const { return size_t{host_size_} + partition_size_; }
  bool fits() const { return size() <= sizeof(inline_); }
  const char* bytes() const {
    if (fits()) return inline_;
    const char* heap;
    std::memcpy(&heap, inline_, sizeof(heap));
    return heap;
  }

  uint32_t small_;
  uint32_t host_size_;
  uint32_t partition_size_;
  // The bytes themselves, or (when they do not fit) a pointer to them.
  char inline_[28];
};

// One allocation per entry: the key, the record and the links together.
// Everything a hit reads is in the first 64 bytes, what it writes besides
// its flag (the hit count) just after. (Aligning entries to cache lines
// made no measurable difference and cost 100 bytes of RSS per entry.)
// Kept small: at 100,000 entries every byte here is 100 kB.
struct Entry {
  Entry(const CacheKeyView& k, size_t h, HostRecord r)
      : hash(h), key(k), record(std::move(r)) {}

  static Entry* FromLru(const Link* link);
  static Entry* FromExpiry(const Link* link);

  // Read on every hit, in this order: first.
  size_t hash;
  // Unix nanoseconds: compared on every hit, so a plain integer. The grace
  // period and max-stale follow from the shard's options.
  int64_t expires_ns = 0;
  // The shard's generation at insert; an older one means a network change
  // came since, and the entry is stale.
  uint32_t generation = 0;
  // Written by hits, which run in parallel under the shard's reader lock:
  // atomics, relaxed (nothing else is published through them).
  std::atomic<bool> refresh_requested{false};
  // Hit since the eviction hand last passed it.
  std::atomic<bool> referenced{false};
  EntryKey key;
  // Hits, counted by readers in parallel: a relaxed atomic add.
  std::atomic<uint32_t> hits{0};
  // Never changed after insert: a new answer makes a new entry. Readers
  // see it only under the shard's lock, and entries are freed only under
  // the writer lock, so none is freed while read.
  const HostRecord record;
  Link lru;
  Link expiry;
};

static_assert(offsetof(Entry, hits) == 64, "what a hit reads: 64 bytes");

// The links know their entry by their offset in it, which standard layout
// makes well defined.
static_assert(std::is_standard_layout_v<Entry>);
Entry* Entry::FromLru(const Link* link) {
  return reinterpret_cast<Entry*>(reinterpret_cast<uintptr_t>(link) -
                                  offsetof(Entry, lru));
}
Entry* Entry::FromExpiry(const Link* link) {
  return reinterpret_cast<Entry*>(reinterpret_cast<uintptr_t>(link) -
                                  offsetof(Entry, expiry));
}

// The flat set holds Entry pointers; lookups probe it with a key view and
// the hash already computed to pick the shard.
struct Probe {
  Probe(const CacheKeyView& k, size_t h)
      : key(&k), hash(h), small(SmallFields(k)) {}
  const CacheKeyView* key;
  size_t hash;
  uint32_t small;
};

struct EntryHash {
  using is_transparent = void;
  size_t operator()(const Entry* e) const { return e->hash; }
  size_t operator()(const Probe& p) const { return p.hash; }
};

struct EntryEq {
  using is_transparent = void;
  bool operator()(const Entry* a, const Entry* b) const { return a == b; }
  bool operator()(const Entry* a, const Probe& b) const {
    return a->hash == b.hash && a->key.Matches(*b.key, b.small);
  }
  bool operator()(const Probe& a, const Entry* b) const {
    return (*this)(b, a);
  }
};

// A period in nanoseconds, at most 10 years, so an expiry plus the grace
// period plus max-stale cannot overflow.
int64_t PeriodNanos(absl::Duration d) {
  return absl::ToInt64Nanoseconds(
      std::clamp(d, absl::ZeroDuration(), absl::Hours(24 * 365 * 10)));
}

}  // namespace

class HostCache::Shard {
 public:
  Shard(const HostCacheOptions& options, size_t capacity, absl::Time now,
        std::atomic<size_t>* total)
      : total_(total),
        options_(options),
        grace_ns_(PeriodNanos(options.grace)),
        max_stale_ns_(PeriodNanos(options.max_stale)),
        capacity_(capacity),
        wheel_base_(absl::ToUnixSeconds(now)),
        far_checked_at_(wheel_base_) {}

  ~Shard() { Clear(); }

  // Calls `visit` on a usable entry, under the shard's reader lock.
  // What a probe counts in the stats: a lookup that may go on to a second
  // key counts its miss once, at the end (CountMiss); the second probe
  // counts nothing itself (CountHit, if it served the lookup).
  enum class Counting : uint8_t { kAll, kHitsOnly, kNone };

  bool Lookup(const CacheKeyView& key, size_t hash, int64_t now_ns,
              bool stale_ok, absl::FunctionRef<void(const CacheHitView&)> visit,
              Counting counting = Counting::kAll) {
    Entry* unusable = nullptr;
    {
      ReaderMutexLock lock(&mu_);
      ReaderStats scratch;
      ReaderStats& stats =
          counting == Counting::kNone ? scratch : reader_stats_.Mine();
      const bool count_miss = counting == Counting::kAll;
      auto it = entries_.find(Probe(key, hash));
      if (it == entries_.end()) {
        if (count_miss) Bump(stats.misses);
        return false;
      }
      Entry* e = *it;
      const bool stale = e->generation != generation_;
      CacheFreshness freshness;
      bool refresh = false;
      if (!stale && now_ns < e->expires_ns) {
        freshness = CacheFreshness::kFresh;
        Bump(stats.hits);
      } else if (!stale && now_ns < e->expires_ns + grace_ns_) {
        freshness = CacheFreshness::kGrace;
        refresh =
            !e->refresh_requested.exchange(true, std::memory_order_relaxed);
        Bump(stats.grace_hits);
      } else if (stale_ok && options_.serve_stale && now_ns < StaleEnd(e)) {
        freshness = CacheFreshness::kStale;
        Bump(stats.stale_hits);
      } else {
        if (count_miss) Bump(stats.misses);
        if (!PastUse(e, now_ns)) return false;
        unusable = e;
      }
      if (unusable == nullptr) {
        Bump(e->hits);
        // Second chance (CLOCK) instead of moving to the front: a hit
        // writes only its own entry, not its neighbours' links.
        if (!e->referenced.load(std::memory_order_relaxed)) {
          e->referenced.store(true, std::memory_order_relaxed);
        }
        visit(CacheHitView{e->record, freshness, refresh,
                           absl::FromUnixNanos(e->expires_ns)});
        return true;
      }
    }
    // Past any use: drop it now rather than wait for eviction, if no writer
    // replaced it in between.
    WriterMutexLock lock(&mu_);
    auto it = entries_.find(Probe(key, hash));
    if (it != entries_.end() && *it == unusable && PastUse(unusable, now_ns)) {
      Erase(unusable);
    }
    return false;
  }

  // The one count of a lookup whose probes counted nothing.
  void CountMiss() { Bump(reader_stats_.Mine().misses); }
  void CountHit(CacheFreshness freshness) {
    ReaderStats& stats = reader_stats_.Mine();
    switch (freshness) {
      case CacheFreshness::kFresh:
        Bump(stats.hits);
        break;
      case CacheFreshness::kGrace:
        Bump(stats.grace_hits);
        break;
      case CacheFreshness::kStale:
        Bump(stats.stale_hits);
        break;
    }
  }

  void Insert(const CacheKeyView& key, size_t hash, HostRecord record,
              absl::Time expires, absl::Time now) {
    auto* e = new Entry(key, hash, std::move(record));
    e->expires_ns = absl::ToUnixNanos(expires);
    WriterMutexLock lock(&mu_);
    Advance(now);
    auto it = entries_.find(Probe(key, hash));
    if (it != entries_.end()) Erase(*it);
    entries_.insert(e);
    total_->fetch_add(1, std::memory_order_relaxed);
    e->generation = generation_;
    lru_.InsertAfter(&e->lru);
    Schedule(e);
    ++stats_.inserts;
    EvictWhileFull();
  }

  bool Remove(const CacheKeyView& key, size_t hash) {
    WriterMutexLock lock(&mu_);
    auto it = entries_.find(Probe(key, hash));
    if (it == entries_.end()) return false;
    Erase(*it);
    return true;
  }

  void MarkAllStale() {
    WriterMutexLock lock(&mu_);
    ++generation_;
    if (entries_.empty()) return;  // the wheel is empty too
    for (Link& bucket : wheel_) expired_.SpliceBack(bucket);
    expired_.SpliceBack(far_);
  }

  void Clear() {
    WriterMutexLock lock(&mu_);
    std::vector<Entry*> all(entries_.begin(), entries_.end());
    entries_.clear();
    total_->fetch_sub(all.size(), std::memory_order_relaxed);
    for (Entry* e : all) delete e;
    // The entries are gone; reset the sentinels that pointed at them.
    lru_.Reset();
    far_.Reset();
    expired_.Reset();
    for (Link& bucket : wheel_) bucket.Reset();
  }

  void ClearPartition(absl::string_view partition) {
    WriterMutexLock lock(&mu_);
    std::vector<Entry*> doomed;
    for (Entry* e : entries_) {
      if (e->key.partition() == partition) doomed.push_back(e);
    }
    for (Entry* e : doomed) Erase(e);
  }

  void RemoveTrrAnswers(absl::string_view host) {
    WriterMutexLock lock(&mu_);
    std::vector<Entry*> doomed;
    for (Entry* e : entries_) {
      if (e->key.host() == host && e->record.source == RecordSource::kTrr) {
        doomed.push_back(e);
      }
    }
    for (Entry* e : doomed) Erase(e);
  }

  void SetOptions(const HostCacheOptions& options, size_t capacity) {
    WriterMutexLock lock(&mu_);
    options_ = options;
    grace_ns_ = PeriodNanos(options.grace);
    max_stale_ns_ = PeriodNanos(options.max_stale);
    capacity_ = capacity;
    // Down to this shard's share first, so a smaller cache keeps entries
    // from every shard; the caller then trims any rounding left over.
    while (entries_.size() > capacity_) EvictOne();
  }

  void EvictWhileOverTotal() {
    WriterMutexLock lock(&mu_);
    EvictWhileFull();
  }

  size_t size() const {
    ReaderMutexLock lock(&mu_);
    return entries_.size();
  }

  void AddStats(HostCacheStats& total) const {
    reader_stats_.ForEach([&total](const ReaderStats& stats) {
      total.hits += stats.hits.load(std::memory_order_relaxed);
      total.grace_hits += stats.grace_hits.load(std::memory_order_relaxed);
      total.stale_hits += stats.stale_hits.load(std::memory_order_relaxed);
      total.misses += stats.misses.load(std::memory_order_relaxed);
    });
    ReaderMutexLock lock(&mu_);
    total.inserts += stats_.inserts;
    total.evicted_expired += stats_.evicted_expired;
    total.evicted_lru += stats_.evicted_lru;
  }

  void Dump(absl::Time now, std::vector<CacheEntryInfo>& out) const {
    ReaderMutexLock lock(&mu_);
    for (const Link* l = lru_.next; l != &lru_; l = l->next) {
      const Entry* e = Entry::FromLru(l);
      const CacheKeyView key = e->key.view();
      // IP hints are not answers: the dump shows them in the HTTPS entry
      // they came from.
      if (key.ip_hint) continue;
      CacheEntryInfo info;
      info.host = std::string(key.host);
      info.kind = key.kind;
      info.partition = std::string(key.partition);
      info.trr_mode = key.trr_mode;
      info.trr_disabled = key.trr_disabled;
      info.trr = e->record.source == RecordSource::kTrr;
      for (const IpAddress& ip : e->record.addresses) {
        info.addresses.push_back(ip.ToString());
      }
      info.canonical_name = e->record.canonical_name;
      const absl::Time expires = absl::FromUnixNanos(e->expires_ns);
      info.expires_in_seconds = absl::ToInt64Seconds(expires - now);
      info.negative = e->record.negative;
      info.hits = e->hits.load(std::memory_order_relaxed);
      info.stale = e->generation != generation_ || now >= expires;
      out.push_back(std::move(info));
    }
  }

 private:
  // Neither fresh, nor in grace, nor (with serve-stale) within max_stale.
  bool PastUse(const Entry* e, int64_t now_ns) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !options_.serve_stale || now_ns >= StaleEnd(e);
  }
  // When serve-stale stops answering from the entry.
  int64_t StaleEnd(const Entry* e) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return e->expires_ns + grace_ns_ + max_stale_ns_;
  }

  void Erase(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    e->lru.Unlink();
    e->expiry.Unlink();
    entries_.erase(e);
    total_->fetch_sub(1, std::memory_order_relaxed);
    delete e;
  }

  // The whole cache holds at most max_entries; a shard gives up its own
  // entries when the total is over, and never holds more than twice its
  // share, so an unlucky hash spread cannot starve the others.
  void EvictWhileFull() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!entries_.empty() &&
           (entries_.size() > 2 * capacity_ ||
            total_->load(std::memory_order_relaxed) > options_.max_entries)) {
      EvictOne();
    }
  }

  void EvictOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (expired_.linked()) {
      ++stats_.evicted_expired;
      Erase(Entry::FromExpiry(expired_.next));
    } else {
      // The least recently used, approximated: an entry hit since it last
      // came round goes back to the front once. Each pass clears a flag, so
      // this ends within one turn of the list (amortized O(1)).
      Entry* victim = Entry::FromLru(lru_.prev);
      while (victim->referenced.load(std::memory_order_relaxed)) {
        victim->referenced.store(false, std::memory_order_relaxed);
        victim->lru.Unlink();
        lru_.InsertAfter(&victim->lru);
        victim = Entry::FromLru(lru_.prev);
      }
      ++stats_.evicted_lru;
      Erase(victim);
    }
  }

  // Files the entry by expiry: the wheel, the far list, or (already past)
  // the expired list.
  void Schedule(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t second = e->expires_ns / 1000000000;
    if (second < wheel_base_) {
      expired_.InsertBefore(&e->expiry);
    } else if (second < wheel_base_ + kWheelSeconds) {
      wheel_[second % kWheelSeconds].InsertBefore(&e->expiry);
    } else {
      far_.InsertBefore(&e->expiry);
    }
  }

  // Moves the buckets of the seconds that have passed onto the expired list,
  // and every half turn brings far entries that are now near into the wheel.
  void Advance(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t now_second = absl::ToUnixSeconds(now);
    if (now_second <= wheel_base_) return;
    const int64_t passed = std::min(now_second - wheel_base_, kWheelSeconds);
    for (int64_t s = 0; s < passed; ++s) {
      expired_.SpliceBack(wheel_[(wheel_base_ + s) % kWheelSeconds]);
    }
    wheel_base_ = now_second;
    if (wheel_base_ - far_checked_at_ >= kWheelSeconds / 2) {
      far_checked_at_ = wheel_base_;
      Link far;
      far.SpliceBack(far_);
      while (far.linked()) {
        Entry* e = Entry::FromExpiry(far.next);
        e->expiry.Unlink();
        Schedule(e);
      }
    }
  }

  std::atomic<size_t>* const total_;
  // Lookups read under it in parallel; everything else writes.
  mutable SharedMutex mu_;
  HostCacheOptions options_ ABSL_GUARDED_BY(mu_);
  int64_t grace_ns_ ABSL_GUARDED_BY(mu_);
  int64_t max_stale_ns_ ABSL_GUARDED_BY(mu_);
  size_t capacity_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Entry*, EntryHash, EntryEq> entries_ ABSL_GUARDED_BY(mu_);
  // Most recently inserted (or given a second chance) first.
  Link lru_ ABSL_GUARDED_BY(mu_);
  std::array<Link, kWheelSeconds> wheel_ ABSL_GUARDED_BY(mu_);
  Link far_ ABSL_GUARDED_BY(mu_);
  Link expired_ ABSL_GUARDED_BY(mu_);
  int64_t wheel_base_ ABSL_GUARDED_BY(mu_);
  int64_t far_checked_at_ ABSL_GUARDED_BY(mu_);
  uint32_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Inserts and evictions; the hit and miss counts are in reader_stats_.
  HostCacheStats stats_ ABSL_GUARDED_BY(mu_);
  // What lookups count, striped by thread so that readers in parallel
  // write different cache lines; atomics, so they need no lock.
  struct ReaderStats {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> grace_hits{0};
    std::atomic<uint64_t> stale_hits{0};
    std::atomic<uint64_t> misses{0};
  };
  mutable StripedCounters<ReaderStats> reader_stats_;
};

namespace {

// One shard per 64 entries of capacity or so, up to 16: small caches keep
// one exact LRU order; large ones spread their lock. A power of two, so a
// hash picks its shard with a mask, not a division.
size_t ShardCount(size_t max_entries) {
  const size_t wanted = std::clamp<size_t>(max_entries / 64, 1, 16);
  size_t count = 1;
  while (count * 2 <= wanted) count *= 2;
  return count;
}

size_t PerShardCapacity(size_t max_entries, size_t shards) {
  return std::max<size_t>(1, (max_entries + shards - 1) / shards);
}

}  // namespace

HostCache::HostCache(HostCacheOptions options, const Clock* clock)
    : clock_(clock) {
  const size_t count = ShardCount(options.max_entries);
  const size_t capacity = PerShardCapacity(options.max_entries, count);
  const absl::Time now = clock_->Now();
  for (size_t i = 0; i < count; ++i) {
    shards_.push_back(
        std::make_unique<Shard>(options, capacity, now, &total_entries_));
  }
  options_ = options;
}

HostCache::~HostCache() = default;

HostCache::Shard& HostCache::ShardFor(size_t hash) const {
  // The set uses the low bits; pick the shard from the high ones.
  return *shards_[(hash >> 48) & (shards_.size() - 1)];
}

namespace {

// A visitor that copies the hit into `to`.
auto CopyTo(std::optional<CacheHit>& to) {
  return [&to](const CacheHitView& view) {
    to = CacheHit{view.record, view.freshness, view.refresh, view.expires};
  };
}

}  // namespace

std::optional<CacheHit> HostCache::Lookup(const CacheKeyView& key) {
  return Lookup(key, clock_->Now());
}

std::optional<CacheHit> HostCache::Lookup(const CacheKeyView& key,
                                          absl::Time now) {
  std::optional<CacheHit> hit;
  Lookup(key, now, CopyTo(hit));
  return hit;
}

bool HostCache::Lookup(const CacheKeyView& key, absl::Time now,
                       absl::FunctionRef<void(const CacheHitView&)> visit) {
  const size_t hash = HashKey(key);
  // A key of one family, or of both, may be served from other keys' entries
  // (below); its miss is counted once, when those miss too.
  const bool derived = key.kind == QueryKind::kUnspecified ||
                       key.kind == QueryKind::kIpv4 ||
                       key.kind == QueryKind::kIpv6;
  Shard& shard = ShardFor(hash);
  if (shard.Lookup(
          key, hash, absl::ToUnixNanos(now), false, visit,
          derived ? Shard::Counting::kHitsOnly : Shard::Counting::kAll)) {
    return true;
  }
  if (!derived) return false;
  std::optional<CacheFreshness> served;
  auto counted = [&](const CacheHitView& hit) {
    served = hit.freshness;
    visit(hit);
  };
  const bool hit = key.kind == QueryKind::kUnspecified
                       ? LookupUnspecifiedFromFamilies(key, now, counted)
                       : LookupFamilyFromUnspecified(key, now, counted);
  if (hit && served) {
    shard.CountHit(*served);
  } else {
    shard.CountMiss();
  }
  return hit;
}

bool HostCache::LookupFamilyFromUnspecified(
    const CacheKeyView& key, absl::Time now,
    absl::FunctionRef<void(const CacheHitView&)> visit) {
  CacheKeyView unspec = key;
  unspec.kind = QueryKind::kUnspecified;
  const size_t hash = HashKey(unspec);
  std::optional<CacheHit> hit;
  if (!ShardFor(hash).Lookup(unspec, hash, absl::ToUnixNanos(now), false,
                             CopyTo(hit), Shard::Counting::kNone)) {
    return false;
  }
  HostRecord& record = hit->record;
  // NXDOMAIN holds for every type; an answer only when it has addresses
  // of this family (without any, that family may have failed, not been
  // empty: ask).
  if (record.negative == NegativeKind::kNone) {
    const bool v4 = key.kind == QueryKind::kIpv4;
    record.addresses.erase(
        std::remove_if(record.addresses.begin(), record.addresses.end(),
                       [v4](const IpAddress& ip) { return ip.is_v4() != v4; }),
        record.addresses.end());
    if (record.addresses.empty()) return false;
  } else if (record.negative != NegativeKind::kNxDomain) {
    return false;
  }
  visit(hit->view());
  return true;
}

std::optional<CacheHit> HostCache::LookupStale(const CacheKeyView& key) {
  const size_t hash = HashKey(key);
  std::optional<CacheHit> hit;
  ShardFor(hash).Lookup(key, hash, absl::ToUnixNanos(clock_->Now()), true,
                        CopyTo(hit));
  return hit;
}

bool HostCache::LookupUnspecifiedFromFamilies(
    const CacheKeyView& key, absl::Time now,
    absl::FunctionRef<void(const CacheHitView&)> visit) {
  CacheKeyView v4 = key;
  v4.kind = QueryKind::kIpv4;
  CacheKeyView v6 = key;
  v6.kind = QueryKind::kIpv6;
  const size_t h4 = HashKey(v4);
  const size_t h6 = HashKey(v6);
  const int64_t now_ns = absl::ToUnixNanos(now);
  std::optional<CacheHit> a;
  std::optional<CacheHit> aaaa;
  if (!ShardFor(h4).Lookup(v4, h4, now_ns, false, CopyTo(a),
                           Shard::Counting::kNone) ||
      !ShardFor(h6).Lookup(v6, h6, now_ns, false, CopyTo(aaaa),
                           Shard::Counting::kNone)) {
    return false;
  }
  // Both families answered: one answer, by the resolver's own rule.
  HostRecord& merged = a->record;
  MergeFamilies(merged, aaaa->record);
  visit(CacheHitView{merged, std::max(a->freshness, aaaa->freshness),
                     a->refresh || aaaa->refresh,
                     std::min(a->expires, aaaa->expires)});
  return true;
}

void HostCache::Insert(const CacheKeyView& key, HostRecord record) {
  const absl::Time now = clock_->Now();
  const HostCacheOptions o = options();
  absl::Duration lifetime =
      record.ttl_seconds ? absl::Seconds(*record.ttl_seconds) : o.default_ttl;
  if (record.negative != NegativeKind::kNone) {
    lifetime = std::min(lifetime, o.max_negative_ttl);
  }
  const size_t hash = HashKey(key);
  ShardFor(hash).Insert(key, hash, std::move(record), now + lifetime, now);
}

bool HostCache::Remove(const CacheKeyView& key) {
  const size_t hash = HashKey(key);
  return ShardFor(hash).Remove(key, hash);
}

void HostCache::OnNetworkChange() {
  for (auto& shard : shards_) shard->MarkAllStale();
}

void HostCache::Clear() {
  for (auto& shard : shards_) shard->Clear();
}

void HostCache::ClearPartition(absl::string_view partition) {
  for (auto& shard : shards_) shard->ClearPartition(partition);
}

void HostCache::RemoveTrrAnswers(absl::string_view host) {
  for (auto& shard : shards_) shard->RemoveTrrAnswers(host);
}

void HostCache::SetOptions(const HostCacheOptions& options) {
  {
    MutexLock lock(&options_mu_);
    options_ = options;
  }
  const size_t capacity = PerShardCapacity(options.max_entries, shards_.size());
  for (auto& shard : shards_) shard->SetOptions(options, capacity);
  for (auto& shard : shards_) shard->EvictWhileOverTotal();
}

HostCacheOptions HostCache::options() const {
  MutexLock lock(&options_mu_);
  return options_;
}

size_t HostCache::size() const {
  return total_entries_.load(std::memory_order_relaxed);
}

HostCacheStats HostCache::stats() const {
  HostCacheStats total;
  for (const auto& shard : shards_) shard->AddStats(total);
  return total;
}

std::vector<CacheEntryInfo> HostCache::Dump() const {
  std::vector<CacheEntryInfo> out;
  const absl::Time now = clock_->Now();
  for (const auto& shard : shards_) shard->Dump(now, out);
  return out;
}

}  // namespace trr
