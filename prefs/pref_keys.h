// Typed keys for every pref trr reads, made from prefs/pref_list.inc: code
// asks the pref store for keys::kTrrMode (an int) instead of the string
// "network.trr.mode", so a misspelt pref or a wrong type does not compile.
// And PrefValues, every pref's value in one struct made from the same list,
// read with the same keys.

#ifndef TRR_PREFS_PREF_KEYS_H_
#define TRR_PREFS_PREF_KEYS_H_

#include <cstdint>
#include <string>

namespace trr::prefs {

// One typed field per pref, named by its key, holding the list's default
// until read from a snapshot (PrefSnapshot::Values). Read it by key:
// `values.Get(keys::kTrrMode)`.
struct PrefValues {
#define TRR_PREF_BOOL(key, name, default_value, ...) bool key = default_value;
#define TRR_PREF_INT(key, name, default_value, ...) int32_t key = default_value;
#define TRR_PREF_STRING(key, name, default_value, ...) \
  std::string key = default_value;
#include "prefs/pref_list.inc"
#undef TRR_PREF_BOOL
#undef TRR_PREF_INT
#undef TRR_PREF_STRING

  template <typename Key>
  const auto& Get(Key key) const {
    return this->*key.field;
  }
};

struct BoolPref {
  const char* name;
  bool PrefValues::*field;
};
struct IntPref {
  const char* name;
  int32_t PrefValues::*field;
};
struct StringPref {
  const char* name;
  std::string PrefValues::*field;
};

namespace keys {
#define TRR_PREF_BOOL(key, name, ...) \
  inline constexpr BoolPref key{name, &PrefValues::key};
#define TRR_PREF_INT(key, name, ...) \
  inline constexpr IntPref key{name, &PrefValues::key};
#define TRR_PREF_STRING(key, name, ...) \
  inline constexpr StringPref key{name, &PrefValues::key};
#include "prefs/pref_list.inc"
#undef TRR_PREF_BOOL
#undef TRR_PREF_INT
#undef TRR_PREF_STRING
}  // namespace keys

}  // namespace trr::prefs

#endif  // TRR_PREFS_PREF_KEYS_H_
