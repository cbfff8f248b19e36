#!/usr/bin/env bash
# Compares trr's DoH transport (bench/doh_load) with h2load against the same
# unbound (one thread, DoH on loopback) in the same run:
#   (a) one query at a time: p50 latency (h2load: mean time per request);
#   (b) 16 streams in flight on one connection: queries per second;
#   (c) client CPU per query at 16 streams.
# Usage: scripts/bench_doh.sh [SECONDS] [ROUNDS]   (defaults 10 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-3}
build=${BUILD_DIR:-build}
cmake --build "$build" -j2 --target doh_load trr_test_unbound >/dev/null

# The server: trr_test_unbound runs until its stdin closes.
# shellcheck source=../tests/peers/test_unbound.sh
source tests/peers/test_unbound.sh
start_bench_unbound "$build" --threads 1  # sets $work
# shellcheck disable=SC2154

printf '%s\n' www.example.test multi.example.test alias.example.test \
  v4only.example.test ns.example.test >"$work/names"
# h2load sends the very bytes doh_load sends: trr's queries as the resolver
# makes them (ID 0, EDNS with ECS source prefix 0, padded to 128 bytes), as
# GET URLs (the same path and base64url).
mapfile -t uris < <("$build/bench/doh_load" --uri="$DOH_URI" \
  --names="$work/names" --get --print_get_urls |
  sed "s|^https://[^/]*|https://127.0.0.1:$DOH_PORT|")

trr() {  # trr CONCURRENCY [TRANSPORT] -> the doh_load summary line
  "$build/bench/doh_load" --uri="$DOH_URI" --ca_file="$CA_FILE" \
    --bootstrap=127.0.0.1 --names="$work/names" --concurrency="$1" \
    --duration="$seconds" --get --transport="${2:-trr}" | tail -n 1
}

h2() {  # h2 CONCURRENCY -> "qps mean_us cpu_us_per_query"
  local out cpu
  out=$( { /usr/bin/time -f '%U %S' h2load -t1 -c1 -m"$1" -D"$seconds" \
            --warm-up-time=1 "${uris[@]}" 2>&1; } 2>&1 )
  cpu=$(tail -n 1 <<<"$out" | awk '{print $1 + $2}')
  python3 - "$cpu" <<PY
import re, sys
out = """$out"""
qps = float(re.search(r'finished in .*?, ([0-9.]+) req/s', out).group(1))
done = int(re.search(r'requests: .*? (\d+) succeeded', out).group(1))
line = re.search(r'time for request:\s+(\S+)\s+(\S+)\s+(\S+)', out)
def us(v):
    return float(v[:-2]) * 1000 if v.endswith('ms') else float(v[:-2])
mean = us(line.group(3))
cpu = float(sys.argv[1]) * 1e6 / max(done, 1)
print(f"{qps:.0f} {mean:.1f} {cpu:.2f}")
PY
}

echo "unbound pid $PID, DoH on 127.0.0.1:$DOH_PORT; $seconds s per run, $rounds rounds"
for round in $(seq "$rounds"); do
  echo "--- round $round"
  echo "trr    c=1:  $(trr 1)"
  echo "curl   c=1:  $(trr 1 curl)"
  echo "h2load c=1:  qps mean_us cpu_us = $(h2 1)"
  echo "trr    c=16: $(trr 16)"
  echo "curl   c=16: $(trr 16 curl)"
  echo "h2load c=16: qps mean_us cpu_us = $(h2 16)"
done
