#!/usr/bin/env bash
# End-to-end checks of the trr command: output and exit codes.
set -euo pipefail
trr=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$trr" uri 'https://Dns.Example:8443/dns-query{?dns}')
grep -q 'GET https://dns.example:8443/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB' <<<"$out" ||
  fail "uri: $out"

out=$("$trr" ip 10.1.2.3 2606:4700::1111)
grep -q '10.1.2.3 .*private .*rejected' <<<"$out" || fail "ip: $out"
grep -q '2606:4700::1111 .*public .*allowed' <<<"$out" || fail "ip: $out"

set +e
"$trr" ip not-an-ip 2>/dev/null; [[ $? -eq 1 ]] || fail "bad ip exit code"
"$trr" 2>/dev/null; [[ $? -eq 2 ]] || fail "usage exit code"
"$trr" uri http://x/ 2>/dev/null; [[ $? -eq 1 ]] || fail "bad uri exit code"
echo "trr CLI: all checks passed"
