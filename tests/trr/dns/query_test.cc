#include "trr/dns/query.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/trr/dns/message_builder.h"
#include "trr/dns/dns_types.h"

namespace trr::dns {
namespace {

using testing::Bytes;
using testing::Concat;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::U16;
using testing::WireName;

Bytes Encode(absl::string_view host, uint16_t type, QueryOptions options) {
  Bytes out;
  WireError error = EncodeQuery(host, type, options, out);
  EXPECT_TRUE(error.ok()) << error.ToStatus();
  return out;
}

TEST(QueryTest, EncodesHeaderQuestionEcsAndPadding) {
  const Bytes query = Encode("Example.COM.", kTypeA, QueryOptions());
  const Bytes expected_start = Concat({
      {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1},  // ID 0, RD, 1 Q, 1 AR
      WireName("example.com"),
      U16(kTypeA),
      U16(kClassIN),
      {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 88},  // OPT, 1232, DO off, rdlen
      {0, 8, 0, 4, 0, 1, 0, 0},                   // ECS 0.0.0.0/0
      {0, 12, 0, 76},                             // padding
  });
  ASSERT_EQ(query.size(), 128u);
  EXPECT_THAT(Bytes(query.begin(), query.begin() + expected_start.size()),
              ElementsAreArray(expected_start));
  EXPECT_THAT(Bytes(query.begin() + expected_start.size(), query.end()),
              ::testing::Each(0));
}

TEST(QueryTest, PadsEveryNameToAMultipleOfTheBlock) {
  for (uint16_t block : {128, 468, 32, 1}) {
    std::string host = "a";
    for (int i = 0; i < 60; ++i) {
      QueryOptions options;
      options.padding_block = block;
      const Bytes query = Encode(host, kTypeAAAA, options);
      EXPECT_EQ(query.size() % block, 0u) << host << " block " << block;
      host += (i % 7 == 6) ? ".b" : "x";
    }
  }
}

TEST(QueryTest, PaddingZeroSendsNoPaddingOption) {
  QueryOptions options;
  options.padding_block = 0;
  const Bytes query = Encode("example.com", kTypeA, options);
  // Header 12 + name 13 + 4 + OPT 11 + ECS 8.
  EXPECT_EQ(query.size(), 48u);
}

TEST(QueryTest, EcsOffSendsNoClientSubnet) {
  QueryOptions options;
  options.disable_ecs = false;
  options.padding_block = 0;
  const Bytes query = Encode("example.com", kTypeA, options);
  EXPECT_EQ(query.size(), 40u);
  EXPECT_EQ(query[38], 0);  // OPT rdlength 0
  EXPECT_EQ(query[39], 0);
}

TEST(QueryTest, SetsDoBitAndIdWhenAsked) {
  QueryOptions options;
  options.dnssec_ok = true;
  options.id = 0xbeef;
  const Bytes query = Encode("example.com", kTypeHTTPS, options);
  EXPECT_EQ(query[0], 0xbe);
  EXPECT_EQ(query[1], 0xef);
  EXPECT_EQ(query[12 + 13 + 4 + 7], 0x80);  // DO in the OPT TTL field
  EXPECT_EQ(query[12 + 13], 0);             // QTYPE 65
  EXPECT_EQ(query[12 + 14], 65);
}

TEST(QueryTest, EncodesEachSupportedType) {
  for (uint16_t type : {kTypeA, kTypeAAAA, kTypeNS, kTypeHTTPS, kTypeTXT}) {
    const Bytes query = Encode("example.com", type, QueryOptions());
    EXPECT_EQ((query[25] << 8) | query[26], type);
  }
}

TEST(QueryTest, AcceptsUnderscoresDigitsAndHyphens) {
  EXPECT_TRUE(CheckHostName("_8443._https.x-1.example").ok());
  EXPECT_TRUE(CheckHostName("xn--bcher-kva.example").ok());
  EXPECT_TRUE(CheckHostName("localhost").ok());
}

TEST(QueryTest, AcceptsTheLongestNames) {
  const std::string label63(63, 'a');
  const std::string name253 =
      label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  const Bytes query = Encode(name253 + ".", kTypeA, QueryOptions());
  EXPECT_EQ(query.size() % 128, 0u);
}

TEST(QueryTest, RejectsBadHostNamesWithTheirOffset) {
  struct Case {
    std::string host;
    size_t offset;
    const char* what;
  } cases[] = {
      {"", 0, "empty host name"},
      {".", 0, "empty host name"},
      {"a..b", 2, "empty label"},
      {".a", 0, "empty label"},
      {"a.b..", 4, "empty label"},
      {std::string(64, 'a') + ".com", 63, "label over 63"},
      {"ok." + std::string(64, 'a'), 66, "label over 63"},
      {std::string(254, 'a'), 253, "over 253"},
      {"exa mple.com", 3, "not allowed"},
      {"ex\xc3\xa4mple.com", 2, "not allowed"},
      {"a/b", 1, "not allowed"},
      {std::string("a\0b", 3), 1, "not allowed"},
  };
  for (const Case& c : cases) {
    Bytes out = {1, 2, 3};
    WireError error = EncodeQuery(c.host, kTypeA, QueryOptions(), out);
    EXPECT_EQ(error.code, WireErrorCode::kBadHostName) << c.host;
    EXPECT_EQ(error.offset, c.offset) << c.host;
    EXPECT_THAT(error.what, HasSubstr(c.what)) << c.host;
    EXPECT_EQ(error.ToStatus().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(out.empty()) << c.host;
    // EncodeQuery checks the name as it writes it, by CheckHostName's rules.
    const WireError checked = CheckHostName(c.host);
    EXPECT_EQ(checked.offset, error.offset) << c.host;
    EXPECT_STREQ(checked.what, error.what) << c.host;
  }
}

}  // namespace
}  // namespace trr::dns
