// Fuzzes the parsers of a proxy's answers (trr/proxy.h): the first byte
// picks which ('H' HTTP CONNECT, 'M' the SOCKS5 method, else the SOCKS5
// reply), the rest is what the proxy sent.

#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "trr/transport/proxy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0];
  const absl::Span<const uint8_t> answer(data + 1, size - 1);
  trr::ProxyReply reply;
  if (which == 'H') {
    reply = trr::ParseHttpConnectReply(absl::string_view(
        reinterpret_cast<const char*>(answer.data()), answer.size()));
  } else if (which == 'M') {
    reply = trr::ParseSocks5Method(answer);
  } else {
    reply = trr::ParseSocks5Reply(answer);
  }
  using State = trr::ProxyReply::State;
  if (reply.state == State::kOk &&
      (reply.consumed == 0 || reply.consumed > answer.size())) {
    std::abort();
  }
  if (reply.state == State::kFailed && reply.error.empty()) std::abort();
  return 0;
}
