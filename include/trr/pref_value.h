// trr/pref_value.h: PrefValue, the value of one preference, typed as prefs.js
// types them: a boolean, a 32-bit signed integer or a string.

#ifndef TRR_INCLUDE_TRR_PREF_VALUE_H_
#define TRR_INCLUDE_TRR_PREF_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "trr/export.h"
#include "trr/status.h"

namespace trr::prefs {

enum class PrefType : uint8_t { kBool, kInt, kString };

// "bool", "int" or "string".
TRR_EXPORT const char* PrefTypeName(PrefType type);

class TRR_EXPORT PrefValue {
 public:
  PrefValue() : value_(false) {}
  PrefValue(bool value) : value_(value) {}                      // NOLINT
  PrefValue(int32_t value) : value_(value) {}                   // NOLINT
  PrefValue(std::string value) : value_(std::move(value)) {}    // NOLINT
  PrefValue(const char* value) : value_(std::string(value)) {}  // NOLINT

  PrefType type() const { return static_cast<PrefType>(value_.index()); }
  bool is_bool() const { return type() == PrefType::kBool; }
  bool is_int() const { return type() == PrefType::kInt; }
  bool is_string() const { return type() == PrefType::kString; }

  // The value; calling the accessor of another type is a programming error.
  bool bool_value() const { return std::get<bool>(value_); }
  int32_t int_value() const { return std::get<int32_t>(value_); }
  const std::string& string_value() const {
    return std::get<std::string>(value_);
  }

  // The value as it would be written in prefs.js: true, -5, "a \"b\"".
  std::string ToLiteral() const;

  // Parses the right-hand side of a --pref NAME=VALUE flag: true, false, a
  // decimal integer in int32 range, a double-quoted string with prefs.js
  // escapes, or else the text itself as a string (so --pref
  // network.trr.uri=https://x/ needs no quotes).
  static StatusOr<PrefValue> ParseFlagValue(std::string_view text);

  friend bool operator==(const PrefValue& a, const PrefValue& b) {
    return a.value_ == b.value_;
  }
  friend bool operator!=(const PrefValue& a, const PrefValue& b) {
    return !(a == b);
  }

 private:
  // The index order matches PrefType.
  std::variant<bool, int32_t, std::string> value_;
};

// Appends `text` as a prefs.js double-quoted string literal.
TRR_EXPORT void AppendQuotedPrefString(std::string_view text, std::string& out);

}  // namespace trr::prefs

#endif  // TRR_INCLUDE_TRR_PREF_VALUE_H_
