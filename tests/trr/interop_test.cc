// The Resolver against every DoH server people run that Debian 12 ships,
// each serving the same zone (tests/peers/interop_zone.h) on loopback:
//   unbound 1.17, BIND 9.18, knot-resolver 5.6, dnsdist 1.7 (HTTP/2), and an
//   HTTP/1.1-only server (haproxy offering ALPN http/1.1 before dnsdist).
// Bursts of 1, 100 and 500 names in flight, POST and GET, mode 3: every
// name answered correctly. Mode 2 bursts: nothing goes native. Answers for
// A, AAAA, a CNAME chain, NXDOMAIN, NODATA, 100 AAAA, a 1,200-byte TXT and
// an HTTPS record: the same as kdig +https says, field by field.
// docs/INTEROP.md has the matrix and the quirks found.

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/interop_servers.h"
#include "tests/peers/interop_zone.h"
#include "tests/peers/test_process.h"
#include "tests/trr/resolve_all.h"
#include "trr/resolver.h"

namespace trr {
namespace {

using testing::kInteropBurstNames;
using ::testing::UnorderedElementsAreArray;

using Peer = testing::InteropPeer;

// Started once per process and kept (ctest runs each test in a process of
// its own).
testing::InteropServers& Servers() {
  static testing::InteropServers* servers = new testing::InteropServers();
  return *servers;
}

#define TRR_REQUIRE_INTEROP_SERVER(server)                                     \
  do {                                                                         \
    const std::string missing = testing::InteropMissingProgram(server);        \
    if (!missing.empty()) {                                                    \
      TRR_SKIP_LOUDLY("SKIPPED LOUDLY: "                                       \
                      << missing                                               \
                      << " is not installed; run scripts/setup.sh to run the " \
                         "interop tests");                                     \
    }                                                                          \
  } while (0)

Peer Start(const std::string& server) {
  auto peer = Servers().Get(server);
  EXPECT_TRUE(peer.ok()) << server << " did not start: " << peer.status();
  return peer.ok() ? *peer : Peer{};
}

uint16_t NativePort() {
  auto unbound = Servers().Unbound();
  return unbound.ok() ? (*unbound)->dns_port() : 0;
}

std::unique_ptr<Resolver> MakeResolver(
    const Peer& peer, int mode,
    std::vector<std::pair<std::string, prefs::PrefValue>> extra = {}) {
  static testing::TempDir* dir = new testing::TempDir();
  Resolver::Options options;
  // No name of the test is in it, and none skips TRR for being there.
  options.etc_hosts_path = dir->WriteFile("hosts", "127.0.0.1 localhost\n");
  auto resolver = Resolver::Create(options);
  EXPECT_TRUE(resolver.ok()) << resolver.status();
  std::vector<std::pair<std::string, prefs::PrefValue>> prefs = {
      {"network.trr.mode", int32_t{mode}},
      {"network.trr.uri", peer.uri},
      {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
      {"network.trr.ca_file", peer.ca_file},
      {"network.trr.confirmationNS", std::string(testing::kInteropZoneName)},
      {"network.dns.native_nameserver",
       absl::StrCat("127.0.0.1:", NativePort())},
  };
  prefs.insert(prefs.end(), extra.begin(), extra.end());
  EXPECT_TRUE((*resolver)->SetPrefs(prefs).ok());
  return std::move(*resolver);
}

std::vector<std::string> BurstNames(int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.push_back(absl::StrCat("n", i, ".", testing::kInteropZoneName));
  }
  return names;
}

std::vector<std::string> Strings(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const IpAddress& ip : addresses) out.push_back(ip.ToString());
  return out;
}

// --- Bursts -----------------------------------------------------------

class InteropTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    TRR_REQUIRE_INTEROP_SERVER(GetParam());
    peer_ = Start(GetParam());
    ASSERT_FALSE(peer_.uri.empty());
  }
  bool http1() const { return GetParam() == "http1"; }
  Peer peer_;
};

