#include "tests/peers/ohttp_gateway.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace trr::testing {
namespace {

constexpr char kModules[] = "tests/peers/ohttp/node_modules/@hpke/core";

}  // namespace

bool OhttpGateway::Available() {
  return !FindProgram("node").empty() && std::filesystem::exists(kModules);
}

absl::StatusOr<std::unique_ptr<OhttpGateway>> OhttpGateway::Start(
    uint16_t doh_port, const std::string& ca_file, int aead) {
  auto gateway = std::unique_ptr<OhttpGateway>(new OhttpGateway());
  auto port = PickFreePort();
  if (!port.ok()) return port.status();
  gateway->port_ = *port;
  gateway->doh_port_ = doh_port;
  gateway->ca_file_ = ca_file;
  gateway->aead_ = aead;
  if (absl::Status status = gateway->Run(); !status.ok()) return status;
  return gateway;
}

absl::Status OhttpGateway::Run() {
  auto process = TestProcess::Start(
      {"node", kOhttpPeerScript, "serve", absl::StrCat(port_),
       absl::StrCat(doh_port_), ca_file_, absl::StrCat(aead_)});
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  return process_->WaitForOutput("gateway: listening", absl::Seconds(20));
}

absl::Status OhttpGateway::Restart() {
  process_->Stop();
  previous_output_ += process_->Output();
  return Run();
}

OhttpGateway::~OhttpGateway() {
  if (process_) process_->Stop();
}

}  // namespace trr::testing
