// Discovery of Designated Resolvers (DDR, RFC 9462): what an SVCB answer
// for _dns.resolver.arpa designates. The network's unencrypted resolver
// names its encrypted ones; trr uses a designation offering DoH over HTTP/2
// (alpn h2 and a dohpath, RFC 9461) and only after verified discovery
// (section 4.2), which the DoH transport does on every connection: the
// designated server's certificate must cover the unencrypted resolver's IP
// address (DohConfig::verify_ip). Pure: the resolver sends the query.

#ifndef TRR_TRR_SERVERS_DDR_H_
#define TRR_TRR_SERVERS_DDR_H_

#include <string>
#include <vector>

#include "trr/servers/server_list.h"
#include "trr/svcb_record.h"

namespace trr {

inline constexpr char kDdrQueryName[] = "_dns.resolver.arpa";
// At most this many designations are used; the rest are ignored.
inline constexpr size_t kMaxDesignations = 4;

struct DdrDesignation {
  // "https://target[:port]/dohpath-template", or as much of it as the
  // record gave when it is ignored.
  std::string uri;
  // Usable: the server, its hints as bootstrap addresses.
  DohServerSpec spec;
  // Why it is ignored; empty when usable.
  std::string ignored;
};

// Every record of the answer, lowest SvcPriority first (AliasMode
// records last), each usable or with the reason it is ignored: AliasMode;
// a target under resolver.arpa (the name designating itself); no "h2" in
// its alpn; no dohpath, or one without the {?dns} variable; a URI that
// does not parse; a duplicate; more than kMaxDesignations usable ones.
std::vector<DdrDesignation> ReadDesignations(
    const std::vector<SvcbRecord>& records);

}  // namespace trr

#endif  // TRR_TRR_SERVERS_DDR_H_