// Resolves burst names n0..n(count-1) at once through a new resolver and
// checks every answer; returns its snapshot.
ResolverSnapshot ExpectBurstAnswered(const Peer& peer, int mode, bool get,
                                     int count) {
  SCOPED_TRACE(absl::StrCat(peer.name, " mode ", mode, get ? " GET " : " POST ",
                            count, " names"));
  auto resolver = MakeResolver(peer, mode, {{"network.trr.useGET", get}});
  const std::vector<ResolveResult> results =
      ResolveAll(*resolver, BurstNames(count), QueryKind::kUnspecified);
  int wrong = 0;
  for (int i = 0; i < count; ++i) {
    const ResolveResult& r = results[i];
    const std::vector<std::string> want = {testing::InteropBurstV4(i),
                                           testing::InteropBurstV6(i)};
    if (r.ok() && r.source == ResultSource::kTrr &&
        Strings(r.addresses) == want) {
      continue;
    }
    if (++wrong <= 5) {
      ADD_FAILURE() << "n" << i << ": " << r.status << " from "
                    << ResultSourceName(r.source) << ": "
                    << absl::StrJoin(Strings(r.addresses), ", ");
    }
  }
  EXPECT_EQ(wrong, 0);
  return resolver->Snapshot();
}

TEST_P(InteropTest, Mode3AnswersEveryNameOfBurstsOf1And100And500) {
  for (bool get : {false, true}) {
    for (int count : {1, 100, kInteropBurstNames}) {
      const ResolverSnapshot snapshot =
          ExpectBurstAnswered(peer_, 3, get, count);
      const ResolverCounters& counters = snapshot.counters;
      SCOPED_TRACE(absl::StrCat(get ? "GET " : "POST ", count));
      EXPECT_EQ(counters.doh_requests, 2u * count);
      // HTTP/2: one connection carries the burst. HTTP/1.1: the first
      // connection learns that the server speaks only HTTP/1.1 and stays,
      // one of a pool of at most 4 kept-alive connections.
      EXPECT_GE(counters.doh_connections, 1u);
      EXPECT_LE(counters.doh_connections, http1() ? 4u : 1u);
      for (const DohConnectionInfo& conn : snapshot.doh_connections) {
        EXPECT_EQ(conn.protocol, http1() ? "http/1.1" : "h2");
      }
      // Every server here takes what trr sends as it sends it: nothing is
      // refused and nothing sent twice (knot-resolver refuses streams whose
      // HEADERS come before an earlier stream's DATA).
      EXPECT_EQ(counters.doh_refused_streams, 0u);
      EXPECT_EQ(counters.doh_retried, 0u);
      EXPECT_EQ(counters.doh_window_decreases, 0u);
      std::cout << "[ interop  ] " << GetParam() << (get ? " GET " : " POST ")
                << count << " names: " << counters.doh_connections
                << " connection(s), " << counters.doh_refused_streams
                << " refused, " << counters.doh_retried << " retried\n";
    }
  }
}

TEST_P(InteropTest, Mode2BurstsSendNothingNative) {
  for (bool get : {false, true}) {
    SCOPED_TRACE(get ? "GET" : "POST");
    const ResolverCounters counters =
        ExpectBurstAnswered(peer_, 2, get, kInteropBurstNames).counters;
    EXPECT_EQ(counters.native_queries, 0u);
    EXPECT_EQ(counters.fallbacks, 0u);
    EXPECT_EQ(counters.trr_ok, static_cast<uint64_t>(kInteropBurstNames));
  }
}

// --- Answers against kdig -----------------------------------------------

// What kdig printed for one query.
struct KdigAnswer {
  std::string status;  // "NOERROR", "NXDOMAIN", ...
  struct Record {
    std::string owner;
    uint32_t ttl = 0;
    std::string type;
    std::string rdata;
  };
  std::vector<Record> answer;
};

