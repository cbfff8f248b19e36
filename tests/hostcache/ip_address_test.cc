#include "trr/ip_address.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace trr {
namespace {

IpAddress Ip(std::string_view text) {
  auto ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpAddress());
}

TEST(IpAddressTest, ParsesAndFormatsBothFamilies) {
  EXPECT_EQ(Ip("192.0.2.1").ToString(), "192.0.2.1");
  EXPECT_TRUE(Ip("192.0.2.1").is_v4());
  EXPECT_EQ(Ip("2001:DB8:0:0:0:0:0:1").ToString(), "2001:db8::1");
  EXPECT_TRUE(Ip("::1").is_v6());
  EXPECT_EQ(Ip("::ffff:192.0.2.1").ToString(), "::ffff:192.0.2.1");
}

TEST(IpAddressTest, RejectsMalformedText) {
  for (std::string_view bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "[::1]",
        "::1%eth0", "1::2::3", "gggg::1", "example.com", "1.2.3.4:53",
        "12345:db8::1"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(IpAddress::Parse(std::string_view("1.2.3.4\0", 8)));
  EXPECT_FALSE(IpAddress::Parse(std::string(100, '1')).has_value());
}

TEST(IpAddressTest, FromBytesTakesOnlyFourOrSixteen) {
  const uint8_t four[] = {198, 51, 100, 7};
  EXPECT_EQ(IpAddress::FromBytes(four, sizeof(four))->ToString(),
            "198.51.100.7");
  const uint8_t three[] = {1, 2, 3};
  EXPECT_FALSE(IpAddress::FromBytes(three, sizeof(three)).has_value());
  uint8_t sixteen[16] = {0x20, 0x01, 0x0d, 0xb8};
  sixteen[15] = 5;
  EXPECT_EQ(IpAddress::FromBytes(sixteen, sizeof(sixteen))->ToString(),
            "2001:db8::5");
  EXPECT_EQ(IpAddress::FromBytes(sixteen, sizeof(sixteen))->bytes().size(),
            16u);
}

TEST(IpAddressTest, ClassifiesLoopback) {
  EXPECT_TRUE(Ip("127.0.0.1").IsLoopback());
  EXPECT_TRUE(Ip("127.255.0.9").IsLoopback());
  EXPECT_TRUE(Ip("::1").IsLoopback());
  EXPECT_TRUE(Ip("::ffff:127.0.0.1").IsLoopback());
  EXPECT_FALSE(Ip("128.0.0.1").IsLoopback());
  EXPECT_FALSE(Ip("::2").IsLoopback());
}

TEST(IpAddressTest, ClassifiesPrivateRanges) {
  for (std::string_view ip :
       {"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "fc00::1", "fd12:3456::1", "::ffff:10.1.2.3"}) {
    EXPECT_TRUE(Ip(ip).IsPrivate()) << ip;
    EXPECT_TRUE(Ip(ip).IsLocal()) << ip;
  }
  for (std::string_view ip :
       {"11.0.0.1", "172.15.255.255", "172.32.0.0", "192.169.0.1", "fe00::1",
        "2001:db8::1", "8.8.8.8"}) {
    EXPECT_FALSE(Ip(ip).IsPrivate()) << ip;
  }
}

TEST(IpAddressTest, ClassifiesLinkLocalAndUnspecified) {
  EXPECT_TRUE(Ip("169.254.1.1").IsLinkLocal());
  EXPECT_TRUE(Ip("fe80::1").IsLinkLocal());
  EXPECT_TRUE(Ip("febf::1").IsLinkLocal());
  EXPECT_FALSE(Ip("fec0::1").IsLinkLocal());
  EXPECT_FALSE(Ip("169.253.1.1").IsLinkLocal());
  EXPECT_TRUE(Ip("0.0.0.0").IsUnspecified());
  EXPECT_TRUE(Ip("::").IsUnspecified());
  EXPECT_TRUE(IpAddress().IsUnspecified());
  EXPECT_FALSE(Ip("0::1").IsUnspecified());
}

TEST(IpAddressTest, PublicAddressesAreNotLocal) {
  for (std::string_view ip : {"93.184.216.34", "1.1.1.1", "2606:4700::1111",
                              "::ffff:1.1.1.1", "100.64.0.1"}) {
    EXPECT_FALSE(Ip(ip).IsLocal()) << ip;
  }
}

TEST(IpAddressTest, OrdersV4BeforeV6AndComparesByBytes) {
  EXPECT_LT(Ip("255.255.255.255"), Ip("::"));
  EXPECT_LT(Ip("1.2.3.4"), Ip("1.2.3.5"));
  EXPECT_EQ(Ip("::1"), Ip("0:0:0:0:0:0:0:1"));
  EXPECT_NE(Ip("0.0.0.0"), Ip("::"));
  EXPECT_EQ(IpAddress::V4(10, 0, 0, 1), Ip("10.0.0.1"));
}

}  // namespace
}  // namespace trr
