// The prefs trr understands: Firefox's network.trr.* and network.dns* prefs
// with Firefox's defaults, plus our own extensions, each with its type,
// default, valid range and a line of documentation (docs/prefs.md).

#ifndef TRR_PREFS_PREF_REGISTRY_H_
#define TRR_PREFS_PREF_REGISTRY_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "trr/pref_value.h"

namespace trr::prefs {

// Whose pref it is: Firefox's name and meaning, or a trr extension.
enum class PrefOrigin : uint8_t { kFirefox, kTrr };

struct PrefSpec {
  std::string name;
  PrefValue default_value;
  // For int prefs, the accepted range.
  int32_t min = std::numeric_limits<int32_t>::min();
  int32_t max = std::numeric_limits<int32_t>::max();
  PrefOrigin origin = PrefOrigin::kFirefox;
  std::string doc;

  PrefType type() const { return default_value.type(); }
};

// An old name Firefox still reads, mapped to the current one.
struct PrefAlias {
  std::string old_name;
  std::string name;
};

class PrefRegistry {
 public:
  // The registry of trr's prefs; immutable.
  static const PrefRegistry& Default();

  explicit PrefRegistry(std::vector<PrefSpec> specs,
                        std::vector<PrefAlias> aliases);

  // The spec for `name` (current names only), or nullptr if unknown.
  const PrefSpec* Find(absl::string_view name) const;
  // The current name for a deprecated alias, or nullptr.
  const PrefAlias* FindAlias(absl::string_view old_name) const;

  const std::vector<PrefSpec>& specs() const { return specs_; }
  // The table of docs/prefs.md for one origin's prefs: header and a row per
  // pref (name, type, default, range, meaning), from prefs/pref_list.inc.
  std::string MarkdownTable(PrefOrigin origin) const;
  const std::vector<PrefAlias>& aliases() const { return aliases_; }

  // Checks a value against its spec: the type, the range for ints, no NUL
  // bytes in strings, no line breaks in network.trr.credentials (an HTTP
  // header). The message names the pref and what was expected.
  static absl::Status Validate(const PrefSpec& spec, const PrefValue& value);

 private:
  std::vector<PrefSpec> specs_;
  std::vector<PrefAlias> aliases_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  absl::flat_hash_map<std::string, size_t> by_alias_;
};

}  // namespace trr::prefs

#endif  // TRR_PREFS_PREF_REGISTRY_H_
