#include "tests/peers/haproxy_server.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace trr::testing {

bool HaproxyServer::Available() { return !FindProgram("haproxy").empty(); }

absl::StatusOr<std::unique_ptr<HaproxyServer>> HaproxyServer::Start(
    HaproxyConfig config) {
  auto server = std::unique_ptr<HaproxyServer>(new HaproxyServer());
  if (server->dir_.path().empty()) {
    return absl::InternalError("cannot make a temporary folder");
  }
  auto cert = MakeTestCertificate(server->dir_, "doh");
  if (!cert.ok()) return cert.status();
  server->cert_ = *cert;
  auto port = PickFreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  // haproxy takes the certificate and its key in one file.
  std::stringstream pem;
  pem << std::ifstream(cert->cert_file).rdbuf()
      << std::ifstream(cert->key_file).rdbuf();
  const std::string combined = server->dir_.WriteFile("front.pem", pem.str());
  std::vector<std::string> lines = {
      "global",
      "  maxconn 1000",
  };
  if (config.log_requests) lines.push_back("  log stdout format raw local0");
  for (const char* line : {"defaults", "  mode http", "  timeout connect 5s",
                           "  timeout client 30s", "  timeout server 30s"}) {
    lines.push_back(line);
  }
  if (config.log_requests) {
    lines.push_back("  log global");
    lines.push_back("  option httplog");
  }
  const std::vector<std::string> rest = {
      "frontend doh",
      absl::StrCat("  bind 127.0.0.1:", *port, " ssl crt ", combined,
                   config.alpn.empty() ? "" : " alpn ", config.alpn),
      "  default_backend doh_server",
      "backend doh_server",
      absl::StrCat("  server backend 127.0.0.1:", config.backend_port,
                   config.backend_source.empty() ? "" : " source ",
                   config.backend_source),
  };
  lines.insert(lines.end(), rest.begin(), rest.end());
  const std::string conf =
      server->dir_.WriteFile("haproxy.cfg", absl::StrJoin(lines, "\n") + "\n");
  // -db: in the foreground. haproxy prints nothing once its listeners
  // are bound (with -V it names its polling mechanism before binding), so
  // readiness is the listening socket itself.
  auto process = TestProcess::Start({"haproxy", "-db", "-f", conf});
  if (!process.ok()) return process.status();
  server->process_ = std::move(*process);
  if (absl::Status status =
          server->process_->WaitForListening(*port, absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  return server;
}

HaproxyServer::~HaproxyServer() {
  if (process_) process_->Stop();
}

std::string HaproxyServer::DohUri(const std::string& host) const {
  return absl::StrCat("https://", host, ":", port_, "/dns-query");
}

}  // namespace trr::testing
