# shellcheck shell=bash
# Sourced (bash) by the shell tests and scripts/bench_doh.sh: starts the
# tests' unbound (trr_test_unbound), which serves until its stdin closes.
#
# start_test_unbound TOOL ENV_FILE FD [ARGS...]
#   Runs TOOL ARGS with its stdin a fifo held open on file descriptor FD
#   (closing FD, or killing TEST_UNBOUND_PID, stops it), waits up to 20 s
#   for it to write its variables (NAME=value lines, PID= last) to
#   ENV_FILE, and sets TEST_UNBOUND_PID. Returns non-zero, after printing
#   what it wrote, if it exits or does not get there in time.
start_test_unbound() {
  local tool=$1 env=$2 fd=$3
  shift 3
  rm -f "$env.in"
  mkfifo "$env.in"
  "$tool" "$@" <"$env.in" >"$env" &
  TEST_UNBOUND_PID=$!
  eval "exec $fd>\"\$env.in\""
  local deadline=$((SECONDS + 20))
  # It writes its variables once unbound answers; poll the file for them.
  until grep -q '^PID=' "$env" 2>/dev/null; do
    if ((SECONDS >= deadline)) || ! kill -0 "$TEST_UNBOUND_PID" 2>/dev/null; then
      echo "the test unbound ($tool) did not start; it wrote:" >&2
      cat "$env" >&2 || true
      return 1
    fi
    sleep 0.05
  done
}

# start_bench_unbound BUILD_DIR [ARGS...]
#   For scripts/bench_*.sh: makes a work folder ($work), starts the test
#   unbound (ARGS are its own) on file descriptor 3 and sources its
#   variables, and sets an EXIT trap that stops it, runs the script's
#   bench_cleanup if it defines one, and removes $work.
start_bench_unbound() {
  local build=$1
  shift
  work=$(mktemp -d)
  trap _stop_bench_unbound EXIT
  start_test_unbound "$build/tests/peers/trr_test_unbound" "$work/server" 3 "$@"
  server_pid=$TEST_UNBOUND_PID
  # shellcheck disable=SC1091
  source "$work/server"
}

_stop_bench_unbound() {
  exec 3>&- || true
  [[ -n ${server_pid:-} ]] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if declare -F bench_cleanup >/dev/null; then bench_cleanup; fi
  rm -rf "$work"
}
