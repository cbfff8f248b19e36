#!/usr/bin/env bash
# Start-up as a new user meets it: whole processes, wall time, against the
# same unbound (DoH on loopback) in the same run, rounds interleaved:
#   (a) `trr resolve` in mode 0 for localhost (no DoH, no TLS at all);
#   (b) `trr resolve` in mode 3 for www.example.test (one DoH query);
#   (c) `kdig +https` for the same query, the reference.
# Prints the median of each and the ratio (b)/(c), the goal being <= 2.
# Resolver::Create's own CPU is bench/resolver_bench's BM_ResolverCreate.
# Usage: scripts/bench_startup.sh [ROUNDS]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-30}
build=${BUILD_DIR:-build}
command -v kdig >/dev/null || { echo "kdig is missing (knot-dnsutils)" >&2; exit 1; }
cmake --build "$build" -j2 --target trr trr_test_unbound >/dev/null

# shellcheck source=../tests/peers/test_unbound.sh
source tests/peers/test_unbound.sh
start_bench_unbound "$build" --threads 1

python3 - "$rounds" "$build/tools/trr" "$DOH_URI" "$DOH_PORT" "$CA_FILE" <<'PY'
import statistics, subprocess, sys, time
rounds, trr, uri, port, ca = int(sys.argv[1]), *sys.argv[2:]
# name: (argv, what its output must contain)
commands = {
    "trr mode 0 localhost": ([trr, "resolve", "--pref", "network.trr.mode=0",
                              "localhost"], "127.0.0.1"),
    "trr mode 3 DoH": ([trr, "resolve", "--pref", "network.trr.mode=3",
                        "--pref", f"network.trr.uri={uri}",
                        "--pref", "network.trr.bootstrapAddr=127.0.0.1",
                        "--pref", f"network.trr.ca_file={ca}",
                        "www.example.test"], "192.0.2.1"),
    "kdig +https": (["kdig", "+https", "@127.0.0.1", "-p", port,
                     f"+tls-ca={ca}", "+tls-hostname=localhost",
                     "www.example.test", "A"], "192.0.2.1"),
}
times = {name: [] for name in commands}
for i in range(rounds + 1):
    for name, (argv, expect) in commands.items():
        start = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True)
        elapsed = (time.perf_counter() - start) * 1000
        if out.returncode != 0 or expect not in out.stdout:
            sys.exit(f"{name} failed ({out.returncode}): {out.stdout}{out.stderr}")
        if i > 0:  # the first round warms the page cache
            times[name].append(elapsed)
med = {name: statistics.median(t) for name, t in times.items()}
for name, m in med.items():
    print(f"{name:22s} median {m:7.2f} ms  (min {min(times[name]):.2f})")
print(f"trr mode 3 / kdig: {med['trr mode 3 DoH'] / med['kdig +https']:.2f}x "
      f"(goal <= 2)")
PY
