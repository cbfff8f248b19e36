#include "trr/dns/query.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "trr/dns/dns_types.h"

namespace trr::dns {
namespace {

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_';
}

WireError BadHostName(size_t offset, const char* what) {
  return WireError{WireErrorCode::kBadHostName, offset, what};
}

void Put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

// The OPT record without its options: root owner, type, payload size as the
// class, and the TTL field holding extended RCODE 0, version 0 and the DO bit
// (RFC 6891 section 6.1.2). The caller appends RDLENGTH and the options.
void PutOptHeader(std::vector<uint8_t>& out, bool dnssec_ok) {
  out.push_back(0);
  Put16(out, kTypeOPT);
  Put16(out, kEdnsUdpPayloadSize);
  out.push_back(0);  // extended RCODE
  out.push_back(0);  // version
  out.push_back(dnssec_ok ? 0x80 : 0x00);
  out.push_back(0);
}

}  // namespace

WireError CheckHostName(absl::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return BadHostName(0, "empty host name");
  if (host.size() > kMaxHostNameLength) {
    return BadHostName(kMaxHostNameLength, "host name over 253 characters");
  }
  size_t label_start = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (i == label_start) return BadHostName(i, "empty label");
      if (i - label_start > kMaxLabelLength) {
        return BadHostName(label_start + kMaxLabelLength,
                           "label over 63 characters");
      }
      label_start = i + 1;
    } else if (!IsHostNameChar(host[i])) {
      return BadHostName(i, "character not allowed in a host name");
    }
  }
  return WireError();
}

WireError EncodeQuery(absl::string_view host, uint16_t type,
                      const QueryOptions& options, std::vector<uint8_t>& out) {
  if (WireError error = CheckHostName(host); !error.ok()) return error;
  if (host.back() == '.') host.remove_suffix(1);

  out.clear();
  // Header, name, question, OPT with an ECS option, and padding: one
  // allocation.
  out.reserve(std::max<size_t>(12 + host.size() + 2 + 4 + 11 + 8 + 4,
                               options.padding_block));
  Put16(out, options.id);
  Put16(out, 0x0100);  // QR=0, opcode QUERY, RD=1
  Put16(out, 1);       // QDCOUNT
  Put16(out, 0);       // ANCOUNT
  Put16(out, 0);       // NSCOUNT
  Put16(out, 1);       // ARCOUNT: the OPT record

  // QNAME: each label's length, then the label, lower-cased.
  size_t length_at = out.size();
  out.push_back(0);
  for (char c : host) {
    if (c == '.') {
      length_at = out.size();
      out.push_back(0);
    } else {
      out.push_back(static_cast<uint8_t>(absl::ascii_tolower(c)));
      ++out[length_at];
    }
  }
  out.push_back(0);
  Put16(out, type);
  Put16(out, kClassIN);

  PutOptHeader(out, options.dnssec_ok);
  const size_t rdlength_at = out.size();
  Put16(out, 0);
  if (options.disable_ecs) {
    // Family 1 (IPv4), source prefix 0, scope prefix 0, no address bytes.
    Put16(out, kOptionClientSubnet);
    Put16(out, 4);
    Put16(out, 1);
    out.push_back(0);
    out.push_back(0);
  }
  if (options.padding_block > 0) {
    // The padding option's own 4-byte header counts toward the length.
    const size_t unpadded = out.size() + 4;
    const size_t block = options.padding_block;
    const size_t pad = (block - unpadded % block) % block;
    Put16(out, kOptionPadding);
    Put16(out, static_cast<uint16_t>(pad));
    out.insert(out.end(), pad, 0);
  }
  const size_t rdlength = out.size() - rdlength_at - 2;
  out[rdlength_at] = static_cast<uint8_t>(rdlength >> 8);
  out[rdlength_at + 1] = static_cast<uint8_t>(rdlength);
  return WireError();
}

}  // namespace trr::dns
