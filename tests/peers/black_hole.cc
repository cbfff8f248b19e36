#include "tests/peers/black_hole.h"

#include <unistd.h>

#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/peers/test_process.h"

namespace trr::testing {
namespace {

absl::Status RunNft(std::vector<std::string> args) {
  args.insert(args.begin(), "nft");
  auto nft = TestProcess::Start(args);
  if (!nft.ok()) return nft.status();
  if (absl::Status s = (*nft)->WaitForExit(absl::Seconds(10)); !s.ok()) {
    return s;
  }
  if ((*nft)->exit_code() != 0) {
    return absl::InternalError(absl::StrCat("nft failed: ", (*nft)->Output()));
  }
  return absl::OkStatus();
}

}  // namespace

bool BlackHole::Available() {
  if (geteuid() != 0) return false;
  const std::string probe = absl::StrCat("trr_test_probe_", getpid());
  if (!RunNft({"add", "table", "inet", probe}).ok()) return false;
  return RunNft({"delete", "table", "inet", probe}).ok();
}

absl::StatusOr<std::unique_ptr<BlackHole>> BlackHole::Start(uint16_t port) {
  static std::atomic<int> serial{0};
  std::unique_ptr<BlackHole> hole(new BlackHole);
  hole->table_ = absl::StrCat("trr_test_", getpid(), "_", serial++);
  const std::string chain = "{ type filter hook output priority 0; }";
  if (absl::Status s = RunNft({"add", "table", "inet", hole->table_});
      !s.ok()) {
    return s;
  }
  absl::Status s = RunNft({"add", "chain", "inet", hole->table_, "out", chain});
  if (s.ok()) {
    s = RunNft({"add", "rule", "inet", hole->table_, "out", "ip", "daddr",
                "127.0.0.1", "tcp", "dport", absl::StrCat(port), "drop"});
  }
  if (!s.ok()) return s;  // the destructor removes the table
  return hole;
}

BlackHole::~BlackHole() {
  if (!table_.empty()) (void)RunNft({"delete", "table", "inet", table_});
}

}  // namespace trr::testing
