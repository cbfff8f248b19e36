// trr_test_peer: starts one of the interop test's DoH servers
// (tests/peers/interop_servers.h) for scripts, such as the interop
// benchmark (scripts/bench_interop.sh). Prints shell assignments
//   DOH_URI=... DOH_PORT=... CA_FILE=... DNS_PORT=... PID=...
// and runs until its standard input closes or it is sent SIGTERM/SIGINT.
//   --server NAME   unbound, bind, kresd, dnsdist or http1

#include <cstdio>
#include <cstring>
#include <string>

#include "tests/peers/interop_servers.h"
#include "tests/peers/serve_until_stopped.h"

int main(int argc, char** argv) {
  const sigset_t signals = trr::testing::BlockStopSignals();
  std::string name;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--server") == 0) name = argv[i + 1];
  }
  trr::testing::InteropServers servers;
  auto peer = servers.Get(name);
  auto unbound = servers.Unbound();
  if (!peer.ok() || !unbound.ok()) {
    std::fprintf(stderr, "trr_test_peer: %s\n",
                 std::string(!peer.ok() ? peer.status().message()
                                        : unbound.status().message())
                     .c_str());
    return 1;
  }
  std::printf("DOH_URI=%s\nDOH_PORT=%u\nCA_FILE=%s\nDNS_PORT=%u\nPID=%d\n",
              peer->uri.c_str(), peer->port, peer->ca_file.c_str(),
              (*unbound)->dns_port(), peer->pid);
  std::fflush(stdout);
  // Wait for stdin to close or a signal; then every server is stopped.
  trr::testing::ServeUntilStopped(signals);
  servers.Stop();
  return 0;
}
