#include "trr/dns/base64url.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr::dns {
namespace {

using ::testing::HasSubstr;

std::vector<uint8_t> Bytes(absl::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// RFC 4648 section 10 test vectors, without padding.
TEST(Base64UrlTest, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(Bytes("")), "");
  EXPECT_EQ(Base64UrlEncode(Bytes("f")), "Zg");
  EXPECT_EQ(Base64UrlEncode(Bytes("fo")), "Zm8");
  EXPECT_EQ(Base64UrlEncode(Bytes("foo")), "Zm9v");
  EXPECT_EQ(Base64UrlEncode(Bytes("foob")), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode(Bytes("fooba")), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode(Bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesUrlSafeAlphabet) {
  const std::vector<uint8_t> data = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(data), "-_-_");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), data);
}

// The example query of RFC 8484 section 4.1.1 (www.example.com A).
TEST(Base64UrlTest, MatchesRfc8484Example) {
  const std::vector<uint8_t> query = {
      0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
      0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01};
  EXPECT_EQ(Base64UrlEncode(query),
            "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB");
  EXPECT_EQ(*Base64UrlDecode("AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"),
            query);
}

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::vector<uint8_t> data;
  for (int length = 0; length < 70; ++length) {
    auto decoded = Base64UrlDecode(Base64UrlEncode(data));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, data);
    data.push_back(static_cast<uint8_t>(length * 37 + 11));
  }
}

TEST(Base64UrlTest, EncodeToAppends) {
  std::string out = "?dns=";
  Base64UrlEncodeTo(Bytes("foo"), out);
  EXPECT_EQ(out, "?dns=Zm9v");
}

TEST(Base64UrlTest, RejectsPaddingWithItsOffset) {
  auto result = Base64UrlDecode("Zg==");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("'=' at offset 2"));
  EXPECT_THAT(result.status().message(), HasSubstr("padding"));
}

TEST(Base64UrlTest, RejectsStandardAlphabetAndWhitespace) {
  EXPECT_THAT(Base64UrlDecode("ab+c").status().message(),
              HasSubstr("'+' at offset 2"));
  EXPECT_THAT(Base64UrlDecode("ab/c").status().message(),
              HasSubstr("'/' at offset 2"));
  EXPECT_THAT(Base64UrlDecode("ab c").status().message(),
              HasSubstr("0x20 at offset 2"));
  EXPECT_THAT(Base64UrlDecode(absl::string_view("ab\0c", 4)).status().message(),
              HasSubstr("0x00 at offset 2"));
}

TEST(Base64UrlTest, RejectsImpossibleLength) {
  EXPECT_THAT(Base64UrlDecode("Zm9vY").status().message(),
              HasSubstr("single character in the last group"));
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "Zh" decodes to 'f' only if the low four bits of 'h' are ignored.
  EXPECT_THAT(Base64UrlDecode("Zh").status().message(),
              HasSubstr("non-zero unused bits"));
  EXPECT_THAT(Base64UrlDecode("Zm9").status().message(),
              HasSubstr("non-zero unused bits"));
  EXPECT_TRUE(Base64UrlDecode("Zm8").ok());
}

}  // namespace
}  // namespace trr::dns
