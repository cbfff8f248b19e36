#include "trr/dns/response.h"

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::LabelsThenPointer;
using testing::MessageBuilder;
using testing::Pointer;
using testing::U16;
using testing::U32;
using testing::WireName;

constexpr uint16_t kQ = MessageBuilder::kQuestionOffset;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

Bytes V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

Bytes V6(std::string_view text) {
  const IpAddress ip = Ip(text);
  return Bytes(ip.bytes().begin(), ip.bytes().end());
}

Bytes Soa(uint32_t minimum) {
  return Concat({WireName("ns.example.com"), WireName("admin.example.com"),
                 U32(2024010101), U32(7200), U32(900), U32(1209600),
                 U32(minimum)});
}

Bytes Option(uint16_t code, Bytes data) {
  return Concat({U16(code), U16(static_cast<uint16_t>(data.size())), data});
}

// Holds the message too: a Response views the bytes it was parsed from.
struct Parsed {
  Bytes message;
  WireError error;
  Response response;
};

Parsed Parse(Bytes message, absl::string_view qname, uint16_t qtype) {
  Parsed parsed;
  parsed.message = std::move(message);
  parsed.error =
      ParseResponse(parsed.message, Question{qname, qtype, 0}, parsed.response);
  return parsed;
}

void ExpectError(const Bytes& message, absl::string_view qname, uint16_t qtype,
                 WireErrorCode code, const char* what) {
  Parsed parsed = Parse(message, qname, qtype);
  EXPECT_EQ(parsed.error.code, code)
      << WireErrorCodeName(parsed.error.code) << ": " << parsed.error.what;
  EXPECT_THAT(parsed.error.what, HasSubstr(what));
}

// --- Answers -------------------------------------------------------------

