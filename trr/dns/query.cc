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

uint8_t* Put16(uint8_t* w, uint16_t value) {
  w[0] = static_cast<uint8_t>(value >> 8);
  w[1] = static_cast<uint8_t>(value);
  return w + 2;
}

// The OPT record without its options: root owner, type, payload size as the
// class, and the TTL field holding extended RCODE 0, version 0 and the DO bit
// (RFC 6891 section 6.1.2). The caller writes RDLENGTH and the options.
constexpr size_t kOptHeaderLength = 9;
uint8_t* PutOptHeader(uint8_t* w, bool dnssec_ok) {
  *w++ = 0;
  w = Put16(w, kTypeOPT);
  w = Put16(w, kEdnsUdpPayloadSize);
  *w++ = 0;  // extended RCODE
  *w++ = 0;  // version
  *w++ = dnssec_ok ? 0x80 : 0x00;
  *w++ = 0;
  return w;
}

// The host name rules, in one place: `host` (one trailing dot already
// dropped) is walked byte by byte; `on_byte(c)` sees each byte of a label
// and `on_label(length)` each label's end, as long as the name is good.
template <typename OnByte, typename OnLabel>
WireError WalkHostName(absl::string_view host, OnByte on_byte,
                       OnLabel on_label) {
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
      on_label(i - label_start);
      label_start = i + 1;
    } else if (!IsHostNameChar(host[i])) {
      return BadHostName(i, "character not allowed in a host name");
    } else {
      on_byte(host[i]);
    }
  }
  return WireError();
}

// The rules alone, for `host` with its one trailing dot already dropped.
WireError CheckWithoutDot(absl::string_view host) {
  return WalkHostName(
      host, [](char) {}, [](size_t) {});
}

}  // namespace

WireError CheckHostName(absl::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return CheckWithoutDot(host);
}

WireError EncodeQuery(absl::string_view host, uint16_t type,
                      const QueryOptions& options, std::vector<uint8_t>& out) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > kMaxHostNameLength) {
    out.clear();
    return CheckWithoutDot(host);  // its error
  }
  // Sized whole first (header, name, question, OPT with an ECS option, and
  // padding), then written in place: one allocation at most, none when
  // `out` has room.
  const size_t name_length = host.size() + 2;  // label lengths and the root
  const size_t ecs_length = options.disable_ecs ? 8 : 0;
  const size_t unpadded =
      12 + name_length + 4 + kOptHeaderLength + 2 + ecs_length;
  size_t pad = 0;
  size_t padding_length = 0;  // the padding option, its header included
  if (options.padding_block > 0) {
    // The padding option's own 4-byte header counts toward the length.
    const size_t block = options.padding_block;
    pad = (block - (unpadded + 4) % block) % block;
    padding_length = 4 + pad;
  }
  const size_t rdlength = ecs_length + padding_length;
  out.resize(unpadded + padding_length);
  uint8_t* w = out.data();
  w = Put16(w, options.id);
  w = Put16(w, 0x0100);  // QR=0, opcode QUERY, RD=1
  w = Put16(w, 1);       // QDCOUNT
  w = Put16(w, 0);       // ANCOUNT
  w = Put16(w, 0);       // NSCOUNT
  w = Put16(w, 1);       // ARCOUNT: the OPT record

  // QNAME, checked as it is written: each label's length, then the label,
  // lower-cased.
  uint8_t* label_length = w++;
  const WireError error = WalkHostName(
      host,
      [&w](char c) { *w++ = static_cast<uint8_t>(absl::ascii_tolower(c)); },
      [&w, &label_length](size_t length) {
        *label_length = static_cast<uint8_t>(length);
        label_length = w++;
      });
  if (!error.ok()) {
    out.clear();  // a bad name leaves nothing
    return error;
  }
  *label_length = 0;  // the root
  w = Put16(w, type);
  w = Put16(w, kClassIN);

  w = PutOptHeader(w, options.dnssec_ok);
  w = Put16(w, static_cast<uint16_t>(rdlength));
  if (options.disable_ecs) {
    // Family 1 (IPv4), source prefix 0, scope prefix 0, no address bytes.
    w = Put16(w, kOptionClientSubnet);
    w = Put16(w, 4);
    w = Put16(w, 1);
    *w++ = 0;
    *w++ = 0;
  }
  if (options.padding_block > 0) {
    w = Put16(w, kOptionPadding);
    w = Put16(w, static_cast<uint16_t>(pad));
    std::fill_n(w, pad, 0);
  }
  return WireError();
}

}  // namespace trr::dns
