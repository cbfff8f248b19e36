#!/usr/bin/env bash
# The resolver's uncached overhead over the DoH transport alone
# (bench/resolver_bench: BM_ResolveUncachedTrr against BM_TransportAlone,
# the same query to the same unbound, one at a time), read the way a small
# VM allows: ROUNDS interleaved rounds, the two in random order in each,
# and the median of the per-round ratios of their p50 latencies, so that
# the machine's drift between rounds cancels out. Run twice: with every
# thread on one CPU (taskset -c 0: no wake-ups across CPUs, which cost a
# 2-vCPU VM about 100 us each way and swamp the rest), then unpinned.
#
# Usage: scripts/bench_resolver.sh [ROUNDS] [SECONDS_PER_RUN]
#   (defaults 20 and 0.2)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
min_time=${2:-0.2}
build=${BUILD_DIR:-build}
cmake --build "$build" -j2 --target resolver_bench >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # run LABEL [taskset args...]
  local label=$1
  shift
  "$@" "$build/bench/resolver_bench" --benchmark_filter='Uncached|Alone' \
    --benchmark_repetitions="$rounds" --benchmark_min_time="$min_time" \
    --benchmark_enable_random_interleaving=true \
    --benchmark_format=json >"$work/$label.json" 2>/dev/null
  python3 - "$label" "$work/$label.json" <<'PY'
import json, statistics, sys
label, path = sys.argv[1], sys.argv[2]
runs = {}
for b in json.load(open(path))["benchmarks"]:
    if b.get("run_type") == "iteration":
        runs.setdefault(b["run_name"].split("/")[0], []).append(b)
alone = runs["BM_TransportAlone"]
trr = runs["BM_ResolveUncachedTrr"]
def med(rows, key):
    return statistics.median(r.get(key, 0) for r in rows)
ratios = [a["p50_ns"] / b["p50_ns"] for a, b in zip(trr, alone)]
q = statistics.quantiles(ratios, n=4)
print(f"{label}: {len(ratios)} rounds; p50 resolver {med(trr, 'p50_ns') / 1e3:.1f} us, "
      f"transport alone {med(alone, 'p50_ns') / 1e3:.1f} us; "
      f"per-round ratio median {statistics.median(ratios):.3f} "
      f"(quartiles {q[0]:.3f}-{q[2]:.3f}); network thread CPU per lookup "
      f"{med(trr, 'loop_cpu_ns') / 1e3:.1f} against {med(alone, 'loop_cpu_ns') / 1e3:.1f} us")
PY
}

run "one CPU" taskset -c 0
run "unpinned"