TEST(ResponseTest, ParsesAnswerWithCompressedOwner) {
  const Bytes message = MessageBuilder("www.example.com", kTypeA)
                            .Flags(0x81a0)  // QR RD RA AD
                            .Answer(Pointer(kQ), kTypeA, 300, V4(192, 0, 2, 1))
                            .Answer(Pointer(kQ), kTypeA, 60, V4(192, 0, 2, 2))
                            .Build();
  Parsed p = Parse(message, "www.example.com", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  const Response& r = p.response;
  EXPECT_THAT(r.addresses, ElementsAre(Ip("192.0.2.1"), Ip("192.0.2.2")));
  EXPECT_EQ(r.ttl, 60u);
  EXPECT_EQ(r.rcode, kRcodeNoError);
  EXPECT_TRUE(r.recursion_desired);
  EXPECT_TRUE(r.recursion_available);
  EXPECT_TRUE(r.authentic_data);
  EXPECT_FALSE(r.authoritative);
  EXPECT_FALSE(r.truncated);
  EXPECT_FALSE(r.checking_disabled);
  EXPECT_EQ(r.cname_chain_length, 0);
  EXPECT_EQ(r.CanonicalName(), "www.example.com");
  EXPECT_FALSE(r.ends_at_cname);
}

TEST(ResponseTest, ReadsEveryHeaderFlag) {
  const Bytes message =
      MessageBuilder("a.example", kTypeA).Flags(0x87b0).Build();
  Parsed p = Parse(message, "a.example", kTypeA);
  ASSERT_TRUE(p.error.ok());
  EXPECT_TRUE(p.response.authoritative);
  EXPECT_TRUE(p.response.truncated);
  EXPECT_TRUE(p.response.checking_disabled);
  EXPECT_TRUE(p.response.authentic_data);
}

TEST(ResponseTest, ParsesAaaaAnswer) {
  const Bytes message =
      MessageBuilder("v6.example", kTypeAAAA)
          .Answer(Pointer(kQ), kTypeAAAA, 120, V6("2001:db8::1"))
          .Answer(Pointer(kQ), kTypeAAAA, 120, V6("2001:db8::2"))
          .Build();
  Parsed p = Parse(message, "v6.example", kTypeAAAA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_THAT(p.response.addresses,
              ElementsAre(Ip("2001:db8::1"), Ip("2001:db8::2")));
  EXPECT_EQ(p.response.ttl, 120u);
}

TEST(ResponseTest, MatchesQuestionIgnoringCase) {
  const Bytes message =
      MessageBuilder("WWW.Example.COM", kTypeA)
          .Answer(WireName("www.EXAMPLE.com"), kTypeA, 5, V4(192, 0, 2, 9))
          .Build();
  Parsed p = Parse(message, "www.example.com", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_THAT(p.response.addresses, ElementsAre(Ip("192.0.2.9")));
  EXPECT_EQ(p.response.CanonicalName(), "www.example.com");
}

TEST(ResponseTest, IgnoresRecordsForOtherNamesTypesAndClasses) {
  const Bytes message =
      MessageBuilder("www.example.com", kTypeA)
          .Answer(WireName("evil.example"), kTypeA, 300, V4(6, 6, 6, 6))
          .Answer(Pointer(kQ), kTypeAAAA, 300, V6("2001:db8::6"))
          .Answer(Pointer(kQ), kTypeA, 300, V4(7, 7, 7, 7), /*klass=*/3)
          .Answer(Pointer(kQ), kTypeA, 300, V4(192, 0, 2, 1))
          .Build();
  Parsed p = Parse(message, "www.example.com", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_THAT(p.response.addresses, ElementsAre(Ip("192.0.2.1")));
}

TEST(ResponseTest, FollowsCnameChainInAnyOrder) {
  // www.example.com -> a.cdn.example -> B.edge.example -> 192.0.2.7, with
  // the records shuffled.
  MessageBuilder builder("www.example.com", kTypeA);
  const uint16_t first = static_cast<uint16_t>(builder.NextAnswerOffset());
  builder.Answer(WireName("b.edge.example"), kTypeA, 30, V4(192, 0, 2, 7));
  builder.Answer(WireName("a.cdn.example"), kTypeCNAME, 200,
                 WireName("B.EDGE.example"));
  builder.Answer(Pointer(kQ), kTypeCNAME, 100, WireName("a.cdn.example"));
  builder.Answer(Pointer(first), kTypeA, 50, V4(192, 0, 2, 8));
  Parsed p = Parse(builder.Build(), "www.example.com", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_EQ(p.response.cname_chain_length, 2);
  EXPECT_EQ(p.response.CanonicalName(), "b.edge.example");
  EXPECT_THAT(p.response.addresses,
              ElementsAre(Ip("192.0.2.7"), Ip("192.0.2.8")));
  EXPECT_EQ(p.response.ttl, 30u);
  EXPECT_FALSE(p.response.ends_at_cname);
}

TEST(ResponseTest, ChainTtlIsTheSmallestLink) {
  const Bytes message =
      MessageBuilder("www.example.com", kTypeA)
          .Answer(Pointer(kQ), kTypeCNAME, 10, WireName("x.example"))
          .Answer(WireName("x.example"), kTypeA, 500, V4(192, 0, 2, 1))
          .Build();
  Parsed p = Parse(message, "www.example.com", kTypeA);
  ASSERT_TRUE(p.error.ok());
  EXPECT_EQ(p.response.ttl, 10u);
}

TEST(ResponseTest, ReportsChainThatEndsAtCname) {
  const Bytes message =
      MessageBuilder("www.example.com", kTypeA)
          .Answer(Pointer(kQ), kTypeCNAME, 100, WireName("elsewhere.example"))
          .Build();
  Parsed p = Parse(message, "www.example.com", kTypeA);
  ASSERT_TRUE(p.error.ok());
  EXPECT_TRUE(p.response.ends_at_cname);
  EXPECT_TRUE(p.response.addresses.empty());
  EXPECT_EQ(p.response.CanonicalName(), "elsewhere.example");
  EXPECT_EQ(p.response.ttl, 100u);
}

TEST(ResponseTest, ACnameLoopIsAnError) {
  const Bytes message =
      MessageBuilder("a.example", kTypeA)
          .Answer(Pointer(kQ), kTypeCNAME, 100, WireName("b.example"))
          .Answer(WireName("b.example"), kTypeCNAME, 100, WireName("a.example"))
          .Build();
  ExpectError(message, "a.example", kTypeA, WireErrorCode::kCnameChainTooLong,
              "too long or looping");
}

TEST(ResponseTest, ChainOfSeventeenLinksIsTooLong) {
  MessageBuilder builder("n0.example", kTypeA);
  for (int i = 0; i < 17; ++i) {
    builder.Answer(WireName("n" + std::to_string(i) + ".example"), kTypeCNAME,
                   60, WireName("n" + std::to_string(i + 1) + ".example"));
  }
  ExpectError(builder.Build(), "n0.example", kTypeA,
              WireErrorCode::kCnameChainTooLong, "too long");
  MessageBuilder ok("n0.example", kTypeA);
  for (int i = 0; i < 16; ++i) {
    ok.Answer(WireName("n" + std::to_string(i) + ".example"), kTypeCNAME, 60,
              WireName("n" + std::to_string(i + 1) + ".example"));
  }
  EXPECT_TRUE(Parse(ok.Build(), "n0.example", kTypeA).error.ok());
}

TEST(ResponseTest, TooManyCnameRecordsIsAnError) {
  MessageBuilder builder("q.example", kTypeA);
  for (int i = 0; i < 33; ++i) {
    builder.Answer(WireName("other" + std::to_string(i) + ".example"),
                   kTypeCNAME, 60, WireName("t.example"));
  }
  ExpectError(builder.Build(), "q.example", kTypeA,
              WireErrorCode::kCnameChainTooLong, "more CNAME records");
}

TEST(ResponseTest, TtlWithTopBitSetCountsAsZero) {
  const Bytes message =
      MessageBuilder("a.example", kTypeA)
          .Answer(Pointer(kQ), kTypeA, 0x80000000u, V4(192, 0, 2, 1))
          .Build();
  Parsed p = Parse(message, "a.example", kTypeA);
  ASSERT_TRUE(p.error.ok());
  EXPECT_EQ(p.response.ttl, 0u);
}

// --- Negative answers, EDNS and EDE ----------------------------------------

TEST(ResponseTest, NxdomainCarriesNegativeTtlFromSoa) {
  const Bytes message = MessageBuilder("nope.example.com", kTypeA)
                            .Rcode(kRcodeNxDomain)
                            .Authority(WireName("example.com"), kTypeSOA, 3600,
                                       Soa(/*minimum=*/300))
                            .Build();
  Parsed p = Parse(message, "nope.example.com", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_EQ(p.response.rcode, kRcodeNxDomain);
  EXPECT_TRUE(p.response.addresses.empty());
  ASSERT_TRUE(p.response.negative_ttl.has_value());
  EXPECT_EQ(*p.response.negative_ttl, 300u);
  EXPECT_EQ(p.response.ttl, 0u);
}

TEST(ResponseTest, NegativeTtlIsTheSoaTtlWhenSmaller) {
  const Bytes message =
      MessageBuilder("nodata.example.com", kTypeAAAA)
          .Authority(WireName("example.com"), kTypeSOA, 30, Soa(3600))
          .Build();
  Parsed p = Parse(message, "nodata.example.com", kTypeAAAA);
  ASSERT_TRUE(p.error.ok());
  EXPECT_EQ(p.response.rcode, kRcodeNoError);
  EXPECT_EQ(p.response.negative_ttl, 30u);
}

TEST(ResponseTest, CombinesExtendedRcodeFromOpt) {
  // Header RCODE 0 plus OPT upper bits 1 = BADVERS (16).
  const Bytes message =
      MessageBuilder("a.example", kTypeA).Opt({}, 0x01000000u, 4096).Build();
  Parsed p = Parse(message, "a.example", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_EQ(p.response.rcode, kRcodeBadVers);
  EXPECT_TRUE(p.response.has_edns);
  EXPECT_EQ(p.response.edns_udp_payload_size, 4096);
}

TEST(ResponseTest, ReadsExtendedDnsError) {
  const Bytes ede = Option(kOptionExtendedError,
                           Concat({U16(kEdeBlocked), Bytes{'a', 'd', 's'}}));
  const Bytes padding = Option(kOptionPadding, Bytes(10, 0));
  const Bytes message = MessageBuilder("ads.example", kTypeA)
                            .Rcode(kRcodeNxDomain)
                            .Opt(Concat({padding, ede}))
                            .Build();
  Parsed p = Parse(message, "ads.example", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  ASSERT_TRUE(p.response.extended_error.has_value());
  EXPECT_EQ(p.response.extended_error->code, kEdeBlocked);
  EXPECT_EQ(p.response.extended_error->text, "ads");
}

// --- Other record types ----------------------------------------------------

TEST(ResponseTest, ParsesHttpsRecords) {
  const Bytes rdata = Concat({
      U16(1),
      WireName("svc.example"),
      U16(1),
      U16(7),
      {2, 'h', '2', 3, 'h', '3', '1'},  // alpn
      U16(3),
      U16(2),
      U16(8443),  // port
      U16(4),
      U16(4),
      V4(192, 0, 2, 3),  // ipv4hint
  });
  const Bytes message = MessageBuilder("example.com", kTypeHTTPS)
                            .Answer(Pointer(kQ), kTypeHTTPS, 300, rdata)
                            .Build();
  Parsed p = Parse(message, "example.com", kTypeHTTPS);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  ASSERT_EQ(p.response.svcb.size(), 1u);
  const SvcbRecord& svcb = p.response.svcb[0];
  EXPECT_EQ(svcb.priority, 1);
  EXPECT_EQ(svcb.target, "svc.example");
  EXPECT_THAT(svcb.alpn, ElementsAre("h2", "h31"));
  EXPECT_EQ(svcb.port, 8443);
  EXPECT_THAT(svcb.ipv4_hints, ElementsAre(Ip("192.0.2.3")));
  EXPECT_EQ(p.response.ttl, 300u);
}

// The additional section's A and AAAA records for the HTTPS records'
// targets are kept (a "." target is the owner); those for any other name,
// and other classes, are not: they answer nothing that was asked.
TEST(ResponseTest, KeepsAdditionalAddressesOfHttpsTargetsOnly) {
  const Bytes to_svc =
      Concat({U16(1), WireName("Svc.Example"), U16(3), U16(2), U16(8443)});
  const Bytes to_self = Concat({U16(2), WireName(".")});
  const Bytes message =
      MessageBuilder("example.com", kTypeHTTPS)
          .Answer(Pointer(kQ), kTypeHTTPS, 300, to_svc)
          .Answer(Pointer(kQ), kTypeHTTPS, 300, to_self)
          .Additional(WireName("svc.example"), kTypeA, 1, 120, V4(192, 0, 2, 1))
          .Additional(WireName("SVC.example"), kTypeAAAA, 1, 90,
                      V6("2001:db8::7"))
          .Additional(Pointer(kQ), kTypeA, 1, 60, V4(192, 0, 2, 2))
          .Additional(WireName("victim.example"), kTypeA, 1, 60,
                      V4(203, 0, 113, 66))
          .Additional(WireName("svc.example"), kTypeA, 3, 60, V4(1, 2, 3, 4))
          .Build();
  Parsed p = Parse(message, "example.com", kTypeHTTPS);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  ASSERT_EQ(p.response.target_addresses.size(), 3u);
  const auto& t = p.response.target_addresses;
  EXPECT_EQ(t[0].name, "svc.example");
  EXPECT_EQ(t[0].address, Ip("192.0.2.1"));
  EXPECT_EQ(t[0].ttl, 120u);
  EXPECT_EQ(t[1].name, "svc.example");
  EXPECT_EQ(t[1].address, Ip("2001:db8::7"));
  EXPECT_EQ(t[2].name, "example.com");
  EXPECT_EQ(t[2].address, Ip("192.0.2.2"));

  // Not for an A question, and not for an AliasMode "." (no service).
  const Bytes alias_none = Concat({U16(0), WireName(".")});
  Parsed none =
      Parse(MessageBuilder("example.com", kTypeHTTPS)
                .Answer(Pointer(kQ), kTypeHTTPS, 300, alias_none)
                .Additional(Pointer(kQ), kTypeA, 1, 60, V4(192, 0, 2, 2))
                .Build(),
            "example.com", kTypeHTTPS);
  ASSERT_TRUE(none.error.ok()) << none.error.ToStatus();
  EXPECT_TRUE(none.response.target_addresses.empty());
  Parsed a = Parse(MessageBuilder("example.com", kTypeA)
                       .Answer(Pointer(kQ), kTypeA, 60, V4(192, 0, 2, 9))
                       .Additional(Pointer(kQ), kTypeA, 1, 60, V4(192, 0, 2, 2))
                       .Build(),
                   "example.com", kTypeA);
  ASSERT_TRUE(a.error.ok()) << a.error.ToStatus();
  EXPECT_TRUE(a.response.target_addresses.empty());
}

// A server cannot make one answer keep more than kMaxTargetAddresses.
TEST(ResponseTest, KeepsAtMostAFewTargetAddresses) {
  MessageBuilder m("example.com", kTypeHTTPS);
  m.Answer(Pointer(kQ), kTypeHTTPS, 300, Concat({U16(1), WireName(".")}));
  for (int i = 0; i < 200; ++i) {
    m.Additional(Pointer(kQ), kTypeA, 1, 60,
                 V4(192, 0, 2, static_cast<uint8_t>(i)));
  }
  Parsed p = Parse(m.Build(), "example.com", kTypeHTTPS);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_EQ(p.response.target_addresses.size(),
            static_cast<size_t>(kMaxTargetAddresses));
}

TEST(ResponseTest, BadHttpsRecordForAnotherNameIsStillAnError) {
  const Bytes bad = Concat({U16(1), {0}, U16(3), U16(1), {0}});
  const Bytes message = MessageBuilder("example.com", kTypeA)
                            .Answer(WireName("x.example"), kTypeHTTPS, 1, bad)
                            .Build();
  ExpectError(message, "example.com", kTypeA, WireErrorCode::kBadSvcParam,
              "port");
}

TEST(ResponseTest, ParsesTxtAndNsRecords) {
  const Bytes txt =
      MessageBuilder("t.example", kTypeTXT)
          .Answer(Pointer(kQ), kTypeTXT, 60, {3, 'a', 'b', 'c', 0, 2, 'd', 'e'})
          .Answer(Pointer(kQ), kTypeTXT, 60, {1, 'z'})
          .Build();
  Parsed p = Parse(txt, "t.example", kTypeTXT);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_THAT(p.response.txt, ElementsAre("abcde", "z"));

  const Bytes ns = MessageBuilder("example.com", kTypeNS)
                       .Answer(Pointer(kQ), kTypeNS, 60,
                               LabelsThenPointer("a.iana-servers", kQ))
                       .Build();
  p = Parse(ns, "example.com", kTypeNS);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_THAT(p.response.ns, ElementsAre("a.iana-servers.example.com"));
}

TEST(ResponseTest, PresentsOddBytesInNamesEscaped) {
  const Bytes message =
      MessageBuilder("a.example", kTypeA)
          .Answer(Pointer(kQ), kTypeCNAME, 60,
                  Concat({{4, 'A', '.', ' ', '\\'}, WireName("example")}))
          .Build();
  Parsed p = Parse(message, "a.example", kTypeA);
  ASSERT_TRUE(p.error.ok()) << p.error.ToStatus();
  EXPECT_EQ(p.response.CanonicalName(), "a\\046\\032\\092.example");
}

// --- Header and question rules ---------------------------------------------

TEST(ResponseTest, RejectsOversizedMessage) {
  Bytes message = MessageBuilder("a.example", kTypeA).Build();
  message.resize(65536);
  ExpectError(message, "a.example", kTypeA, WireErrorCode::kMessageTooLarge,
              "65535");
}

TEST(ResponseTest, RejectsMessageShorterThanHeader) {
  ExpectError(Bytes(11, 0), "a.example", kTypeA, WireErrorCode::kTruncated,
              "12-byte header");
  ExpectError(Bytes(), "a.example", kTypeA, WireErrorCode::kTruncated,
              "12-byte header");
}

TEST(ResponseTest, RejectsWrongId) {
  ExpectError(MessageBuilder("a.example", kTypeA).Id(7).Build(), "a.example",
              kTypeA, WireErrorCode::kIdMismatch, "ID");
}

TEST(ResponseTest, RejectsQueryInsteadOfResponse) {
  ExpectError(MessageBuilder("a.example", kTypeA).Flags(0x0100).Build(),
              "a.example", kTypeA, WireErrorCode::kNotAResponse, "QR");
}

TEST(ResponseTest, RejectsOtherOpcodes) {
  ExpectError(MessageBuilder("a.example", kTypeA).Flags(0x9000).Build(),
              "a.example", kTypeA, WireErrorCode::kBadOpcode, "opcode");
}

TEST(ResponseTest, RejectsQuestionCountOtherThanOne) {
  ExpectError(MessageBuilder("a.example", kTypeA).Counts(0, 0, 0, 0).Build(),
              "a.example", kTypeA, WireErrorCode::kQuestionCount, "QDCOUNT");
  ExpectError(MessageBuilder("a.example", kTypeA).Counts(2, 0, 0, 0).Build(),
              "a.example", kTypeA, WireErrorCode::kQuestionCount, "QDCOUNT");
}

TEST(ResponseTest, RejectsAnswerToAnotherQuestion) {
  const Bytes message = MessageBuilder("b.example", kTypeA).Build();
  Parsed p = Parse(message, "a.example", kTypeA);
  EXPECT_EQ(p.error.code, WireErrorCode::kQuestionMismatch);
  EXPECT_EQ(p.error.offset, 12u);
  ExpectError(message, "b.example.com", kTypeA,
              WireErrorCode::kQuestionMismatch, "name");
  ExpectError(message, "example", kTypeA, WireErrorCode::kQuestionMismatch,
              "name");
  ExpectError(message, "b.example", kTypeAAAA, WireErrorCode::kQuestionMismatch,
              "type");
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .RawQuestion(Concat({WireName("b.example"), U16(1), U16(3)}))
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kQuestionMismatch, "class");
}

TEST(ResponseTest, RejectsTruncatedQuestion) {
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .RawQuestion(Concat({WireName("b.example"), U16(1)}))
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kTruncated,
              "question type and class");
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .RawQuestion({1, 'b', 7, 'e', 'x'})
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kTruncated, "name runs past");
}

// --- Name rules --------------------------------------------------------------

TEST(ResponseTest, RejectsExtendedLabelTypes) {
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .RawQuestion({0x41, 'b', 0, 0, 1, 0, 1})
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadLabel, "label type");
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Answer({0x80, 0}, kTypeA, 1, V4(1, 2, 3, 4))
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadLabel, "label type");
}

TEST(ResponseTest, RejectsForwardAndSelfPointers) {
  MessageBuilder forward("b.example", kTypeA);
  const uint16_t here = static_cast<uint16_t>(forward.NextAnswerOffset());
  forward.Answer(Pointer(here + 20), kTypeA, 1, V4(1, 2, 3, 4));
  ExpectError(forward.Build(), "b.example", kTypeA, WireErrorCode::kBadPointer,
              "backwards");

  MessageBuilder self("b.example", kTypeA);
  self.Answer(Pointer(static_cast<uint16_t>(self.NextAnswerOffset())), kTypeA,
              1, V4(1, 2, 3, 4));
  Parsed p = Parse(self.Build(), "b.example", kTypeA);
  EXPECT_EQ(p.error.code, WireErrorCode::kBadPointer);
  EXPECT_EQ(p.error.offset, 12u + 11 + 4);
}

TEST(ResponseTest, RejectsPointerLoopThroughLabels) {
  // At X: label "a" then a pointer back to X: each jump goes backwards, but
  // not before the previous jump target.
  MessageBuilder builder("b.example", kTypeA);
  const uint16_t x = static_cast<uint16_t>(builder.NextAnswerOffset());
  builder.Answer(Concat({{1, 'a'}, Pointer(x)}), kTypeA, 1, V4(1, 2, 3, 4));
  ExpectError(builder.Build(), "b.example", kTypeA, WireErrorCode::kBadPointer,
              "backwards");
}

TEST(ResponseTest, RejectsPointerIntoHeader) {
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Answer(Pointer(4), kTypeA, 1, V4(1, 2, 3, 4))
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadPointer, "header");
}

TEST(ResponseTest, RejectsTooManyPointerJumps) {
  // An unknown-type record whose rdata is a ladder of pointers, each to the
  // one before, the first to the question; then an owner pointing at the top.
  MessageBuilder builder("b.example", kTypeA);
  // Owner "x" (3 bytes) and the 10-byte record header come first.
  const uint16_t rdata_at =
      static_cast<uint16_t>(builder.NextAnswerOffset() + 13);
  Bytes ladder = Pointer(kQ);
  for (int i = 1; i < 140; ++i) {
    const Bytes p = Pointer(static_cast<uint16_t>(rdata_at + 2 * (i - 1)));
    ladder.insert(ladder.end(), p.begin(), p.end());
  }
  builder.Answer(WireName("x"), 999, 1, ladder);
  builder.Answer(Pointer(static_cast<uint16_t>(rdata_at + 2 * 139)), kTypeA, 1,
                 V4(1, 2, 3, 4));
  ExpectError(builder.Build(), "b.example", kTypeA,
              WireErrorCode::kTooManyPointers, "too many");
}

TEST(ResponseTest, RejectsNameOver255Bytes) {
  // Four 63-byte labels (256 bytes with the root) through compression.
  const std::string l(63, 'x');
  MessageBuilder builder("b.example", kTypeA);
  const uint16_t base = static_cast<uint16_t>(builder.NextAnswerOffset());
  builder.Answer(WireName(l + "." + l + "." + l), kTypeA, 1, V4(1, 2, 3, 4));
  builder.Answer(LabelsThenPointer(l, base), kTypeA, 1, V4(1, 2, 3, 4));
  ExpectError(builder.Build(), "b.example", kTypeA, WireErrorCode::kNameTooLong,
              "255");
  // One byte less is fine.
  MessageBuilder ok("b.example", kTypeA);
  const uint16_t ok_base = static_cast<uint16_t>(ok.NextAnswerOffset());
  ok.Answer(WireName(l + "." + l + "." + l), kTypeA, 1, V4(1, 2, 3, 4));
  ok.Answer(LabelsThenPointer(std::string(61, 'y'), ok_base), kTypeA, 1,
            V4(1, 2, 3, 4));
  EXPECT_TRUE(Parse(ok.Build(), "b.example", kTypeA).error.ok());
}

// --- Record rules
// --------------------------------------------------------------

TEST(ResponseTest, RejectsRecordsCutShort) {
  Bytes message = MessageBuilder("b.example", kTypeA)
                      .Answer(Pointer(kQ), kTypeA, 1, V4(1, 2, 3, 4))
                      .Build();
  Bytes cut_rdata(message.begin(), message.end() - 1);
  ExpectError(cut_rdata, "b.example", kTypeA, WireErrorCode::kTruncated,
              "rdata runs past");
  Bytes cut_header(message.begin(), message.end() - 8);
  ExpectError(cut_header, "b.example", kTypeA, WireErrorCode::kTruncated,
              "record header");
  ExpectError(MessageBuilder("b.example", kTypeA).Counts(1, 1, 0, 0).Build(),
              "b.example", kTypeA, WireErrorCode::kTruncated, "name runs past");
}

TEST(ResponseTest, RejectsAddressRdataOfWrongLength) {
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Answer(Pointer(kQ), kTypeA, 1, {1, 2, 3, 4, 5})
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadRdataLength,
              "A rdata is not 4");
  // Checked even where the record is not used.
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Answer(Pointer(kQ), kTypeAAAA, 1, V4(1, 2, 3, 4))
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadRdataLength,
              "AAAA rdata is not 16");
}

