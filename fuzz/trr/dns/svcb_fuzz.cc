// Fuzzes the HTTPS/SVCB rdata parser on its own: the input is the rdata.

#include <cstdint>
#include <cstdlib>

#include "trr/dns/svcb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trr::dns::SvcbRecord record;
  trr::dns::SvcbParse usable;
  const trr::dns::WireError error = trr::dns::ParseSvcbRdata(
      absl::MakeConstSpan(data, size), 0, size, record, usable);
  if (error.ok()) {
    if (record.target.empty()) std::abort();
    if (record.port && !record.is_alias() && size < 7) std::abort();
  } else if (error.offset > size) {
    std::abort();
  }
  return 0;
}
