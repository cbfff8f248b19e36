// The fault matrix: real dnsdist in front of real unbound, injecting one
// fault per name (or per listener), against the Resolver in modes 2 and 3.
// For each: the expected result (fallback to the native server, or a clear
// error with the right reason), exactly one completion, and the
// confirmation state afterwards. With TRR_UPDATE_RELIABILITY=1 the run
// writes its table into docs/RELIABILITY.md.

#include <atomic>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/dnsdist_server.h"
#include "tests/peers/unbound_server.h"
#include "tests/trr/dns/message_builder.h"
#include "tests/trr/server_waiter.h"
#include "trr/dns/dns_types.h"
#include "trr/resolver.h"

namespace trr {
namespace {

using dns::testing::MessageBuilder;
using dns::testing::Pointer;

constexpr char kCredentials[] = "Bearer s3cret";

// A Lua string literal holding `bytes`.
std::string LuaBytes(const std::vector<uint8_t>& bytes) {
  std::string out = "\"";
  for (uint8_t b : bytes) absl::StrAppendFormat(&out, "\\x%02x", b);
  return out + "\"";
}

std::string Rule(const std::string& name, const std::string& action) {
  return absl::StrCat("addAction(QNameRule(\"", name,
                      ".fault.example.test.\"), ", action, ")");
}

struct Fault {
  std::string name;              // the label under fault.example.test
  std::string listener;          // "main", "goaway" or "wrongcert"
  std::string mode2;             // expected: "trr" or "native:<trr_failure>"
  std::string mode3;             // expected: "trr" or "<status>:<trr_failure>"
  std::function<void()> before;  // e.g. pause or kill the server
  std::function<void()> after;
};

struct Row {
  std::string fault;
  int mode;
  std::string outcome;
  std::string confirmation;
  int completions;
  bool as_expected;
};

class FaultMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRR_REQUIRE_UNBOUND();
    TRR_REQUIRE_DNSDIST();
    testing::UnboundConfig backend;
    backend.doh = false;
    backend.zone = testing::DefaultTestZone("192.0.2");
    auto doh_backend = testing::UnboundServer::Start(backend);
    ASSERT_TRUE(doh_backend.ok()) << doh_backend.status();
    backend_ = std::move(*doh_backend);
    testing::UnboundConfig native;
    native.doh = false;
    native.zone = testing::DefaultTestZone("198.51.100");
    auto native_server = testing::UnboundServer::Start(native);
    ASSERT_TRUE(native_server.ok());
    native_ = std::move(*native_server);

    auto cert = testing::MakeTestCertificate(dir_, "dnsdist");
    auto wrong = testing::MakeTestCertificate(dir_, "untrusted");
    ASSERT_TRUE(cert.ok() && wrong.ok());
    cert_ = *cert;
    auto goaway_port = testing::PickFreePort();
    auto wrong_port = testing::PickFreePort();
    ASSERT_TRUE(goaway_port.ok() && wrong_port.ok());
    goaway_port_ = *goaway_port;
    wrong_port_ = *wrong_port;

