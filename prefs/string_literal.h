// Reading of prefs.js string literals, shared by the pref file parser and the
// --pref flag parser so both accept exactly the same strings.

#ifndef TRR_PREFS_STRING_LITERAL_H_
#define TRR_PREFS_STRING_LITERAL_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace trr::prefs {

struct StringLiteral {
  bool ok = false;
  // On success: the offset just past the closing quote. On failure: the
  // offset of the offending character.
  size_t end = 0;
  // On success the decoded value (UTF-8); on failure what was expected.
  std::string value;
};

// Reads the literal that starts at text[start], which must be ' or ".
// Escapes as Firefox accepts them: \" \' \\ \n \r, \xHH and \uHHHH (UTF-16,
// surrogate pairs combined, encoded as UTF-8). Any other escape, a NUL
// character (\x00, \u0000), a lone surrogate, or an unterminated literal
// fails. A raw newline inside the literal is allowed, as in Firefox.
StringLiteral ReadStringLiteral(absl::string_view text, size_t start);

}  // namespace trr::prefs

#endif  // TRR_PREFS_STRING_LITERAL_H_
