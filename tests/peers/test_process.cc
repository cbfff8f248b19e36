#include "tests/peers/test_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace trr::testing {

absl::StatusOr<std::unique_ptr<TestProcess>> TestProcess::Start(
    std::vector<std::string> argv) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::string path = argv[0];
  if (path.find('/') == std::string::npos) path = FindProgram(path);
  if (path.empty()) {
    return absl::NotFoundError(absl::StrCat(argv[0], " is not installed"));
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  // Everything the child needs is built before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(path.c_str(), args.data());
    _exit(127);
  }
  close(fds[1]);
  auto process = std::unique_ptr<TestProcess>(new TestProcess());
  process->pid_ = pid;
  const int read_fd = fds[0];
  process->reader_ =
      std::thread([p = process.get(), read_fd] { p->ReadOutput(read_fd); });
  return process;
}

TestProcess::~TestProcess() {
  Stop();
  if (reader_.joinable()) reader_.join();
}

void TestProcess::ReadOutput(int fd) {
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    MutexLock lock(&mu_);
    partial_.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = partial_.find('\n')) != std::string::npos) {
      lines_.push_back(partial_.substr(0, newline));
      partial_.erase(0, newline + 1);
    }
    output_changed_.SignalAll();
  }
  close(fd);
  MutexLock lock(&mu_);
  if (!partial_.empty()) lines_.push_back(std::move(partial_));
  output_closed_ = true;
  output_changed_.SignalAll();
}

absl::Status TestProcess::WaitForOutput(const std::string& text,
                                        absl::Duration timeout) {
  MutexLock lock(&mu_);
  size_t checked = 0;
  bool seen = false;
  auto seen_or_closed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (; checked < lines_.size(); ++checked) {
      if (absl::StrContains(lines_[checked], text)) {
        seen = true;
        return true;
      }
    }
    return output_closed_;
  };
  output_changed_.AwaitWithDeadline(&mu_, absl::Now() + timeout,
                                    seen_or_closed);
  if (seen) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(
      output_closed_ ? "process exited" : "timed out", " before printing \"",
      text, "\"; output:\n", absl::StrJoin(lines_, "\n")));
}

absl::Status TestProcess::WaitForOutputCount(const std::string& text, int count,
                                             absl::Duration timeout) {
  MutexLock lock(&mu_);
  size_t checked = 0;
  int seen = 0;
  auto enough_or_closed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (; checked < lines_.size(); ++checked) {
      if (absl::StrContains(lines_[checked], text)) ++seen;
    }
    return seen >= count || output_closed_;
  };
  output_changed_.AwaitWithDeadline(&mu_, absl::Now() + timeout,
                                    enough_or_closed);
  if (seen >= count) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat(seen, " of ", count, " lines with \"", text, "\""));
}

namespace {

// The inodes of TCP sockets listening on `port`, from /proc/net/tcp and
// tcp6 (state 0A is LISTEN; the local address ends in ":PORT" in hex).
std::vector<std::string> ListeningInodes(uint16_t port) {
  std::vector<std::string> inodes;
  const std::string local_port =
      absl::StrCat(":", absl::Hex(port, absl::kZeroPad4));
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the heading
    while (std::getline(in, line)) {
      std::vector<absl::string_view> fields =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (fields.size() < 10) continue;
      if (fields[3] == "0A" &&
          absl::EndsWithIgnoreCase(fields[1], local_port)) {
        inodes.emplace_back(fields[9]);
      }
    }
  }
  return inodes;
}

// Whether process `pid` has one of `inodes` among its open files.
bool HoldsSocket(pid_t pid, const std::vector<std::string>& inodes) {
  std::error_code error;
  const std::filesystem::path fds = absl::StrCat("/proc/", pid, "/fd");
  for (const auto& entry : std::filesystem::directory_iterator(fds, error)) {
    const std::string target =
        std::filesystem::read_symlink(entry.path(), error).string();
    for (const std::string& inode : inodes) {
      if (target == absl::StrCat("socket:[", inode, "]")) return true;
    }
  }
  return false;
}

}  // namespace

absl::Status TestProcess::WaitForListening(uint16_t port,
                                           absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // The kernel tells no one when a socket starts listening: look again
  // every few milliseconds, or at once when the process prints or exits.
  while (true) {
    const pid_t pid = pid_;
    if (pid > 0 && HoldsSocket(pid, ListeningInodes(port))) {
      return absl::OkStatus();
    }
    MutexLock lock(&mu_);
    const size_t lines = lines_.size();
    if (output_closed_ || absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(output_closed_ ? "process exited" : "timed out",
                       " before listening on port ", port, "; output:\n",
                       absl::StrJoin(lines_, "\n")));
    }
    output_changed_.AwaitWithDeadline(
        &mu_, std::min(deadline, absl::Now() + absl::Milliseconds(5)),
        [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return output_closed_ || lines_.size() != lines;
        });
  }
}

