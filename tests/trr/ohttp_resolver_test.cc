// Oblivious DoH through the Resolver, hermetic: a fake relay and gateway
// (real HPKE and Binary HTTP) on the harness's transport. Queries go sealed
// through the relay only; a key that does not open is fetched again; with
// no usable key or relay nothing is sent. ctest label: hermetic.

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "hostcache/fake_clock.h"
#include "tests/peers/test_process.h"
#include "tests/trr/dns/message_builder.h"
#include "tests/trr/resolver_harness.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/ohttp/bhttp.h"
#include "trr/ohttp/ohttp.h"
#include "trr/resolver.h"
#include "trr/resolver/resolver_impl.h"
#include "trr/resolver/resolver_testing.h"
#include "trr/transport/ohttp_sender.h"

namespace trr {
namespace {

// --- Oblivious DoH ---------------------------------------------------------

// A relay and gateway in one (the fake transport's `raw`): the key
// configuration at keys.test, sealed queries at relay.test, answered as
// the DoH server the gateway forwards to would answer them.
struct FakeGateway {
  ohttp::X25519KeyPair keys = *ohttp::GenerateX25519KeyPair();
  ohttp::KeyConfig config;
  std::atomic<int> key_fetches{0};
  std::atomic<int> relayed{0};
  std::atomic<int> in_the_clear{0};
  // What the gateway read last: "authority path".
  Mutex mu;
  std::string target ABSL_GUARDED_BY(mu);
  // When set, answers sealed under this other request's context instead
  // (a gateway whose key changed).
  std::atomic<bool> wrong_key{false};

  FakeGateway() {
    config.key_id = 3;
    config.kem = ohttp::kKemX25519HkdfSha256;
    config.public_key = keys.public_key;
    config.symmetric = {{ohttp::kKdfHkdfSha256, ohttp::kAeadAes128Gcm}};
  }

  DohResult Handle(const std::string& server,
                   const std::vector<uint8_t>& body) {
    DohResult result;
    result.http_status = 200;
    if (server == "keys.test") {
      ++key_fetches;
      result.body = ohttp::EncodeKeyConfig(config);
      return result;
    }
    if (server != "relay.test") {
      ++in_the_clear;
      result.error = DohError::kConnect;
      return result;
    }
    ++relayed;
    auto request = ohttp::GatewayRequest::Open(config, keys.private_key, body);
    if (!request.ok()) {
      result.http_status = 400;
      result.error = DohError::kHttpStatus;
      return result;
    }
    auto http = ohttp::DecodeBhttpRequest(request->request());
    {
      MutexLock lock(&mu);
      target = absl::StrCat(http->authority, " ", http->path);
    }
    const auto [name, type] = QuestionOf(http->content);
    ohttp::BhttpResponse response;
    response.status = 200;
    response.fields = {{"content-type", "application/dns-message"}};
    response.content = Respond(Server::kAnswer, name, type).body;
    const ohttp::Bytes plain = ohttp::EncodeBhttpResponse(response);
    if (wrong_key) {
      // Sealed for another client's request: it does not open.
      ohttp::GatewayKey other{
          config.key_id,
          {config.kem, ohttp::kKdfHkdfSha256, ohttp::kAeadAes128Gcm},
          keys.public_key};
      auto stranger = ohttp::ClientRequest::Seal(other, {});
      auto opened = ohttp::GatewayRequest::Open(config, keys.private_key,
                                                stranger->encapsulated());
      result.body = *opened->SealResponse(plain);
    } else {
      result.body = *request->SealResponse(plain);
    }
    return result;
  }
};

// The fake transport's `raw`, answering as `gateway` (which it keeps).
std::function<DohResult(const std::string&, const std::vector<uint8_t>&)>
AnswerAs(std::shared_ptr<FakeGateway> gateway) {
  return
      [gateway](const std::string& server, const std::vector<uint8_t>& body) {
        return gateway->Handle(server, body);
      };
}

std::vector<std::pair<std::string, prefs::PrefValue>> OhttpPrefs() {
  return {{"network.trr.use_ohttp", true},
          {"network.trr.ohttp.relay_uri", std::string("https://relay.test/r")},
          {"network.trr.ohttp.config_uri",
           std::string("https://keys.test/.well-known/ohttp-gateway")},
          {"network.trr.ohttp.uri", std::string("https://doh.test/dns-query")}};
}

// With network.trr.use_ohttp, a lookup goes to the relay only, sealed to
// the gateway's key (fetched once), for the DoH server network.trr.ohttp.uri
// names; nothing goes to any server in the clear.
TEST(OhttpTest, LookupsGoSealedThroughTheRelayOnly) {
  auto gateway = std::make_shared<FakeGateway>();
  Harness h;
  h.script->raw = AnswerAs(gateway);
  h.Start(3, Confirm::kSkipped, OhttpPrefs());
  ASSERT_NE(h.resolver, nullptr);
  for (const char* name : {"www.example.test", "mail.example.test"}) {
    const ResolveResult r = h.resolver->ResolveSync(name, Ipv4());
    ASSERT_TRUE(r.ok()) << r.status;
    EXPECT_EQ(r.source, ResultSource::kTrr);
    EXPECT_EQ(api::AddressTexts(r.addresses),
              std::vector<std::string>{"192.0.2.10"});
  }
  EXPECT_EQ(gateway->key_fetches.load(), 1);
  EXPECT_EQ(gateway->relayed.load(), 2);
  EXPECT_EQ(gateway->in_the_clear.load(), 0);
  {
    MutexLock lock(&gateway->mu);
    EXPECT_EQ(gateway->target, "doh.test /dns-query");
  }
  // The relay gets Oblivious HTTP's media types; the keys a plain GET.
  const DohConfig relay = h.script->ConfigOf("relay.test");
  EXPECT_EQ(relay.request_type, "message/ohttp-req");
  EXPECT_EQ(relay.response_type, "message/ohttp-res");
  EXPECT_TRUE(h.script->ConfigOf("keys.test").plain_get);
  EXPECT_EQ(h.script->ConfigOf("keys.test").response_type,
            "application/ohttp-keys");
  // The dump: where queries go, the gateway's key, and what was sealed.
  // The first query was sealed on its own path; the second found a context
  // prepared after the first had gone.
  const ResolverSnapshot snapshot = h.resolver->Snapshot();
  const OhttpInfo& o = snapshot.ohttp;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.relay, "https://relay.test/r");
  EXPECT_EQ(o.key_config, "https://keys.test/.well-known/ohttp-gateway");
  EXPECT_EQ(o.target, "https://doh.test/dns-query");
  EXPECT_EQ(o.key_id, 3);
  EXPECT_EQ(o.suite, "X25519, HKDF-SHA256, AES-128-GCM");
  EXPECT_EQ(o.key_fetches, 1u);
  EXPECT_EQ(o.key_fetch_failures, 0u);
  EXPECT_EQ(o.sealed, 2u);
  EXPECT_EQ(o.sealed_prepared, 1u);
  EXPECT_EQ(o.opened, 2u);
  EXPECT_EQ(o.open_failures + o.relay_errors, 0u);
  EXPECT_EQ(snapshot.proxy, "direct");
  const std::string text = api::DumpText(snapshot);
  EXPECT_TRUE(absl::StrContains(
      text,
      "gateway key          3 (X25519, HKDF-SHA256, AES-128-GCM), "
      "fetched 1, failed 0"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "sealed 2 (1 prepared ahead), opened 2, did not open 0"))
      << text;
  const std::string json = api::DumpJson(snapshot);
  EXPECT_TRUE(absl::StrContains(
      json, "\"ohttp\":{\"enabled\":true,\"relay\":\"https://relay.test/r\""))
      << json;
  EXPECT_TRUE(absl::StrContains(json, "\"key_id\":3,")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"sealed_prepared\":1,")) << json;
}