absl::StatusOr<KdigAnswer> Kdig(const Peer& peer, const std::string& name,
                                const std::string& type) {
  auto process = testing::TestProcess::Start(
      {"kdig", absl::StrCat("@127.0.0.1"), "-p", absl::StrCat(peer.kdig_port),
       "+https=/dns-query", absl::StrCat("+tls-ca=", peer.kdig_ca_file),
       "+tls-hostname=localhost", "+timeout=5", name, type});
  if (!process.ok()) return process.status();
  if (absl::Status status = (*process)->WaitForExit(absl::Seconds(20));
      !status.ok()) {
    return status;
  }
  const std::string output = (*process)->Output();
  KdigAnswer answer;
  bool in_answer = false;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StrContains(line, "->>HEADER<<-")) {
      const size_t at = line.find("status: ");
      if (at != absl::string_view::npos) {
        absl::string_view rest = line.substr(at + 8);
        answer.status = std::string(rest.substr(0, rest.find(';')));
      }
      continue;
    }
    if (line == ";; ANSWER SECTION:") {
      in_answer = true;
      continue;
    }
    if (!in_answer) continue;
    if (line.empty() || absl::StartsWith(line, ";;")) {
      in_answer = false;
      continue;
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() < 5) continue;
    KdigAnswer::Record record;
    record.owner = std::string(absl::StripSuffix(fields[0], "."));
    (void)absl::SimpleAtoi(fields[1], &record.ttl);
    record.type = std::string(fields[3]);
    std::vector<absl::string_view> rdata(fields.begin() + 4, fields.end());
    record.rdata = absl::StrJoin(rdata, " ");
    answer.answer.push_back(std::move(record));
  }
  if (answer.status.empty()) {
    return absl::InternalError(
        absl::StrCat("kdig printed no header:\n", output));
  }
  return answer;
}

// A TXT record's rdata as kdig prints it ("aaa" "bbb"), joined.
std::string JoinTxt(const std::string& rdata) {
  std::string out;
  bool quoted = false;
  for (char c : rdata) {
    if (c == '"') {
      quoted = !quoted;
    } else if (quoted) {
      out += c;
    }
  }
  return out;
}

// An HTTPS record as kdig prints it, from trr's fields.
std::string Presentation(const SvcbRecord& r) {
  std::vector<std::string> parts = {absl::StrCat(r.priority), r.target};
  if (!r.alpn.empty()) {
    parts.push_back(absl::StrCat("alpn=", absl::StrJoin(r.alpn, ",")));
  }
  if (r.port) parts.push_back(absl::StrCat("port=", *r.port));
  if (!r.ipv4_hints.empty()) {
    parts.push_back(
        absl::StrCat("ipv4hint=", absl::StrJoin(Strings(r.ipv4_hints), ",")));
  }
  if (!r.ipv6_hints.empty()) {
    parts.push_back(
        absl::StrCat("ipv6hint=", absl::StrJoin(Strings(r.ipv6_hints), ",")));
  }
  return absl::StrJoin(parts, " ");
}

struct AnswerCase {
  std::string name;  // within the zone
  QueryKind kind;
  std::string type;  // for kdig
};

const AnswerCase kAnswerCases[] = {
    {"www", QueryKind::kIpv4, "A"},       {"www", QueryKind::kIpv6, "AAAA"},
    {"chain1", QueryKind::kIpv4, "A"},     // three CNAME links
    {"nosuch", QueryKind::kIpv4, "A"},     // NXDOMAIN
    {"v4only", QueryKind::kIpv6, "AAAA"},  // NODATA
    {"many", QueryKind::kIpv6, "AAAA"},    // 100 records
    {"txt", QueryKind::kTxt, "TXT"},       // 1,200 bytes
    {"svc", QueryKind::kHttps, "HTTPS"},
};