    // An answer to another question, served as if it answered ours.
    const std::vector<uint8_t> mismatch =
        MessageBuilder("other.fault.example.test", dns::kTypeA)
            .Answer(Pointer(12), dns::kTypeA, 60, {192, 0, 2, 66})
            .Build();
    testing::DnsdistConfig config;
    config.backend_port = backend_->dns_port();
    config.certificate = cert_;
    config.lua = {
        absl::StrCat("addDOHLocal(\"127.0.0.1:", goaway_port_, "\", \"",
                     cert_.cert_file, "\", \"", cert_.key_file,
                     "\", \"/dns-query\", {idleTimeout=1})"),
        absl::StrCat("addDOHLocal(\"127.0.0.1:", wrong_port_, "\", \"",
                     wrong->cert_file, "\", \"", wrong->key_file,
                     "\", \"/dns-query\")"),
        Rule("http500", "HTTPStatusAction(500, \"oops\", \"text/plain\")"),
        Rule("http404", "HTTPStatusAction(404, \"no\", \"text/plain\")"),
        Rule("http403", "HTTPStatusAction(403, \"no\", \"text/plain\")"),
        Rule("html", "HTTPStatusAction(200, \"<html></html>\", \"text/html\")"),
        Rule("oversized",
             "HTTPStatusAction(200, string.rep(\"A\", 70000), "
             "\"application/dns-message\")"),
        Rule("truncated",
             "HTTPStatusAction(200, \"\\x00\\x00\\x81\\x80\\x00\\x01\", "
             "\"application/dns-message\")"),
        Rule("mismatch",
             absl::StrCat("HTTPStatusAction(200, ", LuaBytes(mismatch),
                          ", \"application/dns-message\")")),
        // 401 unless network.trr.credentials arrived as Authorization.
        absl::StrCat("addAction(AndRule({QNameRule(\"auth.fault.example.test."
                     "\"), NotRule(HTTPHeaderRule(\"authorization\", \"^",
                     kCredentials,
                     "$\"))}), HTTPStatusAction(401, \"no\", "
                     "\"text/plain\"))"),
        Rule("servfail", "RCodeAction(DNSRCode.SERVFAIL)"),
        Rule("refused", "RCodeAction(DNSRCode.REFUSED)"),
        Rule("nxdomain", "RCodeAction(DNSRCode.NXDOMAIN)"),
        Rule("empty", "RCodeAction(DNSRCode.NOERROR)"),
        Rule("private", "SpoofAction({\"10.0.0.1\"})"),
        // Slower than the request timeout: DoH queries for "slow" go round
        // through dnsdist's own UDP listener, where DelayAction applies.
        "newServer({address=\"127.0.0.1:{udp_port}\", pool=\"loop\"})",
        "getServer(1):setUp()",
        "addAction(AndRule({QNameRule(\"slow.fault.example.test.\"), "
        "DSTPortRule({udp_port})}), DelayAction(3000))",
        "addAction(AndRule({QNameRule(\"slow.fault.example.test.\"), "
        "DSTPortRule({doh_port})}), PoolAction(\"loop\"))",
    };
    auto dnsdist = testing::DnsdistServer::Start(config);
    ASSERT_TRUE(dnsdist.ok()) << dnsdist.status();
    dnsdist_ = std::move(*dnsdist);
  }

  std::unique_ptr<Resolver> Make(int mode, uint16_t port) {
    auto resolver = Resolver::Create();
    EXPECT_TRUE(resolver.ok());
    EXPECT_TRUE(
        (*resolver)
            ->SetPrefs({
                {"network.trr.mode", int32_t{mode}},
                {"network.trr.uri",
                 absl::StrCat("https://doh.test:", port, "/dns-query")},
                {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
                {"network.trr.ca_file", cert_.cert_file},
                {"network.trr.confirmationNS", std::string("www.example.test")},
                {"network.trr.max-fails", int32_t{1}},
                {"network.trr.retry-timeout-ms", int32_t{100}},
                {"network.trr.max-retry-timeout-ms", int32_t{200}},
                {"network.trr.confirmation_timeout_ms", int32_t{800}},
                {"network.trr.request_timeout_ms", int32_t{800}},
                {"network.trr.request_timeout_mode_trronly_ms", int32_t{800}},
                {"network.dns.native_nameserver",
                 absl::StrCat("127.0.0.1:", native_->dns_port())},
            })
            .ok());
    return std::move(*resolver);
  }

  // Waits (woken by the server observer, bounded) until confirmation is
  // `want`; returns the state.
  static std::string WaitForConfirmation(Resolver& resolver,
                                         const std::string& want) {
    ResolverSnapshot last;
    testing::ServerWaiter(resolver).Until(
        [&](const ResolverSnapshot& s) { return s.confirmation_state == want; },
        absl::Seconds(10), &last);
    return last.confirmation_state;
  }

  // One lookup, counting its completions.
  static std::pair<ResolveResult, int> Lookup(Resolver& resolver,
                                              const std::string& name) {
    Mutex mu;
    CondVar cv;
    int completions = 0;
    ResolveResult result;
    ResolveOptions options;
    options.type = QueryKind::kIpv4;
    options.bypass_cache = true;
    options.complete_async = true;
    resolver.Resolve(name, options, [&](const ResolveResult& r) {
      MutexLock lock(&mu);
      ++completions;
      result = r;
      cv.SignalAll();
    });
    MutexLock lock(&mu);
    cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(20),
                         [&] { return completions > 0; });
    return {result, completions};
  }

