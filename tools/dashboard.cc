#include "tools/dashboard.h"

#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "tools/dashboard_page.h"

namespace trr::tools {

using api::DumpJson;
using api::JsonWriter;
using api::WriteResultJson;

std::optional<QueryKind> ParseQueryType(absl::string_view text) {
  const std::string type = absl::AsciiStrToUpper(text);
  if (type.empty()) return QueryKind::kUnspecified;
  if (type == "A") return QueryKind::kIpv4;
  if (type == "AAAA") return QueryKind::kIpv6;
  if (type == "HTTPS") return QueryKind::kHttps;
  if (type == "TXT") return QueryKind::kTxt;
  return std::nullopt;
}

Dashboard::Dashboard(Resolver* resolver)
    : resolver_(resolver), server_(std::make_unique<httplib::Server>()) {
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kDashboardPage, "text/html; charset=utf-8");
  });
  server_->Get(
      "/api/dump", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(DumpJson(resolver_->Snapshot()), "application/json");
      });
  server_->Post("/api/resolve", [this](const httplib::Request& req,
                                       httplib::Response& res) {
    const std::string name = req.get_param_value("name");
    const auto type = ParseQueryType(req.get_param_value("type"));
    if (name.empty() || !type) {
      res.status = 400;
      res.set_content(R"({"error":"name and a type of A, AAAA, HTTPS or TXT"})",
                      "application/json");
      return;
    }
    ResolveOptions options;
    options.type = *type;
    const ResolveResult result = resolver_->ResolveSync(name, options);
    JsonWriter json;
    WriteResultJson(name, result, json);
    res.set_content(json.text(), "application/json");
  });
  server_->Post("/api/clear",
                [this](const httplib::Request&, httplib::Response& res) {
                  resolver_->ClearCache();
                  res.set_content(R"({"ok":true})", "application/json");
                });
}

Dashboard::~Dashboard() { Stop(); }

absl::StatusOr<int> Dashboard::Start(int port) {
  const int bound =
      port == 0 ? server_->bind_to_any_port("127.0.0.1")
                : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on 127.0.0.1:", port));
  }
  // bind_to_port() already listens: connections queue until the accept
  // loop starts.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return bound;
}

void Dashboard::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace trr::tools
