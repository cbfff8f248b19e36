// ReadDesignations: which SVCB records for _dns.resolver.arpa designate a
// DoH server trr can use, in which order, and why the others are ignored.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "trr/servers/ddr.h"

namespace trr {
namespace {

using ::testing::HasSubstr;

SvcbRecord Doh(uint16_t priority, const std::string& target,
               std::optional<uint16_t> port = std::nullopt) {
  SvcbRecord r;
  r.priority = priority;
  r.target = target;
  r.alpn = {"h2", "h3"};
  r.port = port;
  r.doh_path = "/dns-query{?dns}";
  r.ipv4_hints = {IpAddress::V4(192, 0, 2, 1)};
  r.ipv6_hints = {*IpAddress::Parse("2001:db8::1")};
  return r;
}

TEST(ReadDesignationsTest, AUsableDesignationBecomesAServerWithItsHints) {
  const auto got = ReadDesignations({Doh(1, "dns.example", 8443)});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].ignored, "");
  EXPECT_EQ(got[0].uri, "https://dns.example:8443/dns-query{?dns}");
  EXPECT_EQ(got[0].spec.template_text, got[0].uri);
  EXPECT_EQ(got[0].spec.uri.host, "dns.example");
  EXPECT_EQ(got[0].spec.uri.port, 8443);
  EXPECT_EQ(got[0].spec.uri.path, "/dns-query");
  ASSERT_EQ(got[0].spec.bootstrap.size(), 2u);
  EXPECT_TRUE(got[0].spec.bootstrap[0].is_v4());
}

TEST(ReadDesignationsTest, LowerPriorityFirstAndPort443LeftOut) {
  const auto got = ReadDesignations(
      {Doh(20, "b.example"), Doh(0, "alias.example"), Doh(10, "a.example")});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].uri, "https://a.example/dns-query{?dns}");
  EXPECT_EQ(got[1].uri, "https://b.example/dns-query{?dns}");
  EXPECT_THAT(got[2].ignored, HasSubstr("AliasMode"));
}

TEST(ReadDesignationsTest, EachUnusableRecordSaysWhy) {
  SvcbRecord self = Doh(1, ".");
  SvcbRecord loop = Doh(1, "x.resolver.arpa");
  SvcbRecord dot = Doh(1, "dot.example");
  dot.alpn = {"dot"};
  SvcbRecord no_alpn = Doh(1, "none.example");
  no_alpn.alpn.clear();
  SvcbRecord no_path = Doh(1, "nopath.example");
  no_path.doh_path.reset();
  SvcbRecord bad_path = Doh(1, "badpath.example");
  bad_path.doh_path = "/dns-query";
  SvcbRecord bad_target = Doh(1, "bad target");
  const auto got = ReadDesignations(
      {self, loop, dot, no_alpn, no_path, bad_path, bad_target});
  ASSERT_EQ(got.size(), 7u);
  EXPECT_THAT(got[0].ignored, HasSubstr("loop"));
  EXPECT_THAT(got[1].ignored, HasSubstr("loop"));
  EXPECT_THAT(got[2].ignored, HasSubstr("alpn dot"));
  EXPECT_THAT(got[3].ignored, HasSubstr("alpn missing"));
  EXPECT_THAT(got[4].ignored, HasSubstr("no dohpath"));
  EXPECT_THAT(got[5].ignored, HasSubstr("{?dns}"));
  EXPECT_THAT(got[6].ignored, HasSubstr("not a host name"));
  for (const DdrDesignation& d : got) {
    EXPECT_TRUE(d.spec.template_text.empty()) << d.uri;
  }
}

TEST(ReadDesignationsTest, DuplicatesAndMoreThanTheLimitAreIgnored) {
  std::vector<SvcbRecord> records = {Doh(1, "a.example"), Doh(2, "a.example")};
  for (int i = 0; i < 10; ++i) {
    records.push_back(Doh(static_cast<uint16_t>(3 + i),
                          "s" + std::to_string(i) + ".example"));
  }
  const auto got = ReadDesignations(records);
  ASSERT_EQ(got.size(), records.size());
  EXPECT_THAT(got[1].ignored, HasSubstr("duplicate"));
  size_t usable = 0;
  for (const DdrDesignation& d : got) usable += d.ignored.empty();
  EXPECT_EQ(usable, kMaxDesignations);
  EXPECT_THAT(got.back().ignored, HasSubstr("more than"));
}

}  // namespace
}  // namespace trr
