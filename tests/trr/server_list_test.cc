// network.trr.uri as a server list: one template, several, Chromium's JSON
// form; and the errors that refuse a malformed one when it is set.

#include "trr/servers/server_list.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ErrorOf(absl::string_view text) {
  auto list = ParseServerList(text);
  return list.ok() ? "(parsed)" : std::string(list.status().message());
}

TEST(ServerListTest, OneTemplateOrSeveralSeparatedByWhitespace) {
  auto empty = ParseServerList("  \n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  auto one = ParseServerList("https://a.example/dns-query{?dns}");
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].uri.host, "a.example");
  EXPECT_EQ((*one)[0].uri.path, "/dns-query");
  EXPECT_EQ((*one)[0].template_text, "https://a.example/dns-query{?dns}");

  auto two = ParseServerList(
      " https://a.example/q\n\thttps://[2001:db8::1]:8443/dns-query  ");
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].uri.host, "a.example");
  EXPECT_EQ((*two)[1].uri.host, "2001:db8::1");
  EXPECT_EQ((*two)[1].uri.port, 8443);
}

TEST(ServerListTest, ChromiumsJsonFormWithBootstrapAddresses) {
  auto list = ParseServerList(R"({"servers": [
      {"template": "https://a.example/dns-query{?dns}",
       "endpoints": [{"ips": ["192.0.2.1", "2001:db8::53"]}]},
      {"template": "https:\/\/b.example\/q", "extra": [1, 2.5e3, null, true]}
    ]})");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].uri.host, "a.example");
  ASSERT_EQ((*list)[0].bootstrap.size(), 2u);
  EXPECT_EQ((*list)[0].bootstrap[0].ToString(), "192.0.2.1");
  EXPECT_EQ((*list)[0].bootstrap[1].ToString(), "2001:db8::53");
  EXPECT_EQ((*list)[1].uri.host, "b.example");
  EXPECT_TRUE((*list)[1].bootstrap.empty());
}

TEST(ServerListTest, AMalformedListSaysWhereAndWhy) {
  // The character counts from 1: the second template starts at 22.
  EXPECT_THAT(ErrorOf("https://a.example/q  ftp://b.example/q"),
              HasSubstr("at character 22"));
  EXPECT_THAT(ErrorOf("https://a.example/q  ftp://b.example/q"),
              HasSubstr("ftp://b.example/q"));
  EXPECT_THAT(ErrorOf("not a uri"), HasSubstr("at character 1"));
  // A value that is not what a server list holds: where it is, as a path.
  EXPECT_THAT(
      ErrorOf(R"({"servers": [{"template": 5}]})"),
      HasSubstr("servers[0]: a server is an object with a \"template\""));
  EXPECT_THAT(ErrorOf(R"({"servers": [{"template": "https://a/q"},
                                      {"template": "ftp://b/q"}]})"),
              HasSubstr("servers[1].template: "));
  // Text that is not JSON: where it stops, counted in characters from 1.
  EXPECT_THAT(ErrorOf(R"({"servers": [{"template": "https://a/q",)"),
              HasSubstr("at character 41: syntax error while parsing object "
                        "key - unexpected end of input"));
  EXPECT_THAT(ErrorOf(R"({"servers": [{"template": "https://a/q"}]} x)"),
              HasSubstr("expected end of input"));
  EXPECT_THAT(ErrorOf("{\"servers\": [\"\xff\"]}"),
              HasSubstr("ill-formed UTF-8"));
  // Found by server_list_fuzz: a number JSON allows but a double cannot
  // hold is an error, not an exception.
  EXPECT_THAT(ErrorOf(R"({"servers": [], "x": -1.5e2001})"),
              HasSubstr("number overflow"));
  // The message never echoes the text it read (a template may carry a
  // token), and is UTF-8 whatever the input held.
  EXPECT_THAT(ErrorOf("{\"servers\": [\"\xff\"]}"),
              Not(HasSubstr("last read")));
  EXPECT_THAT(ErrorOf(R"({"servers": {}})"),
              HasSubstr("\"servers\" must be an array"));
  EXPECT_THAT(ErrorOf(R"({"servers": [{"template": "https://a/q",
                         "endpoints": [{"ips": ["junk"]}]}]})"),
              HasSubstr("not an IP address"));
  EXPECT_THAT(ErrorOf(R"({"servers": [{"template": "https://a/\q"}]})"),
              HasSubstr("forbidden character after backslash"));
  EXPECT_THAT(ErrorOf(R"({"servers": [{"template": "\ud800"}]})"),
              HasSubstr("surrogate U+D800..U+DBFF must be followed"));
  EXPECT_THAT(ErrorOf("{\"servers\": [\"a\nb\"]}"),
              HasSubstr("control character U+000A"));
}

TEST(ServerListTest, NestingAndSizeAreBounded) {
  std::string deep = "{\"servers\": ";
  for (int i = 0; i < 100; ++i) deep += "[";
  EXPECT_THAT(ErrorOf(deep), HasSubstr("nested too deeply"));

  std::string many;
  for (size_t i = 0; i <= kMaxDohServers; ++i) {
    absl::StrAppend(&many, "https://s", i, ".example/q ");
  }
  EXPECT_THAT(ErrorOf(many), HasSubstr("more than 16 servers"));
}

}  // namespace
}  // namespace trr
