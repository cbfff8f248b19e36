// SocketAddress: an IpAddress and port as the sockaddr that socket calls
// take, for the DoH transport and the plain-DNS native resolver.

#ifndef TRR_TRR_LOOP_SOCKET_ADDRESS_H_
#define TRR_TRR_LOOP_SOCKET_ADDRESS_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "trr/ip_address.h"

namespace trr {

// Happy Eyeballs order (RFC 8305 section 4): the first address's family
// first, then alternating families, each family in its given order.
inline std::vector<IpAddress> InterleaveFamilies(
    std::vector<IpAddress> addresses) {
  if (addresses.empty()) return addresses;
  const bool first_v4 = addresses[0].is_v4();
  std::vector<IpAddress> first, second, out;
  for (IpAddress& ip : addresses) {
    (ip.is_v4() == first_v4 ? first : second).push_back(ip);
  }
  for (size_t i = 0; i < first.size() || i < second.size(); ++i) {
    if (i < first.size()) out.push_back(first[i]);
    if (i < second.size()) out.push_back(second[i]);
  }
  return out;
}

// Fills `*length` with the size of the sockaddr_in or sockaddr_in6 inside.
inline sockaddr_storage SocketAddress(const IpAddress& ip, uint16_t port,
                                      socklen_t* length) {
  sockaddr_storage address{};
  if (ip.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip.bytes().data(), 4);
    *length = sizeof(*in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, ip.bytes().data(), 16);
    *length = sizeof(*in6);
  }
  return address;
}

// The other way: the address (and port) in a sockaddr_in or sockaddr_in6;
// nothing for another family.
inline std::optional<IpAddress> AddressOf(const sockaddr* address,
                                          uint16_t* port = nullptr) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    if (port != nullptr) *port = ntohs(in->sin_port);
    return IpAddress::FromV4Bytes(
        reinterpret_cast<const uint8_t*>(&in->sin_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (port != nullptr) *port = ntohs(in6->sin6_port);
    return IpAddress::FromV6Bytes(
        reinterpret_cast<const uint8_t*>(&in6->sin6_addr));
  }
  return std::nullopt;
}

// "192.0.2.1:443", "[2001:db8::1]:443": where a connection goes, for
// messages and the dump.
inline std::string HostPort(const IpAddress& ip, uint16_t port) {
  const std::string host = ip.ToString();
  return (ip.is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace trr

#endif  // TRR_TRR_LOOP_SOCKET_ADDRESS_H_
