#include "tests/trr/dns/counting_new.h"

#include <atomic>
#include <cstdlib>
#include <new>

// The replacements pair malloc with free on purpose; gcc cannot see that
// through inlined standard allocators.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace trr::dns::testing {

int64_t HeapAllocations() {
  return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace trr::dns::testing
