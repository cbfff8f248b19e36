// Fuzzes what an Oblivious HTTP client reads from the network (trr/ohttp):
// the first byte picks the parser, the rest is the input.
//   'K'  application/ohttp-keys: ParseKeyConfigs, then ChooseKey and a
//        request sealed to the chosen key
//   'Q'  a Binary HTTP request; 'S' a Binary HTTP response: whatever
//        decodes re-encodes and decodes to the same message
//   else an Encapsulated Response to RFC 9458 appendix A's request, which
//        must not open unless it is that appendix's own response
// Any crash, or a broken property (abort), is a finding.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "trr/ohttp/bhttp.h"
#include "trr/ohttp/ohttp.h"

namespace {

using trr::ohttp::Bytes;

Bytes Hex(const char* hex) {
  const std::string raw = absl::HexStringToBytes(hex);
  return Bytes(raw.begin(), raw.end());
}

// RFC 9458 appendix A: the gateway's key configuration and the client's
// request, sealed with the appendix's ephemeral key.
const trr::ohttp::ClientRequest& AppendixRequest() {
  static const trr::ohttp::ClientRequest* request = [] {
    auto configs = trr::ohttp::ParseKeyConfigs(
        Hex("01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e"
            "79815500080001000100010003"));
    auto key = trr::ohttp::ChooseKey(*configs);
    auto sealed = trr::ohttp::ClientRequest::SealForTesting(
        *key, Hex("00034745540568747470730b6578616d706c652e636f6d012f"),
        Hex("bc51d5e930bda26589890ac7032f70ad12e4ecb37abb1b65b1256c9c48999c7"
            "3"));
    return new trr::ohttp::ClientRequest(std::move(*sealed));
  }();
  return *request;
}

void CheckSameRequest(const trr::ohttp::BhttpRequest& a,
                      const trr::ohttp::BhttpRequest& b) {
  if (a.method != b.method || a.scheme != b.scheme ||
      a.authority != b.authority || a.path != b.path ||
      !(a.fields == b.fields) || a.content != b.content ||
      !(a.trailers == b.trailers)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const trr::ohttp::ByteSpan in(data + 1, size - 1);
  switch (data[0]) {
    case 'K': {
      auto configs = trr::ohttp::ParseKeyConfigs(in);
      if (!configs.ok()) return 0;
      if (configs->empty()) std::abort();
      auto key = trr::ohttp::ChooseKey(*configs);
      if (!key.ok()) return 0;
      // A public key of the right length may still be refused (a
      // low-order point); it must never crash.
      (void)trr::ohttp::ClientRequest::Seal(*key, in);
      return 0;
    }
    case 'Q': {
      auto request = trr::ohttp::DecodeBhttpRequest(in);
      if (!request.ok()) return 0;
      auto again = trr::ohttp::DecodeBhttpRequest(
          trr::ohttp::EncodeBhttpRequest(*request));
      if (!again.ok()) std::abort();
      CheckSameRequest(*request, *again);
      return 0;
    }
    case 'S': {
      auto response = trr::ohttp::DecodeBhttpResponse(in);
      if (!response.ok()) return 0;
      auto again = trr::ohttp::DecodeBhttpResponse(
          trr::ohttp::EncodeBhttpResponse(*response));
      if (!again.ok() || again->status != response->status ||
          !(again->fields == response->fields) ||
          again->content != response->content) {
        std::abort();
      }
      return 0;
    }
    default: {
      auto opened = AppendixRequest().OpenResponse(in);
      if (opened.ok() && *opened != Hex("0140c8")) std::abort();
      return 0;
    }
  }
}
