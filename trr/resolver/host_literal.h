// Host strings that are addresses, read the way a browser's URL parser
// reads them (the WHATWG URL Standard's host parser), so that what a page
// calls an address is never sent to a resolver as a name:
//  - A host whose last label is a number ("127.1", "0x7f.1", "0177.0.0.1",
//    "2130706433", "192.0.2.55.") is an IPv4 address in one of the forms
//    inet_aton always took (1 to 4 parts, each decimal, 0x-hex or 0-octal,
//    the last filling the bytes left), or it is no host at all
//    ("256.1.1.1", "1.2.3.4.5", "example.123").
//  - A host with a colon is an IPv6 address, with or without brackets; a
//    zone identifier ("fe80::1%eth0") is refused by name, since URLs have
//    none.
// Anything else is a name, to be checked as one (dns::CheckHostName).

#ifndef TRR_TRR_RESOLVER_HOST_LITERAL_H_
#define TRR_TRR_RESOLVER_HOST_LITERAL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "trr/ip_address.h"

namespace trr {

struct HostLiteral {
  enum class Kind : uint8_t {
    kName,     // not an address: check it as a host name
    kAddress,  // `address`
    kInvalid,  // an address form that is no address: `error` says why
  };
  Kind kind = Kind::kName;
  IpAddress address;
  std::string error;
};

// Reads `host` as given by the embedder (no normalization, not escaped).
HostLiteral ParseHostLiteral(absl::string_view host);

}  // namespace trr

#endif  // TRR_TRR_RESOLVER_HOST_LITERAL_H_
