#include "trr/pref_value.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr::prefs {
namespace {

using ::testing::HasSubstr;

TEST(PrefValueTest, HoldsEachType) {
  EXPECT_TRUE(PrefValue(true).is_bool());
  EXPECT_EQ(PrefValue(int32_t{-3}).int_value(), -3);
  EXPECT_EQ(PrefValue("abc").string_value(), "abc");
  EXPECT_EQ(PrefValue("abc").type(), PrefType::kString);
  EXPECT_STREQ(PrefTypeName(PrefType::kInt), "int");
  EXPECT_NE(PrefValue(int32_t{1}), PrefValue(true));
  EXPECT_EQ(PrefValue("x"), PrefValue(std::string("x")));
}

TEST(PrefValueTest, WritesPrefsJsLiterals) {
  EXPECT_EQ(PrefValue(false).ToLiteral(), "false");
  EXPECT_EQ(PrefValue(int32_t{-2147483647 - 1}).ToLiteral(), "-2147483648");
  EXPECT_EQ(PrefValue("a \"b\" \\ c\n\x01").ToLiteral(),
            R"("a \"b\" \\ c\n\x01")");
}

TEST(PrefValueTest, ParsesFlagValues) {
  EXPECT_EQ(*PrefValue::ParseFlagValue("true"), PrefValue(true));
  EXPECT_EQ(*PrefValue::ParseFlagValue("false"), PrefValue(false));
  EXPECT_EQ(*PrefValue::ParseFlagValue("3"), PrefValue(int32_t{3}));
  EXPECT_EQ(*PrefValue::ParseFlagValue("-15"), PrefValue(int32_t{-15}));
  EXPECT_EQ(*PrefValue::ParseFlagValue("+7"), PrefValue(int32_t{7}));
  EXPECT_EQ(*PrefValue::ParseFlagValue("https://d.example/q"),
            PrefValue("https://d.example/q"));
  EXPECT_EQ(*PrefValue::ParseFlagValue(R"("12")"), PrefValue("12"));
  EXPECT_EQ(*PrefValue::ParseFlagValue(R"('a\nb')"), PrefValue("a\nb"));
  EXPECT_EQ(*PrefValue::ParseFlagValue(""), PrefValue(""));
  EXPECT_EQ(*PrefValue::ParseFlagValue("1.5"), PrefValue("1.5"));
}

TEST(PrefValueTest, RoundTripsThroughLiteral) {
  for (const PrefValue& value :
       {PrefValue(true), PrefValue(int32_t{42}), PrefValue("q\"\\\n")}) {
    EXPECT_EQ(*PrefValue::ParseFlagValue(value.ToLiteral()), value);
  }
}

TEST(PrefValueTest, RejectsBadFlagValues) {
  EXPECT_THAT(PrefValue::ParseFlagValue("2147483648").status().message(),
              HasSubstr("outside the int32 range"));
  EXPECT_THAT(PrefValue::ParseFlagValue(R"("abc)").status().message(),
              HasSubstr("unterminated"));
  EXPECT_THAT(PrefValue::ParseFlagValue(R"("a"b)").status().message(),
              HasSubstr("after the closing quote"));
}

}  // namespace
}  // namespace trr::prefs
