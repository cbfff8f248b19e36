// Parsing of DNS responses as DoH servers send them: strictly checked,
// without copying, and without allocating for A and AAAA answers.

#ifndef TRR_TRR_DNS_RESPONSE_H_
#define TRR_TRR_DNS_RESPONSE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "trr/dns/svcb.h"
#include "trr/dns/wire_error.h"
#include "trr/ip_address.h"

namespace trr::dns {

// What the response must answer: the query that was sent.
struct Question {
  Question(absl::string_view name, uint16_t type, uint16_t id = 0,
           absl::Span<const uint8_t> wire = {})
      : name(name), type(type), id(id), wire(wire) {}

  // Dotted host name without a trailing dot; compared ignoring case.
  absl::string_view name;
  uint16_t type;
  uint16_t id;
  // Optional: the question section of the query as sent (QuestionSection()).
  // A response that echoes it byte for byte, as servers do, is matched with
  // one memcmp instead of a walk; any other response takes the full check.
  absl::Span<const uint8_t> wire;
};

// The question section (QNAME, QTYPE, QCLASS) of a query made by
// EncodeQuery(), as a view into `query`.
absl::Span<const uint8_t> QuestionSection(absl::Span<const uint8_t> query);

// An RFC 8914 Extended DNS Error.
struct ExtendedError {
  uint16_t code = 0;
  absl::string_view text;  // a view into the message
};

// Room for 16 addresses inline: larger answers are rare and may allocate.
using AddressList = absl::InlinedVector<IpAddress, 16>;

// The longest CNAME chain followed inside one answer.
constexpr int kMaxCnameChain = 16;

// An A or AAAA record of the additional section for a name that an HTTPS or
// SVCB record of the answer points at (RFC 9460 section 4.2 lets servers
// send them so).
struct TargetAddress {
  // The record's TargetName, lower-cased, as SvcbRecord::target; a target
  // of "." (the owner itself) is written as the owner's name.
  std::string name;
  IpAddress address;
  uint32_t ttl = 0;
};
// The most TargetAddresses kept from one answer; the rest are ignored.
constexpr int kMaxTargetAddresses = 32;

struct Response {
  // The parsed message. Views below (extended_error text) point into it, and
  // CanonicalName() reads it: keep the bytes alive while using the Response.
  absl::Span<const uint8_t> message;

  uint16_t id = 0;
  bool authoritative = false;        // AA
  bool truncated = false;            // TC
  bool recursion_desired = false;    // RD
  bool recursion_available = false;  // RA
  bool authentic_data = false;       // AD (RFC 4035 section 3.2.3)
  bool checking_disabled = false;    // CD
  // The full RCODE: the header's 4 bits plus the OPT record's upper 8
  // (RFC 6891 section 6.1.3).
  uint16_t rcode = 0;

  // The addresses of the query's type (A or AAAA) at the end of the CNAME
  // chain, in answer order.
  AddressList addresses;
  // The smallest TTL among the CNAME links and the records used; 0 when
  // nothing was used. TTLs over 2^31-1 count as 0 (RFC 2181 section 8).
  uint32_t ttl = 0;
  // How many CNAME links were followed from the question name.
  int cname_chain_length = 0;
  // The chain was followed but no record of the query's type was found for
  // its last name: the resolver may have to ask for that name itself.
  bool ends_at_cname = false;
  // min(SOA TTL, SOA MINIMUM) of the authority section's SOA, the TTL of a
  // negative answer (RFC 2308 section 5).
  std::optional<uint32_t> negative_ttl;

  bool has_edns = false;
  uint16_t edns_udp_payload_size = 0;
  std::optional<ExtendedError> extended_error;

  // Filled for HTTPS/SVCB, TXT and NS queries respectively.
  std::vector<SvcbRecord> svcb;
  int ignored_svcb_records = 0;
  std::vector<std::string> txt;  // each record's strings, concatenated
  std::vector<std::string> ns;
  // For HTTPS/SVCB queries: the additional section's addresses for the
  // records' targets, in message order. Addresses for any other name are
  // ignored: they answer no question asked.
  std::vector<TargetAddress> target_addresses;

  // The name at the end of the CNAME chain (the question name when there is
  // none), lower-cased.
  std::string CanonicalName() const;

  size_t canonical_name_offset = 0;
};

// Parses `message` as the answer to `question`. On success fills `out`
// (which is reset first; its containers keep their capacity). Rejects, with
// the offset of the problem: messages over 65535 bytes or cut short, QR
// clear, a different ID, an opcode other than QUERY, QDCOUNT other than 1, a
// question that differs in name, type or class IN, malformed names (see
// ReadName), rdata whose length or form does not fit its type (A 4, AAAA 16,
// names exactly filling CNAME and NS, SOA, TXT strings, HTTPS/SVCB), OPT
// anywhere but once in the additional section with the root as owner, CNAME
// chains longer than kMaxCnameChain (loops included), and bytes after the
// last record. Records for other names or types are checked and ignored.
WireError ParseResponse(absl::Span<const uint8_t> message,
                        const Question& question, Response& out);

}  // namespace trr::dns

#endif  // TRR_TRR_DNS_RESPONSE_H_
