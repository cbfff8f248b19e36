#!/usr/bin/env bash
# End-to-end checks of the trr command against a real unbound (DoH) started
# for the test: output, --json shape, --dump contents and exit codes.
#   trr_cli_test.sh TRR_BINARY TRR_TEST_UNBOUND_BINARY
set -euo pipefail
trr=$1
unbound_tool=$2
last_output=$(mktemp)
trap 'rm -f "$last_output"' EXIT
fail() {
  echo "FAIL: $*" >&2
  if [[ -s $last_output ]]; then
    echo "output of the last command checked by its exit code:" >&2
    tail -n 40 "$last_output" >&2
  fi
  exit 1
}

# --- Commands that need no server ---------------------------------------
out=$("$trr" uri 'https://Dns.Example:8443/dns-query{?dns}')
grep -q 'GET https://dns.example:8443/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB' <<<"$out" ||
  fail "uri: $out"
out=$("$trr" ip 10.1.2.3 2606:4700::1111)
grep -q '10.1.2.3 .*private .*rejected' <<<"$out" || fail "ip: $out"
help=$("$trr" --help)
grep -q 'trr resolve' <<<"$help" || fail "--help"

status() { set +e; "$@" >"$last_output" 2>&1; local s=$?; set -e; echo $s; }
[[ $(status "$trr") -eq 2 ]] || fail "no command: exit code"
[[ $(status "$trr" resolve) -eq 2 ]] || fail "resolve without names"
[[ $(status "$trr" resolve --bogus x) -eq 2 ]] || fail "unknown flag"
[[ $(status "$trr" resolve --type=MX x) -eq 2 ]] || fail "bad --type"
[[ $(status "$trr" resolve --dump=xml x) -eq 2 ]] || fail "bad --dump"
err=$("$trr" resolve --pref network.trr.mode=banana x 2>&1 || true)
grep -q 'network.trr.mode is a int pref' <<<"$err" || fail "bad pref: $err"
err=$("$trr" resolve --pref nonsense.pref=1 x 2>&1 || true)
grep -q 'unknown pref nonsense.pref' <<<"$err" || fail "unknown pref: $err"
bad_prefs=$(mktemp)
printf 'user_pref("network.trr.mode", 3);\nuser_pref("network.trr.uri" 1);\n' >"$bad_prefs"
err=$("$trr" resolve --prefs "$bad_prefs" x 2>&1 || true)
grep -q "$bad_prefs:2:29: expected ','" <<<"$err" || fail "pref file error: $err"
[[ $(status "$trr" resolve --prefs "$bad_prefs" x) -eq 2 ]] || fail "pref file exit"
rm -f "$bad_prefs"

# --- Against a real DoH server ----------------------------------------------
# shellcheck source=../peers/test_unbound.sh
source "$(dirname "$0")/../peers/test_unbound.sh"
work=$(mktemp -d)
trap 'exec 3>&-; kill ${TEST_UNBOUND_PID:-} 2>/dev/null || true; wait; rm -rf "$work" "$last_output"' EXIT
start_test_unbound "$unbound_tool" "$work/server" 3 || fail "unbound did not start"
# shellcheck disable=SC1090
source "$work/server"
prefs=(--pref network.trr.mode=3 --pref "network.trr.uri=https://doh.test:$DOH_PORT/dns-query"
       --pref network.trr.bootstrapAddr=127.0.0.1 --pref "network.trr.ca_file=$CA_FILE")

out=$("$trr" resolve "${prefs[@]}" www.example.test)
grep -q '^www.example.test  192.0.2.1, 2001:db8::1  trr  ttl=300s$' <<<"$out" || fail "text: $out"
[[ $(status "$trr" resolve "${prefs[@]}" www.example.test alias.example.test) -eq 0 ]] ||
  fail "all resolved: exit code"
[[ $(status "$trr" resolve "${prefs[@]}" www.example.test nope.example.test) -eq 1 ]] ||
  fail "one failed: exit code"

json=$("$trr" resolve "${prefs[@]}" --json --type A www.example.test nope.example.test \
         --dump=json || true)
