#include "prefs/string_literal.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr::prefs {
namespace {

using ::testing::HasSubstr;

std::string Decode(absl::string_view text) {
  StringLiteral literal = ReadStringLiteral(text, 0);
  EXPECT_TRUE(literal.ok) << text << ": " << literal.value;
  EXPECT_EQ(literal.end, text.size()) << text;
  return literal.value;
}

TEST(StringLiteralTest, ReadsBothQuoteStyles) {
  EXPECT_EQ(Decode(R"("plain")"), "plain");
  EXPECT_EQ(Decode(R"('single')"), "single");
  EXPECT_EQ(Decode(R"("it's")"), "it's");
  EXPECT_EQ(Decode(R"('say "hi"')"), "say \"hi\"");
  EXPECT_EQ(Decode(R"("")"), "");
}

TEST(StringLiteralTest, DecodesEscapes) {
  EXPECT_EQ(Decode(R"("a\"b\'c\\d")"), "a\"b'c\\d");
  EXPECT_EQ(Decode(R"("line\nnext\r")"), "line\nnext\r");
  EXPECT_EQ(Decode(R"("\x41\x7a")"), "Az");
  EXPECT_EQ(Decode(R"("\xe9")"), "\xc3\xa9");
  EXPECT_EQ(Decode(R"("\u00e9\u20AC")"), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(Decode(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");
}

TEST(StringLiteralTest, StopsAtClosingQuote) {
  StringLiteral literal = ReadStringLiteral(R"(x "ab" rest)", 2);
  ASSERT_TRUE(literal.ok);
  EXPECT_EQ(literal.value, "ab");
  EXPECT_EQ(literal.end, 6u);
}

TEST(StringLiteralTest, ReportsBadEscapesAtTheirOffset) {
  struct Case {
    const char* text;
    size_t offset;
    const char* message;
  } cases[] = {
      {R"("ab\q")", 3, "unknown escape"},
      {R"("\x4")", 1, "two hex digits"},
      {R"("\x00")", 1, "\\x00"},
      {R"("..\u12g4")", 3, "four hex digits"},
      {R"("\u0000")", 1, "\\u0000"},
      {R"("\udc00")", 1, "lone low surrogate"},
      {R"("\ud800x")", 1, "high surrogate"},
      {R"("\ud800\u0041")", 1, "high surrogate"},
      {R"("never closed)", 0, "unterminated"},
      {R"("ends in backslash\)", 0, "unterminated"},
      {"nope", 0, "expected a string literal"},
  };
  for (const Case& c : cases) {
    StringLiteral literal = ReadStringLiteral(c.text, 0);
    EXPECT_FALSE(literal.ok) << c.text;
    EXPECT_EQ(literal.end, c.offset) << c.text;
    EXPECT_THAT(literal.value, HasSubstr(c.message)) << c.text;
  }
}

TEST(StringLiteralTest, RejectsRawNul) {
  StringLiteral literal =
      ReadStringLiteral(absl::string_view("\"a\0b\"", 5), 0);
  EXPECT_FALSE(literal.ok);
  EXPECT_EQ(literal.end, 2u);
}

}  // namespace
}  // namespace trr::prefs
