// For the peer tools that scripts start (trr_test_unbound, trr_test_peer):
// they serve until their standard input closes or they get SIGTERM/SIGINT,
// and then stop their servers by PID on the way out.

#ifndef TRR_TESTS_PEERS_SERVE_UNTIL_STOPPED_H_
#define TRR_TESTS_PEERS_SERVE_UNTIL_STOPPED_H_

#include <signal.h>
#include <unistd.h>

#include <thread>

namespace trr::testing {

// Call first in main(), before any thread starts (the peers' output
// readers too): SIGTERM and SIGINT then wait for ServeUntilStopped()
// instead of ending the process with its servers still up.
inline sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Returns when standard input closes or one of `signals` arrives.
inline void ServeUntilStopped(const sigset_t& signals) {
  std::thread stdin_watch([] {
    char buffer[256];
    while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
    }
    kill(getpid(), SIGTERM);
  });
  stdin_watch.detach();
  int received = 0;
  sigwait(&signals, &received);
}

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_SERVE_UNTIL_STOPPED_H_
