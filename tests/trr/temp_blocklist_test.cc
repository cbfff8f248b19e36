#include "trr/servers/temp_blocklist.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

TEST(TempBlocklistTest, BlockedNameSkipsTrrUntilDurationPasses) {
  const absl::Duration kMinute = absl::Seconds(60);
  TempBlocklist list;
  list.Add("a.example.com", kStart);
  EXPECT_TRUE(list.IsBlocked("a.example.com", kStart, kMinute));
  EXPECT_TRUE(
      list.IsBlocked("a.example.com", kStart + absl::Seconds(59), kMinute));
  EXPECT_THAT(list.Entries(kStart + absl::Seconds(30), kMinute),
              ElementsAre(Pair("a.example.com", 30)));
  EXPECT_FALSE(
      list.IsBlocked("a.example.com", kStart + absl::Seconds(60), kMinute));
  EXPECT_EQ(list.size(), 0u);
}

TEST(TempBlocklistTest, TheDurationIsReadWhenTheListIsRead) {
  // Firefox reads temp_blocklist_duration_sec when it consults the list:
  // a shorter duration applies to entries added under a longer one.
  TempBlocklist list;
  list.Add("a.example.com", kStart);
  const absl::Time later = kStart + absl::Seconds(10);
  EXPECT_TRUE(list.IsBlocked("a.example.com", later, absl::Seconds(60)));
  EXPECT_THAT(list.Entries(later, absl::Seconds(5)), ElementsAre());
  EXPECT_FALSE(list.IsBlocked("a.example.com", later, absl::ZeroDuration()));
  EXPECT_EQ(list.size(), 0u);
}

TEST(TempBlocklistTest, ParentDomainsBlockTheirChildren) {
  TempBlocklist list;
  const absl::Duration kMinute = absl::Seconds(60);
  list.Add("example.com", kStart);
  EXPECT_TRUE(list.IsBlocked("x.y.example.com", kStart, kMinute));
  EXPECT_FALSE(list.IsBlocked("example.org", kStart, kMinute));
  EXPECT_FALSE(list.IsBlocked("notexample.com", kStart, kMinute));
  list.Add("com", kStart);
  // A top-level domain alone never blocks everything below it.
  EXPECT_FALSE(list.IsBlocked("other.com", kStart, kMinute));
  list.Clear();
  EXPECT_FALSE(list.IsBlocked("x.y.example.com", kStart, kMinute));
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
