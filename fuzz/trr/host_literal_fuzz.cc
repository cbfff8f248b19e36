// Fuzzes the reading of hosts that are addresses (trr/host_literal.h, the
// WHATWG URL Standard's host parser): an address read from any input reads
// back as itself from its own text form, and what is neither an address
// nor invalid is no form of one.

#include <cstdint>
#include <cstdlib>

#include "trr/resolver/host_literal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const trr::HostLiteral host = trr::ParseHostLiteral(text);
  switch (host.kind) {
    case trr::HostLiteral::Kind::kAddress: {
      const trr::HostLiteral again =
          trr::ParseHostLiteral(host.address.ToString());
      if (again.kind != trr::HostLiteral::Kind::kAddress ||
          again.address != host.address) {
        std::abort();
      }
      break;
    }
    case trr::HostLiteral::Kind::kInvalid:
      if (host.error.empty()) std::abort();
      break;
    case trr::HostLiteral::Kind::kName:
      // A name never ends in a number (digits, 0x-hex) nor holds a colon
      // before any character an IPv6 address cannot have.
      if (!text.empty() && text.find(':') == absl::string_view::npos) {
        absl::string_view last = text;
        if (last.back() == '.') last.remove_suffix(1);
        last = last.substr(last.rfind('.') == absl::string_view::npos
                               ? 0
                               : last.rfind('.') + 1);
        bool digits = !last.empty();
        for (char c : last) digits = digits && c >= '0' && c <= '9';
        if (digits) std::abort();
      }
      break;
  }
  return 0;
}
