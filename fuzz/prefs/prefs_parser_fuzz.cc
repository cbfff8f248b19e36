// Fuzzes the prefs.js parser and the store that applies it. Anything that
// parses must print back (as prefs.js) to text that parses to the same
// statements; applying it must not crash, whatever the names and values.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "prefs/pref_store.h"
#include "prefs/prefs_parser.h"

namespace {

std::string Print(const std::vector<trr::prefs::PrefStatement>& statements) {
  std::string out;
  for (const auto& s : statements) {
    switch (s.kind) {
      case trr::prefs::PrefStatementKind::kPref:
        out += "pref(";
        break;
      case trr::prefs::PrefStatementKind::kUserPref:
        out += "user_pref(";
        break;
      case trr::prefs::PrefStatementKind::kStickyPref:
        out += "sticky_pref(";
        break;
    }
    trr::prefs::AppendQuotedPrefString(s.name, out);
    out += ", " + s.value.ToLiteral();
    if (s.kind == trr::prefs::PrefStatementKind::kPref && s.sticky) {
      out += ", sticky";
    }
    if (s.locked) out += ", locked";
    out += ");\n";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto statements = trr::prefs::ParsePrefs(text, "fuzz.js");
  if (!statements.ok()) return 0;
  auto again = trr::prefs::ParsePrefs(Print(*statements), "printed.js");
  if (!again.ok() || again->size() != statements->size()) std::abort();
  for (size_t i = 0; i < statements->size(); ++i) {
    const auto& a = (*statements)[i];
    const auto& b = (*again)[i];
    if (a.name != b.name || a.value != b.value || a.kind != b.kind ||
        a.locked != b.locked || a.sticky != b.sticky) {
      std::abort();
    }
  }
  trr::prefs::PrefStore store;
  (void)store.LoadText(text, "fuzz.js");
  (void)store.Effective();
  return 0;
}
