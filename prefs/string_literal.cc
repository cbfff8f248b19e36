#include "prefs/string_literal.h"

#include <cstdint>

namespace trr::prefs {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads `count` hex digits at text[pos]; -1 if any is missing or not hex.
int32_t ReadHex(absl::string_view text, size_t pos, int count) {
  if (pos + count > text.size()) return -1;
  int32_t value = 0;
  for (int i = 0; i < count; ++i) {
    const int digit = HexDigit(text[pos + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
}

StringLiteral Fail(size_t offset, std::string message) {
  StringLiteral result;
  result.end = offset;
  result.value = std::move(message);
  return result;
}

}  // namespace

StringLiteral ReadStringLiteral(absl::string_view text, size_t start) {
  if (start >= text.size() || (text[start] != '"' && text[start] != '\'')) {
    return Fail(start, "expected a string literal");
  }
  const char quote = text[start];
  std::string value;
  size_t pos = start + 1;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == quote) {
      StringLiteral result;
      result.ok = true;
      result.end = pos + 1;
      result.value = std::move(value);
      return result;
    }
    if (c == '\0') return Fail(pos, "NUL character in string");
    if (c != '\\') {
      value.push_back(c);
      ++pos;
      continue;
    }
    const size_t escape = pos;
    if (pos + 1 >= text.size()) break;
    const char kind = text[pos + 1];
    pos += 2;
    switch (kind) {
      case '"':
      case '\'':
      case '\\':
        value.push_back(kind);
        break;
      case 'n':
        value.push_back('\n');
        break;
      case 'r':
        value.push_back('\r');
        break;
      case 'x': {
        const int32_t byte = ReadHex(text, pos, 2);
        if (byte < 0) return Fail(escape, "expected two hex digits after \\x");
        if (byte == 0) return Fail(escape, "\\x00 is not allowed in a string");
        AppendUtf8(static_cast<uint32_t>(byte), value);
        pos += 2;
        break;
      }
      case 'u': {
        const int32_t unit = ReadHex(text, pos, 4);
        if (unit < 0) return Fail(escape, "expected four hex digits after \\u");
        pos += 4;
        if (unit == 0)
          return Fail(escape, "\\u0000 is not allowed in a string");
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          return Fail(escape, "lone low surrogate in \\u escape");
        }
        uint32_t code_point = static_cast<uint32_t>(unit);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const int32_t low = (pos + 1 < text.size() && text[pos] == '\\' &&
                               text[pos + 1] == 'u')
                                  ? ReadHex(text, pos + 2, 4)
                                  : -1;
          if (low < 0xdc00 || low > 0xdfff) {
            return Fail(escape,
                        "high surrogate not followed by \\u low surrogate");
          }
          code_point = 0x10000 +
                       ((static_cast<uint32_t>(unit) - 0xd800) << 10) +
                       (static_cast<uint32_t>(low) - 0xdc00);
          pos += 6;
        }
        AppendUtf8(code_point, value);
        break;
      }
      default:
        return Fail(escape,
                    "unknown escape; expected one of \\\" \\' \\\\ "
                    "\\n \\r \\xHH \\uHHHH");
    }
  }
  return Fail(start, "unterminated string literal");
}

}  // namespace trr::prefs
