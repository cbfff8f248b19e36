#include "tests/peers/unbound_server.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/peers/dns_client.h"

namespace trr::testing {

absl::StatusOr<TestCertificate> MakeTestCertificate(const TempDir& dir,
                                                    const std::string& name,
                                                    bool with_ips) {
  TestCertificate cert;
  cert.cert_file = absl::StrCat(dir.path(), "/", name, ".pem");
  cert.key_file = absl::StrCat(dir.path(), "/", name, ".key");
  const std::string openssl = FindProgram("openssl");
  if (openssl.empty()) return absl::NotFoundError("openssl is not installed");
  const std::string command = absl::StrCat(
      openssl,
      " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes",
      " -keyout ", cert.key_file, " -out ", cert.cert_file,
      " -days 2 -subj /CN=localhost -addext",
      " subjectAltName=DNS:localhost,DNS:doh.test,DNS:dns.example.test",
      with_ips ? ",IP:127.0.0.1,IP:::1" : "", " >/dev/null 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed: ", command));
  }
  return cert;
}

std::string WriteCaBundle(TempDir& dir, const std::string& name,
                          const std::vector<std::string>& cert_files) {
  std::string bundle;
  for (const std::string& file : cert_files) {
    std::ifstream in(file);
    bundle.append(std::istreambuf_iterator<char>(in),
                  std::istreambuf_iterator<char>());
  }
  return dir.WriteFile(name, bundle);
}

std::string JsonServerList(const std::vector<std::string>& uris) {
  std::string list = R"({"servers": [)";
  for (size_t i = 0; i < uris.size(); ++i) {
    absl::StrAppend(&list, i > 0 ? ", " : "", R"({"template": ")", uris[i],
                    R"(", "endpoints": [{"ips": ["127.0.0.1"]}]})");
  }
  return list + "]}";
}

std::string DefaultTestZone(const std::string& net) {
  return absl::StrCat(
      "$ORIGIN example.test.\n"
      "@ 3600 IN SOA ns.example.test. admin.example.test. 1 7200 900 1209600 "
      "300\n"
      "@ 3600 IN NS ns.example.test.\n"
      "ns 3600 IN A ",
      net,
      ".53\n"
      "www 300 IN A ",
      net,
      ".1\n"
      "www 300 IN AAAA 2001:db8::1\n"
      "v4only 300 IN A ",
      net,
      ".4\n"
      "v6only 300 IN AAAA 2001:db8::6\n"
      "multi 60 IN A ",
      net,
      ".10\n"
      "multi 60 IN A ",
      net,
      ".11\n"
      "multi 60 IN A ",
      net,
      ".12\n"
      "alias 120 IN CNAME mid.example.test.\n"
      "mid 90 IN CNAME www.example.test.\n"
      "private 300 IN A 10.0.0.1\n"
      "loopback 300 IN A 127.0.0.1\n"
      "svc 300 IN HTTPS 1 . alpn=\"h2,h3\" port=8443 ipv4hint=",
      net,
      ".1\n"
      // Every SvcParam trr knows, for the C API and the CLI's output.
      "fullsvc 300 IN HTTPS 1 svc.example.test. mandatory=alpn,port "
      "alpn=h2 no-default-alpn port=8443 ipv4hint=192.0.2.1 "
      "ech=AEn+DQBFKwAgACABWIHUGj4u+"
      "PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50bHMtZWNoLmRld"
      "gAA "
      "ipv6hint=2001:db8::1 key7=/q{?dns}\n"  // key7: dohpath in 1.17
      "txt 60 IN TXT \"hello\" \"world\"\n"
      "*.fault 60 IN A ",
      net, ".77\n");
}

bool UnboundServer::Available() { return !FindProgram("unbound").empty(); }

