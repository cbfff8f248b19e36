// DNS constants: record types, classes, response codes and EDNS option codes,
// with the RFC that assigns each.

#ifndef TRR_TRR_DNS_DNS_TYPES_H_
#define TRR_TRR_DNS_DNS_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace trr::dns {

// Resource record types (RFC 1035 section 3.2.2 unless noted).
enum RecordType : uint16_t {
  kTypeA = 1,
  kTypeNS = 2,
  kTypeCNAME = 5,
  kTypeSOA = 6,
  kTypeTXT = 16,
  kTypeAAAA = 28,   // RFC 3596
  kTypeOPT = 41,    // RFC 6891
  kTypeSVCB = 64,   // RFC 9460
  kTypeHTTPS = 65,  // RFC 9460
};

// "A", "AAAA", ... or "TYPE<n>" (RFC 3597) for the rest.
std::string RecordTypeName(uint16_t type);

constexpr uint16_t kClassIN = 1;

// Response codes (RFC 1035 section 4.1.1, RFC 6895). Values above 15 only
// exist with the upper bits carried in the OPT record.
enum Rcode : uint16_t {
  kRcodeNoError = 0,
  kRcodeFormErr = 1,
  kRcodeServFail = 2,
  kRcodeNxDomain = 3,
  kRcodeNotImp = 4,
  kRcodeRefused = 5,
  kRcodeBadVers = 16,
};

// "NOERROR", "NXDOMAIN", ... or "RCODE<n>".
std::string RcodeName(uint16_t rcode);

// EDNS option codes.
enum EdnsOption : uint16_t {
  kOptionClientSubnet = 8,    // RFC 7871
  kOptionPadding = 12,        // RFC 7830
  kOptionExtendedError = 15,  // RFC 8914
};

// RFC 8914 section 4 info codes the resolver acts on.
enum ExtendedErrorCode : uint16_t {
  kEdeForgedAnswer = 4,
  kEdeDnssecBogus = 6,
  kEdeBlocked = 15,
  kEdeCensored = 16,
  kEdeFiltered = 17,
};

// The EDNS UDP payload size every query advertises (DNS flag day 2020).
constexpr uint16_t kEdnsUdpPayloadSize = 1232;

// Wire limits (RFC 1035 section 2.3.4).
constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxWireNameLength = 255;
constexpr size_t kMaxHostNameLength = 253;
constexpr size_t kMaxMessageSize = 65535;
constexpr size_t kHeaderSize = 12;

}  // namespace trr::dns

#endif  // TRR_TRR_DNS_DNS_TYPES_H_
