// What Oblivious HTTP costs a client per DNS query (trr/ohttp): the
// Binary HTTP request encoded and sealed to the gateway's key (one X25519
// key generation and agreement, the HPKE key schedule, one AEAD seal), and
// the Binary HTTP response opened and decoded. Goal: both together at most
// 10 us (docs/PERFORMANCE.md, Oblivious HTTP): met on the query's path by
// sealing with a context prepared ahead (BM_SealPreparedQuery), not by the
// whole work (BM_SealQuery), which X25519 dominates.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "trr/ohttp/bhttp.h"
#include "trr/ohttp/ohttp.h"

namespace {

using trr::ohttp::Bytes;

// A DoH query for www.example.com, A, as trr sends it (with its EDNS
// padding to 128 bytes).
Bytes Query() { return Bytes(128, 0x2a); }

struct Gateway {
  trr::ohttp::X25519KeyPair keys;
  trr::ohttp::KeyConfig config;
  trr::ohttp::GatewayKey key;
};

const Gateway& TheGateway(uint16_t aead) {
  static Gateway* gateways[2] = {nullptr, nullptr};
  Gateway*& g = gateways[aead == trr::ohttp::kAeadAes128Gcm ? 0 : 1];
  if (g == nullptr) {
    g = new Gateway;
    g->keys = *trr::ohttp::GenerateX25519KeyPair();
    g->config.key_id = 1;
    g->config.kem = trr::ohttp::kKemX25519HkdfSha256;
    g->config.public_key = g->keys.public_key;
    g->config.symmetric = {{trr::ohttp::kKdfHkdfSha256, aead}};
    g->key = *trr::ohttp::ChooseKey({g->config});
  }
  return *g;
}

trr::ohttp::BhttpRequest Request() {
  trr::ohttp::BhttpRequest request;
  request.authority = "doh.example";
  request.path = "/dns-query";
  request.fields = {{"content-type", "application/dns-message"},
                    {"accept", "application/dns-message"}};
  request.content = Query();
  return request;
}

void BM_SealQuery(benchmark::State& state) {
  const Gateway& g = TheGateway(static_cast<uint16_t>(state.range(0)));
  const trr::ohttp::BhttpRequest request = Request();
  for (auto _ : state) {
    auto sealed = trr::ohttp::ClientRequest::Seal(
        g.key, trr::ohttp::EncodeBhttpRequest(request));
    if (!sealed.ok()) std::abort();
    benchmark::DoNotOptimize(sealed->encapsulated().data());
  }
}
BENCHMARK(BM_SealQuery)
    ->Arg(trr::ohttp::kAeadAes128Gcm)
    ->Arg(trr::ohttp::kAeadChaCha20Poly1305);

// What a query pays when OhttpSender had a context prepared for it: the
// AEAD seal and the framing. The X25519 work (BM_PrepareSeal) was done on
// an idle turn of the loop; it is prepared here in batches, untimed.
void BM_SealPreparedQuery(benchmark::State& state) {
  const Gateway& g = TheGateway(static_cast<uint16_t>(state.range(0)));
  const trr::ohttp::BhttpRequest request = Request();
  std::vector<trr::ohttp::SenderSetup> prepared;
  for (auto _ : state) {
    if (prepared.empty()) {
      state.PauseTiming();
      for (int i = 0; i < 256; ++i) {
        prepared.push_back(*trr::ohttp::ClientRequest::Prepare(g.key));
      }
      state.ResumeTiming();
    }
    auto sealed = trr::ohttp::ClientRequest::SealPrepared(
        g.key, std::move(prepared.back()),
        trr::ohttp::EncodeBhttpRequest(request));
    prepared.pop_back();
    if (!sealed.ok()) std::abort();
    benchmark::DoNotOptimize(sealed->encapsulated().data());
  }
}
BENCHMARK(BM_SealPreparedQuery)
    ->Arg(trr::ohttp::kAeadAes128Gcm)
    ->Arg(trr::ohttp::kAeadChaCha20Poly1305);

// The work a prepared context moves off the query's path.
void BM_PrepareSeal(benchmark::State& state) {
  const Gateway& g = TheGateway(trr::ohttp::kAeadAes128Gcm);
  for (auto _ : state) {
    benchmark::DoNotOptimize(trr::ohttp::ClientRequest::Prepare(g.key));
  }
}
BENCHMARK(BM_PrepareSeal);

void BM_OpenAnswer(benchmark::State& state) {
  const Gateway& g = TheGateway(static_cast<uint16_t>(state.range(0)));
  auto sealed = trr::ohttp::ClientRequest::Seal(
      g.key, trr::ohttp::EncodeBhttpRequest(Request()));
  auto opened = trr::ohttp::GatewayRequest::Open(g.config, g.keys.private_key,
                                                 sealed->encapsulated());
  trr::ohttp::BhttpResponse response;
  response.status = 200;
  response.fields = {{"content-type", "application/dns-message"}};
  response.content = Bytes(468, 0x2a);  // a padded answer
  const Bytes wire =
      *opened->SealResponse(trr::ohttp::EncodeBhttpResponse(response));
  for (auto _ : state) {
    auto plain = sealed->OpenResponse(wire);
    if (!plain.ok()) std::abort();
    auto decoded = trr::ohttp::DecodeBhttpResponse(*plain);
    if (!decoded.ok()) std::abort();
    benchmark::DoNotOptimize(decoded->content.data());
  }
}
BENCHMARK(BM_OpenAnswer)
    ->Arg(trr::ohttp::kAeadAes128Gcm)
    ->Arg(trr::ohttp::kAeadChaCha20Poly1305);

}  // namespace

namespace {

// The part of sealing no code here can make cheaper: OpenSSL's X25519, one
// key generation (a fixed-base multiplication) per query ...
void BM_X25519KeyGeneration(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(trr::ohttp::GenerateX25519KeyPair());
  }
}
BENCHMARK(BM_X25519KeyGeneration);

// ... and, on the gateway's side, the agreement and key schedule a client
// also does once per query.
void BM_GatewayOpensAContext(benchmark::State& state) {
  const Gateway& g = TheGateway(trr::ohttp::kAeadAes128Gcm);
  auto sender = trr::ohttp::SetupBaseSender(g.key.suite, g.keys.public_key, {});
  for (auto _ : state) {
    benchmark::DoNotOptimize(trr::ohttp::SetupBaseRecipient(
        g.key.suite, sender->enc, g.keys.private_key, {}));
  }
}
BENCHMARK(BM_GatewayOpensAContext);

}  // namespace

BENCHMARK_MAIN();
