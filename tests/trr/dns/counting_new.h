// For binaries that prove code allocates nothing: linking counting_new.cc
// replaces the global operator new with one that counts every call.

#ifndef TRR_TESTS_TRR_DNS_COUNTING_NEW_H_
#define TRR_TESTS_TRR_DNS_COUNTING_NEW_H_

#include <cstdint>

namespace trr::dns::testing {

// Calls of the global operator new so far, from every thread.
int64_t HeapAllocations();

}  // namespace trr::dns::testing

#endif  // TRR_TESTS_TRR_DNS_COUNTING_NEW_H_
