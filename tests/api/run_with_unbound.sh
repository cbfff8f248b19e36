#!/usr/bin/env bash
# Runs a command with the tests' unbound serving DoH on loopback; the
# command sees DOH_PORT, DOH_URI, CA_FILE and DNS_PORT in its environment.
#   run_with_unbound.sh TRR_TEST_UNBOUND COMMAND [ARGS...]
set -euo pipefail
unbound_tool=$1
shift
work=$(mktemp -d)
mkfifo "$work/in"
"$unbound_tool" <"$work/in" >"$work/env" &
server=$!
exec 3>"$work/in"
trap 'exec 3>&-; kill $server 2>/dev/null; wait; rm -rf "$work"' EXIT
for _ in $(seq 400); do grep -q '^PID=' "$work/env" 2>/dev/null && break; sleep 0.05; done
set -a
# shellcheck disable=SC1090
source "$work/env"
set +a
"$@"
