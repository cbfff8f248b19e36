#include "prefs/prefs_parser.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prefs/string_literal.h"

namespace trr::prefs {
namespace {

class Parser {
 public:
  Parser(absl::string_view text, absl::string_view filename)
      : text_(text), filename_(filename) {}

  absl::StatusOr<std::vector<PrefStatement>> Parse();

 private:
  // Each step returns false after recording the first error.
  bool SkipSpaceAndComments();
  bool ParseStatement(std::vector<PrefStatement>& out);
  bool Expect(char c, const char* what);
  bool ParseValue(PrefValue& value);
  bool ParseInteger(PrefValue& value);
  absl::string_view Word();
  bool Fail(size_t offset, std::string message);

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  // Line and column of `offset`, 1-based; columns count bytes.
  void Position(size_t offset, int& line, int& column) const;

  absl::string_view text_;
  absl::string_view filename_;
  size_t pos_ = 0;
  // Where Position() last counted to, so positions cost O(text) in all.
  mutable size_t counted_to_ = 0;
  mutable int counted_line_ = 1;
  mutable size_t counted_line_start_ = 0;
  std::string error_;
};

bool IsWordChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
}

void Parser::Position(size_t offset, int& line, int& column) const {
  if (offset < counted_to_) {
    counted_to_ = 0;
    counted_line_ = 1;
    counted_line_start_ = 0;
  }
  for (; counted_to_ < offset && counted_to_ < text_.size(); ++counted_to_) {
    if (text_[counted_to_] == '\n') {
      ++counted_line_;
      counted_line_start_ = counted_to_ + 1;
    }
  }
  line = counted_line_;
  column = static_cast<int>(offset - counted_line_start_) + 1;
}

bool Parser::Fail(size_t offset, std::string message) {
  int line, column;
  Position(offset, line, column);
  error_ = absl::StrCat(filename_, ":", line, ":", column, ": ", message);
  return false;
}

bool Parser::SkipSpaceAndComments() {
  while (!AtEnd()) {
    const char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      ++pos_;
    } else if (c == '#' || (c == '/' && pos_ + 1 < text_.size() &&
                            text_[pos_ + 1] == '/')) {
      const size_t newline = text_.find('\n', pos_);
      pos_ = newline == absl::string_view::npos ? text_.size() : newline + 1;
    } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
      const size_t end = text_.find("*/", pos_ + 2);
      if (end == absl::string_view::npos) {
        return Fail(pos_, "unterminated /* comment");
      }
      pos_ = end + 2;
    } else {
      break;
    }
  }
  return true;
}

absl::string_view Parser::Word() {
  const size_t start = pos_;
  while (!AtEnd() && IsWordChar(text_[pos_])) ++pos_;
  return text_.substr(start, pos_ - start);
}

bool Parser::Expect(char c, const char* what) {
  if (!SkipSpaceAndComments()) return false;
  if (Peek() != c) return Fail(pos_, absl::StrCat("expected ", what));
  ++pos_;
  return true;
}

bool Parser::ParseInteger(PrefValue& value) {
  const size_t start = pos_;
  if (Peek() == '-' || Peek() == '+') ++pos_;
  const size_t digits = pos_;
  while (!AtEnd() && absl::ascii_isdigit(static_cast<unsigned char>(Peek()))) {
    ++pos_;
  }
  if (pos_ == digits) {
    return Fail(start, "expected digits after the sign");
  }
  if (!AtEnd() && IsWordChar(Peek())) {
    return Fail(pos_, "unexpected character in an integer");
  }
  int32_t number = 0;
  const absl::string_view literal = text_.substr(start, pos_ - start);
  if (!absl::SimpleAtoi(literal, &number)) {
    return Fail(start, absl::StrCat("integer ", literal,
                                    " is outside -2147483648..2147483647"));
  }
  value = PrefValue(number);
  return true;
}

