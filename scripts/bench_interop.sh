#!/usr/bin/env bash
# trr's DoH transport (bench/doh_load) against h2load, sending the very same
# bytes to the same server in the same run, for every DoH server of the
# interop test (tests/peers/interop_servers.h): unbound, BIND 9.18,
# knot-resolver 5.6, dnsdist and the HTTP/1.1-only front (haproxy before
# dnsdist). At 16 and 100 queries in flight: queries per second, p50, and
# errors. GET, so that both send identical requests (trr's queries as the
# resolver makes them: ID 0, EDNS with ECS /0, padded to 128 bytes).
#
# HTTP/2 servers: one connection each (h2load -c1 -mN). The HTTP/1.1 front:
# trr keeps a pool of 4 connections with one request on each at a time, so
# h2load gets the same (--h1 -c4 -m1) whatever the number in flight.
#
# Usage: scripts/bench_interop.sh [SECONDS] [ROUNDS] [SERVER...]
#   (defaults 10, 1, and every server)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-1}
shift $(($# < 2 ? $# : 2))
servers=("$@")
[[ ${#servers[@]} -gt 0 ]] || servers=(unbound bind kresd dnsdist http1)
build=${BUILD_DIR:-build}
cmake --build "$build" -j2 --target doh_load trr_test_peer >/dev/null

work=$(mktemp -d)
peer_pid=
stop_peer() {
  if [[ -n $peer_pid ]]; then
    exec 3>&- || true
    wait "$peer_pid" 2>/dev/null || true
    peer_pid=
  fi
}
trap 'stop_peer; rm -rf "$work"' EXIT

for i in $(seq 0 99); do echo "n$i.interop.test"; done >"$work/names"

# start_peer NAME: trr_test_peer, which serves until its stdin (fd 3) closes.
start_peer() {
  rm -f "$work/in" "$work/env"
  mkfifo "$work/in"
  "$build/tests/peers/trr_test_peer" --server "$1" <"$work/in" >"$work/env" &
  peer_pid=$!
  exec 3>"$work/in"
  local deadline=$((SECONDS + 30))
  until grep -q '^PID=' "$work/env" 2>/dev/null; do
    if ((SECONDS >= deadline)) || ! kill -0 "$peer_pid" 2>/dev/null; then
      echo "bench_interop: $1 did not start" >&2
      return 1
    fi
    sleep 0.05
  done
  # shellcheck disable=SC1091
  source "$work/env"
}

trr() {  # trr CONCURRENCY -> "qps p50_us errors"
  "$build/bench/doh_load" --uri="$DOH_URI" --ca_file="$CA_FILE" \
    --bootstrap=127.0.0.1 --names="$work/names" --concurrency="$1" \
    --duration="$seconds" --get | tail -n 1 |
    sed -E 's/.*queries_per_second=([0-9]+) p50_us=([0-9.]+).* errors=([0-9]+).*/\1 \2 \3/'
}

h2() {  # h2 CONCURRENCY HTTP1 -> "qps mean_us errors"
  local flags=(-t1 -c1 -m"$1")
  [[ $2 == yes ]] && flags=(--h1 -t1 -c4 -m1)
  local out
  out=$(h2load "${flags[@]}" -D"$seconds" --warm-up-time=1 "${uris[@]}" 2>&1)
  python3 - <<PY
import re
out = """$out"""
qps = float(re.search(r'finished in .*?, ([0-9.]+) req/s', out).group(1))
m = re.search(r'requests: .*? (\d+) succeeded, (\d+) failed, (\d+) errored', out)
line = re.search(r'time for request:\s+(\S+)\s+(\S+)\s+(\S+)', out)
def us(v):
    return float(v[:-2]) * 1000 if v.endswith('ms') else float(v[:-2])
status = re.search(r'status codes: (\d+) 2xx', out)
print(f"{qps:.0f} {us(line.group(3)):.1f} {int(m.group(2)) + int(m.group(3))}")
PY
}

printf '%-8s %-4s %6s | %-26s | %-26s | %s\n' server c round \
  "trr: q/s p50_us errors" "h2load: q/s mean_us errors" "trr/h2load"
for server in "${servers[@]}"; do
  start_peer "$server"
  http1=no
  [[ $server == http1 ]] && http1=yes
  mapfile -t uris < <("$build/bench/doh_load" --uri="$DOH_URI" \
    --names="$work/names" --get --print_get_urls |
    sed "s|^https://[^/]*|https://127.0.0.1:$DOH_PORT|")
  for round in $(seq "$rounds"); do
    for c in 16 100; do
      read -r tq tp te <<<"$(trr "$c")"
      read -r hq hp he <<<"$(h2 "$c" "$http1")"
      ratio=$(python3 -c "print(f'{$tq / max($hq, 1):.2f}x')")
      printf '%-8s %-4s %6s | %8s %8s %8s | %8s %8s %8s | %s\n' "$server" \
        "$c" "$round" "$tq" "$tp" "$te" "$hq" "$hp" "$he" "$ratio"
    done
  done
  stop_peer
done
