#include "trr/transport/doh_uri.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "trr/ip_address.h"
#include "trr/public/public_status.h"

namespace trr {

std::string RedactUserInfo(absl::string_view uri) {
  size_t start = uri.find("://");
  start = start == absl::string_view::npos ? 0 : start + 3;
  size_t end = uri.find_first_of("/?#", start);
  if (end == absl::string_view::npos) end = uri.size();
  const size_t at = uri.substr(0, end).rfind('@');
  if (at == absl::string_view::npos || at < start) return std::string(uri);
  return absl::StrCat(uri.substr(0, start), "(redacted)", uri.substr(at));
}

namespace {

absl::Status UriError(absl::string_view text, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "DoH URI \"", absl::CHexEscape(RedactUserInfo(text)), "\": ", what));
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_';
}

// Checks a DNS host name or IPv4 literal as it may stand in a URI authority.
bool IsValidRegName(absl::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' ||
      host.back() == '.') {
    return false;
  }
  size_t label_length = 0;
  for (char c : host) {
    if (!IsHostNameChar(c)) return false;
    if (c == '.') {
      if (label_length == 0) return false;
      label_length = 0;
    } else if (++label_length > 63) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string DohUri::HostPort() const {
  return host_is_ipv6_literal ? absl::StrCat("[", host, "]:", port)
                              : absl::StrCat(host, ":", port);
}

std::string DohUri::Authority() const {
  return port == 443
             ? (host_is_ipv6_literal ? absl::StrCat("[", host, "]") : host)
             : HostPort();
}

std::string DohUri::Url() const {
  return absl::StrCat("https://", Authority(), path);
}

std::string DohUri::GetPath(absl::string_view base64url_message) const {
  const bool has_query = path.find('?') != std::string::npos;
  return absl::StrCat(path, has_query ? "&dns=" : "?dns=", base64url_message);
}

std::string DohUri::GetUrl(absl::string_view base64url_message) const {
  return absl::StrCat("https://", Authority(), GetPath(base64url_message));
}

absl::StatusOr<DohUri> ParseDohUri(absl::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return UriError(text, "contains a space or control character");
    }
  }
  constexpr absl::string_view kScheme = "https://";
  if (text.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(text.substr(0, kScheme.size()), kScheme)) {
    return UriError(text, "must start with https://");
  }
  absl::string_view rest = text.substr(kScheme.size());
  if (rest.find('#') != absl::string_view::npos) {
    return UriError(text, "must not have a fragment");
  }
  const size_t authority_end = rest.find_first_of("/?{");
  absl::string_view authority = rest.substr(0, authority_end);
  absl::string_view path = authority_end == absl::string_view::npos
                               ? absl::string_view()
                               : rest.substr(authority_end);
  if (authority.find('@') != absl::string_view::npos) {
    return UriError(text,
                    "must not carry user info; use network.trr.credentials");
  }

  DohUri uri;
  absl::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return UriError(text, "has an unterminated [IPv6] literal");
    }
    absl::string_view literal = authority.substr(1, close - 1);
    auto ip = IpAddress::Parse(ToStd(literal));
    if (!ip || !ip->is_v6()) {
      return UriError(text, "has an invalid IPv6 literal");
    }
    uri.host = ip->ToString();
    uri.host_is_ipv6_literal = true;
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return UriError(text, "has junk after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return UriError(text, "has an empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    absl::string_view host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return UriError(text, "has an empty port");
    }
    if (absl::EndsWith(host, ".")) host.remove_suffix(1);
    if (!IsValidRegName(host)) {
      return UriError(text, "has no valid host name");
    }
    uri.host = absl::AsciiStrToLower(host);
  }
  if (!port_text.empty()) {
    uint32_t port = 0;
    const bool digits_only =
        port_text.find_first_not_of("0123456789") == absl::string_view::npos;
    if (!digits_only || !absl::SimpleAtoi(port_text, &port) || port == 0 ||
        port > 65535) {
      return UriError(text, "has a port outside 1-65535");
    }
    uri.port = static_cast<uint16_t>(port);
  }

  // Drop an RFC 6570 template expression such as "{?dns}".
  const size_t brace = path.find('{');
  if (brace != absl::string_view::npos) path = path.substr(0, brace);
  // A query string left empty ("/dns-query?") gets "?dns=" added cleanly.
  while (!path.empty() && (path.back() == '?' || path.back() == '&')) {
    path.remove_suffix(1);
  }
  if (path.empty()) {
    uri.path = "/";
  } else if (path.front() == '?') {
    uri.path = absl::StrCat("/", path);
  } else {
    uri.path = std::string(path);
  }
  if (uri.path.find_first_of("{}") != std::string::npos) {
    return UriError(text, "has a malformed template");
  }
  return uri;
}

}  // namespace trr
