// Proves that parsing A and AAAA answers allocates nothing: this binary
// replaces the global operator new with one that counts.

#include <atomic>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"
#include "tests/trr/dns/message_builder.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/response.h"

// The replacements pair malloc with free on purpose; gcc cannot see that
// through inlined standard allocators.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace trr::dns {
namespace {

using testing::Bytes;
using testing::MessageBuilder;
using testing::Pointer;
using testing::WireName;

long AllocationsDuring(const Bytes& message, absl::string_view name,
                       uint16_t type, Response& response) {
  const long before = g_allocations.load();
  WireError error = ParseResponse(message, Question{name, type, 0}, response);
  const long after = g_allocations.load();
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
  const long before = g_allocations.load();
  sink = ::operator new(16);
  ::operator delete(sink);
  EXPECT_EQ(g_allocations.load() - before, 1);
}

}  // namespace
}  // namespace trr::dns
