// InteropServers: every DoH server of the interop test, each serving the
// interop zone (tests/peers/interop_zone.h) on loopback, started when first
// asked for and kept until Stop():
//   "unbound"  unbound 1.17 (it also holds the zone for the next two)
//   "bind"     BIND 9.18
//   "kresd"    knot-resolver 5.6, passing queries on to the unbound
//   "dnsdist"  dnsdist 1.7 in front of the unbound
//   "http1"    haproxy offering only ALPN http/1.1, before dnsdist's
//              cleartext DoH listener
// Used by tests/trr/interop_test.cc and by trr_test_peer (the interop
// benchmark's servers).

#ifndef TRR_TESTS_PEERS_INTEROP_SERVERS_H_
#define TRR_TESTS_PEERS_INTEROP_SERVERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/peers/bind_server.h"
#include "tests/peers/dnsdist_server.h"
#include "tests/peers/haproxy_server.h"
#include "tests/peers/kresd_server.h"
#include "tests/peers/unbound_server.h"

namespace trr::testing {

// One DoH server, and where kdig asks the same server.
struct InteropPeer {
  std::string name;
  std::string uri;  // https://localhost:PORT/dns-query
  uint16_t port = 0;
  std::string ca_file;
  // kdig speaks DoH over HTTP/2 only: for the HTTP/1.1 front it asks the
  // dnsdist behind it, on that dnsdist's own TLS listener.
  uint16_t kdig_port = 0;
  std::string kdig_ca_file;
  // The server's own process (for the HTTP/1.1 front, haproxy's).
  int pid = 0;
};

class InteropServers {
 public:
  // Starts `name` (and what it stands on) unless it runs already.
  absl::StatusOr<InteropPeer> Get(const std::string& name);

  // The unbound that holds the zone (plain DNS on dns_port()).
  absl::StatusOr<UnboundServer*> Unbound();
  // Another HTTP/1.1-only front before dnsdist, offering `alpn` ("" for no
  // ALPN at all); the caller owns it.
  absl::StatusOr<std::unique_ptr<HaproxyServer>> Http1Front(
      const std::string& alpn);

  void Stop();

 private:
  absl::StatusOr<DnsdistServer*> Dnsdist();
  absl::Status Start(const std::string& name);

  TempDir dir_;
  std::unique_ptr<UnboundServer> unbound_;
  std::unique_ptr<BindServer> bind_;
  std::unique_ptr<KresdServer> kresd_;
  std::unique_ptr<DnsdistServer> dnsdist_;
  std::string dnsdist_cert_;
  std::vector<std::unique_ptr<HaproxyServer>> fronts_;
  std::vector<InteropPeer> peers_;
};

// The first program `name` needs that is not installed, or "".
std::string InteropMissingProgram(const std::string& name);

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_INTEROP_SERVERS_H_
