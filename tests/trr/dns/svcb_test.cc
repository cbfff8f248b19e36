#include "trr/dns/svcb.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/trr/dns/message_builder.h"

namespace trr::dns {
namespace {

using testing::Bytes;
using testing::Concat;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::U16;
using testing::WireName;

Bytes Param(uint16_t key, Bytes value) {
  return Concat({U16(key), U16(static_cast<uint16_t>(value.size())), value});
}

struct Result {
  WireError error;
  SvcbRecord record;
  SvcbParse usable = SvcbParse::kUsable;
};

Result ParseRdata(const Bytes& rdata) {
  Result result;
  result.error =
      ParseSvcbRdata(rdata, 0, rdata.size(), result.record, result.usable);
  return result;
}

Bytes ServiceMode(std::initializer_list<Bytes> params) {
  Bytes out = Concat({U16(1), WireName("svc.example")});
  for (const Bytes& p : params) out = Concat({out, p});
  return out;
}

void ExpectBad(const Bytes& rdata, const char* what) {
  Result r = ParseRdata(rdata);
  EXPECT_FALSE(r.error.ok());
  EXPECT_THAT(r.error.what, HasSubstr(what));
}

TEST(SvcbTest, ParsesEveryKnownParameter) {
  const IpAddress v6 = *IpAddress::Parse("2001:db8::53");
  Result r = ParseRdata(ServiceMode({
      Param(0, Concat({U16(1), U16(3)})),  // mandatory alpn, port
      Param(1, {2, 'h', '2'}), Param(2, {}), Param(3, U16(853)),
      Param(4, {192, 0, 2, 1, 192, 0, 2, 2}), Param(5, {0xfe, 0x0d, 0x00}),
      Param(6, Bytes(v6.bytes().begin(), v6.bytes().end())),
      Param(7, {'/', 'q', '{', '?', 'd', 'n', 's', '}'}),
      Param(4000, {1, 2, 3}),  // unknown, ignored
  }));
  ASSERT_TRUE(r.error.ok()) << r.error.ToStatus();
  EXPECT_EQ(r.usable, SvcbParse::kUsable);
  const SvcbRecord& s = r.record;
  EXPECT_FALSE(s.is_alias());
  EXPECT_EQ(s.target, "svc.example");
  EXPECT_THAT(s.mandatory, ElementsAre(1, 3));
  EXPECT_THAT(s.alpn, ElementsAre("h2"));
  EXPECT_TRUE(s.no_default_alpn);
  EXPECT_EQ(s.port, 853);
  EXPECT_EQ(s.ipv4_hints.size(), 2u);
  EXPECT_THAT(s.ech, ElementsAre(0xfe, 0x0d, 0x00));
  EXPECT_THAT(s.ipv6_hints, ElementsAre(v6));
  EXPECT_EQ(s.doh_path, "/q{?dns}");
}

TEST(SvcbTest, AliasModeIgnoresParameters) {
  Result r = ParseRdata(Concat({U16(0), WireName("pool.example"),
                                Param(3, {1})}));  // malformed port, ignored
  ASSERT_TRUE(r.error.ok()) << r.error.ToStatus();
  EXPECT_TRUE(r.record.is_alias());
  EXPECT_EQ(r.record.target, "pool.example");
  EXPECT_FALSE(r.record.port.has_value());
}

TEST(SvcbTest, RootTargetIsADot) {
  Result r = ParseRdata(Concat({U16(1), {0}}));
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(r.record.target, ".");
}

TEST(SvcbTest, UnknownMandatoryKeyMakesTheRecordIgnorable) {
  Result r = ParseRdata(ServiceMode({Param(0, U16(9)), Param(9, {1})}));
  ASSERT_TRUE(r.error.ok()) << r.error.ToStatus();
  EXPECT_EQ(r.usable, SvcbParse::kIgnoredUnknownMandatoryKey);
}

TEST(SvcbTest, RejectsShortRdataAndBadTarget) {
  ExpectBad({0, 1}, "shorter than priority");
  ExpectBad(Concat({U16(1), {0xc0, 0x0c}}), "compressed");
  ExpectBad(Concat({U16(1), {3, 'a', 'b'}}), "runs past");
}

TEST(SvcbTest, RejectsKeysOutOfOrderOrRepeated) {
  ExpectBad(ServiceMode({Param(3, U16(1)), Param(1, {1, 'a'})}),
            "strictly increasing");
  ExpectBad(ServiceMode({Param(3, U16(1)), Param(3, U16(2))}),
            "strictly increasing");
  ExpectBad(ServiceMode({Param(65535, {})}), "reserved key");
}

TEST(SvcbTest, RejectsFramingErrors) {
  ExpectBad(Concat({ServiceMode({}), {0, 1, 0}}), "header runs past");
  ExpectBad(Concat({ServiceMode({}), U16(1), U16(5), {1, 'a'}}),
            "value runs past");
}

TEST(SvcbTest, RejectsMalformedValues) {
  ExpectBad(ServiceMode({Param(0, {})}), "whole 2-byte keys");
  ExpectBad(ServiceMode({Param(0, {0, 1, 0})}), "whole 2-byte keys");
  ExpectBad(ServiceMode({Param(0, U16(0))}), "lists itself");
  ExpectBad(ServiceMode({Param(0, Concat({U16(3), U16(1)})), Param(1, {1, 'a'}),
                         Param(3, U16(1))}),
            "not strictly increasing");
  ExpectBad(ServiceMode({Param(0, U16(3))}), "not present");
  ExpectBad(ServiceMode({Param(1, {})}), "alpn is empty");
  ExpectBad(ServiceMode({Param(1, {0})}), "empty alpn id");
  ExpectBad(ServiceMode({Param(1, {3, 'h', '2'})}), "alpn id runs past");
  ExpectBad(ServiceMode({Param(2, {1})}), "no-default-alpn");
  ExpectBad(ServiceMode({Param(3, {1, 2, 3})}), "port");
  ExpectBad(ServiceMode({Param(4, {1, 2, 3})}), "ipv4hint");
  ExpectBad(ServiceMode({Param(4, {})}), "ipv4hint");
  ExpectBad(ServiceMode({Param(5, {})}), "ech is empty");
  ExpectBad(ServiceMode({Param(6, Bytes(15, 1))}), "ipv6hint");
}

TEST(SvcbTest, ErrorOffsetsAreMessageOffsets) {
  // The same rdata placed at offset 100 of a larger buffer.
  const Bytes rdata = ServiceMode({Param(3, {1})});
  Bytes message(100, 0);
  message.insert(message.end(), rdata.begin(), rdata.end());
  SvcbRecord record;
  SvcbParse usable;
  WireError error = ParseSvcbRdata(message, 100, rdata.size(), record, usable);
  EXPECT_EQ(error.code, WireErrorCode::kBadSvcParam);
  EXPECT_EQ(error.offset, 100 + rdata.size() - 1);
}

}  // namespace
}  // namespace trr::dns
