#include "tests/peers/bind_server.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace trr::testing {

bool BindServer::Available() { return !FindProgram("named").empty(); }

absl::StatusOr<std::unique_ptr<BindServer>> BindServer::Start(
    BindConfig config) {
  auto server = std::unique_ptr<BindServer>(new BindServer());
  const std::string& dir = server->dir_.path();
  if (dir.empty()) return absl::InternalError("cannot make a temporary folder");
  auto cert = MakeTestCertificate(server->dir_, "doh");
  if (!cert.ok()) return cert.status();
  server->cert_ = *cert;
  auto dns_port = PickFreePort();
  auto doh_port = PickFreePort();
  if (!dns_port.ok()) return dns_port.status();
  if (!doh_port.ok()) return doh_port.status();
  server->dns_port_ = *dns_port;
  server->doh_port_ = *doh_port;
  const std::string zone_file = server->dir_.WriteFile("zone", config.zone);
  const std::vector<std::string> lines = {
      "options {",
      absl::StrCat("  directory \"", dir, "\";"),
      absl::StrCat("  listen-on port ", *dns_port, " { 127.0.0.1; };"),
      absl::StrCat("  listen-on port ", *doh_port,
                   " tls test-tls http test-http { 127.0.0.1; };"),
      "  listen-on-v6 { none; };",
      // Authoritative only: it never sends a query of its own.
      "  recursion no;",
      "  dnssec-validation no;",
      "  notify no;",
      "  pid-file none;",
      "  session-keyfile none;",
      absl::StrCat("  managed-keys-directory \"", dir, "\";"),
      "};",
      "controls { };",
      absl::StrCat("tls test-tls { key-file \"", cert->key_file,
                   "\"; cert-file \"", cert->cert_file, "\"; };"),
      "http test-http { endpoints { \"/dns-query\"; }; };",
      absl::StrCat("zone \"", config.zone_name, "\" { type primary; file \"",
                   zone_file, "\"; };"),
  };
  const std::string conf =
      server->dir_.WriteFile("named.conf", absl::StrJoin(lines, "\n") + "\n");
  // -g: in the foreground, logging to stderr.
  auto process = TestProcess::Start({"named", "-g", "-c", conf});
  if (!process.ok()) return process.status();
  server->process_ = std::move(*process);
  // Its listeners are up before it loads zones; its first lines say
  // "running on Linux" and "running as", so not " running".
  if (absl::Status status = server->process_->WaitForOutput("all zones loaded",
                                                            absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  return server;
}

BindServer::~BindServer() {
  if (process_) process_->Stop();
}

std::string BindServer::DohUri(const std::string& host) const {
  return absl::StrCat("https://", host, ":", doh_port_, "/dns-query");
}

}  // namespace trr::testing
