// The shapes the resolver's string prefs must have (trr/pref_checks.h),
// checked when they are set.

#include "trr/resolver/pref_checks.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr::pref_checks {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string Pem(const std::string& der) {
  return "-----BEGIN CERTIFICATE-----\n" + absl::Base64Escape(der) +
         "\n-----END CERTIFICATE-----\n";
}

TEST(PrefChecksTest, AddressLists) {
  EXPECT_TRUE(AddressList("").ok());
  EXPECT_TRUE(AddressList("127.0.0.1").ok());
  EXPECT_TRUE(AddressList("192.0.2.1, 2001:db8::1").ok());
  const absl::Status junk = AddressList("192.0.2.1,junk");
  EXPECT_EQ(junk.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(junk.message(), HasSubstr("\"junk\", which is not an IP"));
}

TEST(PrefChecksTest, NameserverAddresses) {
  EXPECT_TRUE(IpPort("").ok());
  EXPECT_TRUE(IpPort("192.0.2.53").ok());
  EXPECT_TRUE(IpPort("127.0.0.1:5353").ok());
  EXPECT_TRUE(IpPort("[::1]:53").ok());
  EXPECT_FALSE(IpPort("garbage").ok());
  EXPECT_FALSE(IpPort("127.0.0.1:99999").ok());
  EXPECT_FALSE(IpPort("ns.example:53").ok());
}

TEST(PrefChecksTest, CaFiles) {
  EXPECT_TRUE(CaFile("").ok()) << "empty: the system's store";
  EXPECT_TRUE(
      CaFile(WriteFile("good.pem", Pem(std::string("\x30\x03\x02\x01\x01", 5))))
          .ok());
  const struct {
    std::string path;
    const char* says;
  } bad[] = {
      {"/nonexistent/ca.pem", "No such file"},
      {::testing::TempDir(), "not a regular file"},
      {WriteFile("text.pem", "not a certificate\n"), "no PEM certificate"},
      {WriteFile("open.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n"),
       "no END CERTIFICATE"},
      {WriteFile("b64.pem",
                 "-----BEGIN CERTIFICATE-----\n!!!\n"
                 "-----END CERTIFICATE-----\n"),
       "not base64 DER"},
      {WriteFile("notder.pem", Pem("hello")), "not base64 DER"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.path);
    const absl::Status s = CaFile(b.path);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr(b.says));
  }
}

TEST(PrefChecksTest, HostsNamesAndDomainLists) {
  EXPECT_TRUE(Host("").ok());
  EXPECT_TRUE(Host("proxy.example").ok());
  EXPECT_TRUE(Host("::1").ok());
  EXPECT_FALSE(Host("proxy example").ok());
  EXPECT_TRUE(ConfirmationName("skip").ok());
  EXPECT_TRUE(ConfirmationName("example.com").ok());
  EXPECT_FALSE(ConfirmationName("").ok());
  EXPECT_FALSE(ConfirmationName("a..b").ok());
  EXPECT_TRUE(DomainList("").ok());
  EXPECT_TRUE(DomainList("localhost,local").ok());
  EXPECT_TRUE(DomainList(" corp.example , .lan, *.home.arpa ").ok());
  const absl::Status bad = DomainList("corp.example,bad name");
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.message(), HasSubstr("\"bad name\""));
  // Raw bytes are escaped in the message.
  EXPECT_THAT(DomainList("a\x01.test").message(), HasSubstr("a\\x01.test"));
}

// A header value cannot end its header: credentials or a user agent with a
// line break would smuggle headers into HTTP/1.1 requests.
TEST(PrefChecksTest, HeaderValues) {
  EXPECT_TRUE(HeaderValue("").ok());
  EXPECT_TRUE(HeaderValue("Bearer abc.def").ok());
  EXPECT_TRUE(HeaderValue("Mozilla/5.0 (X11; Linux x86_64)").ok());
  EXPECT_TRUE(HeaderValue("en-US, en;q=0.5").ok());
  const absl::Status crlf = HeaderValue("Bearer x\r\nX-Evil: 1");
  EXPECT_FALSE(crlf.ok());
  EXPECT_THAT(crlf.message(), HasSubstr("carriage return"));
  // The value is never quoted: it may be a secret.
  EXPECT_THAT(crlf.message(), ::testing::Not(HasSubstr("Bearer")));
  EXPECT_FALSE(HeaderValue("a\nb").ok());
  EXPECT_FALSE(HeaderValue(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(HeaderValue(" padded").ok());
  EXPECT_FALSE(HeaderValue("padded\t").ok());
}

}  // namespace
}  // namespace trr::pref_checks
