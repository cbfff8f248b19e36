// Fuzzes the base64url decoder; whatever decodes must re-encode to the same
// text (the decoder accepts only canonical encodings).

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "trr/dns/base64url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = trr::dns::Base64UrlDecode(text);
  if (decoded.ok()) {
    if (trr::dns::Base64UrlEncode(*decoded) != text) std::abort();
  }
  // Every byte string must survive an encode/decode round trip.
  auto round_trip = trr::dns::Base64UrlDecode(
      trr::dns::Base64UrlEncode(absl::MakeConstSpan(data, size)));
  if (!round_trip.ok() ||
      !std::equal(round_trip->begin(), round_trip->end(), data, data + size) ||
      round_trip->size() != size) {
    std::abort();
  }
  return 0;
}
