// Oblivious HTTP against RFC 9458's appendix A, Binary HTTP round trips
// and edge cases, and the typed errors a client must give for bad key
// configurations and bad responses.

#include "trr/ohttp/ohttp.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "trr/ohttp/bhttp.h"

namespace trr::ohttp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Bytes Hex(const std::string& hex) {
  const std::string raw = absl::HexStringToBytes(hex);
  return Bytes(raw.begin(), raw.end());
}

std::string ToHex(const Bytes& bytes) {
  return absl::BytesToHexString(std::string(bytes.begin(), bytes.end()));
}

Bytes Text(const std::string& text) { return Bytes(text.begin(), text.end()); }

// RFC 9458 appendix A.
const char kGatewaySecret[] =
    "3c168975674b2fa8e465970b79c8dcf09f1c741626480bd4c6162fc5b6a98e1a";
const char kKeyConfig[] =
    "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e"
    "79815500080001000100010003";
const char kRequest[] = "00034745540568747470730b6578616d706c652e636f6d012f";
const char kEphemeral[] =
    "bc51d5e930bda26589890ac7032f70ad12e4ecb37abb1b65b1256c9c48999c73";
const char kEncapsulatedRequest[] =
    "010020000100014b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad1"
    "9dec96c208b4726374e469135906992e1268c594d2a10c695d858c40a026e796"
    "5e7d86b83dd440b2c0185204b4d63525";
const char kResponse[] = "0140c8";
const char kResponseNonce[] = "c789e7151fcba46158ca84b04464910d";
const char kEncapsulatedResponse[] =
    "c789e7151fcba46158ca84b04464910d86f9013e404feea014e7be4a441f234f"
    "857fbd";

TEST(OhttpTest, MatchesRfc9458AppendixA) {
  auto configs = ParseKeyConfigs(Hex(kKeyConfig));
  ASSERT_TRUE(configs.ok()) << configs.status();
  ASSERT_EQ(configs->size(), 1u);
  EXPECT_EQ(ToHex(EncodeKeyConfig((*configs)[0])), kKeyConfig);
  auto key = ChooseKey(*configs);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->key_id, 1);
  EXPECT_EQ(key->suite.aead, kAeadAes128Gcm);  // the first offered

  auto request =
      ClientRequest::SealForTesting(*key, Hex(kRequest), Hex(kEphemeral));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(ToHex(request->encapsulated()), kEncapsulatedRequest);

  // The gateway's side opens it and seals the example's response.
  auto gateway = GatewayRequest::Open((*configs)[0], Hex(kGatewaySecret),
                                      request->encapsulated());
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  EXPECT_EQ(ToHex(gateway->request()), kRequest);
  auto sealed = gateway->SealResponse(Hex(kResponse), Hex(kResponseNonce));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(ToHex(*sealed), kEncapsulatedResponse);

  auto opened = request->OpenResponse(Hex(kEncapsulatedResponse));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(ToHex(*opened), kResponse);
  auto response = DecodeBhttpResponse(*opened);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);

  auto example_request = DecodeBhttpRequest(Hex(kRequest));
  ASSERT_TRUE(example_request.ok()) << example_request.status();
  EXPECT_EQ(example_request->method, "GET");
  EXPECT_EQ(example_request->authority, "example.com");
  EXPECT_EQ(example_request->path, "/");
}

TEST(OhttpTest, BadResponsesAreDataLossNeverAPlaintext) {
  auto configs = ParseKeyConfigs(Hex(kKeyConfig));
  ASSERT_TRUE(configs.ok());
  auto key = ChooseKey(*configs);
  ASSERT_TRUE(key.ok());
  auto request = ClientRequest::Seal(*key, Hex(kRequest));
  ASSERT_TRUE(request.ok()) << request.status();
  auto gateway = GatewayRequest::Open((*configs)[0], Hex(kGatewaySecret),
                                      request->encapsulated());
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  auto sealed = gateway->SealResponse(Hex(kResponse));
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(request->OpenResponse(*sealed).ok());

  Bytes tampered = *sealed;
  tampered.back() ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(request->OpenResponse(tampered).status()));
  Bytes cut(sealed->begin(), sealed->end() - 1);
  EXPECT_TRUE(absl::IsDataLoss(request->OpenResponse(cut).status()));
  EXPECT_TRUE(absl::IsDataLoss(request->OpenResponse(Hex("00")).status()));
  // The example's response belongs to another request: another key.
  auto other = request->OpenResponse(Hex(kEncapsulatedResponse));
  EXPECT_TRUE(absl::IsDataLoss(other.status()));
  EXPECT_THAT(other.status().message(), HasSubstr("another key"));
}

TEST(OhttpTest, PreparedContextsSealRequestsTheGatewayOpens) {
  auto configs = ParseKeyConfigs(Hex(kKeyConfig));
  ASSERT_TRUE(configs.ok());
  auto key = ChooseKey(*configs);
  ASSERT_TRUE(key.ok());
  auto first = ClientRequest::Prepare(*key);
  auto second = ClientRequest::Prepare(*key);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  // Each has its own ephemeral key.
  EXPECT_NE(first->enc, second->enc);
  for (SenderSetup* setup : {&*first, &*second}) {
    const Bytes enc = setup->enc;
    auto request =
        ClientRequest::SealPrepared(*key, std::move(*setup), Hex(kRequest));
    ASSERT_TRUE(request.ok()) << request.status();
    // The header, then the prepared context's encapsulated key.
    ASSERT_GE(request->encapsulated().size(), 7 + enc.size());
    EXPECT_EQ(Bytes(request->encapsulated().begin() + 7,
                    request->encapsulated().begin() + 7 + enc.size()),
              enc);
    auto gateway = GatewayRequest::Open((*configs)[0], Hex(kGatewaySecret),
                                        request->encapsulated());
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    EXPECT_EQ(ToHex(gateway->request()), kRequest);
    auto sealed = gateway->SealResponse(Hex(kResponse));
    ASSERT_TRUE(sealed.ok());
    auto opened = request->OpenResponse(*sealed);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(ToHex(*opened), kResponse);
  }
}