bool Parser::ParseValue(PrefValue& value) {
  if (!SkipSpaceAndComments()) return false;
  const char c = Peek();
  if (c == '"' || c == '\'') {
    StringLiteral literal = ReadStringLiteral(text_, pos_);
    if (!literal.ok) return Fail(literal.end, literal.value);
    pos_ = literal.end;
    value = PrefValue(std::move(literal.value));
    return true;
  }
  if (c == '-' || c == '+' ||
      absl::ascii_isdigit(static_cast<unsigned char>(c))) {
    return ParseInteger(value);
  }
  const size_t start = pos_;
  const absl::string_view word = Word();
  if (word == "true") {
    value = PrefValue(true);
    return true;
  }
  if (word == "false") {
    value = PrefValue(false);
    return true;
  }
  return Fail(start, "expected a value: true, false, an integer or a string");
}

bool Parser::ParseStatement(std::vector<PrefStatement>& out) {
  PrefStatement statement;
  const size_t start = pos_;
  Position(start, statement.line, statement.column);
  const absl::string_view keyword = Word();
  if (keyword == "pref") {
    statement.kind = PrefStatementKind::kPref;
  } else if (keyword == "user_pref") {
    statement.kind = PrefStatementKind::kUserPref;
  } else if (keyword == "sticky_pref") {
    statement.kind = PrefStatementKind::kStickyPref;
    statement.sticky = true;
  } else if (keyword.empty()) {
    return Fail(start, "expected pref, user_pref or sticky_pref");
  } else {
    return Fail(start, absl::StrCat("unknown statement '", keyword,
                                    "'; expected pref, user_pref or "
                                    "sticky_pref"));
  }
  if (!Expect('(', "'(' after the statement name")) return false;
  if (!SkipSpaceAndComments()) return false;
  if (Peek() != '"' && Peek() != '\'') {
    return Fail(pos_, "expected the pref name as a string");
  }
  StringLiteral name = ReadStringLiteral(text_, pos_);
  if (!name.ok) return Fail(name.end, name.value);
  if (name.value.empty()) return Fail(pos_, "the pref name is empty");
  pos_ = name.end;
  statement.name = std::move(name.value);
  if (!Expect(',', "',' after the pref name")) return false;
  if (!ParseValue(statement.value)) return false;

  // Attributes: pref() takes sticky and locked, sticky_pref() locked only,
  // user_pref() none.
  while (true) {
    if (!SkipSpaceAndComments()) return false;
    if (Peek() != ',') break;
    ++pos_;
    if (!SkipSpaceAndComments()) return false;
    const size_t attribute_at = pos_;
    const absl::string_view attribute = Word();
    const bool allowed =
        (attribute == "locked" &&
         statement.kind != PrefStatementKind::kUserPref) ||
        (attribute == "sticky" && statement.kind == PrefStatementKind::kPref);
    if (!allowed) {
      return Fail(attribute_at,
                  statement.kind == PrefStatementKind::kUserPref
                      ? "expected ')': user_pref takes no attributes"
                      : "expected an attribute: sticky or locked");
    }
    if (attribute == "locked") statement.locked = true;
    if (attribute == "sticky") statement.sticky = true;
  }
  if (!Expect(')', "')' after the value")) return false;
  if (!Expect(';', "';' after ')'")) return false;
  out.push_back(std::move(statement));
  return true;
}

absl::StatusOr<std::vector<PrefStatement>> Parser::Parse() {
  std::vector<PrefStatement> statements;
  // A UTF-8 byte order mark is allowed at the very start.
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  while (true) {
    if (!SkipSpaceAndComments()) break;
    if (AtEnd()) return statements;
    if (!ParseStatement(statements)) break;
  }
  return absl::InvalidArgumentError(error_);
}

}  // namespace

absl::StatusOr<std::vector<PrefStatement>> ParsePrefs(
    absl::string_view text, absl::string_view filename) {
  return Parser(text, filename).Parse();
}

}  // namespace trr::prefs
