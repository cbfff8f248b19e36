// trr_test_unbound: starts the tests' unbound (tests/peers/unbound_server.h)
// for scripts: the demo and the DoH benchmark. Prints shell assignments
//   DNS_PORT=... DOH_PORT=... CA_FILE=... DOH_URI=... PID=...
// and runs until its standard input closes or it is sent SIGTERM/SIGINT.
//   --threads N   unbound threads (default 1)
//   --zone FILE   serve this zone file for example.test instead of the
//                 default test zone

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/peers/serve_until_stopped.h"
#include "tests/peers/unbound_server.h"

int main(int argc, char** argv) {
  const sigset_t signals = trr::testing::BlockStopSignals();
  trr::testing::UnboundConfig config;
  // Runs for as long as a demo or a benchmark: keep no query log.
  config.log_queries = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) {
      config.server_lines.push_back(absl::StrCat("num-threads: ", argv[i + 1]));
    } else if (std::strcmp(argv[i], "--zone") == 0) {
      std::ifstream in(argv[i + 1]);
      std::stringstream zone;
      zone << in.rdbuf();
      config.zone = zone.str();
    }
  }
  auto server = trr::testing::UnboundServer::Start(config);
  if (!server.ok()) {
    std::fprintf(stderr, "trr_test_unbound: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("DNS_PORT=%u\nDOH_PORT=%u\nCA_FILE=%s\nDOH_URI=%s\nPID=%d\n",
              (*server)->dns_port(), (*server)->doh_port(),
              (*server)->ca_file().c_str(), (*server)->DohUri().c_str(),
              static_cast<int>((*server)->process().pid()));
  std::fflush(stdout);
  // Wait for stdin to close or a signal; then the destructor stops unbound.
  trr::testing::ServeUntilStopped(signals);
  return 0;
}
