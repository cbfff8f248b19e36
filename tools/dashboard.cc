#include "tools/dashboard.h"

#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "tools/dashboard_page.h"

namespace trr::tools {

using api::DumpJson;
using api::JsonWriter;
using api::WriteResultJson;

namespace {

// Only the page itself: no inline script or style, no other origin, no
// framing, no form posts.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

void Refuse(const DashboardRefusal& refusal, httplib::Response& res) {
  res.status = refusal.status;
  JsonWriter json;
  json.BeginObject().Key("error").String(refusal.reason).EndObject();
  res.set_content(json.text(), "application/json");
}

}  // namespace

std::optional<QueryKind> ParseQueryType(absl::string_view text) {
  const std::string type = absl::AsciiStrToUpper(text);
  if (type.empty()) return QueryKind::kUnspecified;
  if (type == "A") return QueryKind::kIpv4;
  if (type == "AAAA") return QueryKind::kIpv6;
  if (type == "HTTPS") return QueryKind::kHttps;
  if (type == "TXT") return QueryKind::kTxt;
  return std::nullopt;
}

std::optional<DashboardRefusal> CheckDashboardRequest(
    const DashboardRequest& request, int port) {
  // DNS rebinding: a page whose own name now points at 127.0.0.1 sends its
  // name as the Host. Only the loopback names of this port are ours.
  const std::string host = absl::AsciiStrToLower(request.host);
  const bool our_host = host == absl::StrCat("127.0.0.1:", port) ||
                        host == absl::StrCat("localhost:", port) ||
                        host == absl::StrCat("[::1]:", port);
  if (!our_host) {
    return DashboardRefusal{
        421,
        "this dashboard answers only to 127.0.0.1, localhost or [::1] "
        "on its own port"};
  }
  // A request another origin's page made (CSRF): browsers say whose it is.
  if (request.origin && *request.origin != absl::StrCat("http://", host)) {
    return DashboardRefusal{403, "requests from other origins are refused"};
  }
  // No CORS preflight is ever granted.
  if (request.method == "OPTIONS") {
    return DashboardRefusal{403, "cross-origin requests are refused"};
  }
  // What changes state takes JSON only: a form or a simple request from
  // another origin cannot send it without a preflight.
  if (request.method == "POST") {
    const absl::string_view type = absl::StripAsciiWhitespace(
        absl::string_view(request.content_type)
            .substr(0, request.content_type.find(';')));
    if (!absl::EqualsIgnoreCase(type, "application/json")) {
      return DashboardRefusal{415,
                              "send Content-Type: application/json (the body "
                              "may be {})"};
    }
  }
  return std::nullopt;
}

Dashboard::Dashboard(Resolver* resolver)
    : resolver_(resolver), server_(std::make_unique<httplib::Server>()) {
  server_->set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        // On every answer, refusals and errors included.
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Cache-Control", "no-store");
        res.set_header("Content-Security-Policy", kContentSecurityPolicy);
        res.set_header("Referrer-Policy", "no-referrer");
        DashboardRequest request;
        request.method = req.method;
        request.host = req.get_header_value("Host");
        if (req.has_header("Origin"))
          request.origin = req.get_header_value("Origin");
        request.content_type = req.get_header_value("Content-Type");
        if (auto refusal = CheckDashboardRequest(request, port_)) {
          Refuse(*refusal, res);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kDashboardPage, "text/html; charset=utf-8");
  });
  server_->Get("/dashboard.css",
               [](const httplib::Request&, httplib::Response& res) {
                 res.set_content(kDashboardCss, "text/css; charset=utf-8");
               });
  server_->Get(
      "/dashboard.js", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(kDashboardJs, "text/javascript; charset=utf-8");
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
  port_ = bound;
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
