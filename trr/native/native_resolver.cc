#include "trr/native/native_resolver.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"
#include "trr/loop/socket_address.h"
#include "trr/native/dns_record.h"
#include "trr/public/public_status.h"

namespace trr {

std::optional<std::pair<IpAddress, uint16_t>> ParseIpPort(
    absl::string_view text) {
  absl::string_view host = text;
  absl::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto ip = IpAddress::Parse(ToStd(host));
  if (!ip) return std::nullopt;
  uint32_t port = 53;
  if (!port_text.empty() &&
      (!absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535)) {
    return std::nullopt;
  }
  return std::make_pair(*ip, static_cast<uint16_t>(port));
}

NativeResult NativeFailure(std::string error) {
  NativeResult result;
  result.outcome = NativeResult::Outcome::kFailed;
  result.error = std::move(error);
  return result;
}

}  // namespace trr
