// The trusted store: loaded by the first connection, not by creating a
// Resolver; shared; loaded again only when the CA file changes.

#include "trr/transport/tls_trust.h"

#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/test_process.h"
#include "tests/peers/unbound_server.h"
#include "trr/resolver.h"

namespace trr {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

TEST(TlsTrustTest, ACaFileIsLoadedOnceAndAgainWhenItChanges) {
  testing::TempDir dir;
  auto one = testing::MakeTestCertificate(dir, "one");
  auto two = testing::MakeTestCertificate(dir, "two");
  ASSERT_TRUE(one.ok() && two.ok());
  const std::string first = ReadAll(one->cert_file);
  const std::string ca = dir.WriteFile("ca.pem", first);
  const int before = TrustStoreLoads();
  auto a = TrustedStore(ca);
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = TrustedStore(ca);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b) << "one store, shared";
  EXPECT_EQ(TrustStoreLoads(), before + 1);
  // Two certificates now: a different size, so it is read again.
  dir.WriteFile("ca.pem", first + ReadAll(two->cert_file));
  auto c = TrustedStore(ca);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(*c, *a);
  EXPECT_EQ(TrustStoreLoads(), before + 2);
  for (X509_STORE* store : {*a, *b, *c}) X509_STORE_free(store);
}

TEST(TlsTrustTest, AMissingOrEmptyCaFileSaysWhichAndWhy) {
  testing::TempDir dir;
  auto missing = TrustedStore(dir.path() + "/nope.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.pem"));
  EXPECT_THAT(missing.status().message(), HasSubstr("No such file"));
  auto empty = TrustedStore(dir.WriteFile("empty.pem", "not a certificate\n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("empty.pem"));
}

TEST(TlsTrustTest, CreatingAResolverLoadsNoTrustAndTheFirstLookupDoes) {
  TRR_REQUIRE_UNBOUND();
  auto server = testing::UnboundServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  // A CA file of its own, so no other test has loaded it.
  testing::TempDir dir;
  const std::string ca = dir.WriteFile("ca.pem", ReadAll((*server)->ca_file()));
  const int before = TrustStoreLoads();
  for (int mode : {0, 5, 3}) {
    auto resolver = Resolver::Create();
    ASSERT_TRUE(resolver.ok());
    ASSERT_TRUE(
        (*resolver)
            ->SetPrefs({{"network.trr.mode", int32_t{mode}},
                        {"network.trr.uri", (*server)->DohUri()},
                        {"network.trr.ca_file", ca},
                        {"network.trr.confirmationNS", std::string("skip")}})
            .ok());
    EXPECT_EQ(TrustStoreLoads(), before) << "mode " << mode;
  }
  auto resolver = Resolver::Create();
  ASSERT_TRUE(resolver.ok());
  ASSERT_TRUE(
      (*resolver)
          ->SetPrefs({{"network.trr.mode", int32_t{3}},
                      {"network.trr.uri", (*server)->DohUri()},
                      {"network.trr.bootstrapAddr", std::string("127.0.0.1")},
                      {"network.trr.ca_file", ca}})
          .ok());
  const ResolveResult r = (*resolver)->ResolveSync("www.example.test");
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(TrustStoreLoads(), before + 1);
}

}  // namespace
}  // namespace trr
