// Fuzzes the DoH URI parser: any accepted URI must re-parse from its own
// canonical form to the same parts.

#include <cstdint>
#include <cstdlib>

#include "trr/transport/doh_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto uri = trr::ParseDohUri(text);
  if (!uri.ok()) return 0;
  auto again = trr::ParseDohUri(uri->Url());
  if (!again.ok() || again->host != uri->host || again->port != uri->port ||
      again->path != uri->path) {
    std::abort();
  }
  (void)uri->GetUrl("AAAB");
  return 0;
}
