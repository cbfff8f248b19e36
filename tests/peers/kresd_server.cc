#include "tests/peers/kresd_server.h"

#include <sys/stat.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace trr::testing {

namespace {
constexpr char kReady[] = "trr-test: kresd is listening";
}  // namespace

bool KresdServer::Available() { return !FindProgram("kresd").empty(); }

absl::StatusOr<std::unique_ptr<KresdServer>> KresdServer::Start(
    KresdConfig config) {
  auto server = std::unique_ptr<KresdServer>(new KresdServer());
  const std::string& dir = server->dir_.path();
  if (dir.empty()) return absl::InternalError("cannot make a temporary folder");
  auto cert = MakeTestCertificate(server->dir_, "doh");
  if (!cert.ok()) return cert.status();
  server->cert_ = *cert;
  auto doh_port = PickFreePort();
  if (!doh_port.ok()) return doh_port.status();
  server->doh_port_ = *doh_port;
  const std::string rundir = absl::StrCat(dir, "/run");
  mkdir(rundir.c_str(), 0700);
  const std::vector<std::string> lines = {
      // Nothing of its own goes out: no root priming, no RFC 5011 trust
      // anchor refresh, no time-skew check against the root.
      "modules.unload('ta_update')",
      "modules.unload('detect_time_skew')",
      "modules.unload('priming')",
      "trust_anchors.remove('.')",
      absl::StrCat("net.listen('127.0.0.1', ", *doh_port,
                   ", { kind = 'doh2' })"),
      absl::StrCat("net.tls('", cert->cert_file, "', '", cert->key_file, "')"),
      absl::StrCat("policy.add(policy.suffix(policy.STUB('127.0.0.1@",
                   config.upstream_port, "'), {todname('", config.zone_name,
                   ".')}))"),
      "policy.add(policy.all(policy.REFUSE))",
      // The configuration runs in order: the listener is bound by now.
      absl::StrCat("print('", kReady, "')"),
  };
  const std::string conf =
      server->dir_.WriteFile("kresd.conf", absl::StrJoin(lines, "\n") + "\n");
  auto process = TestProcess::Start({"kresd", "-n", "-c", conf, rundir});
  if (!process.ok()) return process.status();
  server->process_ = std::move(*process);
  if (absl::Status status =
          server->process_->WaitForOutput(kReady, absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  return server;
}

KresdServer::~KresdServer() {
  if (process_) process_->Stop();
}

std::string KresdServer::DohUri(const std::string& host) const {
  return absl::StrCat("https://", host, ":", doh_port_, "/dns-query");
}

}  // namespace trr::testing
