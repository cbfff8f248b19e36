// trr/prefs.h: what the resolver reports about its prefs: each pref's
// effective value and the layer it came from, a change as observers see it,
// and what loading a pref file found.

#ifndef TRR_INCLUDE_TRR_PREFS_H_
#define TRR_INCLUDE_TRR_PREFS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trr/export.h"
#include "trr/pref_value.h"

namespace trr::prefs {

// Where an effective value comes from.
enum class PrefLayer : uint8_t { kDefault, kFile, kOverride };
// "default", "file", "override".
TRR_EXPORT const char* PrefLayerName(PrefLayer layer);

struct PrefChange {
  std::string name;
  PrefValue old_value;
  PrefValue new_value;
};

struct LoadReport {
  // Unknown prefs (kept, as Firefox keeps them) and deprecated names, each
  // as "FILE:LINE:COLUMN: ...".
  std::vector<std::string> warnings;
  // Prefs whose effective value changed, in name order.
  std::vector<std::string> changed;
};

struct EffectivePref {
  std::string name;
  PrefValue value;
  PrefLayer layer = PrefLayer::kDefault;
  bool locked = false;
  // False for names not in the registry (kept from a file).
  bool known = true;
};

}  // namespace trr::prefs

#endif  // TRR_INCLUDE_TRR_PREFS_H_
