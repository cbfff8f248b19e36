#include "tests/peers/noisy_doh_server.h"

#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trr::testing {
namespace {

constexpr char kPython[] = "/usr/bin/python3";
// Relative to the source tree, where ctest and Bazel run tests from.
constexpr char kScript[] = "tests/peers/noisy_doh_server.py";

}  // namespace

bool NoisyDohServer::Available() {
  return access(kPython, X_OK) == 0 &&
         access("/usr/lib/python3/dist-packages/h2", R_OK) == 0;
}

absl::StatusOr<std::unique_ptr<NoisyDohServer>> NoisyDohServer::Start(
    std::vector<std::string> flags) {
  auto server = std::unique_ptr<NoisyDohServer>(new NoisyDohServer());
  auto cert = MakeTestCertificate(server->dir_, "noisy");
  if (!cert.ok()) return cert.status();
  server->cert_ = *cert;
  auto port = PickFreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  std::vector<std::string> argv = {
      kPython,  kScript,         "--port", absl::StrCat(*port),
      "--cert", cert->cert_file, "--key",  cert->key_file};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto process = TestProcess::Start(std::move(argv));
  if (!process.ok()) return process.status();
  server->process_ = std::move(*process);
  if (absl::Status status =
          server->process_->WaitForOutput("listening", absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  return server;
}

std::string NoisyDohServer::DohUri() const {
  return absl::StrCat("https://localhost:", port_, "/dns-query");
}

int NoisyDohServer::Count(const std::string& event) {
  return process_->CountOutput(absl::StrCat(event, " "));
}

absl::Status NoisyDohServer::WaitForCount(const std::string& event, int count) {
  return process_->WaitForOutputCount(absl::StrCat(event, " "), count,
                                      absl::Seconds(10));
}

}  // namespace trr::testing
