#!/usr/bin/env bash
# The README's test command: installs what is missing, configures, builds
# with -j2 and runs every test. ctest's summary is the last thing it prints.
#   BUILD_DIR   build directory (default: build)
#   CMAKE_ARGS  extra arguments for cmake's configure step
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build_dir=${BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -G Ninja ${CMAKE_ARGS:-}
cmake --build "$build_dir" -j2
cd "$build_dir"
exec ctest --output-on-failure -j2
