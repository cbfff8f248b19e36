#include "trr/resolver/host_literal.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "trr/public/public_status.h"

namespace trr {
namespace {

// One part of a numeric IPv4 host: decimal, 0x-hex ("0x" alone is 0) or
// 0-octal, as the URL Standard's "IPv4 number parser" reads it. Values past
// 2^32 stay past it (saturated), so the range checks still refuse them.
std::optional<uint64_t> ParseIpv4Number(absl::string_view part) {
  if (part.empty()) return std::nullopt;
  int radix = 10;
  if (part.size() >= 2 && part[0] == '0' &&
      (part[1] == 'x' || part[1] == 'X')) {
    radix = 16;
    part.remove_prefix(2);
  } else if (part.size() >= 2 && part[0] == '0') {
    radix = 8;
    part.remove_prefix(1);
  }
  uint64_t value = 0;
  for (char c : part) {
    int digit;
    if (absl::ascii_isdigit(c)) {
      digit = c - '0';
    } else if (radix == 16 && absl::ascii_isxdigit(c)) {
      digit = absl::ascii_tolower(c) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= radix) return std::nullopt;
    value = value * radix + digit;
    if (value > (uint64_t{1} << 33)) value = uint64_t{1} << 33;
  }
  return value;
}

// The URL Standard's "ends in a number" check: the last label (a single
// trailing dot aside) is all digits, or reads as a hex or octal number.
bool EndsInANumber(absl::string_view host) {
  if (host.empty()) return false;
  if (host.back() == '.') {
    host.remove_suffix(1);
    if (host.empty()) return false;
  }
  const size_t dot = host.rfind('.');
  const absl::string_view last =
      dot == absl::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  // Every lookup passes here: a name whose last label starts with a letter
  // (nearly all of them) is turned away at once.
  if (!absl::ascii_isdigit(last[0])) return false;
  bool digits = true;
  for (char c : last) digits = digits && absl::ascii_isdigit(c);
  return digits || ParseIpv4Number(last).has_value();
}

HostLiteral Invalid(std::string error) {
  HostLiteral out;
  out.kind = HostLiteral::Kind::kInvalid;
  out.error = std::move(error);
  return out;
}

HostLiteral Address(const IpAddress& ip) {
  HostLiteral out;
  out.kind = HostLiteral::Kind::kAddress;
  out.address = ip;
  return out;
}

HostLiteral ParseIpv6(absl::string_view text) {
  if (text.find('%') != absl::string_view::npos) {
    return Invalid(
        "an IPv6 zone identifier (after '%') is not part of a host; give "
        "the address without it");
  }
  std::optional<IpAddress> ip = IpAddress::Parse(ToStd(text));
  if (!ip || !ip->is_v6()) return Invalid("not a valid IPv6 address");
  return Address(*ip);
}

HostLiteral ParseIpv4(absl::string_view host) {
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  if (parts.size() > 4) {
    return Invalid(
        "its last label is a number, but it has more than 4 parts "
        "for an IPv4 address");
  }
  std::vector<uint64_t> numbers;
  for (absl::string_view part : parts) {
    std::optional<uint64_t> n = ParseIpv4Number(part);
    if (!n) {
      return Invalid(
          "its last label is a number, so it must be an IPv4 "
          "address, and it is not one");
    }
    numbers.push_back(*n);
  }
  for (size_t i = 0; i + 1 < numbers.size(); ++i) {
    if (numbers[i] > 255) {
      return Invalid("an IPv4 address with a part above 255");
    }
  }
  // The last part fills the bytes the others left: 4 bytes after none,
  // 1 byte after three.
  const int left = static_cast<int>(5 - numbers.size());
  if (numbers.back() >= (uint64_t{1} << (8 * left))) {
    return Invalid("an IPv4 address whose last part is too large");
  }
  uint32_t value = static_cast<uint32_t>(numbers.back());
  for (size_t i = 0; i + 1 < numbers.size(); ++i) {
    value += static_cast<uint32_t>(numbers[i]) << (8 * (3 - i));
  }
  return Address(IpAddress::V4(value >> 24, (value >> 16) & 0xff,
                               (value >> 8) & 0xff, value & 0xff));
}

// An unbracketed IPv6 address: a colon, and only hex digits, colons and
// dots before any zone identifier ("a.test:443" is a name with a port,
// which the name check refuses by its character).
bool LooksLikeIpv6(absl::string_view host) {
  if (host.find(':') == absl::string_view::npos) return false;
  const absl::string_view address = host.substr(0, host.find('%'));
  for (char c : address) {
    if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return false;
  }
  return true;
}

}  // namespace

HostLiteral ParseHostLiteral(absl::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return ParseIpv6(host.substr(1, host.size() - 2));
  }
  if (LooksLikeIpv6(host)) return ParseIpv6(host);
  if (EndsInANumber(host)) return ParseIpv4(host);
  return HostLiteral();
}

}  // namespace trr
