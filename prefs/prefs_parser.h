// Parsing of prefs.js / user.js files: the statements Firefox accepts, and
// an error that points at the first mistake by file, line and column.

#ifndef TRR_PREFS_PREFS_PARSER_H_
#define TRR_PREFS_PREFS_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "trr/pref_value.h"

namespace trr::prefs {

enum class PrefStatementKind : uint8_t {
  kPref,        // pref(...): the default branch
  kUserPref,    // user_pref(...): the user branch, which wins over defaults
  kStickyPref,  // sticky_pref(...): pref() with the sticky attribute
};

struct PrefStatement {
  PrefStatementKind kind = PrefStatementKind::kPref;
  std::string name;
  PrefValue value;
  // pref("x", v, locked): the default is locked and user values ignored.
  bool locked = false;
  bool sticky = false;
  // 1-based position of the statement's first character.
  int line = 0;
  int column = 0;
};

// Parses `text` (the contents of `filename`, which is used only in error
// messages). Accepted, as Firefox accepts them:
//   pref("name", value [, sticky] [, locked]);  user_pref("name", value);
//   sticky_pref("name", value [, locked]);
// with values true, false, integers (optionally signed, within int32) and
// strings in single or double quotes with escapes (see string_literal.h);
// comments //, # (to the end of the line) and /* */; any whitespace; any
// number of statements per line. On error: InvalidArgument with the message
// "FILE:LINE:COLUMN: expected ..." and nothing parsed is returned.
absl::StatusOr<std::vector<PrefStatement>> ParsePrefs(
    absl::string_view text, absl::string_view filename);

}  // namespace trr::prefs

#endif  // TRR_PREFS_PREFS_PARSER_H_
