#!/usr/bin/env bash
# libtrr.so's ABI against the stored baseline for the compiler that built it
# (abi/libtrr.clang.abi.xz or abi/libtrr.gcc.abi.xz): abidiff
# from libabigail (Debian's abigail-tools), over the interfaces libtrr.so
# exports. Any change fails, except inside the private Resolver::Impl
# (abi/suppressions.ini). An intended change updates the baseline in the
# same commit (--update); one that breaks old binaries also bumps the
# SONAME (project version's major, docs/EMBEDDING.md).
#
# Needs a libtrr.so with debug information: CI checks its clang ASan build
# (build-asan: -g) and its gcc build (build: RelWithDebInfo). Each compiler
# has its own baseline, because their debug information spells the same
# types differently ("long" and "long int"); the exported symbols are the
# same.
#   scripts/check_abi.sh [--update] [BUILD_DIR]     (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
update=false
if [[ ${1:-} == --update ]]; then
  update=true
  shift
fi
build=${1:-build-asan}
library=$(readlink -f "$build/libtrr.so")
[[ -f $library ]] || { echo "check_abi: no $build/libtrr.so; build it first" >&2; exit 2; }
command -v abidw >/dev/null || { echo "check_abi: abidw is missing (abigail-tools)" >&2; exit 2; }
# The standard library's template instances stay private (cmake/libtrr.map).
leaked=$(nm -D --defined-only "$library" | awk '{print $3}' | grep -E '^_Z(N|NK)?St' || true)
if [[ -n $leaked ]]; then
  echo "check_abi: libtrr.so exports standard-library symbols:" >&2
  c++filt <<<"$leaked" >&2
  exit 1
fi

# clang writes its version into .comment; a gcc build carries only GCC's.
if readelf -p .comment "$library" | grep -q "clang version"; then
  compiler=clang
else
  compiler=gcc
fi
baseline=abi/libtrr.$compiler.abi.xz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Written without paths or source locations, so it depends on the code only.
abidw --no-corpus-path --no-show-locs --exported-interfaces-only \
  --drop-undefined-syms --type-id-style hash --out-file "$work/now.abi" "$library"
if $update; then
  xz -9 -c "$work/now.abi" >"$baseline"
  echo "check_abi: baseline $baseline updated ($compiler)"
  exit 0
fi
xz -d -c "$baseline" >"$work/baseline.abi"
set +e
abidiff --exported-interfaces-only --suppressions abi/suppressions.ini \
  "$work/baseline.abi" "$work/now.abi" >"$work/diff"
status=$?
set -e
if ((status != 0)); then
  cat "$work/diff"
  # abidiff's exit status is a bit field: 4 an ABI change, 8 an incompatible one.
  if ((status & 8)); then
    echo "check_abi: an incompatible ABI change: old binaries would break" >&2
  fi
  echo "check_abi: libtrr.so's ABI differs from $baseline (status $status);" \
    "if intended, run scripts/check_abi.sh --update and commit the baseline" >&2
  exit 1
fi
echo "check_abi: libtrr.so ($compiler) matches $baseline"