TEST(ResponseTest, RejectsNameRdataWithSlack) {
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Answer(Pointer(kQ), kTypeCNAME, 1,
                          Concat({WireName("c.example"), {0}}))
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadRdataLength,
              "does not fill");
  ExpectError(MessageBuilder("b.example", kTypeNS)
                  .Answer(Pointer(kQ), kTypeNS, 1, {3, 'n', 's'})
                  .Build(),
              "b.example", kTypeNS, WireErrorCode::kTruncated,
              "name runs past");
}

TEST(ResponseTest, RejectsMalformedSoaAndTxt) {
  Bytes short_soa = Soa(60);
  short_soa.pop_back();
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Authority(WireName("example"), kTypeSOA, 1, short_soa)
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadRdataLength, "SOA");
  ExpectError(MessageBuilder("b.example", kTypeTXT)
                  .Answer(Pointer(kQ), kTypeTXT, 1, {})
                  .Build(),
              "b.example", kTypeTXT, WireErrorCode::kBadRdataLength,
              "empty TXT");
  ExpectError(MessageBuilder("b.example", kTypeTXT)
                  .Answer(Pointer(kQ), kTypeTXT, 1, {5, 'a', 'b'})
                  .Build(),
              "b.example", kTypeTXT, WireErrorCode::kBadRdataLength,
              "TXT string runs past");
}

