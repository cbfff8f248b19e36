#include "tests/peers/proxy_servers.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace trr::testing {

bool SquidServer::Available() { return !FindProgram("squid").empty(); }

absl::StatusOr<std::unique_ptr<SquidServer>> SquidServer::Start(bool allow) {
  auto server = std::unique_ptr<SquidServer>(new SquidServer());
  const std::string& dir = server->dir_.path();
  if (dir.empty()) return absl::InternalError("cannot make a temporary folder");
  // squid drops to its own user, which writes its logs here.
  chmod(dir.c_str(), 0777);
  auto port = PickFreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  const std::vector<std::string> lines = {
      absl::StrCat("http_port 127.0.0.1:", *port),
      "acl local src 127.0.0.0/8",
      allow ? "http_access allow local" : "http_access deny all",
      "http_access deny all",
      absl::StrCat("access_log stdio:", dir, "/access.log"),
      absl::StrCat("cache_log ", dir, "/cache.log"),
      absl::StrCat("pid_filename ", dir, "/squid.pid"),
      absl::StrCat("coredump_dir ", dir),
      "cache deny all",
      "shutdown_lifetime 1 seconds",
      // Names come from /etc/hosts (localhost); nothing is asked of any
      // DNS server off this host.
      "dns_nameservers 127.0.0.1",
  };
  const std::string conf =
      server->dir_.WriteFile("squid.conf", absl::StrJoin(lines, "\n") + "\n");
  static std::atomic<int> serial{0};
  server->name_ = absl::StrCat("trrtest", getpid(), "x", serial++);
  auto process = TestProcess::Start(
      {"squid", "-N", "-n", server->name_, "-d", "1", "-f", conf});
  if (!process.ok()) return process.status();
  server->process_ = std::move(*process);
  if (absl::Status status = server->process_->WaitForOutput(
          "Accepting HTTP Socket connections", absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          server->process_->WaitForListening(*port, absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  return server;
}

std::string SquidServer::Log() {
  std::ifstream cache_log(dir_.path() + "/cache.log");
  std::stringstream cache;
  cache << cache_log.rdbuf();
  return absl::StrCat("squid (pid ", process_->pid(), ", ",
                      process_->running() ? "running" : "exited",
                      ") printed:\n", process_->Output(), "\ncache.log:\n",
                      cache.str());
}

SquidServer::~SquidServer() {
  if (process_) process_->Stop();
  if (name_.empty()) return;
  // The shared memory segments squid leaves behind: /dev/shm/NAME-*.
  const std::string prefix = name_ + "-";
  if (DIR* d = opendir("/dev/shm")) {
    while (const dirent* entry = readdir(d)) {
      if (std::string(entry->d_name).rfind(prefix, 0) == 0) {
        unlink(absl::StrCat("/dev/shm/", entry->d_name).c_str());
      }
    }
    closedir(d);
  }
}

bool DanteServer::Available() { return !FindProgram("danted").empty(); }

absl::StatusOr<std::unique_ptr<DanteServer>> DanteServer::Start() {
  auto server = std::unique_ptr<DanteServer>(new DanteServer());
  if (server->dir_.path().empty()) {
    return absl::InternalError("cannot make a temporary folder");
  }
  auto port = PickFreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  const std::vector<std::string> lines = {
      "logoutput: stderr",
      absl::StrCat("internal: 127.0.0.1 port = ", *port),
      "external: 127.0.0.1",
      "socksmethod: none",
      "clientmethod: none",
      "user.privileged: root",
      "user.unprivileged: nobody",
      "client pass {",
      "  from: 127.0.0.0/8 to: 0.0.0.0/0",
      "}",
      "socks pass {",
      "  from: 127.0.0.0/8 to: 127.0.0.0/8",
      "  command: connect",
      "}",
  };
  const std::string conf =
      server->dir_.WriteFile("danted.conf", absl::StrJoin(lines, "\n") + "\n");
  auto process = TestProcess::Start({"danted", "-d", "1", "-f", conf});
  if (!process.ok()) return process.status();
  server->process_ = std::move(*process);
  if (absl::Status status = server->process_->WaitForOutput(
          "negotiate-child and ready to serve", absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  return server;
}

DanteServer::~DanteServer() {
  if (process_) process_->Stop();
}

}  // namespace trr::testing
