#include "prefs/prefs_parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr::prefs {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

std::vector<PrefStatement> Parse(absl::string_view text) {
  auto result = ParsePrefs(text, "user.js");
  EXPECT_TRUE(result.ok()) << result.status();
  return result.value_or(std::vector<PrefStatement>());
}

std::string Error(absl::string_view text) {
  auto result = ParsePrefs(text, "user.js");
  EXPECT_FALSE(result.ok()) << text;
  return std::string(result.status().message());
}

TEST(PrefsParserTest, ParsesEveryStatementKind) {
  auto s = Parse(
      "pref(\"a\", 1);\n"
      "user_pref(\"b\", true);\n"
      "sticky_pref(\"c\", \"x\");\n"
      "pref(\"d\", false, locked);\n"
      "pref(\"e\", 2, sticky);\n"
      "pref(\"f\", 3, sticky, locked);\n"
      "sticky_pref(\"g\", 4, locked);\n");
  ASSERT_THAT(s, SizeIs(7));
  EXPECT_EQ(s[0].kind, PrefStatementKind::kPref);
  EXPECT_EQ(s[0].value, PrefValue(int32_t{1}));
  EXPECT_EQ(s[1].kind, PrefStatementKind::kUserPref);
  EXPECT_EQ(s[1].value, PrefValue(true));
  EXPECT_EQ(s[2].kind, PrefStatementKind::kStickyPref);
  EXPECT_TRUE(s[2].sticky);
  EXPECT_EQ(s[2].value, PrefValue("x"));
  EXPECT_TRUE(s[3].locked);
  EXPECT_FALSE(s[3].sticky);
  EXPECT_TRUE(s[4].sticky);
  EXPECT_TRUE(s[5].sticky && s[5].locked);
  EXPECT_TRUE(s[6].sticky && s[6].locked);
}

TEST(PrefsParserTest, ParsesValues) {
  auto s = Parse(
      "user_pref('single', 'it\\'s');\n"
      "user_pref(\"neg\", -15);\n"
      "user_pref(\"plus\", +7);\n"
      "user_pref(\"max\", 2147483647);\n"
      "user_pref(\"min\", -2147483648);\n"
      "user_pref(\"esc\", \"q\\\"\\\\\\n\\x41\\u00e9\");\n"
      "user_pref(\"empty\", \"\");\n"
      "user_pref(\"utf8\", \"h\xc3\xa9\");\n");
  ASSERT_THAT(s, SizeIs(8));
  EXPECT_EQ(s[1].value, PrefValue(int32_t{-15}));
  EXPECT_EQ(s[2].value, PrefValue(int32_t{7}));
  EXPECT_EQ(s[3].value, PrefValue(int32_t{2147483647}));
  EXPECT_EQ(s[4].value, PrefValue(int32_t{-2147483647 - 1}));
  EXPECT_EQ(s[5].value, PrefValue("q\"\\\nA\xc3\xa9"));
  EXPECT_EQ(s[6].value, PrefValue(""));
  EXPECT_EQ(s[7].value, PrefValue("h\xc3\xa9"));
}

TEST(PrefsParserTest, SkipsCommentsAndAnyWhitespace) {
  auto s = Parse(
      "\xEF\xBB\xBF// a line comment\n"
      "# a hash comment\n"
      "/* a block\n comment */ user_pref( /* inside */ \"a\" ,\t1 ) ; "
      "user_pref(\"b\",2);user_pref(\"c\",3);\r\n"
      "\n\n   user_pref\n(\n\"d\"\n,\nfalse\n)\n;\n// end");
  ASSERT_THAT(s, SizeIs(4));
  EXPECT_EQ(s[0].line, 4);
  EXPECT_EQ(s[0].column, 13);
  EXPECT_EQ(s[1].name, "b");
  EXPECT_EQ(s[3].name, "d");
  EXPECT_EQ(s[3].line, 7);
  EXPECT_EQ(s[3].column, 4);
}

TEST(PrefsParserTest, EmptyFileIsFine) {
  EXPECT_THAT(Parse(""), SizeIs(0));
  EXPECT_THAT(Parse("  \n// nothing\n/* */"), SizeIs(0));
}

TEST(PrefsParserTest, ReportsEachErrorAtItsPosition) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"user_pref(\"a\", 1)", "user.js:1:18: expected ';' after ')'"},
      {"user_pref(\"a\", 1;", "user.js:1:17: expected ')' after the value"},
      {"user_pref \"a\", 1);",
       "user.js:1:11: expected '(' after the statement name"},
      {"user_pref(a, 1);", "user.js:1:11: expected the pref name as a string"},
      {"user_pref(\"a\" 1);", "user.js:1:15: expected ',' after the pref name"},
      {"user_pref(\"a\", );", "user.js:1:16: expected a value"},
      {"user_pref(\"a\", yes);", "user.js:1:16: expected a value"},
      {"user_pref(\"a\", 2147483648);",
       "user.js:1:16: integer 2147483648 is outside"},
      {"user_pref(\"a\", -2147483649);", "user.js:1:16: integer"},
      {"user_pref(\"a\", 12abc);", "user.js:1:18: unexpected character"},
      {"user_pref(\"a\", -);", "user.js:1:16: expected digits"},
      {"user_pref(\"a\", \"x);", "user.js:1:16: unterminated string"},
      {"user_pref(\"a\", \"\\q\");", "user.js:1:17: unknown escape"},
      {"user_pref(\"\", 1);", "user.js:1:11: the pref name is empty"},
      {"user_pref(\"a\", 1, locked);",
       "user.js:1:19: expected ')': user_pref takes no attributes"},
      {"sticky_pref(\"a\", 1, sticky);", "user.js:1:21: expected an attribute"},
      {"pref(\"a\", 1, frozen);", "user.js:1:14: expected an attribute"},
      {"lockPref(\"a\", 1);", "user.js:1:1: unknown statement 'lockPref'"},
      {"user_pref(\"a\", 1); }", "user.js:1:20: expected pref, user_pref"},
      {"/* never closed", "user.js:1:1: unterminated /* comment"},
      {"user_pref(\"a\", 1);\n\n  user_pref(\"b\" , 2 ;",
       "user.js:3:21: expected ')'"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Error(c.text), HasSubstr(c.error)) << c.text;
  }
}

TEST(PrefsParserTest, ErrorUsesTheFileName) {
  auto result = ParsePrefs("x", "/etc/trr/prefs.js");
  EXPECT_EQ(result.status().message(),
            "/etc/trr/prefs.js:1:1: unknown statement 'x'; expected pref, "
            "user_pref or sticky_pref");
}

}  // namespace
}  // namespace trr::prefs
