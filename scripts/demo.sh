#!/usr/bin/env bash
# The README's main-job command. Installs what is missing, builds the trr
# command and shows what runs today: DoH URI handling and the address
# classification that network.trr.allow-rfc1918 applies to TRR answers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" -j2 --target trr >/dev/null
trr=$build_dir/tools/trr

echo "# DoH URIs as network.trr.uri takes them (templates dropped, GET form)"
"$trr" uri 'https://dns.example/dns-query{?dns}' 'https://[::1]:8443/q?ct=1'
echo
echo "# Addresses as TRR answer filtering sees them"
"$trr" ip 93.184.216.34 10.0.0.7 127.0.0.1 169.254.1.1 fd00::1 2606:4700::1111 ::ffff:192.168.1.1
