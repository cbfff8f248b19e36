// Fuzzes the DNS response parser. The question is taken from the input
// itself, so the fuzzer gets past the question check and into the records;
// the parse is repeated with a fixed question to cover mismatches. Whatever
// parses must be internally consistent.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "trr/dns/dns_types.h"
#include "trr/dns/name.h"
#include "trr/dns/response.h"

namespace {

void CheckConsistent(const trr::dns::Response& r) {
  if (r.ttl > 0x7fffffff) std::abort();
  if (r.negative_ttl && *r.negative_ttl > 0x7fffffff) std::abort();
  if (r.cname_chain_length > trr::dns::kMaxCnameChain) std::abort();
  if (r.ends_at_cname && !r.addresses.empty()) std::abort();
  const std::string name = r.CanonicalName();
  if (name.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> message(data, size);
  trr::dns::Response response;

  trr::dns::NameInfo info;
  if (size > trr::dns::kHeaderSize &&
      trr::dns::ReadName(message, trr::dns::kHeaderSize, info).ok() &&
      info.end + 2 <= size) {
    const std::string qname =
        trr::dns::NameText(message, trr::dns::kHeaderSize);
    const uint16_t qtype =
        static_cast<uint16_t>((message[info.end] << 8) | message[info.end + 1]);
    const uint16_t id = static_cast<uint16_t>((data[0] << 8) | data[1]);
    if (trr::dns::ParseResponse(message, {qname, qtype, id}, response).ok()) {
      CheckConsistent(response);
    }
  }
  if (trr::dns::ParseResponse(
          message, {"www.example.test", trr::dns::kTypeA, 0}, response)
          .ok()) {
    CheckConsistent(response);
  }
  return 0;
}
