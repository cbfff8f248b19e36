#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds, starts a
# real unbound serving DoH on 127.0.0.1 with a demo zone and a certificate
# made just now (its own CA), resolves names through it with `trr resolve` in
# mode 3 (TRR only: no plaintext DNS leaves the process) using bootstrapAddr
# and that CA, prints the results and the about:networking dump, and stops
# the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" -j2 --target trr trr_test_unbound >/dev/null

work=$(mktemp -d)
server_pid=
cleanup() {
  exec 3>&- 2>/dev/null || true
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/in"
"$build_dir/tests/peers/trr_test_unbound" <"$work/in" >"$work/server" &
server_pid=$!
exec 3>"$work/in"
for _ in $(seq 200); do
  grep -q '^PID=' "$work/server" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "unbound did not start" >&2; exit 1; }
  sleep 0.05
done
# shellcheck disable=SC1090
source "$work/server"
echo "# unbound (pid $PID) serves DoH on 127.0.0.1:$DOH_PORT with a fresh CA"
echo "# trr resolve, mode 3, host doh.test reached only through bootstrapAddr"
echo
set +e
"$build_dir/tools/trr" resolve \
  --pref network.trr.mode=3 \
  --pref "network.trr.uri=https://doh.test:$DOH_PORT/dns-query" \
  --pref network.trr.bootstrapAddr=127.0.0.1 \
  --pref "network.trr.ca_file=$CA_FILE" \
  --dump \
  www.example.test alias.example.test multi.example.test nope.example.test \
  localhost
status=$?
set -e
echo
echo "# exit status $status (1: a name did not resolve, here nope.example.test)"
[[ $status -le 1 ]]
