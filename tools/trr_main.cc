// trr: the command-line face of the library. Today it shows the pieces that
// have landed: DoH URI parsing and address classification.

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "hostcache/ip_address.h"
#include "trr/dns/base64url.h"
#include "trr/doh_uri.h"

namespace {

constexpr char kUsage[] =
    "usage: trr uri URI...   parse DoH URIs and show the GET form of a query\n"
    "       trr ip ADDRESS... classify addresses as allow-rfc1918 sees them\n";

int ShowUris(int argc, char** argv) {
  int status = 0;
  // The RFC 8484 section 4.1.1 example query for www.example.com A.
  const uint8_t query[] = {0,   0,   1,   0,   0,   1,   0,   0,   0,
                           0,   0,   0,   3,   'w', 'w', 'w', 7,   'e',
                           'x', 'a', 'm', 'p', 'l', 'e', 3,   'c', 'o',
                           'm', 0,   0,   1,   0,   1};
  for (int i = 0; i < argc; ++i) {
    auto uri = trr::ParseDohUri(argv[i]);
    if (!uri.ok()) {
      std::fprintf(stderr, "trr: %s\n",
                   std::string(uri.status().message()).c_str());
      status = 1;
      continue;
    }
    std::printf("%s\n  host %s port %u path %s\n  GET %s\n", argv[i],
                uri->host.c_str(), uri->port, uri->path.c_str(),
                uri->GetUrl(trr::dns::Base64UrlEncode(query)).c_str());
  }
  return status;
}

int ClassifyAddresses(int argc, char** argv) {
  int status = 0;
  for (int i = 0; i < argc; ++i) {
    auto ip = trr::IpAddress::Parse(argv[i]);
    if (!ip) {
      std::fprintf(stderr, "trr: '%s' is not an IP address\n", argv[i]);
      status = 1;
      continue;
    }
    const char* kind = ip->IsLoopback()      ? "loopback"
                       : ip->IsPrivate()     ? "private"
                       : ip->IsLinkLocal()   ? "link-local"
                       : ip->IsUnspecified() ? "unspecified"
                                             : "public";
    std::printf("%-40s IPv%c %-12s %s\n", ip->ToString().c_str(),
                ip->is_v4() ? '4' : '6', kind,
                ip->IsLocal() ? "rejected in TRR answers (allow-rfc1918 off)"
                              : "allowed in TRR answers");
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const absl::string_view command = argv[1];
  if (command == "uri") return ShowUris(argc - 2, argv + 2);
  if (command == "ip") return ClassifyAddresses(argc - 2, argv + 2);
  std::fputs(kUsage, stderr);
  return 2;
}
