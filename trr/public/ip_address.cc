#include "trr/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace trr {

std::optional<IpAddress> IpAddress::FromBytes(const uint8_t* data,
                                              size_t size) {
  IpAddress ip;
  if (size == 4) {
    ip.family_ = Family::kV4;
  } else if (size == 16) {
    ip.family_ = Family::kV6;
  } else {
    return std::nullopt;
  }
  std::memcpy(ip.bytes_.data(), data, size);
  return ip;
}

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t bytes[4] = {a, b, c, d};
  return *FromBytes(bytes, 4);
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton wants a NUL-terminated string; the longest valid text form is
  // INET6_ADDRSTRLEN - 1 characters.
  char buffer[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof(buffer)) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  if (std::memchr(buffer, '\0', text.size()) != nullptr) return std::nullopt;

  IpAddress ip;
  if (inet_pton(AF_INET, buffer, ip.bytes_.data()) == 1) {
    ip.family_ = Family::kV4;
    return ip;
  }
  if (inet_pton(AF_INET6, buffer, ip.bytes_.data()) == 1) {
    ip.family_ = Family::kV6;
    return ip;
  }
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN];
  const char* text = inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(),
                               buffer, sizeof(buffer));
  return text != nullptr ? std::string(text) : std::string();
}

std::optional<IpAddress> IpAddress::MappedV4() const {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0,    0,
                                                0, 0, 0, 0, 0xff, 0xff};
  if (!is_v6() || std::memcmp(bytes_.data(), kMappedPrefix, 12) != 0) {
    return std::nullopt;
  }
  return FromBytes(bytes_.data() + 12, 4);
}

bool IpAddress::IsLoopback() const {
  if (auto v4 = MappedV4()) return v4->IsLoopback();
  if (is_v4()) return bytes_[0] == 127;
  static constexpr std::array<uint8_t, 16> kV6Loopback = {
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kV6Loopback;
}

bool IpAddress::IsPrivate() const {
  if (auto v4 = MappedV4()) return v4->IsPrivate();
  if (is_v4()) {
    return bytes_[0] == 10 || (bytes_[0] == 172 && (bytes_[1] & 0xf0) == 16) ||
           (bytes_[0] == 192 && bytes_[1] == 168);
  }
  return (bytes_[0] & 0xfe) == 0xfc;
}

bool IpAddress::IsLinkLocal() const {
  if (auto v4 = MappedV4()) return v4->IsLinkLocal();
  if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
  return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::IsUnspecified() const {
  if (auto v4 = MappedV4()) return v4->IsUnspecified();
  if (is_v4()) return bytes_[0] == 0;
  static constexpr std::array<uint8_t, 16> kV6Any = {};
  return bytes_ == kV6Any;
}

bool IpAddress::IsLocal() const {
  return IsLoopback() || IsPrivate() || IsLinkLocal() || IsUnspecified();
}

}  // namespace trr
