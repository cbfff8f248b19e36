// Fuzzes the server list of network.trr.uri (whitespace-separated
// templates, or Chromium's JSON form with its own small JSON parser): no
// crash, bounded nesting, and every accepted list holds at most
// kMaxDohServers servers whose templates parse on their own.

#include <cstdint>
#include <cstdlib>

#include "trr/servers/server_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = trr::ParseServerList(text);
  if (!list.ok()) return 0;
  if (list->size() > trr::kMaxDohServers) std::abort();
  for (const trr::DohServerSpec& server : *list) {
    if (!trr::ParseDohUri(server.template_text).ok()) std::abort();
    if (server.bootstrap.size() > trr::kMaxServerAddresses) std::abort();
  }
  return 0;
}
