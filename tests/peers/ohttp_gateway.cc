#include "tests/peers/ohttp_gateway.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace trr::testing {
namespace {

// Relative to the source tree, where ctest and Bazel run tests from.
constexpr char kPeer[] = "tests/peers/ohttp/ohttp_peer.mjs";
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
  auto process =
      TestProcess::Start({"node", kPeer, "serve", absl::StrCat(*port),
                          absl::StrCat(doh_port), ca_file, absl::StrCat(aead)});
  if (!process.ok()) return process.status();
  gateway->process_ = std::move(*process);
  if (absl::Status status = gateway->process_->WaitForOutput(
          "gateway: listening", absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  return gateway;
}

OhttpGateway::~OhttpGateway() {
  if (process_) process_->Stop();
}

}  // namespace trr::testing