absl::Status TestProcess::WaitForExit(absl::Duration timeout) {
  {
    MutexLock lock(&mu_);
    output_changed_.AwaitWithDeadline(
        &mu_, absl::Now() + timeout,
        [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return output_closed_; });
    if (!output_closed_) {
      return absl::DeadlineExceededError("the process has not exited");
    }
  }
  if (pid_ <= 0) return absl::OkStatus();
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) {
    pid_ = -1;
    if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
  }
  return absl::OkStatus();
}

int TestProcess::CountOutput(const std::string& text) {
  MutexLock lock(&mu_);
  int count = 0;
  for (const std::string& line : lines_) {
    if (absl::StrContains(line, text)) ++count;
  }
  return count;
}

std::string TestProcess::Output() {
  MutexLock lock(&mu_);
  return absl::StrJoin(lines_, "\n");
}

bool TestProcess::running() {
  if (pid_ <= 0) return false;
  int status;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

namespace {

// Whether every thread of `pid` is in the stopped state ('T' in
// /proc/PID/task/TID/stat).
bool AllThreadsStopped(pid_t pid) {
  std::error_code error;
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // The state follows the ")" that ends the command name.
    const size_t paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size() ||
        (line[paren + 2] != 't' && line[paren + 2] != 'T')) {
      return false;
    }
  }
  return !error;
}

}  // namespace

void TestProcess::Pause() {
  if (pid_ <= 0) return;
  kill(pid_, SIGSTOP);
  // SIGSTOP takes effect asynchronously, thread by thread: wait until the
  // whole process has stopped, or a request sent right after could still
  // be answered.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!AllThreadsStopped(pid_) && absl::Now() < deadline) {
    sched_yield();
  }
}

void TestProcess::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

void TestProcess::Reap(absl::Duration timeout) {
  if (pid_ <= 0) return;
  // A pidfd becomes readable when the process exits: wait on that event.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd pfd{pidfd, POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    close(pidfd);
  }
  int status;
  const pid_t r = waitpid(pid_, &status, pidfd >= 0 ? WNOHANG : 0);
  if (r == pid_ || (r < 0 && errno == ECHILD)) pid_ = -1;
}

void TestProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGCONT);
  kill(pid_, SIGTERM);
  Reap(absl::Seconds(2));
  Kill();
}

void TestProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(absl::Seconds(5));
}

std::string FindProgram(const std::string& program) {
  const char* env_path = std::getenv("PATH");
  std::string search = env_path != nullptr ? env_path : "";
  search += ":/usr/sbin:/sbin:/usr/bin";
  for (absl::string_view dir : absl::StrSplit(search, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

namespace {

// Binds `type` on both loopback addresses at `port` (0: any); returns the
// port bound, or 0.
uint16_t BindBoth(int type, uint16_t port, std::vector<int>& fds) {
  const int v4 = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (v4 < 0) return 0;
  fds.push_back(v4);
  sockaddr_in a4{};
  a4.sin_family = AF_INET;
  a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a4.sin_port = htons(port);
  if (bind(v4, reinterpret_cast<sockaddr*>(&a4), sizeof(a4)) != 0) return 0;
  socklen_t length = sizeof(a4);
  getsockname(v4, reinterpret_cast<sockaddr*>(&a4), &length);
  const uint16_t bound = ntohs(a4.sin_port);
  const int v6 = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
  if (v6 < 0) return 0;
  fds.push_back(v6);
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_addr = in6addr_loopback;
  a6.sin6_port = htons(bound);
  if (bind(v6, reinterpret_cast<sockaddr*>(&a6), sizeof(a6)) != 0) return 0;
  return bound;
}

}  // namespace

absl::StatusOr<uint16_t> PickFreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<int> fds;
    const uint16_t port = BindBoth(SOCK_STREAM, 0, fds);
    const bool ok = port != 0 && BindBoth(SOCK_DGRAM, port, fds) == port;
    for (int fd : fds) close(fd);
    if (ok) return port;
  }
  return absl::UnavailableError("no free loopback port for TCP and UDP");
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      base != nullptr && *base != '\0' ? base : "/tmp", "/trr-test-XXXXXX");
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::WriteFile(const std::string& name,
                               const std::string& contents) {
  const std::string full = absl::StrCat(path_, "/", name);
  std::ofstream(full, std::ios::binary) << contents;
  return full;
}

}  // namespace trr::testing
