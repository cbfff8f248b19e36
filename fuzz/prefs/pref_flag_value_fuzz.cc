// Fuzzes the --pref NAME=VALUE value parser and the prefs.js string literal
// reader behind it: any parsed value must survive ToLiteral and back.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trr/pref_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto value = trr::prefs::PrefValue::ParseFlagValue(text);
  if (!value.ok()) return 0;
  // Strings holding NUL cannot be written as a literal; everything else must
  // round-trip exactly.
  if (value->is_string() &&
      value->string_value().find('\0') != std::string::npos) {
    return 0;
  }
  auto again = trr::prefs::PrefValue::ParseFlagValue(value->ToLiteral());
  if (!again.ok() || *again != *value) std::abort();
  return 0;
}
