#!/usr/bin/env bash
# A long fuzzing run for docs/RELIABILITY.md: every libFuzzer target, built
# with ASan+UBSan, runs until it has executed RUNS inputs or MAX_SECONDS have
# passed, JOBS targets at a time. Grown corpora, logs and any crash input go
# to WORK; the committed corpus (fuzz/corpus) is only read. Prints one
# Markdown table row per target and exits non-zero if any target crashed.
# Usage: scripts/fuzz_campaign.sh [RUNS] [TARGET...]
#   RUNS defaults to 10000000; no TARGET means all of them.
#   env: BUILD_DIR (build-fuzz), WORK (/tmp/trr-fuzz-campaign), JOBS (2),
#        MAX_SECONDS (7200), WORKERS (1: processes per target, sharing its
#        corpus, RUNS split between them; the table sums them),
#        FLAGS (more libFuzzer flags, e.g. "-entropic=0 -detect_leaks=0"),
#        NICE (0: the niceness the fuzzers run at),
#        SEED_CORPUS (a directory read as well, e.g. a previous run's corpus
#        copied out of WORK, which each run clears)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000000}
shift || true
build=${BUILD_DIR:-build-fuzz}
work=${WORK:-/tmp/trr-fuzz-campaign}
jobs=${JOBS:-2}
max_seconds=${MAX_SECONDS:-7200}
workers=${WORKERS:-1}
read -r -a flags <<<"${FLAGS:-}"
niceness=${NICE:-0}
seeds=()
[[ -z ${SEED_CORPUS:-} ]] || seeds=("$SEED_CORPUS")

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
  -DTRR_SANITIZE=address,undefined -DTRR_FUZZ=ON -DTRR_BENCH=OFF >/dev/null
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  # The slowest first, so the fast ones share the other core with them.
  targets=(prefs_parser_fuzz resolver_fuzz response_fuzz svcb_fuzz
           http1_response_fuzz base64url_fuzz pref_flag_value_fuzz
           doh_uri_fuzz)
fi
cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null

run_one() {  # run_one TARGET
  local name=$1 dir="$work/$1" start w
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  start=$(date +%s.%N)
  for ((w = 0; w < workers; w++)); do
    nice -n "$niceness" "$build/fuzz/$name" -runs="$((runs / workers))" \
      -max_total_time="$max_seconds" "${flags[@]}" \
      -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
      "$dir/corpus" "fuzz/corpus/$name" "${seeds[@]}" >"$dir/log.$w" 2>&1 &
  done
  wait || true
  echo "$start $(date +%s.%N)" >"$dir/times"
}

for name in "${targets[@]}"; do
  echo "started $name ($(date -u +%H:%M:%S))" >&2
  run_one "$name" &
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
done
wait

crashed=0
echo "| target | executions | seconds | exec/s | crashes | corpus files | edges (cov) | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|"
for name in "${targets[@]}"; do
  dir="$work/$name"
  logs=("$dir"/log.*)
  # Summed over the workers; a worker that printed no stats leaves it empty.
  units=$(awk '/^stat::number_of_executed_units/ {n++; s += $2}
               END {if (n == '"${#logs[@]}"') print s}' "${logs[@]}")
  rss=$(awk '/^stat::peak_rss_mb/ {if ($2 > m) m = $2} END {print m}' \
    "${logs[@]}")
  cov=$(cat "${logs[@]}" | grep -oE 'cov: [0-9]+' | cut -d' ' -f2 |
    sort -n | tail -1)
  read -r start end <"$dir/times"
  seconds=$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", e - s}')
  rate=$(awk -v u="${units:-0}" -v s="$seconds" 'BEGIN {printf "%.0f", u / (s ? s : 1)}')
  crashes=$(find "$dir/artifacts" -type f | wc -l)
  if [[ -z $units ]] || grep -qE '^==[0-9]+==ERROR|deadly signal' "${logs[@]}"; then
    crashes=$((crashes > 0 ? crashes : 1))
  fi
  ((crashes == 0)) || crashed=1
  corpus=$(find "$dir/corpus" -type f | wc -l)
  echo "| $name | ${units:-?} | $seconds | $rate | $crashes | $corpus | ${cov:-?} | ${rss:-?} |"
done
if ((crashed)); then
  echo "a target crashed: see the logs and artifacts under $work" >&2
  exit 1
fi
