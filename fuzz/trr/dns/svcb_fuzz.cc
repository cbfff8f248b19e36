// Fuzzes the HTTPS/SVCB rdata parser on its own (the input is the rdata),
// and DDR's reading of what a parsed record designates.

#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "trr/dns/svcb.h"
#include "trr/servers/ddr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trr::dns::SvcbRecord record;
  trr::dns::SvcbParse usable;
  const trr::dns::WireError error = trr::dns::ParseSvcbRdata(
      absl::MakeConstSpan(data, size), 0, size, record, usable);
  if (error.ok()) {
    if (record.target.empty()) std::abort();
    if (record.port && !record.is_alias() && size < 7) std::abort();
    // As a DDR designation: usable ones are whole DoH servers, the rest
    // say why not.
    for (const trr::DdrDesignation& d : trr::ReadDesignations({record})) {
      if (d.ignored.empty() != !d.spec.template_text.empty()) std::abort();
      if (d.ignored.empty() && (!absl::StartsWith(d.uri, "https://") ||
                                d.spec.uri.host.empty() || record.is_alias())) {
        std::abort();
      }
    }
  } else if (error.offset > size) {
    std::abort();
  }
  return 0;
}
