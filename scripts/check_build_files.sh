#!/usr/bin/env bash
# Fails when a tracked .cc file is not named by both builds: by a
# CMakeLists.txt and by a BUILD.bazel in its own folder or a folder above it.
# Left out: third_party/ (Bazel glue), cmake/ (CMake's own glue) and
# tests/bazel_consumer/ (another Bazel workspace, built on its own).
set -euo pipefail
cd "$(dirname "$0")/.."

named_in() {  # named_in FILE BUILDFILE_NAME
  local file=$1 build_name=$2 base dir
  base=$(basename "$file")
  dir=$(dirname "$file")
  while :; do
    if [[ -f $dir/$build_name ]] && grep -q -- "$base" "$dir/$build_name"; then
      return 0
    fi
    [[ $dir == . ]] && return 1
    dir=$(dirname "$dir")
  done
}

missing=0
while IFS= read -r file; do
  for build in CMakeLists.txt BUILD.bazel; do
    if ! named_in "$file" "$build"; then
      echo "check_build_files: $file is not named by any $build" >&2
      missing=1
    fi
  done
done < <(git ls-files --cached --others --exclude-standard '*.cc' '*.c' |
         grep -Ev '^(third_party|cmake|tests/bazel_consumer)/')
if [[ $missing -eq 0 ]]; then
  echo "check_build_files: every .cc file is named by CMake and Bazel"
fi
exit $missing
