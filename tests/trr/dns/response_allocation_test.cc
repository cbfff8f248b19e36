// Proves that parsing A and AAAA answers allocates nothing: this binary
// links counting_new.cc, which replaces operator new with one that counts.

#include <cstdint>

#include "gtest/gtest.h"
#include "tests/trr/dns/counting_new.h"
#include "tests/trr/dns/message_builder.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/response.h"

namespace trr::dns {
namespace {

using testing::Bytes;
using testing::MessageBuilder;
using testing::Pointer;
using testing::WireName;

long AllocationsDuring(const Bytes& message, absl::string_view name,
                       uint16_t type, Response& response) {
  const int64_t before = testing::HeapAllocations();
  WireError error = ParseResponse(message, Question{name, type, 0}, response);
  const int64_t after = testing::HeapAllocations();
  EXPECT_TRUE(error.ok());
  return after - before;
}

TEST(ResponseAllocationTest, ParsingAAnswerAllocatesNothing) {
  const Bytes message =
      MessageBuilder("www.example.com", kTypeA)
          .Answer(Pointer(12), kTypeA, 300, {93, 184, 216, 34})
          .Opt({})
          .Build();
  Response response;
  EXPECT_EQ(AllocationsDuring(message, "www.example.com", kTypeA, response), 0);
  EXPECT_EQ(response.addresses.size(), 1u);
}

TEST(ResponseAllocationTest, ParsingSixteenAddressesAllocatesNothing) {
  MessageBuilder builder("many.example.com", kTypeA);
  for (uint8_t i = 0; i < 16; ++i) {
    builder.Answer(Pointer(12), kTypeA, 60, {192, 0, 2, i});
  }
  const Bytes message = builder.Build();
  Response response;
  EXPECT_EQ(AllocationsDuring(message, "many.example.com", kTypeA, response),
            0);
  EXPECT_EQ(response.addresses.size(), 16u);
}

TEST(ResponseAllocationTest, ParsingAaaaAndCnameChainAllocatesNothing) {
  const Bytes message =
      MessageBuilder("www.example.com", kTypeAAAA)
          .Answer(Pointer(12), kTypeCNAME, 60, WireName("edge.cdn.example"))
          .Answer(WireName("edge.cdn.example"), kTypeAAAA, 60, Bytes(16, 0x20))
          .Build();
  Response response;
  EXPECT_EQ(AllocationsDuring(message, "www.example.com", kTypeAAAA, response),
            0);
  EXPECT_EQ(response.addresses.size(), 1u);
}

TEST(ResponseAllocationTest, CounterSeesAllocations) {
  // The check above could pass vacuously if the counter were not wired in.
  static void* volatile sink;
  const int64_t before = testing::HeapAllocations();
  sink = ::operator new(16);
  ::operator delete(sink);
  EXPECT_EQ(testing::HeapAllocations() - before, 1);
}

}  // namespace
}  // namespace trr::dns
