#include "trr/pref_value.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prefs/string_literal.h"

namespace trr::prefs {

absl::string_view PrefTypeName(PrefType type) {
  switch (type) {
    case PrefType::kBool:
      return "bool";
    case PrefType::kInt:
      return "int";
    case PrefType::kString:
      return "string";
  }
  return "unknown";
}

void AppendQuotedPrefString(absl::string_view text, std::string& out) {
  out.push_back('"');
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string PrefValue::ToLiteral() const {
  switch (type()) {
    case PrefType::kBool:
      return bool_value() ? "true" : "false";
    case PrefType::kInt:
      return absl::StrCat(int_value());
    case PrefType::kString: {
      std::string out;
      AppendQuotedPrefString(string_value(), out);
      return out;
    }
  }
  return "";
}

absl::StatusOr<PrefValue> PrefValue::ParseFlagValue(absl::string_view text) {
  if (text == "true") return PrefValue(true);
  if (text == "false") return PrefValue(false);
  if (!text.empty() && (text.front() == '"' || text.front() == '\'')) {
    StringLiteral literal = ReadStringLiteral(text, 0);
    if (!literal.ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "at offset ", literal.end, " of ", text, ": ", literal.value));
    }
    if (literal.end != text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("text after the closing quote at offset ", literal.end,
                       " of ", text));
    }
    return PrefValue(std::move(literal.value));
  }
  const absl::string_view digits =
      (!text.empty() && (text.front() == '-' || text.front() == '+'))
          ? text.substr(1)
          : text;
  if (!digits.empty() &&
      digits.find_first_not_of("0123456789") == absl::string_view::npos) {
    int32_t value = 0;
    if (!absl::SimpleAtoi(text, &value)) {
      return absl::OutOfRangeError(
          absl::StrCat("integer ", text, " is outside the int32 range"));
    }
    return PrefValue(value);
  }
  return PrefValue(std::string(text));
}

}  // namespace trr::prefs
