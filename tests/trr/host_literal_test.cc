// Hosts read as a browser's URL parser reads them (WHATWG URL Standard):
// numeric forms are IPv4 addresses or invalid, never names.

#include "trr/resolver/host_literal.h"

#include <string>

#include "gtest/gtest.h"

namespace trr {
namespace {

std::string Read(absl::string_view host) {
  const HostLiteral h = ParseHostLiteral(host);
  switch (h.kind) {
    case HostLiteral::Kind::kName:
      return "name";
    case HostLiteral::Kind::kAddress:
      return h.address.ToString();
    case HostLiteral::Kind::kInvalid:
      return "invalid";
  }
  return "?";
}

TEST(HostLiteralTest, NumericFormsAreIpv4Addresses) {
  EXPECT_EQ(Read("192.0.2.55"), "192.0.2.55");
  EXPECT_EQ(Read("192.0.2.55."), "192.0.2.55");
  EXPECT_EQ(Read("127.1"), "127.0.0.1");
  EXPECT_EQ(Read("0x7f.1"), "127.0.0.1");
  EXPECT_EQ(Read("0X7F.0.0.1"), "127.0.0.1");
  EXPECT_EQ(Read("0177.0.0.1"), "127.0.0.1");
  EXPECT_EQ(Read("2130706433"), "127.0.0.1");
  EXPECT_EQ(Read("0x7f000001"), "127.0.0.1");
  EXPECT_EQ(Read("10.65535"), "10.0.255.255");
  EXPECT_EQ(Read("1.2.65535"), "1.2.255.255");
  EXPECT_EQ(Read("0"), "0.0.0.0");
  EXPECT_EQ(Read("0x"), "0.0.0.0");
  EXPECT_EQ(Read("4294967295"), "255.255.255.255");
  EXPECT_EQ(Read("00000000000000000000000000001.2.3.4"), "1.2.3.4");
}

TEST(HostLiteralTest, NumericFormsThatAreNoAddressAreInvalid) {
  for (const char* host :
       {"256.1.1.1", "1.256.1.1", "1.2.3.256", "1.2.3.4.5", "4294967296",
        "1.16777216", "1.2.65536", "example.123", "a.0x", "08.1", "1..2",
        "99999999999999999999999999"}) {
    EXPECT_EQ(Read(host), "invalid") << host;
  }
  EXPECT_NE(ParseHostLiteral("256.1.1.1").error.find("above 255"),
            std::string::npos);
}

TEST(HostLiteralTest, NamesStayNames) {
  for (const char* host :
       {"example.com", "www.example.test.", "1.example", "123abc.test", "a1",
        "localhost", "xn--bcher-kva.example", "0x7g", "1.0x1g", "1.2.3.4..",
        ".", ""}) {
    EXPECT_EQ(Read(host), "name") << host;
  }
}

TEST(HostLiteralTest, Ipv6WithOrWithoutBracketsAndNoZoneIds) {
  EXPECT_EQ(Read("::1"), "::1");
  EXPECT_EQ(Read("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(Read("[::ffff:192.0.2.1]"), "::ffff:192.0.2.1");
  EXPECT_EQ(Read("fe80::1%eth0"), "invalid");
  EXPECT_EQ(Read("[fe80::1%25eth0]"), "invalid");
  EXPECT_NE(ParseHostLiteral("fe80::1%eth0").error.find("zone identifier"),
            std::string::npos);
  EXPECT_EQ(Read("[192.0.2.1]"), "invalid");
  EXPECT_EQ(Read("2001:db8::1::2"), "invalid");
  // A name with a port is a name (refused as one, by its ':').
  EXPECT_EQ(Read("a.test:443"), "name");
}

}  // namespace
}  // namespace trr
