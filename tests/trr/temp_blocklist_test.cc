#include "trr/temp_blocklist.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

TEST(TempBlocklistTest, BlockedNameSkipsTrrUntilDurationPasses) {
  TempBlocklist list;
  list.Add("a.example.com", kStart, absl::Seconds(60));
  EXPECT_TRUE(list.IsBlocked("a.example.com", kStart));
  EXPECT_TRUE(list.IsBlocked("a.example.com", kStart + absl::Seconds(59)));
  EXPECT_THAT(list.Entries(kStart + absl::Seconds(30)),
              ElementsAre(Pair("a.example.com", 30)));
  EXPECT_FALSE(list.IsBlocked("a.example.com", kStart + absl::Seconds(60)));
  EXPECT_EQ(list.size(), 0u);
}

TEST(TempBlocklistTest, ParentDomainsBlockTheirChildren) {
  TempBlocklist list;
  list.Add("example.com", kStart, absl::Seconds(60));
  EXPECT_TRUE(list.IsBlocked("x.y.example.com", kStart));
  EXPECT_FALSE(list.IsBlocked("example.org", kStart));
  EXPECT_FALSE(list.IsBlocked("notexample.com", kStart));
  list.Add("com", kStart, absl::Seconds(60));
  // A top-level domain alone never blocks everything below it.
  EXPECT_FALSE(list.IsBlocked("other.com", kStart));
  list.Clear();
  EXPECT_FALSE(list.IsBlocked("x.y.example.com", kStart));
}

TEST(DomainListTest, MatchesWholeLabelSuffixes) {
  DomainList list(" local , .Corp.Example., ,lan");
  EXPECT_TRUE(list.Matches("local"));
  EXPECT_TRUE(list.Matches("printer.local"));
  EXPECT_FALSE(list.Matches("nonlocal"));
  EXPECT_TRUE(list.Matches("wiki.corp.example"));
  EXPECT_TRUE(list.Matches("corp.example"));
  EXPECT_FALSE(list.Matches("example"));
  EXPECT_TRUE(list.Matches("nas.lan"));
  EXPECT_TRUE(DomainList("").empty());
}

}  // namespace
}  // namespace trr
