// TestProcess: a peer program (unbound, dnsdist) started by a test, with its
// output collected by a thread, waited on by pattern with a deadline, and
// stopped by PID.

#ifndef TRR_TESTS_PEERS_TEST_PROCESS_H_
#define TRR_TESTS_PEERS_TEST_PROCESS_H_

#include <sys/types.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "gtest/gtest.h"

namespace trr::testing {

class TestProcess {
 public:
  // Starts argv[0] (a path or a name looked up in PATH) with stdout and
  // stderr collected. The child gets SIGKILL if the test process dies.
  static absl::StatusOr<std::unique_ptr<TestProcess>> Start(
      std::vector<std::string> argv);
  ~TestProcess();  // Stop()

  // Waits until a line of output contains `text`; fails at the deadline or
  // when the process exits first.
  absl::Status WaitForOutput(const std::string& text, absl::Duration timeout);
  // Lines of output containing `text` so far.
  int CountOutput(const std::string& text);
  // Waits until at least `count` lines contain `text`; fails at the
  // deadline or when the process exits first.
  absl::Status WaitForOutputCount(const std::string& text, int count,
                                  absl::Duration timeout);
  // Waits until this process holds a TCP socket listening on `port`
  // (127.0.0.1 or ::1), as /proc says; fails at the deadline or when the
  // process exits first. For peers that say they are ready before they
  // bind (haproxy prints its polling mechanism first).
  absl::Status WaitForListening(uint16_t port, absl::Duration timeout);
  // Every line so far, for failure messages.
  std::string Output();
  // Waits until the process has exited (its output closed) and reaps it;
  // fails at the deadline, leaving it running.
  absl::Status WaitForExit(absl::Duration timeout);
  // Its exit status once reaped by WaitForExit; -1 before, or if a signal
  // ended it.
  int exit_code() const { return exit_code_; }

  pid_t pid() const { return pid_; }
  bool running();
  void Pause();   // SIGSTOP
  void Resume();  // SIGCONT
  // SIGTERM, then SIGKILL if it has not exited within a second; reaps it.
  void Stop();
  // SIGKILL at once; reaps it.
  void Kill();

 private:
  TestProcess() = default;
  void ReadOutput(int fd);
  void Reap(absl::Duration timeout);

  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::thread reader_;
  Mutex mu_;
  CondVar output_changed_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::string partial_ ABSL_GUARDED_BY(mu_);
  bool output_closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The full path of `program` in PATH (and /usr/sbin, /sbin), or "".
std::string FindProgram(const std::string& program);

// A free TCP+UDP port on 127.0.0.1 and ::1, as the kernel hands them out.
absl::StatusOr<uint16_t> PickFreePort();

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& contents);

 private:
  std::string path_;
};

}  // namespace trr::testing

// Skips the current test loudly when a peer it needs is missing; with
// TRR_REQUIRE_PEERS set (CI installs every peer) the test fails instead, so
// a peer that went missing cannot pass unnoticed. `message` may stream.
#define TRR_SKIP_LOUDLY(message)                       \
  do {                                                 \
    if (std::getenv("TRR_REQUIRE_PEERS") != nullptr) { \
      FAIL() << message;                               \
    } else {                                           \
      GTEST_SKIP() << message;                         \
    }                                                  \
  } while (0)

#endif  // TRR_TESTS_PEERS_TEST_PROCESS_H_
