// TempBlocklist: names where TRR failed and native resolution worked skip
// TRR for network.trr.temp_blocklist_duration_sec (Firefox's temporary
// blocklist). A name is also blocked when one of its parent domains is.
// Time and the duration are parameters: an entry keeps when it was added,
// and how long that blocks is read at each lookup, as Firefox reads the
// pref when it consults the list, so a shorter duration (0 included)
// takes effect on the entries already there.

#ifndef TRR_TRR_SERVERS_TEMP_BLOCKLIST_H_
#define TRR_TRR_SERVERS_TEMP_BLOCKLIST_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace trr {

class TempBlocklist {
 public:
  // Blocks `host` (normalized) from `now` on.
  void Add(absl::string_view host, absl::Time now);
  // Whether `host` or a parent domain of it was added less than `duration`
  // before `now`. Parents stop above the last two labels: "example.com"
  // can be blocked, "com" never is. Expired entries are dropped on the way.
  bool IsBlocked(absl::string_view host, absl::Time now,
                 absl::Duration duration);
  void Clear() { added_.clear(); }
  size_t size() const { return added_.size(); }
  // (host, seconds left) for every entry live under `duration`, sorted by
  // host.
  std::vector<std::pair<std::string, int64_t>> Entries(
      absl::Time now, absl::Duration duration) const;

 private:
  bool BlockedExactly(absl::string_view host, absl::Time now,
                      absl::Duration duration);
  absl::flat_hash_map<std::string, absl::Time> added_;
};

// Domain suffix lists: network.trr.excluded-domains and
// builtin-excluded-domains ("localhost,local").
class DomainList {
 public:
  DomainList() = default;
  // Comma-separated; whitespace around entries and a leading dot ignored,
  // case-insensitive.
  explicit DomainList(absl::string_view comma_separated);
  // Whether `host` (normalized) is one of the domains or below one, by
  // whole labels: "local" matches "printer.local" but not "nonlocal".
  bool Matches(absl::string_view host) const;
  bool empty() const { return domains_.empty(); }

 private:
  std::vector<std::string> domains_;
};

}  // namespace trr

#endif  // TRR_TRR_SERVERS_TEMP_BLOCKLIST_H_
