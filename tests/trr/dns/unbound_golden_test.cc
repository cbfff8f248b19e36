// The response parser against real unbound answers: live, over UDP and TCP
// on loopback, and from answers captured earlier into testdata/unbound/
// (so the parser meets real bytes even where unbound is not installed).
// TRR_CAPTURE_DIR=dir makes the live test write what it receives there.

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/dns_client.h"
#include "tests/peers/unbound_server.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"

namespace trr::dns {
namespace {

using ::testing::ElementsAre;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

struct GoldenCase {
  const char* name;
  uint16_t type;
  void (*check)(const Response& r);
};

const GoldenCase kCases[] = {
    {"www.example.test", kTypeA,
     [](const Response& r) {
       EXPECT_EQ(r.rcode, kRcodeNoError);
       EXPECT_TRUE(r.authoritative);
       EXPECT_THAT(r.addresses, ElementsAre(Ip("192.0.2.1")));
       EXPECT_EQ(r.ttl, 300u);
       EXPECT_TRUE(r.has_edns);
     }},
    {"www.example.test", kTypeAAAA,
     [](const Response& r) {
       EXPECT_THAT(r.addresses, ElementsAre(Ip("2001:db8::1")));
     }},
    {"multi.example.test", kTypeA,
     [](const Response& r) {
       EXPECT_EQ(r.addresses.size(), 3u);
       EXPECT_EQ(r.ttl, 60u);
     }},
    {"alias.example.test", kTypeA,
     [](const Response& r) {
       EXPECT_EQ(r.cname_chain_length, 2);
       EXPECT_EQ(r.CanonicalName(), "www.example.test");
       EXPECT_THAT(r.addresses, ElementsAre(Ip("192.0.2.1")));
       EXPECT_EQ(r.ttl, 90u);
     }},
    {"nx.example.test", kTypeA,
     [](const Response& r) {
       EXPECT_EQ(r.rcode, kRcodeNxDomain);
       EXPECT_TRUE(r.addresses.empty());
       EXPECT_EQ(r.negative_ttl, 300u);
     }},
    {"v4only.example.test", kTypeAAAA,
     [](const Response& r) {
       EXPECT_EQ(r.rcode, kRcodeNoError);
       EXPECT_TRUE(r.addresses.empty());
       EXPECT_EQ(r.negative_ttl, 300u);
     }},
    {"svc.example.test", kTypeHTTPS,
     [](const Response& r) {
       ASSERT_EQ(r.svcb.size(), 1u);
       EXPECT_EQ(r.svcb[0].priority, 1);
       EXPECT_EQ(r.svcb[0].target, ".");
       EXPECT_THAT(r.svcb[0].alpn, ElementsAre("h2", "h3"));
       EXPECT_EQ(r.svcb[0].port, 8443);
       EXPECT_THAT(r.svcb[0].ipv4_hints, ElementsAre(Ip("192.0.2.1")));
     }},
    {"txt.example.test", kTypeTXT,
     [](const Response& r) { EXPECT_THAT(r.txt, ElementsAre("helloworld")); }},
    {"example.test", kTypeNS,
     [](const Response& r) {
       EXPECT_THAT(r.ns, ElementsAre("ns.example.test"));
     }},
    {"outside.example", kTypeA,
     [](const Response& r) { EXPECT_EQ(r.rcode, kRcodeRefused); }},
};

std::string CaptureName(const GoldenCase& c) {
  return absl::StrCat(c.name, "_", RecordTypeName(c.type), ".bin");
}

void CheckAnswer(const GoldenCase& c, const std::vector<uint8_t>& answer) {
  SCOPED_TRACE(CaptureName(c));
  Response response;
  WireError error =
      ParseResponse(answer, Question{c.name, c.type, 0}, response);
  ASSERT_TRUE(error.ok()) << error.ToStatus();
  c.check(response);
}

TEST(UnboundGoldenTest, ParsesLiveAnswersOverUdpAndTcp) {
  TRR_REQUIRE_UNBOUND();
  auto server = testing::UnboundServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const char* capture_dir = std::getenv("TRR_CAPTURE_DIR");
  for (const GoldenCase& c : kCases) {
    std::vector<uint8_t> query;
    ASSERT_TRUE(EncodeQuery(c.name, c.type, QueryOptions(), query).ok());
    auto udp = testing::UdpExchange((*server)->dns_port(), query);
    ASSERT_TRUE(udp.ok()) << udp.status();
    CheckAnswer(c, *udp);
    auto tcp = testing::TcpExchange((*server)->dns_port(), query);
    ASSERT_TRUE(tcp.ok()) << tcp.status();
    CheckAnswer(c, *tcp);
    if (capture_dir != nullptr) {
      std::ofstream(absl::StrCat(capture_dir, "/", CaptureName(c)),
                    std::ios::binary)
          .write(reinterpret_cast<const char*>(udp->data()), udp->size());
    }
  }
  // unbound logs a query after answering it: wait for the log to catch up.
  ASSERT_TRUE((*server)->Sync().ok());
  EXPECT_EQ((*server)->QueriesReceived(),
            2 * static_cast<int>(std::size(kCases)));
  EXPECT_EQ((*server)->QueriesReceived("alias.example.test"), 2);
}

TEST(UnboundGoldenTest, ParsesCapturedAnswers) {
  for (const GoldenCase& c : kCases) {
    const std::string path =
        absl::StrCat("tests/trr/dns/testdata/unbound/", CaptureName(c));
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "missing " << path;
    const std::vector<uint8_t> answer((std::istreambuf_iterator<char>(in)),
                                      std::istreambuf_iterator<char>());
    CheckAnswer(c, answer);
  }
}

}  // namespace
}  // namespace trr::dns
