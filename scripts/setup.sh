#!/usr/bin/env bash
# Installs every Debian package that trr's builds, tests, real DNS peers,
# fuzzers and benchmarks need. Non-interactive and idempotent: when everything
# is already installed it touches nothing and returns at once. Runs as root
# (no sudo needed) or through sudo when that is available.
set -euo pipefail

PACKAGES=(
  # Compilers and build tools.
  build-essential g++ clang lld libclang-rt-14-dev clang-format clang-tidy
  cmake ninja-build pkg-config git ca-certificates
  # libtrr.so's ABI against its stored baseline (scripts/check_abi.sh).
  abigail-tools xz-utils
  # Libraries.
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  libcurl4-openssl-dev libnghttp2-dev libhttp-parser-dev libssl-dev libcpp-httplib-dev
  # Reference parsers the codec benchmark compares against.
  libc-ares-dev libldns-dev
  # Bazel, offline, against the system libraries.
  bazel-bootstrap bazel-rules-java
  # Real DNS peers, reference clients and packet captures.
  unbound dnsdist bind9 knot-resolver haproxy nghttp2-client knot-dnsutils
  nftables
  # Proxies DoH is tunnelled through (HTTP CONNECT, SOCKS5).
  squid dante-server
  bind9-dnsutils openssl tcpdump tshark iproute2 procps psmisc
  # A misbehaving HTTP/2 server for the noisy-peer tests (Debian's python3).
  python3-h2
  # Dashboard end-to-end test: a real headless browser.
  chromium
)
# Node.js drives the browser test (playwright-core). A machine may already
# carry its own Node.js with npm built in; only fall back to Debian's.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "setup.sh: run as root or install sudo" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup.sh: installing ${missing[*]}"
  # apt must not start the daemons it installs (unbound, dnsdist, named,
  # kresd, haproxy): tests start their own on loopback. A policy-rc.d that
  # exits 101 tells invoke-rc.d so.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer for it.
  echo "wireshark-common wireshark-common/install-setuid boolean false" |
    "${SUDO[@]}" debconf-set-selections
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [[ $created_policy -eq 1 ]]; then
    "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
  fi
  # A daemon the machine already runs (or one a package started anyway) is
  # left alone: the tests start their own on free loopback ports.
else
  echo "setup.sh: all ${#PACKAGES[@]} packages are installed"
fi

# playwright-core for the dashboard's browser test (Chromium itself is
# Debian's, above); versions pinned by the lock file.
dashboard_test_dir="$(dirname "$0")/../tests/tools/dashboard"
if [[ ! -d $dashboard_test_dir/node_modules/playwright-core ]]; then
  echo "setup.sh: installing playwright-core for the dashboard test"
  npm ci --prefix "$dashboard_test_dir" --no-audit --no-fund --loglevel=error
fi

# hpke-js and bhttp-js for the Oblivious HTTP gateway the tests start
# (tests/peers/ohttp); versions pinned by the lock file.
ohttp_peer_dir="$(dirname "$0")/../tests/peers/ohttp"
if [[ ! -d $ohttp_peer_dir/node_modules/@hpke/core ]]; then
  echo "setup.sh: installing the Oblivious HTTP gateway's npm packages"
  npm ci --prefix "$ohttp_peer_dir" --no-audit --no-fund --loglevel=error
fi
