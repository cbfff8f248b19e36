#!/usr/bin/env bash
# Privacy, checked from outside the process:
#  1. a loopback capture (tcpdump) during 1,000 lookups in mode 3 sees no
#     packet to the native DNS server's port (a control query proves the
#     capture works);
#  2. with a TLS key log (SSLKEYLOGFILE) tshark decrypts the DoH stream:
#     every query carries EDNS Client Subnet with source prefix 0 and is a
#     multiple of 128 bytes long, and no request carries a User-Agent,
#     Cookie or Accept-Language header.
#   privacy_test.sh TRR_BINARY TRR_TEST_UNBOUND_BINARY
set -euo pipefail
trr=$1
unbound_tool=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
# With TRR_REQUIRE_PEERS set (CI), a missing tool fails the test instead.
skip() {
  echo "SKIPPED LOUDLY: $*"
  [[ -z ${TRR_REQUIRE_PEERS:-} ]] || exit 1
  exit 0
}
command -v tcpdump >/dev/null || skip "tcpdump is not installed; run scripts/setup.sh"
command -v tshark >/dev/null || skip "tshark is not installed; run scripts/setup.sh"
[[ $(id -u) -eq 0 ]] || skip "capturing on lo needs root"

work=${PRIVACY_WORK:-$(mktemp -d)}
pids=()
cleanup() {
  for fd in 3 4; do eval "exec $fd>&-" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${PRIVACY_WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../peers/test_unbound.sh
source "$(dirname "$0")/../peers/test_unbound.sh"
start_unbound() {  # start_unbound NAME FD: NAME's variables go to NAME.env
  local name=$1 fd=$2
  start_test_unbound "$unbound_tool" "$work/$name.env" "$fd" ||
    fail "unbound $name did not start"
  pids+=("$TEST_UNBOUND_PID")
}
start_unbound doh 3
start_unbound native 4
# shellcheck disable=SC1090
DOH_PORT=$(sed -n 's/^DOH_PORT=//p' "$work/doh.env")
CA_FILE=$(sed -n 's/^CA_FILE=//p' "$work/doh.env")
NATIVE_PORT=$(sed -n 's/^DNS_PORT=//p' "$work/native.env")

names=()
for i in $(seq 0 999); do names+=("n$i.fault.example.test"); done
prefs=(--pref network.trr.mode=3
       --pref "network.trr.uri=https://doh.test:$DOH_PORT/dns-query"
       --pref network.trr.bootstrapAddr=127.0.0.1
       --pref "network.trr.ca_file=$CA_FILE"
       --pref "network.dns.native_nameserver=127.0.0.1:$NATIVE_PORT")

# Captures run until a marker packet shows up in the file: tcpdump writes
# packets in order, so everything before the marker is in by then (killing
# it at once could lose packets still in the kernel's buffer).
start_capture() {  # start_capture FILE FILTER
  # A large buffer: under load the kernel must not drop what we check.
  tcpdump -i lo -n -U --immediate-mode -B 32768 -w "$1" "$2" 2>"$1.log" &
  capture=$!
  pids+=($capture)
  for _ in $(seq 200); do grep -q 'listening on' "$1.log" && break; sleep 0.05; done
}
stop_capture_when() {  # stop_capture_when FILE READ_FILTER COUNT
  for _ in $(seq 400); do
    [[ $(tcpdump -r "$1" -n "$2" 2>/dev/null | wc -l) -ge $3 ]] && break
    sleep 0.05
  done
  kill -INT $capture; wait $capture 2>/dev/null || true
  if grep -qE '^[1-9][0-9]* packets dropped by kernel' "$1.log"; then
    fail "the capture dropped packets: $(cat "$1.log")"
  fi
}

# 1. Nothing to the native server: the only packets to its port are the
#    marker query and its answer.
start_capture "$work/native.pcap" "port $NATIVE_PORT"
"$trr" resolve "${prefs[@]}" --type A "${names[@]}" >"$work/resolved" ||
  fail "mode 3 lookups failed: $(grep -c error "$work/resolved") errors"
[[ $(grep -c '  trr  ' "$work/resolved") -eq 1000 ]] || fail "not all answered over TRR"
kdig @127.0.0.1 -p "$NATIVE_PORT" marker.example.test +short >/dev/null
stop_capture_when "$work/native.pcap" "src port $NATIVE_PORT" 1
packets=$(tcpdump -r "$work/native.pcap" -n 2>/dev/null | wc -l)
[[ $packets -ge 2 ]] || fail "the capture missed the marker query ($packets packets)"
[[ $packets -eq 2 ]] || fail "$((packets - 2)) packets to the native server in mode 3"
echo "mode 3: 1000 lookups over TRR, 0 packets to the native server (the marker query: 2)"

# 2. What the DoH stream carries, decrypted. The marker: a second TCP
#    connection to the DoH port after trr is done.
start_capture "$work/doh.pcap" "tcp port $DOH_PORT"
SSLKEYLOGFILE="$work/keys.log" "$trr" resolve "${prefs[@]}" \
  www.example.test alias.example.test multi.example.test v4only.example.test >/dev/null || true
(exec 5<>"/dev/tcp/127.0.0.1/$DOH_PORT") 2>/dev/null || true
stop_capture_when "$work/doh.pcap" "dst port $DOH_PORT and tcp[tcpflags] & tcp-syn != 0" 2
[[ -s $work/keys.log ]] || fail "no TLS key log was written"
# One line per packet; a packet may carry several queries, so each field
# lists its values comma-separated. The DATA frames of a request packet are
# the queries themselves (POST bodies).
tshark -r "$work/doh.pcap" -o "tls.keylog_file:$work/keys.log" \
  -Y 'dns && dns.flags.response == 0' \
  -T fields -e dns.qry.name -e dns.opt.client.netmask -e http2.data.data \
  >"$work/queries" 2>/dev/null
queries=$(python3 - "$work/queries" <<'PY'
import sys
count = 0
for line in open(sys.argv[1]):
    names, netmasks, datas = (line.rstrip("\n").split("\t") + ["", "", ""])[:3]
    names = names.split(",") if names else []
    netmasks = netmasks.split(",") if netmasks else []
    datas = datas.split(",") if datas else []
    if netmasks != ["0"] * len(names):
        sys.exit(f"ECS source prefix {netmasks} for {names}")
    for data in datas:
        length = len(data.replace(":", "")) // 2
        if length % 128:
            sys.exit(f"a {length}-byte query in a packet for {names}")
    count += len(names)
print(count)
PY
) || fail "$queries"
[[ $queries -ge 8 ]] || fail "tshark decrypted only $queries queries"
tshark -r "$work/doh.pcap" -o "tls.keylog_file:$work/keys.log" -Y http2.type==1 \
  -T fields -e http2.header.name >"$work/headers" 2>/dev/null
[[ -s $work/headers ]] || fail "no HTTP/2 headers decrypted"
if tr ',' '\n' <"$work/headers" | grep -qiE '^(user-agent|cookie|accept-language)$'; then
  fail "a request carries an identifying header: $(sort -u "$work/headers" | head)"
fi
echo "DoH: $queries queries decrypted, all ECS /0 and padded to 128; headers:" \
  "$(tr ',' '\n' <"$work/headers" | sort -u | tr '\n' ' ')"
