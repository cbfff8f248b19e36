#include "tests/peers/interop_zone.h"

#include "absl/strings/str_cat.h"

namespace trr::testing {

std::string InteropBurstV4(int i) {
  // 198.51.100.0/24 then 203.0.113.0/24: 512 addresses for 500 names.
  return absl::StrCat(i < 256 ? "198.51.100." : "203.0.113.", i % 256);
}

std::string InteropBurstV6(int i) {
  // From ::1: "2001:db8:1::0" is not how an address is written.
  return absl::StrCat("2001:db8:1::", absl::Hex(i + 1));
}

std::string InteropZone() {
  std::string zone =
      "$ORIGIN interop.test.\n"
      "@ 3600 IN SOA ns.interop.test. admin.interop.test. 1 7200 900 "
      "1209600 300\n"
      "@ 3600 IN NS ns.interop.test.\n"
      "ns 3600 IN A 192.0.2.53\n"
      "www 300 IN A 192.0.2.1\n"
      "www 300 IN AAAA 2001:db8::1\n"
      "v4only 300 IN A 192.0.2.4\n"
      "chain1 300 IN CNAME chain2.interop.test.\n"
      "chain2 240 IN CNAME chain3.interop.test.\n"
      "chain3 180 IN CNAME www.interop.test.\n"
      "svc 300 IN HTTPS 1 . alpn=\"h2,h3\" port=8443 ipv4hint=192.0.2.1 "
      "ipv6hint=2001:db8::1\n";
  for (int i = 0; i < 100; ++i) {
    absl::StrAppend(&zone, "many 300 IN AAAA 2001:db8::100:", absl::Hex(i),
                    "\n");
  }
  zone += "txt 300 IN TXT";
  for (char c : {'a', 'b', 'c', 'd', 'e'}) {
    absl::StrAppend(&zone, " \"", std::string(240, c), "\"");
  }
  zone += "\n";
  for (int i = 0; i < kInteropBurstNames; ++i) {
    absl::StrAppend(&zone, "n", i, " 300 IN A ", InteropBurstV4(i), "\n", "n",
                    i, " 300 IN AAAA ", InteropBurstV6(i), "\n");
  }
  return zone;
}

}  // namespace trr::testing