TEST(ResponseTest, RejectsMisplacedOrRepeatedOpt) {
  ExpectError(
      MessageBuilder("b.example", kTypeA).Answer({0}, kTypeOPT, 0, {}).Build(),
      "b.example", kTypeA, WireErrorCode::kBadOpt, "outside");
  ExpectError(MessageBuilder("b.example", kTypeA).Opt({}).Opt({}).Build(),
              "b.example", kTypeA, WireErrorCode::kBadOpt, "more than one");
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Additional(Pointer(kQ), kTypeOPT, 1232, 0, {})
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadOpt, "root");
}

TEST(ResponseTest, RejectsMalformedEdnsOptions) {
  ExpectError(MessageBuilder("b.example", kTypeA).Opt({0, 15, 0}).Build(),
              "b.example", kTypeA, WireErrorCode::kBadOpt, "header");
  ExpectError(
      MessageBuilder("b.example", kTypeA).Opt({0, 12, 0, 9, 0, 0}).Build(),
      "b.example", kTypeA, WireErrorCode::kBadOpt, "runs past");
  ExpectError(MessageBuilder("b.example", kTypeA)
                  .Opt(Option(kOptionExtendedError, {0}))
                  .Build(),
              "b.example", kTypeA, WireErrorCode::kBadOpt, "info code");
}

