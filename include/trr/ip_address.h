// trr/ip_address.h: IpAddress, one IPv4 or IPv6 address, parsed, formatted and
// classified.
//
// The classification answers the question network.trr.allow-rfc1918 asks:
// is this an address that a public DNS answer should never point at?

#ifndef TRR_INCLUDE_TRR_IP_ADDRESS_H_
#define TRR_INCLUDE_TRR_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "trr/export.h"

namespace trr {

// A read-only view of bytes, as IpAddress::bytes() gives them (anything
// that takes a data() and a size(), absl::Span included, takes this).
class ByteView {
 public:
  ByteView(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const uint8_t* begin() const { return data_; }
  const uint8_t* end() const { return data_ + size_; }
  uint8_t operator[](size_t i) const { return data_[i]; }

 private:
  const uint8_t* data_;
  size_t size_;
};

class TRR_EXPORT IpAddress {
 public:
  enum class Family : uint8_t { kV4, kV6 };

  // The IPv4 unspecified address 0.0.0.0.
  IpAddress() = default;

  // From 4 (IPv4) or 16 (IPv6) bytes in network order, as they stand in an
  // A or AAAA record. Any other length gives nullopt.
  static std::optional<IpAddress> FromBytes(const uint8_t* data, size_t size);
  static std::optional<IpAddress> FromBytes(ByteView bytes) {
    return FromBytes(bytes.data(), bytes.size());
  }
  // From exactly 4 or 16 bytes at `bytes`, for parsers that checked the
  // length already.
  static IpAddress FromV4Bytes(const uint8_t* bytes) {
    IpAddress ip;
    std::memcpy(ip.bytes_.data(), bytes, 4);
    return ip;
  }
  static IpAddress FromV6Bytes(const uint8_t* bytes) {
    IpAddress ip;
    ip.family_ = Family::kV6;
    std::memcpy(ip.bytes_.data(), bytes, 16);
    return ip;
  }
  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

  // Parses dotted-quad IPv4 ("192.0.2.1") or RFC 4291 text IPv6 ("2001:db8::1",
  // "::ffff:192.0.2.1"). No brackets, ports, zone ids or leading zeros.
  static std::optional<IpAddress> Parse(std::string_view text);

  // RFC 5952 canonical text for IPv6; dotted quad for IPv4.
  std::string ToString() const;

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // 4 or 16 bytes in network order.
  ByteView bytes() const { return ByteView(bytes_.data(), is_v4() ? 4 : 16); }

  // 127.0.0.0/8, ::1.
  bool IsLoopback() const;
  // RFC 1918 (10/8, 172.16/12, 192.168/16) and RFC 4193 unique local
  // (fc00::/7).
  bool IsPrivate() const;
  // 169.254/16 (RFC 3927) and fe80::/10 (RFC 4291).
  bool IsLinkLocal() const;
  // 0.0.0.0/8 ("this network", RFC 1122) and ::.
  bool IsUnspecified() const;
  // Any of the above: what a TRR answer must not hold unless
  // network.trr.allow-rfc1918 is set. IPv4-mapped IPv6 addresses
  // (::ffff:a.b.c.d) are judged by the IPv4 address they carry.
  bool IsLocal() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) {
    return !(a == b);
  }
  // IPv4 sorts before IPv6, then by bytes.
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    if (a.family_ != b.family_) return a.family_ < b.family_;
    return a.bytes_ < b.bytes_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& ip) {
    return H::combine(std::move(h), ip.family_, ip.bytes_);
  }

 private:
  // The IPv4 address inside an IPv4-mapped IPv6 address, if this is one.
  std::optional<IpAddress> MappedV4() const;

  std::array<uint8_t, 16> bytes_{};
  Family family_ = Family::kV4;
};

}  // namespace trr

#endif  // TRR_INCLUDE_TRR_IP_ADDRESS_H_