  static std::string Outcome(const ResolveResult& r) {
    if (r.skip_reason != SkipReason::kNone) {
      return absl::StrCat(ResultSourceName(r.source),
                          " (TRR skipped: ", SkipReasonName(r.skip_reason),
                          ")");
    }
    if (r.ok()) {
      return absl::StrCat(ResultSourceName(r.source),
                          r.trr_failure == TrrFailure::kNone ? "" : ":",
                          TrrFailureName(r.trr_failure));
    }
    return absl::StrCat(StatusCodeName(r.status.code()), ":",
                        TrrFailureName(r.trr_failure));
  }

  void Run(const Fault& fault, int mode, std::vector<Row>& rows) {
    const uint16_t port = fault.listener == "goaway" ? goaway_port_
                          : fault.listener == "wrongcert"
                              ? wrong_port_
                              : dnsdist_->doh_port();
    auto resolver = Make(mode, port);
    // Mode 2 starts from a confirmed TRR, except on a listener whose
    // certificate fails: there confirmation itself fails first.
    if (mode == 2) {
      WaitForConfirmation(*resolver,
                          fault.listener == "wrongcert" ? "failed" : "ok");
    }
    if (fault.listener == "goaway") {
      // Connect, then stay idle past dnsdist's idleTimeout (1 s), until it
      // has sent GOAWAY on that connection (waited for, with a deadline):
      // the lookup below must then go on a new one.
      ASSERT_TRUE(Lookup(*resolver, "www.example.test").first.ok());
      const absl::Time deadline = absl::Now() + absl::Seconds(10);
      while (resolver->Snapshot().counters.doh_goaways == 0 &&
             absl::Now() < deadline) {
      }
      // (h2o, dnsdist's HTTP/2, says goodbye in two GOAWAYs, RFC 9113
      // section 6.8: "going away", then the last stream it took.)
      ASSERT_GE(resolver->Snapshot().counters.doh_goaways, 1u);
    }
    if (fault.before) fault.before();
    const std::string name = absl::StrCat(fault.name, ".fault.example.test");
    auto [result, completions] = Lookup(*resolver, name);
    Row row;
    row.fault = fault.name;
    row.mode = mode;
    row.outcome = Outcome(result);
    row.completions = completions;
    // max-fails is 1, so a TRR failure starts confirmation again: it comes
    // back ok where only the name is faulty, and fails where the server is.
    const bool server_fault = fault.listener == "wrongcert" ||
                              fault.name == "killed" || fault.name == "hung";
    row.confirmation =
        mode == 2
            ? WaitForConfirmation(*resolver, server_fault ? "failed" : "ok")
            : "disabled";
    if (mode == 2) {
      EXPECT_EQ(row.confirmation, server_fault ? "failed" : "ok") << fault.name;
    }
    if (fault.after) fault.after();
    if (fault.listener == "goaway") {
      // The GOAWAY's connection closed, and the lookup took a new one.
      EXPECT_EQ(resolver->Snapshot().counters.doh_connections, 2u);
    }
    const std::string& expected = mode == 2 ? fault.mode2 : fault.mode3;
    row.as_expected = row.outcome == expected && completions == 1;
    EXPECT_EQ(row.outcome, expected) << fault.name << " in mode " << mode;
    EXPECT_EQ(completions, 1) << fault.name << " in mode " << mode;
    if (mode == 2 && result.ok()) {
      // Fallback answers come from the native server's zone.
      EXPECT_EQ(result.addresses[0].ToString(),
                row.outcome == "trr" ? "192.0.2.77" : "198.51.100.77")
          << fault.name;
    }
    rows.push_back(row);
    // Every request completes once, also across the resolver's shutdown.
    resolver.reset();
  }

  testing::TempDir dir_;
  testing::TestCertificate cert_;
  uint16_t goaway_port_ = 0, wrong_port_ = 0;
  std::unique_ptr<testing::UnboundServer> backend_, native_;
  std::unique_ptr<testing::DnsdistServer> dnsdist_;
};