TEST(ResponseTest, RejectsTrailingBytes) {
  const Bytes message = MessageBuilder("b.example", kTypeA)
                            .Answer(Pointer(kQ), kTypeA, 1, V4(1, 2, 3, 4))
                            .Trailing({0})
                            .Build();
  Parsed p = Parse(message, "b.example", kTypeA);
  EXPECT_EQ(p.error.code, WireErrorCode::kTrailingData);
  EXPECT_EQ(p.error.offset, message.size() - 1);
  EXPECT_THAT(std::string(p.error.ToStatus().message()),
              HasSubstr("DNS trailing-data at offset"));
  EXPECT_EQ(p.error.ToStatus().code(), absl::StatusCode::kDataLoss);
}

TEST(ResponseTest, ReusedResponseIsResetBetweenParses) {
  Response response;
  const Bytes first = MessageBuilder("a.example", kTypeA)
                          .Answer(Pointer(kQ), kTypeA, 9, V4(192, 0, 2, 1))
                          .Opt(Option(kOptionExtendedError, U16(3)))
                          .Build();
  ASSERT_TRUE(ParseResponse(first, {"a.example", kTypeA, 0}, response).ok());
  EXPECT_TRUE(response.extended_error.has_value());
  const Bytes second = MessageBuilder("a.example", kTypeA).Build();
  ASSERT_TRUE(ParseResponse(second, {"a.example", kTypeA, 0}, response).ok());
  EXPECT_TRUE(response.addresses.empty());
  EXPECT_FALSE(response.extended_error.has_value());
  EXPECT_FALSE(response.has_edns);
  EXPECT_EQ(response.ttl, 0u);
}

}  // namespace
}  // namespace trr::dns
