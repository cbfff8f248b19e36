#include "trr/dns/svcb.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/name.h"

namespace trr::dns {
namespace {

WireError BadParam(size_t offset, const char* what) {
  return WireError{WireErrorCode::kBadSvcParam, offset, what};
}

uint16_t Get16(absl::Span<const uint8_t> message, size_t offset) {
  return static_cast<uint16_t>((message[offset] << 8) | message[offset + 1]);
}

// TargetName must not be compressed (RFC 9460 section 2.2).
WireError ReadUncompressedName(absl::Span<const uint8_t> message, size_t pos,
                               size_t end, size_t& name_end) {
  size_t wire_length = 0;
  while (true) {
    if (pos >= end) {
      return WireError{WireErrorCode::kBadRdata, pos,
                       "TargetName runs past the rdata"};
    }
    const uint8_t length = message[pos];
    if ((length & 0xc0) != 0) {
      return WireError{WireErrorCode::kBadRdata, pos,
                       "TargetName is compressed or has a bad label type"};
    }
    wire_length += length + 1;
    if (wire_length > kMaxWireNameLength) {
      return WireError{WireErrorCode::kNameTooLong, pos,
                       "TargetName over 255 bytes"};
    }
    if (length == 0) {
      name_end = pos + 1;
      return WireError();
    }
    if (pos + 1 + length >= end) {
      return WireError{WireErrorCode::kBadRdata, pos,
                       "TargetName label runs past the rdata"};
    }
    pos += 1 + length;
  }
}

bool IsKnownKey(uint16_t key) { return key <= kSvcDohPath; }

WireError ParseValue(absl::Span<const uint8_t> message, uint16_t key,
                     size_t pos, size_t length, SvcbRecord& out) {
  const size_t end = pos + length;
  switch (key) {
    case kSvcMandatory: {
      if (length == 0 || length % 2 != 0) {
        return BadParam(pos, "mandatory must list whole 2-byte keys");
      }
      for (size_t p = pos; p < end; p += 2) {
        const uint16_t listed = Get16(message, p);
        if (listed == kSvcMandatory) {
          return BadParam(p, "mandatory lists itself");
        }
        if (!out.mandatory.empty() && listed <= out.mandatory.back()) {
          return BadParam(p, "mandatory keys not strictly increasing");
        }
        out.mandatory.push_back(listed);
      }
      return WireError();
    }
    case kSvcAlpn: {
      if (length == 0) return BadParam(pos, "alpn is empty");
      for (size_t p = pos; p < end;) {
        const uint8_t id_length = message[p];
        if (id_length == 0) return BadParam(p, "empty alpn id");
        if (p + 1 + id_length > end) {
          return BadParam(p, "alpn id runs past its value");
        }
        out.alpn.emplace_back(
            reinterpret_cast<const char*>(message.data() + p + 1), id_length);
        p += 1 + id_length;
      }
      return WireError();
    }
    case kSvcNoDefaultAlpn:
      if (length != 0) return BadParam(pos, "no-default-alpn has a value");
      out.no_default_alpn = true;
      return WireError();
    case kSvcPort:
      if (length != 2) return BadParam(pos, "port is not 2 bytes");
      out.port = Get16(message, pos);
      return WireError();
    case kSvcIpv4Hint:
    case kSvcIpv6Hint: {
      const size_t size = key == kSvcIpv4Hint ? 4 : 16;
      if (length == 0 || length % size != 0) {
        return BadParam(pos, key == kSvcIpv4Hint
                                 ? "ipv4hint is not whole 4-byte addresses"
                                 : "ipv6hint is not whole 16-byte addresses");
      }
      auto& hints = key == kSvcIpv4Hint ? out.ipv4_hints : out.ipv6_hints;
      for (size_t p = pos; p < end; p += size) {
        hints.push_back(*IpAddress::FromBytes(message.data() + p, size));
      }
      return WireError();
    }
    case kSvcEch:
      if (length == 0) return BadParam(pos, "ech is empty");
      out.ech.assign(message.begin() + pos, message.begin() + end);
      return WireError();
    case kSvcDohPath:
      out.doh_path.emplace(reinterpret_cast<const char*>(message.data() + pos),
                           length);
      return WireError();
    default:
      return WireError();  // Unknown keys are allowed and ignored.
  }
}

}  // namespace

WireError ParseSvcbRdata(absl::Span<const uint8_t> message, size_t offset,
                         size_t rdlength, SvcbRecord& out, SvcbParse& usable) {
  out = SvcbRecord();
  usable = SvcbParse::kUsable;
  const size_t end = offset + rdlength;
  if (rdlength < 3) {
    return WireError{WireErrorCode::kBadRdataLength, offset,
                     "HTTPS/SVCB rdata shorter than priority and target"};
  }
  out.priority = Get16(message, offset);
  size_t pos = offset + 2;
  size_t name_end = 0;
  if (WireError error = ReadUncompressedName(message, pos, end, name_end);
      !error.ok()) {
    return error;
  }
  AppendNameText(message, pos, out.target);
  pos = name_end;

  int32_t previous_key = -1;
  std::vector<uint16_t> present;
  while (pos < end) {
    if (pos + 4 > end) {
      return BadParam(pos, "SvcParam header runs past the rdata");
    }
    const uint16_t key = Get16(message, pos);
    const uint16_t length = Get16(message, pos + 2);
    if (key == 65535) return BadParam(pos, "reserved key 65535");
    if (static_cast<int32_t>(key) <= previous_key) {
      return BadParam(pos, "SvcParam keys not strictly increasing");
    }
    previous_key = key;
    if (pos + 4 + length > end) {
      return BadParam(pos, "SvcParam value runs past the rdata");
    }
    if (!out.is_alias()) {
      if (WireError error = ParseValue(message, key, pos + 4, length, out);
          !error.ok()) {
        return error;
      }
    }
    present.push_back(key);
    pos += 4 + length;
  }
  for (uint16_t key : out.mandatory) {
    if (!std::binary_search(present.begin(), present.end(), key)) {
      return BadParam(offset, "mandatory names a key that is not present");
    }
    if (!IsKnownKey(key)) usable = SvcbParse::kIgnoredUnknownMandatoryKey;
  }
  return WireError();
}

}  // namespace trr::dns