python3 - "$json" <<'PY' || fail "json: $json"
import json, sys
lines = sys.argv[1].strip().split("\n")
assert len(lines) == 2, lines
results = json.loads(lines[0])
assert [r["name"] for r in results] == ["www.example.test", "nope.example.test"]
www, nope = results
assert set(www) >= {"name", "ok", "addresses", "source", "ttl", "skip_reason", "error"}, www
assert www["ok"] is True and www["addresses"] == ["192.0.2.1"] and www["source"] == "trr"
assert www["ttl"] == 300 and www["skip_reason"] == "none" and www["error"] is None
assert nope["ok"] is False and "NXDOMAIN" in nope["error"]
dump = json.loads(lines[1])
hosts = {e["hostname"]: e for e in dump["entries"]}
assert hosts["www.example.test"]["family"] == "ipv4"
assert hosts["www.example.test"]["trr"] is True
assert hosts["www.example.test"]["addresses"] == ["192.0.2.1"]
assert 0 < hosts["www.example.test"]["expires"] <= 300
for key in ("mode", "uri", "confirmation_state", "blocklist", "counters", "prefs"):
    assert key in dump["trr"], key
assert dump["trr"]["mode"] == 3
prefs = {p["name"]: p for p in dump["trr"]["prefs"]}
assert prefs["network.trr.mode"]["origin"] == "override"
assert prefs["network.trr.useGET"]["origin"] == "default"
PY

# Hosts that are addresses in a URL's forms, and .onion names, ask nobody.
out=$("$trr" resolve "${prefs[@]}" 0x7f.1 2130706433 || true)
grep -q '^0x7f.1  127.0.0.1  native' <<<"$out" || fail "numeric host: $out"
grep -q '^2130706433  127.0.0.1  native' <<<"$out" || fail "numeric host: $out"
out=$("$trr" resolve "${prefs[@]}" 256.1.1.1 hidden.onion || true)
grep -q '^256.1.1.1  error: invalid host "256.1.1.1": an IPv4 address with a part above 255' <<<"$out" ||
  fail "invalid numeric host: $out"
grep -q '^hidden.onion  error: .*RFC 7686.*(TRR skipped: dot-onion)' <<<"$out" ||
  fail ".onion: $out"

# An HTTPS record shows every SvcParam, as text and as JSON.
out=$("$trr" resolve "${prefs[@]}" --type HTTPS fullsvc.example.test)
want='HTTPS 1 svc.example.test mandatory=alpn,port alpn=h2 no-default-alpn port=8443 ipv4hint=192.0.2.1 ech=AEn+DQBFKwAgACABWIHUGj4u+PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50bHMtZWNoLmRldgAA ipv6hint=2001:db8::1 dohpath=/q{?dns}'
grep -qF "$want" <<<"$out" || fail "HTTPS text: $out"
json=$("$trr" resolve "${prefs[@]}" --json --type HTTPS fullsvc.example.test)
python3 - "$json" <<'PY' || fail "HTTPS json: $json"
import json, sys
[result] = json.loads(sys.argv[1])
[h] = result["https"]
assert h["priority"] == 1 and h["target"] == "svc.example.test", h
assert h["mandatory"] == ["alpn", "port"] and h["alpn"] == ["h2"], h
assert h["no_default_alpn"] is True and h["port"] == 8443, h
assert h["ipv4hint"] == ["192.0.2.1"] and h["ipv6hint"] == ["2001:db8::1"], h
assert h["ech"].startswith("AEn+DQBF") and h["dohpath"] == "/q{?dns}", h
PY

# Credentials never appear in any output.
out=$("$trr" resolve "${prefs[@]}" --pref 'network.trr.credentials=Bearer hunter2' \
        --dump www.example.test; "$trr" resolve "${prefs[@]}" \
        --pref 'network.trr.credentials=Bearer hunter2' --dump=json www.example.test)
grep -q hunter2 <<<"$out" && fail "credentials leaked: $out"
grep -q '(redacted)' <<<"$out" || fail "credentials not shown redacted"

out=$("$trr" resolve "${prefs[@]}" --dump www.example.test)
for column in Hostname Family TRR 'Expires (Seconds)' Partition Addresses; do
  grep -q "$column" <<<"$out" || fail "dump column $column: $out"
done
grep -q 'confirmation         disabled' <<<"$out" || fail "dump TRR state: $out"
echo "trr CLI: all checks passed"
