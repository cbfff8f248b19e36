// trr's Oblivious HTTP client against a gateway no one here wrote
// (tests/peers/ohttp/ohttp_peer.mjs: hpke-js with X25519 in JavaScript,
// bhttp-js): the gateway opens what trr sealed, and trr opens what the
// gateway sealed, with both AEADs.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/peers/ohttp_gateway.h"
#include "tests/peers/test_process.h"
#include "trr/ohttp/bhttp.h"
#include "trr/ohttp/ohttp.h"

namespace trr::ohttp {
namespace {

// Runs the peer and returns what it printed on success.
absl::StatusOr<std::string> RunPeer(std::vector<std::string> args) {
  args.insert(args.begin(), {"node", trr::testing::kOhttpPeerScript});
  auto process = trr::testing::TestProcess::Start(args);
  if (!process.ok()) return process.status();
  if (absl::Status s = (*process)->WaitForExit(absl::Seconds(30)); !s.ok()) {
    return s;
  }
  if ((*process)->exit_code() != 0) {
    return absl::InternalError(
        absl::StrCat("ohttp_peer failed: ", (*process)->Output()));
  }
  return (*process)->Output();
}

// The string value of "key" in the peer's one-line JSON (its values are
// hex, ASCII names and URLs: no escapes).
std::string Field(const std::string& json, const std::string& key) {
  const std::string quoted = absl::StrCat("\"", key, "\":\"");
  const size_t at = json.find(quoted);
  if (at == std::string::npos) return "";
  const size_t start = at + quoted.size();
  return json.substr(start, json.find('"', start) - start);
}

Bytes Hex(const std::string& hex) {
  const std::string raw = absl::HexStringToBytes(hex);
  return Bytes(raw.begin(), raw.end());
}

TEST(OhttpInteropTest, AnIndependentGatewayOpensAndAnswersWhatTrrSeals) {
  TRR_REQUIRE_OHTTP_GATEWAY();
  for (uint16_t aead : {kAeadAes128Gcm, kAeadChaCha20Poly1305}) {
    SCOPED_TRACE(absl::StrCat("AEAD ", aead));
    auto keys = RunPeer({"keygen", absl::StrCat(aead)});
    ASSERT_TRUE(keys.ok()) << keys.status();
    auto configs = ParseKeyConfigs(Hex(Field(*keys, "key_config")));
    ASSERT_TRUE(configs.ok()) << configs.status();
    auto key = ChooseKey(*configs);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->suite.aead, aead);

    BhttpRequest request;
    request.authority = "doh.example";
    request.path = "/dns-query";
    request.fields = {{"content-type", "application/dns-message"},
                      {"accept", "application/dns-message"}};
    request.content =
        Hex("abcd01000001000000000000037777770765"
            "78616d706c6503636f6d0000010001");
    auto sealed = ClientRequest::Seal(*key, EncodeBhttpRequest(request));
    ASSERT_TRUE(sealed.ok()) << sealed.status();

    auto answer = RunPeer(
        {"open", Field(*keys, "private_key"), absl::StrCat(aead),
         absl::BytesToHexString(std::string(sealed->encapsulated().begin(),
                                            sealed->encapsulated().end()))});
    ASSERT_TRUE(answer.ok()) << answer.status();
    // What the gateway read is what trr meant.
    EXPECT_EQ(Field(*answer, "method"), "POST");
    EXPECT_EQ(Field(*answer, "url"), "https://doh.example/dns-query");
    EXPECT_EQ(Field(*answer, "content_type"), "application/dns-message");
    EXPECT_EQ(Field(*answer, "accept"), "application/dns-message");
    EXPECT_EQ(Hex(Field(*answer, "content")), request.content);

    // And trr reads the gateway's sealed answer.
    auto opened =
        sealed->OpenResponse(Hex(Field(*answer, "encapsulated_response")));
    ASSERT_TRUE(opened.ok()) << opened.status();
    auto response = DecodeBhttpResponse(*opened);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->content, request.content);
    ASSERT_FALSE(response->fields.empty());
    EXPECT_EQ(response->fields[0].name, "content-type");
    EXPECT_EQ(response->fields[0].value, "application/dns-message");
  }
}

}  // namespace
}  // namespace trr::ohttp