TEST(OhttpTest, KeyConfigListsAndTheirErrors) {
  const Bytes one = Hex(kKeyConfig);
  // A list of two, length-prefixed: an unknown KEM first cannot even be
  // delimited, so the list is refused; with X25519 both parse.
  KeyConfig second;
  second.key_id = 7;
  second.kem = kKemX25519HkdfSha256;
  second.public_key = Bytes(32, 9);
  second.symmetric = {{kKdfHkdfSha256, kAeadChaCha20Poly1305}};
  Bytes list;
  for (const Bytes& c : {one, EncodeKeyConfig(second)}) {
    list.push_back(static_cast<uint8_t>(c.size() >> 8));
    list.push_back(static_cast<uint8_t>(c.size()));
    list.insert(list.end(), c.begin(), c.end());
  }
  auto configs = ParseKeyConfigs(list);
  ASSERT_TRUE(configs.ok()) << configs.status();
  ASSERT_EQ(configs->size(), 2u);
  EXPECT_EQ((*configs)[1].key_id, 7);
  EXPECT_THAT(
      (*configs)[1].symmetric,
      ElementsAre(std::make_pair(kKdfHkdfSha256, kAeadChaCha20Poly1305)));

  Bytes cut(list.begin(), list.end() - 3);
  EXPECT_TRUE(absl::IsInvalidArgument(ParseKeyConfigs(cut).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseKeyConfigs({}).status()));

  // Only algorithms trr does not implement: Unimplemented, naming them.
  KeyConfig p256_only = second;
  p256_only.symmetric = {{0x0003, 0x0002}};
  auto none = ChooseKey({p256_only});
  EXPECT_TRUE(absl::IsUnimplemented(none.status()));
  EXPECT_THAT(none.status().message(), HasSubstr("KDF 3 AEAD 2"));
  Bytes unknown_kem = Hex(kKeyConfig);
  unknown_kem[2] = 0x10;  // DHKEM(P-256)
  EXPECT_TRUE(absl::IsUnimplemented(ParseKeyConfigs(unknown_kem).status()));
}

TEST(BhttpTest, RoundTripsBothKindsAndReadsTheOtherForms) {
  BhttpRequest request;
  request.authority = "doh.example";
  request.path = "/dns-query";
  request.fields = {{"content-type", "application/dns-message"},
                    {"accept", "application/dns-message"}};
  request.content =
      Hex("abcd0100000100000000000003777777076578616d706c6503636f6d0000010001");
  auto decoded = DecodeBhttpRequest(EncodeBhttpRequest(request));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->method, "POST");
  EXPECT_EQ(decoded->fields, request.fields);
  EXPECT_EQ(decoded->content, request.content);

  BhttpResponse response;
  response.status = 200;
  response.fields = {{"content-type", "application/dns-message"}};
  response.content = Bytes(300, 7);  // a two-byte varint length
  Bytes wire = EncodeBhttpResponse(response);
  wire.insert(wire.end(), 5, 0);  // padding
  auto back = DecodeBhttpResponse(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->status, 200);
  EXPECT_EQ(back->fields, response.fields);
  EXPECT_EQ(back->content, response.content);

  // Indeterminate length, after an informational 103: framing 3, status,
  // fields ended by an empty name, content chunks ended by an empty one.
  Bytes indeterminate = {3, 0x40, 103, 1, 'l', 1, 'x', 0};
  AppendVarint(indeterminate, 200);
  for (const char* s : {"a", "b"}) {
    indeterminate.push_back(1);
    indeterminate.push_back(static_cast<uint8_t>(s[0]));
  }
  indeterminate.push_back(0);  // end of fields
  indeterminate.insert(indeterminate.end(), {2, 'h', 'i', 1, '!', 0});
  auto chunked = DecodeBhttpResponse(indeterminate);
  ASSERT_TRUE(chunked.ok()) << chunked.status();
  EXPECT_EQ(chunked->status, 200);
  EXPECT_THAT(chunked->fields, ElementsAre(BhttpField{"a", "b"}));
  EXPECT_EQ(chunked->content, Text("hi!"));
}

TEST(BhttpTest, MalformedMessagesAreInvalidArgumentWithAnOffset) {
  const struct {
    Bytes wire;
    const char* why;
  } cases[] = {
      {{}, "framing indicator is missing"},
      {{0}, "is not a response's"},
      {{1, 0x40}, "status code is cut short"},
      {{1, 0x40, 50}, "outside 100-599"},
      {{1, 0x40, 200, 10, 1}, "field section runs past the end"},
      {{1, 0x40, 200, 0, 5, 'a'}, "content runs past the end"},
      {{1, 0x40, 200, 0, 0, 0, 7}, "padding holds a byte other than zero"},
      {{1, 0x40, 200, 2, 0, 0}, "field name is empty"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    auto r = DecodeBhttpResponse(c.wire);
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(c.why));
    EXPECT_THAT(r.status().message(), HasSubstr("at byte"));
  }
}

}  // namespace
}  // namespace trr::ohttp
