#!/usr/bin/env bash
# Round trips to the first answer on a long link: unbound's DoH behind a
# DelayRelay (tests/peers/delay_relay.h) that adds DELAY_MS each way and a
# round trip before a connection's first bytes (the TCP handshake), so a
# client needing N round trips after its SYN takes about N * RTT.
# Whole processes, rounds interleaved, median wall time in RTTs:
#   (a) trr resolve, mode 3, cold start (a new process: TCP, TLS, query);
#   (b) kdig +https, the same query (the reference), and curl --doh-url
#       resolving loopback.example.test (127.0.0.1; the request that
#       follows goes to a closed loopback port and fails at once);
#   (c) trr resolve with the first bootstrap address black-holed
#       (nftables drops its SYNs; needs root): Happy Eyeballs tries the
#       next address network.http.connection-retry-timeout (250 ms) later.
# Goals: (a) at most 3 RTT; (c) at most 3 RTT + 300 ms.
# Usage: scripts/bench_rtt.sh [ROUNDS] [DELAY_MS]   (defaults 10 and 50)
# TRR_BIN=path measures another build's trr (say, an older one).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
delay=${2:-50}
build=${BUILD_DIR:-build}
command -v kdig >/dev/null || { echo "kdig is missing (knot-dnsutils)" >&2; exit 1; }
cmake --build "$build" -j2 --target trr trr_test_unbound >/dev/null

table="trr_bench_rtt_$$"
bench_cleanup() { nft delete table inet "$table" 2>/dev/null || true; }
# shellcheck source=../tests/peers/test_unbound.sh
source tests/peers/test_unbound.sh
start_bench_unbound "$build" --threads 1 --delay-ms "$delay"

black_hole=0
if [[ $(id -u) == 0 ]] && command -v nft >/dev/null; then
  # 127.0.0.2 on the relay's port: SYNs vanish, as to a host that is gone.
  nft add table inet "$table"
  nft add chain inet "$table" out '{ type filter hook output priority 0; }'
  nft add rule inet "$table" out ip daddr 127.0.0.2 tcp dport "$RELAY_PORT" drop
  black_hole=1
fi

python3 - "$rounds" "$delay" "${TRR_BIN:-$build/tools/trr}" "$RELAY_PORT" "$CA_FILE" \
  "$black_hole" <<'PY'
import statistics, subprocess, sys, time
rounds, delay = int(sys.argv[1]), int(sys.argv[2])
trr, port, ca, black_hole = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == "1"
rtt = 2 * delay
def trr_cmd(bootstrap):
    return [trr, "resolve", "--pref", "network.trr.mode=3",
            "--pref", f"network.trr.uri=https://localhost:{port}/dns-query",
            "--pref", f"network.trr.bootstrapAddr={bootstrap}",
            "--pref", f"network.trr.ca_file={ca}", "www.example.test"]
# name: (argv, its exit code, what its output must contain)
commands = {
    "trr cold start": (trr_cmd("127.0.0.1"), 0, "192.0.2.1"),
    "kdig +https": (["kdig", "+https", "@127.0.0.1", "-p", port,
                     f"+tls-ca={ca}", "+tls-hostname=localhost",
                     "www.example.test", "A"], 0, "192.0.2.1"),
    # Exit code 7: the connection after the lookup is refused, as meant.
    "curl --doh-url": (["curl", "-s", "-o", "/dev/null", "--cacert", ca,
                        "--doh-url", f"https://localhost:{port}/dns-query",
                        "-w", "%{time_namelookup}",
                        "http://loopback.example.test:1/"], 7, "."),
}
if black_hole:
    commands["trr, 1st address black-holed"] = (
        trr_cmd("127.0.0.2,127.0.0.1"), 0, "192.0.2.1")
times = {name: [] for name in commands}
for _ in range(rounds):
    for name, (argv, code, expect) in commands.items():
        start = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True)
        elapsed = (time.perf_counter() - start) * 1000
        if out.returncode != code or expect not in out.stdout:
            sys.exit(f"{name} failed: {out.stdout}{out.stderr}")
        times[name].append(elapsed)
print(f"RTT {rtt} ms ({delay} ms each way), {rounds} rounds, medians:")
for name, t in times.items():
    m = statistics.median(t)
    print(f"  {name:32s} {m:7.1f} ms = {m / rtt:4.2f} RTT")
if not black_hole:
    print("  (the black-holed case needs root and nft)")
PY
