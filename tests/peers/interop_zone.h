// The zone every DoH server of the interop test serves (tests/trr/
// interop_test.cc): the same data, whether unbound and BIND load it or
// knot-resolver and dnsdist pass queries for it on to an unbound that does.
// Addresses are from the documentation ranges, so allow-rfc1918 passes
// them.

#ifndef TRR_TESTS_PEERS_INTEROP_ZONE_H_
#define TRR_TESTS_PEERS_INTEROP_ZONE_H_

#include <string>

namespace trr::testing {

inline constexpr char kInteropZoneName[] = "interop.test";
// Names n0.interop.test ... n(kInteropBurstNames-1).interop.test, each with
// an A and an AAAA of its own.
inline constexpr int kInteropBurstNames = 500;

// The zone file. Besides the burst names:
//   www        A 192.0.2.1, AAAA 2001:db8::1
//   v4only     A 192.0.2.4 (so AAAA is NODATA)
//   chain1     CNAME chain2 -> CNAME chain3 -> CNAME www (three links)
//   many       100 AAAA records, 2001:db8::100:0 to 2001:db8::100:63
//   txt        one TXT record of five 240-byte strings (1,200 bytes)
//   svc        HTTPS 1 . alpn=h2,h3 port=8443 ipv4hint ipv6hint
// and nothing else: nosuch.interop.test is NXDOMAIN.
std::string InteropZone();

// The addresses of burst name `i`.
std::string InteropBurstV4(int i);
std::string InteropBurstV6(int i);

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_INTEROP_ZONE_H_
