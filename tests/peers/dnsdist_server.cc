#include "tests/peers/dnsdist_server.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace trr::testing {

bool DnsdistServer::Available() { return !FindProgram("dnsdist").empty(); }

absl::StatusOr<std::unique_ptr<DnsdistServer>> DnsdistServer::Start(
    DnsdistConfig config) {
  auto server = std::unique_ptr<DnsdistServer>(new DnsdistServer());
  auto doh = PickFreePort();
  auto udp = PickFreePort();
  if (!doh.ok()) return doh.status();
  if (!udp.ok()) return udp.status();
  server->doh_port_ = *doh;
  server->udp_port_ = *udp;
  const std::vector<std::pair<std::string, std::string>> ports = {
      {"{udp_port}", absl::StrCat(*udp)}, {"{doh_port}", absl::StrCat(*doh)}};
  std::vector<std::string> lines = {
      // Never poll anything. The backend is forced up: dnsdist 1.7 has no
      // healthCheckMode, and its checks ask for a name unbound refuses.
      "setSecurityPollSuffix(\"\")",
      absl::StrCat("setLocal(\"127.0.0.1:", *udp, "\")"),
      absl::StrCat("newServer({address=\"127.0.0.1:", config.backend_port,
                   "\"})"),
      "getServer(0):setUp()",
      absl::StrCat("addDOHLocal(\"127.0.0.1:", *doh, "\", \"",
                   config.certificate.cert_file, "\", \"",
                   config.certificate.key_file, "\", \"/dns-query\", {",
                   config.doh_options, "})"),
  };
  if (config.cleartext_doh) {
    auto http = PickFreePort();
    if (!http.ok()) return http.status();
    server->http_port_ = *http;
    // No certificate: dnsdist then serves DoH over plain HTTP.
    lines.push_back(absl::StrCat("addDOHLocal(\"127.0.0.1:", *http,
                                 "\", nil, nil, \"/dns-query\", {})"));
  }
  for (const std::string& line : config.lua) {
    lines.push_back(absl::StrReplaceAll(line, ports));
  }
  server->config_file_ =
      server->dir_.WriteFile("dnsdist.conf", absl::StrJoin(lines, "\n") + "\n");
  if (absl::Status status = server->Launch(); !status.ok()) return status;
  return server;
}

absl::Status DnsdistServer::Launch() {
  auto process = TestProcess::Start(
      {"dnsdist", "--supervised", "--disable-syslog", "-C", config_file_});
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  // Printed once the configuration ran; the DoH listeners are checked
  // for themselves.
  if (absl::Status status = process_->WaitForOutput(
          "comes with ABSOLUTELY NO WARRANTY", absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  for (uint16_t port : {doh_port_, http_port_}) {
    if (port == 0) continue;
    if (absl::Status status =
            process_->WaitForListening(port, absl::Seconds(20));
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

DnsdistServer::~DnsdistServer() {
  if (process_) process_->Stop();
}

std::string DnsdistServer::DohUri(const std::string& host) const {
  return absl::StrCat("https://", host, ":", doh_port_, "/dns-query");
}

void DnsdistServer::Kill() {
  if (process_) process_->Kill();
}

absl::Status DnsdistServer::Restart() {
  Kill();
  return Launch();
}

}  // namespace trr::testing
