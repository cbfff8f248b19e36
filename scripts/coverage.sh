#!/usr/bin/env bash
# Line coverage (clang source-based) that the fuzz corpora reach in trr/dns
# and prefs, for docs/RELIABILITY.md. Builds the fuzz targets with coverage
# instrumentation and the replaying main (BUILD_DIR, default build-cov),
# replays each target's committed corpus plus, when CAMPAIGN names the WORK
# folder of scripts/fuzz_campaign.sh, the corpus that run grew, and prints
# llvm-cov's line coverage for each folder.
# Usage: scripts/coverage.sh [CAMPAIGN]
#   With TESTS=1 the whole ctest suite also runs in the coverage build and a
#   second report shows fuzz corpora plus tests.
set -euo pipefail
cd "$(dirname "$0")/.."
campaign=${1:-}
build=${BUILD_DIR:-build-cov}
src=$(pwd)
targets=(base64url_fuzz doh_uri_fuzz pref_flag_value_fuzz response_fuzz
         svcb_fuzz prefs_parser_fuzz resolver_fuzz http1_response_fuzz)

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DTRR_COVERAGE=ON \
  -DTRR_BENCH=OFF >/dev/null
if [[ ${TESTS:-0} == 1 ]]; then
  cmake --build "$build" -j2 >/dev/null
else
  cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null
fi
profiles="$build/coverage"
rm -rf "$profiles"
mkdir -p "$profiles"

objects=()
for name in "${targets[@]}"; do
  dirs=("fuzz/corpus/$name")
  [[ -n $campaign && -d $campaign/$name/corpus ]] && dirs+=("$campaign/$name/corpus")
  LLVM_PROFILE_FILE="$profiles/fuzz-$name.profraw" "$build/fuzz/$name" \
    "${dirs[@]}" >/dev/null
  # llvm-cov takes the first binary as an argument, the others as -object.
  if [[ ${#objects[@]} -eq 0 ]]; then
    objects=("$build/fuzz/$name")
  else
    objects+=(-object "$build/fuzz/$name")
  fi
done

report() {  # report TITLE PROFRAW...
  local title=$1 folder line
  shift
  llvm-profdata-14 merge -sparse "$@" -o "$profiles/merged.profdata"
  echo "$title"
  for folder in trr/dns prefs; do
    # TOTAL columns: regions, missed, cover, functions, missed, executed,
    # lines, missed, cover, ...
    line=$(llvm-cov-14 report -instr-profile="$profiles/merged.profdata" \
             "${objects[@]}" "$src/$folder" | awk '/^TOTAL/')
    awk -v f="$folder" '{printf "  %-8s lines %s of %s covered (%s), regions %s\n",
                         f, $8 - $9, $8, $10, $4}' <<<"$line"
  done
}

report "fuzz corpora:" "$profiles"/fuzz-*.profraw
if [[ ${TESTS:-0} == 1 ]]; then
  (cd "$build" && LLVM_PROFILE_FILE="$src/$profiles/test-%p.profraw" \
     ctest -j2 >/dev/null) || echo "(some tests failed in the coverage build)"
  while IFS= read -r test_binary; do
    objects+=(-object "$test_binary")
  done < <(find "$build/tests" -type f -executable -name '*_test')
  report "fuzz corpora and tests:" "$profiles"/*.profraw
fi
echo "HTML: llvm-cov-14 show -format=html -instr-profile=$profiles/merged.profdata ${objects[*]} -output-dir=$build/html"
