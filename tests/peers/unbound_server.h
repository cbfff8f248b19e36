// UnboundServer: a real unbound on loopback for tests, serving a test zone
// over plain DNS (UDP and TCP) and DoH (HTTP/2 with a certificate made for
// the run), on ports picked free, stopped by PID. See ../shared/PEERS.md.

#ifndef TRR_TESTS_PEERS_UNBOUND_SERVER_H_
#define TRR_TESTS_PEERS_UNBOUND_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"

namespace trr::testing {

// A self-signed certificate valid for localhost, doh.test, dns.example.test
// and, with `with_ips`, 127.0.0.1 and ::1; it is its own CA.
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};
absl::StatusOr<TestCertificate> MakeTestCertificate(const TempDir& dir,
                                                    const std::string& name,
                                                    bool with_ips = true);

// Writes the certificates of `cert_files` into one CA file in `dir` (to
// trust several test servers at once); returns its path.
std::string WriteCaBundle(TempDir& dir, const std::string& name,
                          const std::vector<std::string>& cert_files);

// network.trr.uri in Chromium's JSON form: each URI as a server reached at
// 127.0.0.1 (its own bootstrap address).
std::string JsonServerList(const std::vector<std::string>& uris);

// The zone every test server carries unless told otherwise ("example.test").
// Addresses are from the documentation ranges, so allow-rfc1918 passes them.
std::string DefaultTestZone(const std::string& first_octets = "192.0.2");

struct UnboundConfig {
  std::string zone_name = "example.test";
  std::string zone = DefaultTestZone();
  bool doh = true;
  // Whether the DoH certificate also covers 127.0.0.1 and ::1 (DDR's
  // verified discovery needs the designating resolver's address in it).
  bool cert_ips = true;
  // Log every query (QueriesReceived() counts them). Off for long runs: the
  // log is kept in memory.
  bool log_queries = true;
  // Extra lines for the server: section, e.g. "local-zone: \"x.\" deny".
  std::vector<std::string> server_lines;
};

class UnboundServer {
 public:
  static bool Available();
  static absl::StatusOr<std::unique_ptr<UnboundServer>> Start(
      UnboundConfig config = UnboundConfig());
  ~UnboundServer();

  uint16_t dns_port() const { return dns_port_; }
  uint16_t doh_port() const { return doh_port_; }
  // The certificate the DoH listener presents; trust it as the CA.
  const std::string& ca_file() const { return cert_.cert_file; }
  // https://HOST:PORT/dns-query.
  std::string DohUri(const std::string& host = "localhost") const;

  // Queries unbound has logged (log-queries), optionally only those whose
  // log line mentions `name`. Call Sync() first: unbound may answer before
  // its log line arrives.
  int QueriesReceived(const std::string& name = "");
  // Sends a marker query of its own and waits until unbound has logged it;
  // unbound logs in order, so every earlier query is counted after this.
  // The marker queries are not counted by QueriesReceived().
  absl::Status Sync();

  // Kills it (SIGKILL) and starts it again on the same ports.
  absl::Status Restart();
  void Kill();
  void Pause() { process_->Pause(); }
  void Resume() { process_->Resume(); }
  TestProcess& process() { return *process_; }

 private:
  UnboundServer() = default;
  absl::Status Launch();

  UnboundConfig config_;
  TempDir dir_;
  TestCertificate cert_;
  uint16_t dns_port_ = 0;
  uint16_t doh_port_ = 0;
  std::string config_file_;
  int syncs_ = 0;
  std::unique_ptr<TestProcess> process_;
  // Earlier runs of the server (before Restart), kept for their logs.
  std::vector<std::unique_ptr<TestProcess>> earlier_;
};

// Skips the current test, loudly, when unbound is not installed.
#define TRR_REQUIRE_UNBOUND()                              \
  do {                                                     \
    if (!::trr::testing::UnboundServer::Available()) {     \
      TRR_SKIP_LOUDLY(                                     \
          "SKIPPED LOUDLY: unbound is not installed; run " \
          "scripts/setup.sh to run this test against it"); \
    }                                                      \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_UNBOUND_SERVER_H_
