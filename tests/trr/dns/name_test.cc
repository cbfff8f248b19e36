#include "trr/dns/name.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/trr/dns/message_builder.h"

namespace trr::dns {
namespace {

using testing::Bytes;
using testing::Concat;
using testing::LabelsThenPointer;
using testing::Pointer;
using testing::WireName;

// 12 header bytes, then names at known offsets.
Bytes Message(std::initializer_list<Bytes> names) {
  Bytes out(12, 0);
  for (const Bytes& n : names) out = Concat({out, n});
  return out;
}

TEST(NameTest, ReadsNameAndReportsItsEnd) {
  const Bytes m =
      Message({WireName("www.example.com"), LabelsThenPointer("mail", 16)});
  NameInfo info;
  ASSERT_TRUE(ReadName(m, 12, info).ok());
  EXPECT_EQ(info.end, 29u);
  EXPECT_EQ(info.wire_length, 17u);
  ASSERT_TRUE(ReadName(m, 29, info).ok());
  EXPECT_EQ(info.end, 29u + 7);
  EXPECT_EQ(info.wire_length, 5u + 13);
  EXPECT_EQ(NameText(m, 29), "mail.example.com");
}

TEST(NameTest, ComparesIgnoringCaseAcrossPointers) {
  const Bytes m =
      Message({WireName("www.Example.COM"), WireName("WWW.example.com"),
               LabelsThenPointer("www", 16)});
  EXPECT_TRUE(NamesEqual(m, 12, 29));
  EXPECT_TRUE(NamesEqual(m, 12, 46));
  EXPECT_TRUE(NameEqualsText(m, 46, "www.example.com"));
  EXPECT_TRUE(NameEqualsText(m, 12, "WWW.EXAMPLE.COM"));
  EXPECT_FALSE(NameEqualsText(m, 12, "www.example.co"));
  EXPECT_FALSE(NameEqualsText(m, 12, "www.example.comx"));
  EXPECT_FALSE(NameEqualsText(m, 12, "www.example.com."));
  EXPECT_FALSE(NameEqualsText(m, 12, "wwwxexample.com"));
  EXPECT_FALSE(NamesEqual(m, 12, 16));
}

TEST(NameTest, RootName) {
  const Bytes m = Message({{0}});
  NameInfo info;
  ASSERT_TRUE(ReadName(m, 12, info).ok());
  EXPECT_EQ(info.wire_length, 1u);
  EXPECT_EQ(NameText(m, 12), ".");
  EXPECT_TRUE(NameEqualsText(m, 12, ""));
}

TEST(NameTest, PointerChainsMustDescend) {
  // 12: "a" root; 15: pointer to 12; 17: pointer to 15: fine.
  const Bytes m = Message({WireName("a"), Pointer(12), Pointer(15)});
  NameInfo info;
  ASSERT_TRUE(ReadName(m, 17, info).ok());
  EXPECT_EQ(info.end, 19u);
  EXPECT_EQ(NameText(m, 17), "a");
  // A pointer to a later byte is refused even if that byte is a fine name.
  const Bytes forward = Message({Pointer(14), WireName("b")});
  EXPECT_EQ(ReadName(forward, 12, info).code, WireErrorCode::kBadPointer);
}

}  // namespace
}  // namespace trr::dns
