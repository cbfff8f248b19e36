// trr_test_unbound: starts the tests' unbound (tests/peers/unbound_server.h)
// for scripts: the demo and the DoH benchmark. Prints shell assignments
//   DNS_PORT=... DOH_PORT=... CA_FILE=... DOH_URI=... PID=...
// and runs until its standard input closes or it is sent SIGTERM/SIGINT.
//   --threads N   unbound threads (default 1)
//   --zone FILE   serve this zone file for example.test instead of the
//                 default test zone
//   --delay-ms N  also start a DelayRelay (tests/peers/delay_relay.h) in
//                 front of the DoH port, N ms each way; prints RELAY_PORT

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/peers/delay_relay.h"
#include "tests/peers/serve_until_stopped.h"
#include "tests/peers/unbound_server.h"

int main(int argc, char** argv) {
  const sigset_t signals = trr::testing::BlockStopSignals();
  trr::testing::UnboundConfig config;
  // Runs for as long as a demo or a benchmark: keep no query log.
  config.log_queries = false;
  int delay_ms = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--delay-ms") == 0 &&
        !absl::SimpleAtoi(argv[i + 1], &delay_ms)) {
      std::fprintf(stderr, "trr_test_unbound: bad --delay-ms\n");
      return 1;
    }
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
  std::unique_ptr<trr::testing::DelayRelay> relay;
  if (delay_ms >= 0) {
    auto started = trr::testing::DelayRelay::Start(
        (*server)->doh_port(), absl::Milliseconds(delay_ms));
    if (!started.ok()) {
      std::fprintf(stderr, "trr_test_unbound: %s\n",
                   std::string(started.status().message()).c_str());
      return 1;
    }
    relay = std::move(*started);
    std::printf("RELAY_PORT=%u\n", relay->port());
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
