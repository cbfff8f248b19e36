#include "trr/pref_value.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prefs/string_literal.h"

namespace trr::prefs {

const char* PrefTypeName(PrefType type) {
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

void AppendQuotedPrefString(std::string_view std_text, std::string& out) {
  const absl::string_view text(std_text.data(), std_text.size());
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

StatusOr<PrefValue> PrefValue::ParseFlagValue(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  if (text == "true") return PrefValue(true);
  if (text == "false") return PrefValue(false);
  if (!text.empty() && (text.front() == '"' || text.front() == '\'')) {
    StringLiteral literal = ReadStringLiteral(text, 0);
    if (!literal.ok) {
      return InvalidArgumentError(absl::StrCat(
          "at offset ", literal.end, " of ", text, ": ", literal.value));
    }
    if (literal.end != text.size()) {
      return InvalidArgumentError(
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
      return InvalidArgumentError(
          absl::StrCat("integer ", text, " is outside the int32 range"));
    }
    return PrefValue(value);
  }
  return PrefValue(std::string(text));
}

}  // namespace trr::prefs
