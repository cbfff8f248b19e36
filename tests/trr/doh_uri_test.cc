#include "trr/transport/doh_uri.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

using ::testing::HasSubstr;

DohUri Parse(absl::string_view text) {
  auto uri = ParseDohUri(text);
  EXPECT_TRUE(uri.ok()) << text << ": " << uri.status();
  return uri.value_or(DohUri());
}

TEST(DohUriTest, ParsesHostPortAndPath) {
  DohUri uri = Parse("https://Dns.Example.NET:8443/dns-query");
  EXPECT_EQ(uri.host, "dns.example.net");
  EXPECT_EQ(uri.port, 8443);
  EXPECT_EQ(uri.path, "/dns-query");
  EXPECT_EQ(uri.Url(), "https://dns.example.net:8443/dns-query");
  EXPECT_EQ(uri.HostPort(), "dns.example.net:8443");
}

TEST(DohUriTest, DefaultsPortAndPath) {
  DohUri uri = Parse("HTTPS://dns.example");
  EXPECT_EQ(uri.port, 443);
  EXPECT_EQ(uri.path, "/");
  EXPECT_EQ(uri.Url(), "https://dns.example/");
}

TEST(DohUriTest, AcceptsIpLiterals) {
  DohUri v6 = Parse("https://[::1]:4443/dns-query");
  EXPECT_TRUE(v6.host_is_ipv6_literal);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.HostPort(), "[::1]:4443");
  EXPECT_EQ(v6.Url(), "https://[::1]:4443/dns-query");
  EXPECT_EQ(Parse("https://127.0.0.1/q").host, "127.0.0.1");
}

TEST(DohUriTest, AcceptsOneTrailingDot) {
  EXPECT_EQ(Parse("https://dns.example./q").host, "dns.example");
}

TEST(DohUriTest, DropsUriTemplate) {
  EXPECT_EQ(Parse("https://dns.example/dns-query{?dns}").path, "/dns-query");
  EXPECT_EQ(Parse("https://dns.example{?dns}").path, "/");
  EXPECT_EQ(Parse("https://dns.example/q?ct{&dns}").path, "/q?ct");
}

TEST(DohUriTest, GetUrlAppendsDnsParameter) {
  EXPECT_EQ(Parse("https://d.example/dns-query").GetUrl("AAAB"),
            "https://d.example/dns-query?dns=AAAB");
  EXPECT_EQ(Parse("https://d.example/dns-query?ct=1").GetUrl("AAAB"),
            "https://d.example/dns-query?ct=1&dns=AAAB");
  EXPECT_EQ(Parse("https://d.example/dns-query?").GetUrl("AAAB"),
            "https://d.example/dns-query?dns=AAAB");
}

TEST(DohUriTest, RejectsWhatIsNotAnHttpsEndpoint) {
  struct Case {
    const char* uri;
    const char* why;
  } cases[] = {
      {"http://dns.example/dns-query", "https://"},
      {"dns.example", "https://"},
      {"https://user:pw@dns.example/", "user info"},
      {"https://dns.example/q#frag", "fragment"},
      {"https://dns.example:0/", "port"},
      {"https://dns.example:65536/", "port"},
      {"https://dns.example:12a/", "port"},
      {"https://dns.example:/", "empty port"},
      {"https:///dns-query", "host"},
      {"https://dns..example/", "host"},
      {"https://dns.example../", "host"},
      {"https://./", "host"},
      {"https://dns ex.example/", "space"},
      {"https://[::1/", "unterminated"},
      {"https://[1.2.3.4]/", "IPv6"},
      {"https://[::1]x/", "junk"},
      {"https://dns.example/q}x", "template"},
  };
  for (const Case& c : cases) {
    auto uri = ParseDohUri(c.uri);
    ASSERT_FALSE(uri.ok()) << c.uri;
    EXPECT_THAT(uri.status().message(), HasSubstr(c.why)) << c.uri;
  }
}

}  // namespace
}  // namespace trr