// trr's answer for one case against kdig's, field by field: the rcode,
// NODATA, the canonical name at the end of the CNAME chain, the TTL (the
// least in the answer), and every record's data.
void ExpectSameAsKdig(const Peer& peer, const AnswerCase& c) {
  const std::string name = absl::StrCat(c.name, ".", testing::kInteropZoneName);
  SCOPED_TRACE(absl::StrCat(peer.name, ": ", name, " ", c.type));
  auto kdig = Kdig(peer, name, c.type);
  ASSERT_TRUE(kdig.ok()) << kdig.status();
  auto resolver = MakeResolver(peer, 3);
  const ResolveResult trr = ResolveAll(*resolver, {name}, c.kind)[0];
  SCOPED_TRACE(absl::StrCat("trr says ", trr.status.ToString()));
  if (kdig->status == "NXDOMAIN") {
    EXPECT_EQ(trr.status.code(), StatusCode::kNotFound);
    EXPECT_TRUE(absl::StartsWith(trr.status.message(), "NXDOMAIN"));
    return;
  }
  ASSERT_EQ(kdig->status, "NOERROR");
  std::vector<KdigAnswer::Record> wanted;
  std::string canonical = name;
  uint32_t ttl = UINT32_MAX;
  for (const KdigAnswer::Record& record : kdig->answer) {
    ttl = std::min(ttl, record.ttl);
    if (record.type == "CNAME") {
      canonical = std::string(absl::StripSuffix(record.rdata, "."));
    } else if (record.type == c.type) {
      wanted.push_back(record);
    }
  }
  if (wanted.empty()) {
    EXPECT_EQ(trr.status.code(), StatusCode::kNotFound);
    EXPECT_TRUE(absl::StrContains(trr.status.message(), "NODATA"));
    return;
  }
  ASSERT_TRUE(trr.ok());
  EXPECT_EQ(trr.source, ResultSource::kTrr);
  EXPECT_EQ(trr.canonical_name, canonical);
  // A caching server counts TTLs down between kdig's query and ours.
  EXPECT_LE(trr.ttl.count(), ttl);
  EXPECT_GE(trr.ttl.count(), static_cast<int64_t>(ttl) - 3);
  std::vector<std::string> kdig_data;
  for (const auto& record : wanted) {
    kdig_data.push_back(c.type == "TXT" ? JoinTxt(record.rdata) : record.rdata);
  }
  std::vector<std::string> trr_data;
  if (c.type == "TXT") {
    trr_data = trr.txt;
  } else if (c.type == "HTTPS") {
    for (const SvcbRecord& record : trr.https) {
      trr_data.push_back(Presentation(record));
    }
  } else {
    trr_data = Strings(trr.addresses);
  }
  EXPECT_THAT(trr_data, UnorderedElementsAreArray(kdig_data));
}

TEST_P(InteropTest, AnswersEqualKdigFieldByField) {
  for (const AnswerCase& c : kAnswerCases) ExpectSameAsKdig(peer_, c);
}

INSTANTIATE_TEST_SUITE_P(Servers, InteropTest,
                         ::testing::Values("unbound", "bind", "kresd",
                                           "dnsdist", "http1"),
                         [](const auto& info) { return info.param; });

// --- HTTP/1.1 without ALPN ------------------------------------------------

TEST(InteropHttp1Test, AServerThatOffersNoAlpnIsSpokenToInHttp1) {
  TRR_REQUIRE_INTEROP_SERVER("http1");
  auto front = Servers().Http1Front("");
  ASSERT_TRUE(front.ok()) << front.status();
  Peer peer{"no-alpn",
            (*front)->DohUri(),
            (*front)->port(),
            (*front)->ca_file(),
            0,
            "",
            0};
  const ResolverSnapshot snapshot = ExpectBurstAnswered(peer, 3, false, 100);
  ASSERT_FALSE(snapshot.doh_connections.empty());
  for (const DohConnectionInfo& conn : snapshot.doh_connections) {
    EXPECT_EQ(conn.protocol, "http/1.1");
  }
}

class InteropEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Servers().Stop(); }
};

const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new InteropEnvironment());

}  // namespace
}  // namespace trr
