// Benchmarks of the DNS wire codec (trr/dns/) against c-ares and ldns on the
// same bytes: BM_Parse<Case>_trr / _cares / _ldns. The trr cases also report
// "allocs", C++ heap allocations per parse, counted by the operator new of
// tests/trr/dns/counting_new.cc. Results and ratios: docs/PERFORMANCE.md.

#include <ares.h>
#include <ldns/ldns.h>

#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "tests/trr/dns/counting_new.h"
#include "tests/trr/dns/message_builder.h"
#include "trr/dns/base64url.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"

namespace {

using trr::dns::testing::Bytes;
using trr::dns::testing::Concat;
using trr::dns::testing::MessageBuilder;
using trr::dns::testing::Pointer;
using trr::dns::testing::U16;
using trr::dns::testing::WireName;
namespace dns = trr::dns;

constexpr char kName[] = "www.example.com";

Bytes V6(int last) {
  Bytes out = {0x20, 0x01, 0x0d, 0xb8};
  out.resize(16, 0);
  out[15] = static_cast<uint8_t>(last);
  return out;
}

struct Case {
  Bytes message;
  uint16_t type;
};

Case ACase() {
  return {MessageBuilder(kName, dns::kTypeA)
              .Answer(Pointer(12), dns::kTypeA, 300, {93, 184, 216, 34})
              .Build(),
          dns::kTypeA};
}

Case AaaaCase() {
  return {MessageBuilder(kName, dns::kTypeAAAA)
              .Answer(Pointer(12), dns::kTypeAAAA, 300, V6(1))
              .Build(),
          dns::kTypeAAAA};
}

Case SixteenCase() {
  MessageBuilder builder(kName, dns::kTypeA);
  for (uint8_t i = 0; i < 16; ++i) {
    builder.Answer(Pointer(12), dns::kTypeA, 60, {192, 0, 2, i});
  }
  return {builder.Build(), dns::kTypeA};
}

Case CnameChainCase() {
  // www.example.com -> c1.cdn.example.net -> c2.cdn.example.net ->
  // edge.cdn.example.net -> A, each target compressed against the last.
  MessageBuilder builder(kName, dns::kTypeA);
  const uint16_t first = static_cast<uint16_t>(builder.NextAnswerOffset());
  builder.Answer(Pointer(12), dns::kTypeCNAME, 300,
                 WireName("c1.cdn.example.net"));
  const uint16_t c1 = static_cast<uint16_t>(first + 12);
  const uint16_t cdn = static_cast<uint16_t>(c1 + 3);
  builder.Answer(Pointer(c1), dns::kTypeCNAME, 300,
                 Concat({{2, 'c', '2'}, Pointer(cdn)}));
  const uint16_t c2 = static_cast<uint16_t>(builder.NextAnswerOffset() - 5);
  builder.Answer(Pointer(c2), dns::kTypeCNAME, 300,
                 Concat({{4, 'e', 'd', 'g', 'e'}, Pointer(cdn)}));
  const uint16_t edge = static_cast<uint16_t>(builder.NextAnswerOffset() - 7);
  builder.Answer(Pointer(edge), dns::kTypeA, 60, {192, 0, 2, 80});
  return {builder.Build(), dns::kTypeA};
}

Case HttpsCase() {
  const Bytes rdata = Concat({
      U16(1),
      {0},
      U16(1),
      U16(6),
      {2, 'h', '2', 2, 'h', '3'},
      U16(3),
      U16(2),
      U16(443),
      U16(4),
      U16(8),
      {192, 0, 2, 1, 192, 0, 2, 2},
      U16(6),
      U16(16),
      V6(1),
  });
  return {MessageBuilder(kName, dns::kTypeHTTPS)
              .Answer(Pointer(12), dns::kTypeHTTPS, 300, rdata)
              .Build(),
          dns::kTypeHTTPS};
}

void ParseTrr(benchmark::State& state, const Case& c, size_t expected) {
  dns::Response response;
  // As the resolver does: the question section of the query it sent.
  std::vector<uint8_t> query;
  dns::EncodeQuery(kName, c.type, dns::QueryOptions(), query);
  const dns::Question question{kName, c.type, 0, dns::QuestionSection(query)};
  if (!dns::ParseResponse(c.message, question, response).ok()) {
    state.SkipWithError("trr failed to parse the case");
    return;
  }
  const int64_t allocations_before = trr::dns::testing::HeapAllocations();
  for (auto _ : state) {
    dns::WireError error = dns::ParseResponse(c.message, question, response);
    benchmark::DoNotOptimize(error);
    benchmark::DoNotOptimize(response.addresses.data());
  }
  const size_t found = c.type == dns::kTypeHTTPS ? response.svcb.size()
                                                 : response.addresses.size();
  if (found != expected) state.SkipWithError("trr found the wrong count");
  state.counters["allocs"] = benchmark::Counter(
      static_cast<double>(trr::dns::testing::HeapAllocations() -
                          allocations_before),
      benchmark::Counter::kAvgIterations);
}

void ParseCares(benchmark::State& state, const Case& c, size_t expected) {
  int naddr = 0;
  for (auto _ : state) {
    naddr = 32;
    int status;
    if (c.type == dns::kTypeA) {
      ares_addrttl ttls[32];
      status = ares_parse_a_reply(c.message.data(),
                                  static_cast<int>(c.message.size()), nullptr,
                                  ttls, &naddr);
      benchmark::DoNotOptimize(ttls);
    } else {
      ares_addr6ttl ttls[32];
      status = ares_parse_aaaa_reply(c.message.data(),
                                     static_cast<int>(c.message.size()),
                                     nullptr, ttls, &naddr);
      benchmark::DoNotOptimize(ttls);
    }
    benchmark::DoNotOptimize(status);
  }
  if (static_cast<size_t>(naddr) != expected) {
    state.SkipWithError("c-ares found the wrong count");
  }
}

void ParseLdns(benchmark::State& state, const Case& c, size_t expected) {
  size_t count = 0;
  for (auto _ : state) {
    ldns_pkt* packet = nullptr;
    if (ldns_wire2pkt(&packet, c.message.data(), c.message.size()) !=
        LDNS_STATUS_OK) {
      state.SkipWithError("ldns failed to parse");
      break;
    }
    count = ldns_rr_list_rr_count(ldns_pkt_answer(packet));
    ldns_pkt_free(packet);
  }
  if (count != expected) state.SkipWithError("ldns found the wrong count");
}

#define TRR_PARSE_BENCHMARKS(Case, Make, expected, answer_records) \
  void BM_Parse##Case##_trr(benchmark::State& state) {             \
    ParseTrr(state, Make(), expected);                             \
  }                                                                \
  BENCHMARK(BM_Parse##Case##_trr);                                 \
  void BM_Parse##Case##_cares(benchmark::State& state) {           \
    ParseCares(state, Make(), expected);                           \
  }                                                                \
  BENCHMARK(BM_Parse##Case##_cares);                               \
  void BM_Parse##Case##_ldns(benchmark::State& state) {            \
    ParseLdns(state, Make(), answer_records);                      \
  }                                                                \
  BENCHMARK(BM_Parse##Case##_ldns);

TRR_PARSE_BENCHMARKS(A, ACase, 1, 1)
TRR_PARSE_BENCHMARKS(Aaaa, AaaaCase, 1, 1)
TRR_PARSE_BENCHMARKS(SixteenA, SixteenCase, 16, 16)
TRR_PARSE_BENCHMARKS(CnameChain, CnameChainCase, 1, 4)

void BM_ParseHttps_trr(benchmark::State& state) {
  ParseTrr(state, HttpsCase(), 1);
}
BENCHMARK(BM_ParseHttps_trr);

void BM_ParseHttps_ldns(benchmark::State& state) {
  ParseLdns(state, HttpsCase(), 1);
}
BENCHMARK(BM_ParseHttps_ldns);

void BM_EncodePaddedQuery_trr(benchmark::State& state) {
  std::vector<uint8_t> out;
  out.reserve(512);
  for (auto _ : state) {
    dns::WireError error =
        dns::EncodeQuery(kName, dns::kTypeA, dns::QueryOptions(), out);
    benchmark::DoNotOptimize(error);
    benchmark::DoNotOptimize(out.data());
  }
  if (out.size() != 128) state.SkipWithError("query is not padded to 128");
}
BENCHMARK(BM_EncodePaddedQuery_trr);

void BM_Base64UrlEncodeQuery_trr(benchmark::State& state) {
  std::vector<uint8_t> query;
  dns::EncodeQuery(kName, dns::kTypeA, dns::QueryOptions(), query);
  std::string out;
  for (auto _ : state) {
    out.clear();
    dns::Base64UrlEncodeTo(query, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Base64UrlEncodeQuery_trr);

}  // namespace

BENCHMARK_MAIN();
