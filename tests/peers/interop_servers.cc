#include "tests/peers/interop_servers.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/peers/interop_zone.h"

namespace trr::testing {

absl::StatusOr<InteropPeer> InteropServers::Get(const std::string& name) {
  for (const InteropPeer& peer : peers_) {
    if (peer.name == name) return peer;
  }
  if (absl::Status status = Start(name); !status.ok()) return status;
  return peers_.back();
}

absl::StatusOr<UnboundServer*> InteropServers::Unbound() {
  if (unbound_ == nullptr) {
    UnboundConfig config;
    config.zone_name = kInteropZoneName;
    config.zone = InteropZone();
    // Thousands of queries a test: the log would only fill memory.
    config.log_queries = false;
    auto server = UnboundServer::Start(config);
    if (!server.ok()) return server.status();
    unbound_ = std::move(*server);
  }
  return unbound_.get();
}

absl::StatusOr<DnsdistServer*> InteropServers::Dnsdist() {
  if (dnsdist_ == nullptr) {
    auto unbound = Unbound();
    if (!unbound.ok()) return unbound.status();
    auto cert = MakeTestCertificate(dir_, "dnsdist");
    if (!cert.ok()) return cert.status();
    dnsdist_cert_ = cert->cert_file;
    DnsdistConfig config;
    config.backend_port = (*unbound)->dns_port();
    config.certificate = *cert;
    config.cleartext_doh = true;
    auto server = DnsdistServer::Start(config);
    if (!server.ok()) return server.status();
    dnsdist_ = std::move(*server);
  }
  return dnsdist_.get();
}

absl::StatusOr<std::unique_ptr<HaproxyServer>> InteropServers::Http1Front(
    const std::string& alpn) {
  auto dnsdist = Dnsdist();
  if (!dnsdist.ok()) return dnsdist.status();
  HaproxyConfig config;
  config.backend_port = (*dnsdist)->http_port();
  config.alpn = alpn;
  return HaproxyServer::Start(config);
}

void InteropServers::Stop() {
  fronts_.clear();
  dnsdist_.reset();
  kresd_.reset();
  bind_.reset();
  unbound_.reset();
  peers_.clear();
}

absl::Status InteropServers::Start(const std::string& name) {
  auto unbound = Unbound();
  if (!unbound.ok()) return unbound.status();
  UnboundServer& u = **unbound;
  if (name == "unbound") {
    peers_.push_back({name, u.DohUri(), u.doh_port(), u.ca_file(), u.doh_port(),
                      u.ca_file(), u.process().pid()});
  } else if (name == "bind") {
    auto server = BindServer::Start({kInteropZoneName, InteropZone()});
    if (!server.ok()) return server.status();
    bind_ = std::move(*server);
    peers_.push_back({name, bind_->DohUri(), bind_->doh_port(),
                      bind_->ca_file(), bind_->doh_port(), bind_->ca_file(),
                      bind_->process().pid()});
  } else if (name == "kresd") {
    auto server = KresdServer::Start({kInteropZoneName, u.dns_port()});
    if (!server.ok()) return server.status();
    kresd_ = std::move(*server);
    peers_.push_back({name, kresd_->DohUri(), kresd_->doh_port(),
                      kresd_->ca_file(), kresd_->doh_port(), kresd_->ca_file(),
                      kresd_->process().pid()});
  } else if (name == "dnsdist") {
    auto dnsdist = Dnsdist();
    if (!dnsdist.ok()) return dnsdist.status();
    peers_.push_back({name, (*dnsdist)->DohUri(), (*dnsdist)->doh_port(),
                      dnsdist_cert_, (*dnsdist)->doh_port(), dnsdist_cert_,
                      (*dnsdist)->process().pid()});
  } else if (name == "http1") {
    auto front = Http1Front("http/1.1");
    if (!front.ok()) return front.status();
    fronts_.push_back(std::move(*front));
    peers_.push_back({name, fronts_.back()->DohUri(), fronts_.back()->port(),
                      fronts_.back()->ca_file(), dnsdist_->doh_port(),
                      dnsdist_cert_, fronts_.back()->process().pid()});
  } else {
    return absl::InvalidArgumentError(absl::StrCat("no server ", name));
  }
  return absl::OkStatus();
}

std::string InteropMissingProgram(const std::string& name) {
  std::vector<std::string> programs = {"unbound", "kdig"};
  if (name == "bind") programs.push_back("named");
  if (name == "kresd") programs.push_back("kresd");
  if (name == "dnsdist" || name == "http1") programs.push_back("dnsdist");
  if (name == "http1") programs.push_back("haproxy");
  for (const std::string& program : programs) {
    if (FindProgram(program).empty()) return program;
  }
  return "";
}

}  // namespace trr::testing
