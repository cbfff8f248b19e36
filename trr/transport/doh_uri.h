// DohUri: the DoH endpoint of network.trr.uri, parsed and checked once so
// the transport can build request URLs without re-parsing (RFC 8484 section 4).

#ifndef TRR_TRR_TRANSPORT_DOH_URI_H_
#define TRR_TRR_TRANSPORT_DOH_URI_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace trr {

struct DohUri {
  // Lower-cased host name or IP literal; an IPv6 literal without brackets.
  std::string host;
  uint16_t port = 443;
  // Path plus any query string; at least "/". A URI template's variable part
  // ("{?dns}", RFC 6570) is dropped, as Firefox does.
  std::string path;
  bool host_is_ipv6_literal = false;

  // "https://host[:port]/path", the form requests are sent to (POST).
  std::string Url() const;
  // The GET URL for one query: the path with "?dns=" or, when the path
  // already carries a query, "&dns=" and the base64url message.
  std::string GetUrl(absl::string_view base64url_message) const;
  // GetUrl's path and query alone (HTTP/2's :path).
  std::string GetPath(absl::string_view base64url_message) const;
  // "host[:port]" as the URL and HTTP/2's :authority carry it: IPv6
  // literals bracketed, the port left out when it is 443.
  std::string Authority() const;
  // "host:port" with IPv6 literals bracketed, as CURLOPT_RESOLVE wants it.
  std::string HostPort() const;
};

// `uri` with any user info ("user:password@") replaced by "(redacted)@",
// for error messages, logs and dumps.
std::string RedactUserInfo(absl::string_view uri);

// Parses an https URI. Rejects other schemes, user info (credentials belong
// in network.trr.credentials), fragments, empty or malformed hosts, ports
// outside 1-65535, and spaces or control characters anywhere.
absl::StatusOr<DohUri> ParseDohUri(absl::string_view text);

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_DOH_URI_H_
