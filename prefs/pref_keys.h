// Typed keys for every pref trr reads, made from prefs/pref_list.inc: code
// asks the pref store for keys::kTrrMode (an int) instead of the string
// "network.trr.mode", so a misspelt pref or a wrong type does not compile.

#ifndef TRR_PREFS_PREF_KEYS_H_
#define TRR_PREFS_PREF_KEYS_H_

namespace trr::prefs {

struct BoolPref {
  const char* name;
};
struct IntPref {
  const char* name;
};
struct StringPref {
  const char* name;
};

namespace keys {
#define TRR_PREF_BOOL(key, name, ...) inline constexpr BoolPref key{name};
#define TRR_PREF_INT(key, name, ...) inline constexpr IntPref key{name};
#define TRR_PREF_STRING(key, name, ...) inline constexpr StringPref key{name};
#include "prefs/pref_list.inc"
#undef TRR_PREF_BOOL
#undef TRR_PREF_INT
#undef TRR_PREF_STRING
}  // namespace keys

}  // namespace trr::prefs

#endif  // TRR_PREFS_PREF_KEYS_H_
