#include "api/dump.h"

#include <nlohmann/json.hpp>

#include "api/json_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ResolverSnapshot Sample() {
  ResolverSnapshot s;
  s.mode = 2;
  s.uri = "https://dns.example/dns-query";
  s.confirmation_state = "ok";
  s.native_resolver = "system";
  s.blocklist = {{"flaky.example", 42}};
  s.counters.lookups_by_mode[2] = 7;
  s.counters.trr_failures[TrrFailure::kTimeout] = 2;
  CacheEntryInfo e;
  e.host = "www.example.com";
  e.kind = QueryKind::kIpv4;
  e.trr = true;
  e.addresses = {"192.0.2.1", "192.0.2.2"};
  e.expires_in_seconds = 57;
  e.partition = "private";
  e.trr_mode = 2;
  s.cache.push_back(e);
  prefs::EffectivePref mode;
  mode.name = "network.trr.mode";
  mode.value = prefs::PrefValue(int32_t{2});
  mode.layer = prefs::PrefLayer::kFile;
  prefs::EffectivePref get;
  get.name = "network.trr.useGET";
  get.value = prefs::PrefValue(false);
  s.prefs = {mode, get};
  return s;
}

TEST(DumpTest, TextHasTheAboutNetworkingColumnsAndState) {
  const std::string text = DumpText(Sample());
  for (const char* column : {"Hostname", "Family", "TRR", "Addresses",
                             "Expires (Seconds)", "Partition"}) {
    EXPECT_THAT(text, HasSubstr(column));
  }
  EXPECT_THAT(text, HasSubstr("www.example.com"));
  EXPECT_THAT(text, HasSubstr("192.0.2.1, 192.0.2.2"));
  EXPECT_THAT(text, HasSubstr("private"));
  EXPECT_THAT(text, HasSubstr("2 (first)"));
  EXPECT_THAT(text, HasSubstr("flaky.example (42 s)"));
  EXPECT_THAT(text, HasSubstr("trr_failed_timeout"));
  // Prefs at their default are left out of the text view.
  EXPECT_THAT(text, HasSubstr("network.trr.mode"));
  EXPECT_THAT(text, Not(HasSubstr("network.trr.useGET")));
}

TEST(DumpTest, EachDohConnectionShowsItsProtocolAndLoad) {
  ResolverSnapshot s = Sample();
  DohConnectionInfo h2;
  h2.protocol = "h2";
  h2.state = "open";
  h2.address = "127.0.0.1:8443";
  h2.in_flight = 12;
  h2.stream_limit = 64;
  h2.server_max_streams = 100;
  h2.answered = 3012;
  h2.tls_resumed = true;
  DohConnectionInfo h1;
  h1.protocol = "http/1.1";
  h1.state = "open";
  h1.address = "[::1]:443";
  s.doh_connections = {h2, h1};
  s.counters.doh_refused_streams = 5;
  const std::string text = DumpText(s);
  EXPECT_THAT(text, HasSubstr("DoH connections"));
  EXPECT_THAT(text, HasSubstr("in flight 12/64 (server allows 100), "
                              "answered 3012, TLS resumed"));
  EXPECT_THAT(text, HasSubstr("http/1.1"));
  EXPECT_THAT(text, HasSubstr("[::1]:443"));
  EXPECT_THAT(text, HasSubstr("doh_refused_streams"));
  const std::string json = DumpJson(s);
  EXPECT_THAT(json, HasSubstr("\"connections\":[{\"protocol\":\"h2\","
                              "\"state\":\"open\",\"address\":"
                              "\"127.0.0.1:8443\",\"in_flight\":12,"
                              "\"stream_limit\":64,\"server_max_streams\":100,"
                              "\"answered\":3012,\"tls_resumed\":true}"));
  EXPECT_THAT(DumpText(Sample()), HasSubstr("DoH connections\n  (none)"));
}

TEST(DumpTest, JsonHasEntriesAndTrrState) {
  const std::string json = DumpJson(Sample());
  EXPECT_THAT(json, HasSubstr(R"("entries":[{"hostname":"www.example.com",)"
                              R"("family":"ipv4","trr":true,)"
                              R"("addresses":["192.0.2.1","192.0.2.2"],)"
                              R"("expires":57,"partition":"private")"));
  EXPECT_THAT(
      json,
      HasSubstr(R"("blocklist":[{"name":"flaky.example","seconds_left":42}])"));
  EXPECT_THAT(json, HasSubstr(R"("lookups_mode_2":7)"));
  EXPECT_THAT(
      json,
      HasSubstr(R"({"name":"network.trr.mode","value":2,"origin":"file")"));
  EXPECT_THAT(
      json,
      HasSubstr(
          R"({"name":"network.trr.useGET","value":false,"origin":"default")"));
}

TEST(DumpTest, ResultJsonHasTheCliFields) {
  ResolveResult r;
  r.status = NotFoundError("NXDOMAIN");
  r.source = ResultSource::kTrr;
  JsonWriter json;
  WriteResultJson("nope.example", r, json);
  EXPECT_EQ(
      json.text(),
      R"({"name":"nope.example","ok":false,"addresses":[],"source":"trr",)"
      R"("ttl":0,"skip_reason":"none","error":"NXDOMAIN"})");
}

TEST(JsonWriterTest, TheOutputIsAlwaysUtf8) {
  // Well-formed sequences of 2, 3 and 4 bytes pass as they are.
  EXPECT_EQ(JsonQuote("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  // Stray, truncated, overlong, surrogate and out-of-range bytes become
  // U+FFFD, and what is around them stays: the text parses as JSON (whose
  // parser refuses ill-formed UTF-8) and gives the string back.
  const std::string replacement = "\xef\xbf\xbd";
  EXPECT_EQ(JsonQuote("a\xff"
                      "b"),
            "\"a" + replacement + "b\"");
  for (const char* hostile :
       {"\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "x\x80y"}) {
    const std::string quoted = JsonQuote(hostile);
    SCOPED_TRACE(quoted);
    EXPECT_THAT(quoted, HasSubstr(replacement));
    const auto parsed = nlohmann::json::parse(quoted, nullptr, false);
    ASSERT_TRUE(parsed.is_string());
  }
  EXPECT_EQ(nlohmann::json::parse(JsonQuote("x\x80y")).get<std::string>(),
            "x" + replacement + "y");
}

TEST(JsonWriterTest, EscapesStrings) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  JsonWriter json;
  json.BeginArray()
      .Int(1)
      .String("x")
      .Bool(true)
      .Null()
      .BeginObject()
      .EndObject()
      .EndArray();
  EXPECT_EQ(json.text(), R"([1,"x",true,null,{}])");
}

}  // namespace
}  // namespace trr::api