// A query cancelled while the relay has it is no relay error: the dump's
// counters say what the relay and gateway did, not what trr gave up on.
TEST(OhttpTest, ACancelledQueryIsNoRelayError) {
  auto gateway = std::make_shared<FakeGateway>();
  auto script = std::make_shared<Script>();
  script->raw = AnswerAs(gateway);
  script->hold = [](const std::string& server, const std::string&) {
    return server == "relay.test";
  };
  EventLoop loop;
  std::unique_ptr<OhttpSender> sender;
  DohSender::RequestId id = 0;
  std::optional<DohResult> result;
  loop.RunSync([&] {
    sender = std::make_unique<OhttpSender>(
        &loop, [&] { return std::make_unique<FakeTransport>(&loop, script); });
    DohConfig config;
    config.uri = *ParseDohUri("https://doh.test/dns-query");
    config.ohttp = OhttpConfig{*ParseDohUri("https://relay.test/r"),
                               *ParseDohUri("https://keys.test/k")};
    sender->Configure(config);
    std::vector<uint8_t> query;
    ASSERT_TRUE(dns::EncodeQuery("www.example.test", dns::kTypeA,
                                 dns::QueryOptions(), query)
                    .ok());
    id = sender->Send(query, absl::Seconds(5),
                      [&](DohResult r) { result = std::move(r); });
  });
  // The key comes, and the sealed query goes to the relay, which holds it.
  OhttpInfo info;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (info.sealed == 0 && absl::Now() < deadline) {
    loop.RunSync([&] { info = sender->Info(); });
  }
  ASSERT_EQ(info.sealed, 1u);
  loop.RunSync([&] {
    sender->Cancel(id);
    info = sender->Info();
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->error, DohError::kCancelled);
  EXPECT_EQ(info.relay_errors, 0u);
  EXPECT_EQ(info.opened + info.open_failures, 0u);
  loop.RunSync([&] { sender.reset(); });
}

// Without network.trr.use_ohttp the dump says so, and nothing is counted.
TEST(OhttpTest, TheDumpSaysWhenItIsOff) {
  Harness h;
  h.Start(3, Confirm::kSkipped);
  ASSERT_NE(h.resolver, nullptr);
  const ResolverSnapshot snapshot = h.resolver->Snapshot();
  EXPECT_FALSE(snapshot.ohttp.enabled);
  EXPECT_EQ(snapshot.ohttp.key_id, -1);
  EXPECT_TRUE(
      absl::StrContains(api::DumpText(snapshot), "\nOblivious DoH\n  off\n"));
  EXPECT_TRUE(absl::StrContains(api::DumpJson(snapshot),
                                "\"ohttp\":{\"enabled\":false,"));
}

// An answer that does not open (the gateway's key changed) fails the
// lookup with a typed error, in mode 3 never in the clear, and the key is
// fetched again for the next; mode 2 may go native, as for any failure.
TEST(OhttpTest, AnAnswerThatDoesNotOpenFailsAndTheKeyIsFetchedAgain) {
  for (int mode : {3, 2}) {
    SCOPED_TRACE(absl::StrCat("mode ", mode));
    auto gateway = std::make_shared<FakeGateway>();
    gateway->wrong_key = true;
    Harness h;
    h.script->raw = AnswerAs(gateway);
    auto prefs = OhttpPrefs();
    prefs.push_back({"network.trr.retry_on_recoverable_errors", false});
    h.Start(mode, Confirm::kSkipped, prefs);
    ASSERT_NE(h.resolver, nullptr);
    const ResolveResult r = h.resolver->ResolveSync("www.example.test", Ipv4());
    EXPECT_EQ(r.trr_failure, TrrFailure::kOhttp) << r.status;
    EXPECT_STREQ(TrrFailureName(r.trr_failure), "ohttp");
    // Before an A lookup goes native in mode 2, TRR is asked for AAAA (the
    // one-family rule): a second answer that does not open.
    const uint64_t failed_opens = mode == 2 ? 2 : 1;
    EXPECT_EQ(h.resolver->Snapshot().ohttp.open_failures, failed_opens);
    if (mode == 3) {
      EXPECT_FALSE(r.ok());
      EXPECT_TRUE(absl::StrContains(r.status.message(), "Oblivious HTTP"))
          << r.status;
      EXPECT_EQ(h.script->native_lookups.load(), 0);
    } else {
      EXPECT_EQ(r.source, ResultSource::kNative);
    }
    EXPECT_EQ(gateway->in_the_clear.load(), 0);
    // Another name: in mode 2 the first is now on the temporary blocklist.
    gateway->wrong_key = false;
    const ResolveResult again =
        h.resolver->ResolveSync("mail.example.test", Ipv4());
    EXPECT_TRUE(again.ok()) << again.status;
    EXPECT_EQ(again.source, ResultSource::kTrr);
    EXPECT_EQ(gateway->key_fetches.load(), 1 + static_cast<int>(failed_opens));
    ResolverSnapshot snapshot = h.resolver->Snapshot();
    EXPECT_EQ(snapshot.ohttp.key_fetches, 1 + failed_opens);
    EXPECT_EQ(snapshot.ohttp.opened, 1u);
    EXPECT_EQ(snapshot.ohttp.open_failures, failed_opens);
    EXPECT_EQ(snapshot.counters.trr_failures[TrrFailure::kOhttp], 1u);
  }
}

// A key configuration trr cannot use, or no relay at all: nothing is sent,
// sealed or not; mode 3 fails saying why.
TEST(OhttpTest, NoUsableKeyOrRelaySendsNothing) {
  auto gateway = std::make_shared<FakeGateway>();
  gateway->config.symmetric = {{ohttp::kKdfHkdfSha256, 0x0002}};  // AES-256
  Harness h;
  h.script->raw = AnswerAs(gateway);
  h.Start(3, Confirm::kSkipped, OhttpPrefs());
  ASSERT_NE(h.resolver, nullptr);
  ResolveResult r = h.resolver->ResolveSync("www.example.test", Ipv4());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status.message(), "key configuration"))
      << r.status;
  EXPECT_EQ(r.trr_failure, TrrFailure::kOhttp);
  EXPECT_EQ(gateway->relayed.load(), 0);
  EXPECT_EQ(h.resolver->Snapshot().ohttp.key_fetch_failures, 1u);
  EXPECT_EQ(h.resolver->Snapshot().ohttp.key_id, -1);

  ASSERT_TRUE(h.resolver
                  ->SetPrefs({{"network.trr.ohttp.relay_uri",
                               prefs::PrefValue(std::string())}})
                  .ok());
  r = h.resolver->ResolveSync("mail.example.test", Ipv4());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.skip_reason, SkipReason::kNoUri) << r.status;
  EXPECT_EQ(gateway->relayed.load() + gateway->in_the_clear.load(), 0);
  // A relay that is not an https URI is refused when set.
  EXPECT_FALSE(h.resolver
                   ->SetPrefs({{"network.trr.ohttp.relay_uri",
                                prefs::PrefValue(std::string("http://x"))}})
                   .ok());
}

}  // namespace
}  // namespace trr
