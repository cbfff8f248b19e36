// Dashboard: a live page in the manner of about:networking#dns, served on
// 127.0.0.1 with cpp-httplib: the DNS table (refreshing every two
// seconds), the TRR state and counters, a lookup form and a Clear DNS Cache
// button. JSON endpoints behind it:
//   GET  /api/dump                       the dump (tools/dump.h)
//   POST /api/resolve?name=N&type=T      one lookup, as trr resolve --json
//   POST /api/clear                      clears the host cache

#ifndef TRR_TOOLS_DASHBOARD_H_
#define TRR_TOOLS_DASHBOARD_H_

#include <memory>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "trr/resolver.h"

namespace httplib {
class Server;
}

namespace trr::tools {

class Dashboard {
 public:
  explicit Dashboard(Resolver* resolver);
  ~Dashboard();  // Stop()

  // Listens on 127.0.0.1:port (0 picks a free port) in a thread of its own;
  // returns the port.
  absl::StatusOr<int> Start(int port);
  void Stop();

 private:
  Resolver* const resolver_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// "A", "AAAA", "HTTPS", "TXT" (any case) or "" for both families.
std::optional<QueryKind> ParseQueryType(absl::string_view text);

}  // namespace trr::tools

#endif  // TRR_TOOLS_DASHBOARD_H_
