// The dashboard closed to web pages: its admission rule as a table, and a
// real dashboard on loopback (over a resolver in mode 5, which asks no one)
// answering requests as a rebinding page, a cross-site form and a foreign
// origin would send them, and as its own page does. The page in a real
// browser is dashboard/dashboard_test.mjs.

#include "tools/dashboard.h"

#include <httplib.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "trr/resolver.h"

namespace trr::tools {
namespace {

DashboardRequest Request(std::string method, std::string host,
                         std::optional<std::string> origin = std::nullopt,
                         std::string content_type = "") {
  DashboardRequest r;
  r.method = std::move(method);
  r.host = std::move(host);
  r.origin = std::move(origin);
  r.content_type = std::move(content_type);
  return r;
}

int StatusOf(const DashboardRequest& r) {
  auto refusal = CheckDashboardRequest(r, 8080);
  return refusal ? refusal->status : 200;
}

TEST(CheckDashboardRequestTest, OnlyItsOwnHostOriginAndJsonPass) {
  // Its own names, with its own port.
  EXPECT_EQ(StatusOf(Request("GET", "127.0.0.1:8080")), 200);
  EXPECT_EQ(StatusOf(Request("GET", "localhost:8080")), 200);
  EXPECT_EQ(StatusOf(Request("GET", "LocalHost:8080")), 200);
  EXPECT_EQ(StatusOf(Request("GET", "[::1]:8080")), 200);
  // DNS rebinding: the page's own name, or another port.
  EXPECT_EQ(StatusOf(Request("GET", "evil.example")), 421);
  EXPECT_EQ(StatusOf(Request("GET", "evil.example:8080")), 421);
  EXPECT_EQ(StatusOf(Request("GET", "127.0.0.1:8081")), 421);
  EXPECT_EQ(StatusOf(Request("GET", "")), 421);
  // Origins: its own only.
  EXPECT_EQ(StatusOf(Request("GET", "127.0.0.1:8080", "http://127.0.0.1:8080")),
            200);
  EXPECT_EQ(StatusOf(Request("GET", "127.0.0.1:8080", "https://evil.example")),
            403);
  EXPECT_EQ(StatusOf(Request("GET", "127.0.0.1:8080", "http://localhost:8080")),
            403);
  EXPECT_EQ(StatusOf(Request("GET", "127.0.0.1:8080", "null")), 403);
  EXPECT_EQ(StatusOf(Request("OPTIONS", "127.0.0.1:8080")), 403);
  // What changes state is JSON.
  EXPECT_EQ(StatusOf(Request("POST", "127.0.0.1:8080", std::nullopt,
                             "application/json")),
            200);
  EXPECT_EQ(StatusOf(Request("POST", "127.0.0.1:8080", "http://127.0.0.1:8080",
                             "application/json; charset=utf-8")),
            200);
  for (const char* type : {"", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", "text/plain"}) {
    EXPECT_EQ(StatusOf(Request("POST", "127.0.0.1:8080", std::nullopt, type)),
              415)
        << type;
  }
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto resolver = Resolver::Create();
    ASSERT_TRUE(resolver.ok());
    resolver_ = std::move(*resolver);
    ASSERT_TRUE(resolver_->SetPrefs({{"network.trr.mode", int32_t{5}}}).ok());
    dashboard_ = std::make_unique<Dashboard>(resolver_.get());
    auto port = dashboard_->Start(0);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    dashboard_.reset();
    resolver_.reset();
  }

  // The Host the dashboard's own page sends.
  std::string Own() const { return absl::StrCat("127.0.0.1:", port_); }

  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<Dashboard> dashboard_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardTest, ARebindingRequestIsRefusedAndReadsNothing) {
  auto res = client_->Get("/api/dump", {{"Host", "evil.example"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 421);
  EXPECT_FALSE(absl::StrContains(res->body, "\"entries\""));
  res = client_->Get("/api/dump", {{"Host", Own()}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(absl::StrContains(res->body, "\"entries\""));
}

TEST_F(DashboardTest, ACrossSiteFormAndAForeignOriginChangeNothing) {
  // A form another page posts: no preflight, form-encoded.
  auto res = client_->Post("/api/clear", {{"Host", Own()}}, "a=b",
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  res = client_->Post("/api/resolve?name=192.0.2.1&type=A",
                      {{"Host", Own()}, {"Origin", "https://evil.example"}},
                      "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_FALSE(absl::StrContains(res->body, "192.0.2.1")) << res->body;
  // A preflight is never granted.
  httplib::Headers preflight = {{"Host", Own()},
                                {"Origin", "https://evil.example"},
                                {"Access-Control-Request-Method", "POST"}};
  res = client_->Options("/api/clear", preflight);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_FALSE(res->has_header("Access-Control-Allow-Origin"));
  // The page's own request goes through (an address literal: mode 5 asks
  // no one for it).
  res = client_->Post("/api/resolve?name=192.0.2.1&type=A",
                      {{"Host", Own()}, {"Origin", "http://" + Own()}}, "{}",
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(absl::StrContains(res->body, "\"addresses\":[\"192.0.2.1\"]"))
      << res->body;
  res =
      client_->Post("/api/clear", {{"Host", Own()}}, "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(DashboardTest, EveryAnswerCarriesTheSecurityHeaders) {
  for (const char* path :
       {"/", "/dashboard.js", "/dashboard.css", "/api/dump", "/nothing"}) {
    SCOPED_TRACE(path);
    auto res = client_->Get(path, {{"Host", Own()}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
    const std::string csp = res->get_header_value("Content-Security-Policy");
    EXPECT_TRUE(absl::StrContains(csp, "default-src 'none'")) << csp;
    EXPECT_TRUE(absl::StrContains(csp, "script-src 'self'")) << csp;
    EXPECT_FALSE(absl::StrContains(csp, "unsafe-inline")) << csp;
  }
  // Refusals too.
  auto res = client_->Get("/", {{"Host", "evil.example"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  // The page has no inline script or style for the policy to block.
  res = client_->Get("/", {{"Host", Own()}});
  ASSERT_TRUE(res);
  EXPECT_TRUE(absl::StrContains(res->body, "<script src=\"/dashboard.js\">"));
  EXPECT_FALSE(absl::StrContains(res->body, "<script>"));
  EXPECT_FALSE(absl::StrContains(res->body, "<style>"));
}

}  // namespace
}  // namespace trr::tools