absl::StatusOr<std::unique_ptr<UnboundServer>> UnboundServer::Start(
    UnboundConfig config) {
  auto server = std::unique_ptr<UnboundServer>(new UnboundServer());
  server->config_ = std::move(config);
  if (server->dir_.path().empty()) {
    return absl::InternalError("cannot make a temporary directory");
  }
  auto cert =
      MakeTestCertificate(server->dir_, "doh", server->config_.cert_ips);
  if (!cert.ok()) return cert.status();
  server->cert_ = *cert;
  // A port picked free may be taken (by another test's outgoing
  // connections) before unbound binds it: then again, with other ports.
  absl::Status launched;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto dns_port = PickFreePort();
    if (!dns_port.ok()) return dns_port.status();
    server->dns_port_ = *dns_port;
    if (server->config_.doh) {
      auto doh_port = PickFreePort();
      if (!doh_port.ok()) return doh_port.status();
      server->doh_port_ = *doh_port;
    }

    const std::string zone_file =
        server->dir_.WriteFile("zone", server->config_.zone);
    std::vector<std::string> lines = {
        "server:",
        absl::StrCat("  interface: 127.0.0.1@", server->dns_port_),
        absl::StrCat("  interface: ::1@", server->dns_port_),
        "  username: \"\"",
        "  chroot: \"\"",
        absl::StrCat("  directory: \"", server->dir_.path(), "\""),
        "  pidfile: \"\"",
        "  use-syslog: no",
        "  logfile: \"\"",
        "  verbosity: 1",
        absl::StrCat("  log-queries: ",
                     server->config_.log_queries ? "yes" : "no"),
        "  so-reuseport: no",
        "  incoming-num-tcp: 256",
        "  num-threads: 1",
        "  module-config: \"iterator\"",
        "  do-ip6: yes",
        "  access-control: 127.0.0.0/8 allow",
        "  access-control: ::1 allow",
        // Never reach out: everything outside the test zones is refused.
        "  local-zone: \".\" refuse",
        "  local-zone: \"test.\" nodefault",
        absl::StrCat("  local-zone: \"", server->config_.zone_name,
                     ".\" transparent"),
    };
    if (server->config_.doh) {
      lines.push_back(
          absl::StrCat("  interface: 127.0.0.1@", server->doh_port_));
      lines.push_back(absl::StrCat("  interface: ::1@", server->doh_port_));
      lines.push_back(absl::StrCat("  https-port: ", server->doh_port_));
      lines.push_back("  http-endpoint: \"/dns-query\"");
      lines.push_back(
          absl::StrCat("  tls-service-key: \"", server->cert_.key_file, "\""));
      lines.push_back(
          absl::StrCat("  tls-service-pem: \"", server->cert_.cert_file, "\""));
    }
    for (const std::string& line : server->config_.server_lines) {
      lines.push_back(absl::StrCat("  ", line));
    }
    lines.push_back("remote-control:");
    lines.push_back("  control-enable: no");
    lines.push_back("auth-zone:");
    lines.push_back(
        absl::StrCat("  name: \"", server->config_.zone_name, "\""));
    lines.push_back(absl::StrCat("  zonefile: \"", zone_file, "\""));
    lines.push_back("  for-downstream: yes");
    lines.push_back("  for-upstream: yes");
    lines.push_back("  fallback-enabled: no");
    server->config_file_ = server->dir_.WriteFile(
        "unbound.conf", absl::StrJoin(lines, "\n") + "\n");
    launched = server->Launch();
    if (launched.ok() ||
        !absl::StrContains(launched.message(), "Address already in use")) {
      break;
    }
  }
  if (!launched.ok()) return launched;
  return server;
}

absl::Status UnboundServer::Launch() {
  auto process = TestProcess::Start({"unbound", "-d", "-c", config_file_});
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  return process_->WaitForOutput("start of service", absl::Seconds(20));
}

UnboundServer::~UnboundServer() {
  if (process_) process_->Stop();
}

std::string UnboundServer::DohUri(const std::string& host) const {
  return absl::StrCat("https://", host, ":", doh_port_, "/dns-query");
}

namespace {

constexpr char kSyncLabel[] = "trr-sync-marker";

// A plain query for NAME A, built by hand so the harness needs no codec.
std::vector<uint8_t> MarkerQuery(const std::string& name) {
  std::vector<uint8_t> query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    query.push_back(static_cast<uint8_t>(dot - start));
    query.insert(query.end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  query.insert(query.end(), {0, 0, 1, 0, 1});
  return query;
}

}  // namespace

int UnboundServer::QueriesReceived(const std::string& name) {
  // log-queries lines look like "info: 127.0.0.1 www.example.test. A IN".
  const std::string needle =
      name.empty() ? std::string(" IN") : absl::StrCat(" ", name, ". ");
  int count = process_->CountOutput(needle);
  for (const auto& earlier : earlier_) count += earlier->CountOutput(needle);
  if (name.empty()) {
    count -= process_->CountOutput(kSyncLabel);
    for (const auto& earlier : earlier_) {
      count -= earlier->CountOutput(kSyncLabel);
    }
  }
  return count;
}

absl::Status UnboundServer::Sync() {
  const std::string name =
      absl::StrCat(kSyncLabel, "-", ++syncs_, ".", config_.zone_name);
  auto answer = UdpExchange(dns_port_, MarkerQuery(name));
  if (!answer.ok()) return answer.status();
  return process_->WaitForOutput(absl::StrCat(" ", name, ". A IN"),
                                 absl::Seconds(10));
}

void UnboundServer::Kill() {
  if (process_) process_->Kill();
}

absl::Status UnboundServer::Restart() {
  Kill();
  earlier_.push_back(std::move(process_));
  return Launch();
}

}  // namespace trr::testing
