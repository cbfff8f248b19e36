#!/usr/bin/env bash
# Runs a command with the tests' unbound serving DoH on loopback; the
# command sees DOH_PORT, DOH_URI, CA_FILE and DNS_PORT in its environment.
#   run_with_unbound.sh TRR_TEST_UNBOUND COMMAND [ARGS...]
set -euo pipefail
unbound_tool=$1
shift
# shellcheck source=../peers/test_unbound.sh
source "$(dirname "$0")/../peers/test_unbound.sh"
work=$(mktemp -d)
trap 'exec 3>&-; kill ${TEST_UNBOUND_PID:-} 2>/dev/null || true; wait; rm -rf "$work"' EXIT
start_test_unbound "$unbound_tool" "$work/env" 3
set -a
# shellcheck disable=SC1090
source "$work/env"
set +a
"$@"
