#!/usr/bin/env bash
# The resolver's own work per uncached lookup, counted exactly: instructions
# (valgrind callgrind, so the VM's noise does not enter) of
#   - the network thread from the resolver's task to DohTransport::Send,
#   - the network thread from the transport's answer to the caller woken,
#   - the calling thread's ResolveSync (validation, the post, the result),
# divided by the lookups (calls of OnTrrDone). The transport's own work is
# left out, so this is what the resolver adds to the transport alone.
#
# Usage: scripts/bench_resolver_instructions.sh [SECONDS]   (default 0.5)
#   BUILD_DIR=... to count another build (default build), or BENCH=... to
#   count a resolver_bench binary as it is (say, one kept from an earlier
#   commit: it links libtrr statically). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-0.5}
build=${BUILD_DIR:-build}
command -v valgrind >/dev/null || {
  echo "valgrind is not installed (apt-get install valgrind)" >&2
  exit 2
}
if [[ -n "${BENCH:-}" ]]; then
  bench=$(realpath "$BENCH")
else
  cmake --build "$build" -j2 --target resolver_bench >/dev/null
  bench=$(realpath "$build/bench/resolver_bench")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && valgrind --tool=callgrind --separate-threads=yes "$bench" \
  --benchmark_filter='BM_ResolveUncachedTrr' \
  --benchmark_min_time="$seconds" >/dev/null 2>&1)

python3 - "$work" <<'PY'
import glob, re, subprocess, sys

work = sys.argv[1]


def annotate(path, *flags):
    return subprocess.run(["callgrind_annotate", "--inclusive=yes", *flags, path],
                          capture_output=True, text=True, check=True).stdout


def inclusive(path):
    counts = {}
    for line in annotate(path, "--threshold=100").splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\S*?:(.*)", line)
        if m:
            counts.setdefault(m.group(2), int(m.group(1).replace(",", "")))
    return counts


def find(counts, pattern):
    found = [v for k, v in counts.items() if re.search(pattern, k)]
    return max(found) if found else 0


threads = {p: inclusive(p) for p in sorted(glob.glob(work + "/callgrind.out.*-*"))}
loop_path = next(p for p, c in threads.items() if find(c, r"Impl::StartRequest"))
caller = next(c for c in threads.values() if find(c, r"^trr::Resolver::ResolveSync"))
loop = threads[loop_path]
# Lookups: the calls of OnTrrDone, summed over its callers.
lookups = 0
for block in annotate(loop_path, "--tree=caller").split("\n\n"):
    if re.search(r"\*\s+\S+:trr::Resolver::Impl::OnTrrDone", block):
        lookups = sum(int(n.replace(",", ""))
                      for n in re.findall(r"<.*?\(([\d,]+)x\)", block))
        break
send_side = find(loop, r"^trr::Resolver::Impl::StartRequest") - find(
    loop, r"^trr::DohTransport::Send\(")
answer_side = find(loop, r"SendTrrQuery.*lambda\(trr::DohResult\)#1}>::_M_invoke")
caller_side = find(caller, r"^trr::Resolver::ResolveSync")
total = send_side + answer_side + caller_side
print(f"{lookups} lookups; instructions per lookup: to Send {send_side / lookups:,.0f}, "
      f"answer to caller {answer_side / lookups:,.0f}, ResolveSync "
      f"{caller_side / lookups:,.0f}; together {total / lookups:,.0f}")
PY
