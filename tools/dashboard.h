// Dashboard: a live page in the manner of about:networking#dns, served on
// 127.0.0.1 with cpp-httplib: the DNS table (refreshing every two
// seconds), the TRR state and counters, a lookup form and a Clear DNS Cache
// button. JSON endpoints behind it:
//   GET  /api/dump                       the dump (tools/dump.h)
//   POST /api/resolve?name=N&type=T      one lookup, as trr resolve --json
//   POST /api/clear                      clears the host cache
// The dump is the user's browsing history: only the dashboard's own page
// may read it or act (CheckDashboardRequest; docs/SECURITY.md).

#ifndef TRR_TOOLS_DASHBOARD_H_
#define TRR_TOOLS_DASHBOARD_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "trr/resolver.h"

namespace httplib {
class Server;
}

namespace trr::tools {

// What the dashboard looks at before it routes a request.
struct DashboardRequest {
  std::string method;
  std::string host;                   // the Host header
  std::optional<std::string> origin;  // the Origin header, when sent
  std::string content_type;
};
struct DashboardRefusal {
  int status = 403;
  std::string reason;
};
// Refuses (with 421, 403 or 415) a request on `port` whose Host is not
// 127.0.0.1:PORT, localhost:PORT or [::1]:PORT (DNS rebinding), whose
// Origin is not the dashboard's own (cross-site requests), a CORS
// preflight, and a POST that is not application/json (a form another page
// could send without a preflight).
std::optional<DashboardRefusal> CheckDashboardRequest(
    const DashboardRequest& request, int port);

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
  std::atomic<int> port_{0};  // once Start has bound it
  std::thread thread_;
};

// "A", "AAAA", "HTTPS", "TXT" (any case) or "" for both families.
std::optional<QueryKind> ParseQueryType(absl::string_view text);

}  // namespace trr::tools

#endif  // TRR_TOOLS_DASHBOARD_H_