void WriteTable(const std::vector<Row>& rows) {
  std::string table =
      "| fault | mode | outcome | confirmation after | completions | as "
      "expected |\n"
      "|---|---|---|---|---|---|\n";
  for (const Row& row : rows) {
    absl::StrAppend(&table, "| ", row.fault, " | ", row.mode, " | `",
                    row.outcome, "` | ", row.confirmation, " | ",
                    row.completions, " | ", row.as_expected ? "yes" : "**no**",
                    " |\n");
  }
  std::printf("%s", table.c_str());
  if (std::getenv("TRR_UPDATE_RELIABILITY") == nullptr) return;
  const std::string path = "docs/RELIABILITY.md";
  std::ifstream in(path);
  std::stringstream doc;
  doc << in.rdbuf();
  std::string text = doc.str();
  const std::string begin = "<!-- fault-matrix:begin -->\n";
  const std::string end = "<!-- fault-matrix:end -->";
  const size_t b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos) return;
  text.replace(b + begin.size(), e - b - begin.size(), table);
  std::ofstream(path) << text;
}

TEST_F(FaultMatrixTest, CredentialsGoAsTheAuthorizationHeader) {
  auto resolver = Make(3, dnsdist_->doh_port());
  auto [refused, completions] = Lookup(*resolver, "auth.fault.example.test");
  EXPECT_EQ(Outcome(refused), "UNAVAILABLE:http-status");
  ASSERT_TRUE(
      resolver
          ->SetPrefs({{"network.trr.credentials", std::string(kCredentials)}})
          .ok());
  auto [allowed, again] = Lookup(*resolver, "auth.fault.example.test");
  EXPECT_EQ(Outcome(allowed), "trr");
  EXPECT_EQ(completions + again, 2);
}

TEST_F(FaultMatrixTest, EveryFaultInModes2And3) {
  std::vector<Fault> faults = {
      {"http500", "main", "native:http-status", "UNAVAILABLE:http-status",
       nullptr, nullptr},
      {"http404", "main", "native:http-status", "UNAVAILABLE:http-status",
       nullptr, nullptr},
      {"http403", "main", "native:http-status", "UNAVAILABLE:http-status",
       nullptr, nullptr},
      {"html", "main", "native:content-type", "UNAVAILABLE:content-type",
       nullptr, nullptr},
      {"oversized", "main", "native:too-large", "UNAVAILABLE:too-large",
       nullptr, nullptr},
      {"truncated", "main", "native:bad-answer", "UNAVAILABLE:bad-answer",
       nullptr, nullptr},
      {"mismatch", "main", "native:bad-answer", "UNAVAILABLE:bad-answer",
       nullptr, nullptr},
      {"slow", "main", "native:timeout", "UNAVAILABLE:timeout", nullptr,
       nullptr},
      {"servfail", "main", "UNAVAILABLE:servfail", "UNAVAILABLE:servfail",
       nullptr, nullptr},
      {"refused", "main", "UNAVAILABLE:refused", "UNAVAILABLE:refused", nullptr,
       nullptr},
      {"nxdomain", "main", "native:nxdomain", "NOT_FOUND:nxdomain", nullptr,
       nullptr},
      {"empty", "main", "native:no-records", "NOT_FOUND:no-records", nullptr,
       nullptr},
      {"private", "main", "native:private-address",
       "UNAVAILABLE:private-address", nullptr, nullptr},
      {"goaway", "goaway", "trr", "trr", nullptr, nullptr},
      {"wrongcert", "wrongcert", "native (TRR skipped: not-confirmed)",
       "UNAVAILABLE:tls", nullptr, nullptr},
      {"killed", "main", "native:connect", "UNAVAILABLE:connect",
       [this] { dnsdist_->Kill(); },
       [this] { ASSERT_TRUE(dnsdist_->Restart().ok()); }},
      {"hung", "main", "native:timeout", "UNAVAILABLE:timeout",
       [this] { dnsdist_->Pause(); }, [this] { dnsdist_->Resume(); }},
  };
  std::vector<Row> rows;
  for (const Fault& fault : faults) {
    for (int mode : {2, 3}) {
      SCOPED_TRACE(absl::StrCat(fault.name, " mode ", mode));
      Run(fault, mode, rows);
    }
  }
  WriteTable(rows);
  // After a restart the server answers again.
  auto resolver = Make(3, dnsdist_->doh_port());
  EXPECT_TRUE(Lookup(*resolver, "www.example.test").first.ok());
}

}  // namespace
}  // namespace trr
