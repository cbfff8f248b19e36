// Benchmarks of the DNS wire codec's hot paths (trr/dns/).

#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "trr/dns/base64url.h"

namespace {

// A padded 128-byte query, the size every DoH GET carries with default prefs.
std::vector<uint8_t> PaddedQuery() {
  std::vector<uint8_t> query(128);
  for (size_t i = 0; i < query.size(); ++i)
    query[i] = static_cast<uint8_t>(i * 7);
  return query;
}

void BM_Base64UrlEncodeQuery_trr(benchmark::State& state) {
  const std::vector<uint8_t> query = PaddedQuery();
  std::string out;
  for (auto _ : state) {
    out.clear();
    trr::dns::Base64UrlEncodeTo(query, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * query.size());
}
BENCHMARK(BM_Base64UrlEncodeQuery_trr);

void BM_Base64UrlDecodeQuery_trr(benchmark::State& state) {
  const std::string text = trr::dns::Base64UrlEncode(PaddedQuery());
  for (auto _ : state) {
    auto decoded = trr::dns::Base64UrlDecode(text);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Base64UrlDecodeQuery_trr);

}  // namespace

BENCHMARK_MAIN();
