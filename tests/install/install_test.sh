#!/usr/bin/env bash
# Installs trr into a temporary prefix and builds consumers against it:
# once with find_package(trr) (shared and static) and once with pkg-config;
# runs them against a local unbound. Also checks what is installed and what
# libtrr.so exports.
#   install_test.sh BUILD_DIR SOURCE_DIR TRR_TEST_UNBOUND
set -euo pipefail
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
unbound_tool=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix/usr" >/dev/null
libdir=$(dirname "$(find "$prefix/usr" -name 'libtrr.so.2' | head -1)")
[[ -n $libdir ]] || fail "libtrr.so.2 was not installed"

# Only the public headers are installed.
headers=$(cd "$prefix/usr/include" && find . -type f | sort | tr '\n' ' ')
for h in $headers; do
  [[ $h == ./trr/*.h ]] || fail "installed a header outside include/trr: $h"
done
[[ -f $prefix/usr/include/trr/trr.h && -f $prefix/usr/include/trr/resolver.h ]] ||
  fail "public headers missing: $headers"
# They use the standard library only: libtrr.so's ABI is not abseil's.
if grep -rn '#include "absl/\|absl::' "$prefix/usr/include/trr" | grep -v '^[^:]*:[0-9]*: *//'; then
  fail "a public header uses abseil"
fi
# A versioned shared library exporting the API only.
readelf -d "$libdir/libtrr.so.2" | grep -q 'SONAME.*libtrr.so.2' || fail "SONAME"
[[ -f $libdir/libtrr.a ]] || fail "libtrr.a was not installed"
exported=$(nm -D --defined-only -C "$libdir/libtrr.so.2")
grep -q ' trr_resolve$' <<<"$exported" || fail "trr_resolve is not exported"
grep -q 'trr::Resolver::Resolve' <<<"$exported" || fail "trr::Resolver is not exported"
if grep -E 'trr::(dns|HostCache|prefs::PrefStore|DohTransport|EventLoop)|Resolver::Impl::' \
     <<<"$exported"; then
  fail "internal symbols are exported"
fi

# find_package(trr).
cmake -S "$source/tests/install/consumer" -B "$prefix/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix/usr" -DEXAMPLES_DIR="$source/examples" >/dev/null
cmake --build "$prefix/consumer" >/dev/null
export LD_LIBRARY_PATH=$libdir
# (Outputs are read whole before grep: with pipefail, grep -q closing the
# pipe early would fail the pipeline.)
linked=$(ldd "$prefix/consumer/cpp_embedder")
grep -qF "$libdir/libtrr.so.2" <<<"$linked" ||
  fail "cpp_embedder is not linked to the installed libtrr.so: $linked"
for program in cpp_embedder_static c_embedder_static; do
  linked=$(ldd "$prefix/consumer/$program")
  grep -q libtrr <<<"$linked" && fail "$program: static link uses libtrr.so"
done
for program in cpp_embedder cpp_embedder_static c_embedder c_embedder_static; do
  bash "$source/tests/api/run_with_unbound.sh" "$unbound_tool" \
    "$prefix/consumer/$program" >"$prefix/$program.out" ||
    fail "$program (find_package) failed: $(tail -5 "$prefix/$program.out")"
done

# pkg-config: the header's version; --cflags needs no other .pc file and
# adds no dependency's flags.
export PKG_CONFIG_PATH=$libdir/pkgconfig
header_version=$(sed -n 's/^#define TRR_VERSION_STRING "\(.*\)"$/\1/p' \
  "$prefix/usr/include/trr/version.h")
[[ -n $header_version && $(pkg-config --modversion trr) == "$header_version" ]] ||
  fail "pkg-config version"
cflags=$(PKG_CONFIG_LIBDIR=$libdir/pkgconfig pkg-config --cflags trr) ||
  fail "pkg-config --cflags trr needs another .pc file"
[[ $cflags == -I* && $cflags != *absl* && $cflags != *-D* ]] ||
  fail "pkg-config --cflags: $cflags"
# shellcheck disable=SC2046
cc -o "$prefix/c_embedder_pc" "$source/examples/c_embedder.c" \
  $(pkg-config --cflags --libs trr) -lpthread
# shellcheck disable=SC2046
c++ -std=c++17 -o "$prefix/cpp_embedder_pc" "$source/examples/cpp_embedder.cc" \
  $(pkg-config --cflags --libs trr) -lpthread
# Static, from C, with what pkg-config --static says and nothing more.
# shellcheck disable=SC2046
cc -o "$prefix/c_embedder_pc_static" "$source/examples/c_embedder.c" \
  $(pkg-config --cflags trr) "$libdir/libtrr.a" \
  $(pkg-config --static --libs-only-other --libs-only-l trr | sed 's/-ltrr//')
linked=$(ldd "$prefix/c_embedder_pc_static")
grep -q libtrr <<<"$linked" && fail "c_embedder_pc_static uses libtrr.so"
# Fully static: every library an archive, libm after them all.
# shellcheck disable=SC2046
cc -static -o "$prefix/c_embedder_all_static" "$source/examples/c_embedder.c" \
  $(pkg-config --cflags trr) "$libdir/libtrr.a" \
  $(pkg-config --static --libs-only-other --libs-only-l trr | sed 's/-ltrr//') \
  2>"$prefix/static_link.log" || fail "fully static link: $(tail -5 "$prefix/static_link.log")"
file "$prefix/c_embedder_all_static" | grep -q 'statically linked' ||
  fail "c_embedder_all_static is not static"
for program in c_embedder_pc cpp_embedder_pc c_embedder_pc_static; do
  bash "$source/tests/api/run_with_unbound.sh" "$unbound_tool" "$prefix/$program" \
    >"$prefix/$program.out" ||
    fail "$program (pkg-config) failed: $(tail -5 "$prefix/$program.out")"
done
echo "install: headers (std-only), SONAME, exports ok; find_package (shared, static, C static) and pkg-config (shared, C static) consumers ran"
