#include "trr/resolver/pref_checks.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "trr/dns/query.h"
#include "trr/ip_address.h"
#include "trr/native/native_resolver.h"
#include "trr/public/public_status.h"
#include "trr/servers/server_list.h"
#include "trr/transport/doh_uri.h"

namespace trr::pref_checks {

absl::Status ServerList(absl::string_view text) {
  return ParseServerList(text).status();
}

absl::Status OptionalDohUri(absl::string_view text) {
  if (text.empty()) return absl::OkStatus();
  return ParseDohUri(text).status();
}
namespace {

absl::Status Refuse(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", absl::CHexEscape(text), "\" ", why));
}

absl::Status HostName(absl::string_view entry, absl::string_view whole) {
  if (dns::WireError error = dns::CheckHostName(entry); !error.ok()) {
    return Refuse(
        whole, absl::StrCat("is not a host name (\"", absl::CHexEscape(entry),
                            "\": ", error.what, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AddressList(absl::string_view text) {
  for (absl::string_view entry :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!IpAddress::Parse(ToStd(entry))) {
      return Refuse(text, absl::StrCat("has \"", absl::CHexEscape(entry),
                                       "\", which is not an IP address"));
    }
  }
  return absl::OkStatus();
}

absl::Status IpPort(absl::string_view text) {
  if (text.empty() || ParseIpPort(text)) return absl::OkStatus();
  return Refuse(text, "is not IP, IP:PORT or [IPv6]:PORT");
}

absl::Status CaFile(absl::string_view path) {
  if (path.empty()) return absl::OkStatus();
  const std::string file(path);
  struct stat info {};
  if (stat(file.c_str(), &info) != 0) {
    return Refuse(path, absl::StrCat("cannot be read: ", std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) return Refuse(path, "is not a regular file");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Refuse(path, absl::StrCat("cannot be read: ", std::strerror(errno)));
  }
  // Enough for any CA bundle; a larger file is not a list of certificates.
  constexpr size_t kMaxSize = 16 << 20;
  if (static_cast<size_t>(info.st_size) > kMaxSize) {
    return Refuse(path, "is larger than 16 MiB");
  }
  const std::string pem((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
  const std::string kBegin = "-----BEGIN CERTIFICATE-----";
  const std::string kEnd = "-----END CERTIFICATE-----";
  const size_t begin = pem.find(kBegin);
  if (begin == std::string::npos) {
    return Refuse(path, "holds no PEM certificate (no BEGIN CERTIFICATE)");
  }
  const size_t body = begin + kBegin.size();
  const size_t end = pem.find(kEnd, body);
  if (end == std::string::npos) {
    return Refuse(path, "has a PEM certificate with no END CERTIFICATE");
  }
  std::string base64;
  for (char c : absl::string_view(pem).substr(body, end - body)) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) base64 += c;
  }
  std::string der;
  if (!absl::Base64Unescape(base64, &der) || der.empty() ||
      static_cast<unsigned char>(der[0]) != 0x30) {
    return Refuse(path, "has a PEM certificate whose body is not base64 DER");
  }
  return absl::OkStatus();
}

absl::Status Host(absl::string_view text) {
  if (text.empty() || IpAddress::Parse(ToStd(text))) return absl::OkStatus();
  return HostName(text, text);
}

absl::Status ConfirmationName(absl::string_view text) {
  if (text == "skip") return absl::OkStatus();
  return HostName(text, text);
}

absl::Status DomainList(absl::string_view text) {
  for (absl::string_view entry :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!absl::ConsumePrefix(&entry, "*.")) absl::ConsumePrefix(&entry, ".");
    if (absl::Status s = HostName(entry, text); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status HeaderValue(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool inside = i > 0 && i + 1 < text.size();
    if ((c >= 0x21 && c <= 0x7e) || (inside && (c == ' ' || c == '\t'))) {
      continue;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("not an HTTP header value: byte ", i + 1, " is ",
                     c == '\r'   ? "a carriage return"
                     : c == '\n' ? "a line feed"
                     : c == ' ' || c == '\t'
                         ? "white space at an end"
                         : absl::StrCat("0x", absl::Hex(c, absl::kZeroPad2))));
  }
  return absl::OkStatus();
}

}  // namespace trr::pref_checks
