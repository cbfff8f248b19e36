// The DoH servers of network.trr.uri: one URI template, several separated
// by whitespace (tried in that order), or Chromium's JSON form, in which
// each server may carry its own bootstrap addresses:
//   {"servers":[{"template":"https://a/dns-query{?dns}",
//                "endpoints":[{"ips":["192.0.2.1","2001:db8::1"]}]}]}
// Checked when the pref is set: a malformed list is refused with the
// character it went wrong at, and the previous list stays.

#ifndef TRR_TRR_SERVERS_SERVER_LIST_H_
#define TRR_TRR_SERVERS_SERVER_LIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "trr/ip_address.h"
#include "trr/transport/doh_uri.h"

namespace trr {

// At most this many servers (and this many addresses per server).
constexpr size_t kMaxDohServers = 16;
constexpr size_t kMaxServerAddresses = 16;

struct DohServerSpec {
  std::string template_text;  // as configured
  DohUri uri;
  // From the JSON form's "endpoints"; otherwise empty (a single URI then
  // takes network.trr.bootstrapAddr).
  std::vector<IpAddress> bootstrap;

  friend bool operator==(const DohServerSpec& a, const DohServerSpec& b) {
    return a.template_text == b.template_text && a.bootstrap == b.bootstrap;
  }
  friend bool operator!=(const DohServerSpec& a, const DohServerSpec& b) {
    return !(a == b);
  }
};

// Empty (or only whitespace) is an empty list. Errors read "at character
// N: what" (N counts from 1) and name the template at fault.
absl::StatusOr<std::vector<DohServerSpec>> ParseServerList(
    absl::string_view text);

}  // namespace trr

#endif  // TRR_TRR_SERVERS_SERVER_LIST_H_
