// Encoding of DoH queries (RFC 8484 section 4.1): ID 0, RD set, one question,
// and an EDNS0 OPT record that carries the privacy options of network.trr.*.

#ifndef TRR_TRR_DNS_QUERY_H_
#define TRR_TRR_DNS_QUERY_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "trr/dns/wire_error.h"

namespace trr::dns {

struct QueryOptions {
  // RFC 8484 section 4.1: DoH clients use ID 0 so answers can be cached.
  uint16_t id = 0;
  // network.trr.disable-ECS: send an EDNS Client Subnet option with source
  // prefix 0, which asks the resolver not to use the client's subnet
  // (RFC 7871 section 7.1.2).
  bool disable_ecs = true;
  // network.trr.padding.length: pad the whole query to a multiple of this
  // many bytes (RFC 7830, RFC 8467 section 4.1); 0 sends no padding.
  uint16_t padding_block = 128;
  // The DO bit (RFC 3225): ask for DNSSEC records.
  bool dnssec_ok = false;
};

// Checks that `host` can be sent as a QNAME: labels of 1 to 63 characters
// from A-Z a-z 0-9 '-' '_' separated by dots, at most 253 characters with
// an optional trailing dot. Host names arrive already in ASCII (punycode).
// The error's offset is the position in `host` of the first problem.
WireError CheckHostName(absl::string_view host);

// Replaces `out` with the query for (`host`, `type`, IN): the name is
// lower-cased and a trailing dot dropped. Fails only on a bad host name
// (CheckHostName's error), leaving `out` empty.
WireError EncodeQuery(absl::string_view host, uint16_t type,
                      const QueryOptions& options, std::vector<uint8_t>& out);

}  // namespace trr::dns

#endif  // TRR_TRR_DNS_QUERY_H_
