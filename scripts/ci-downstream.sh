#!/usr/bin/env bash
# Uses eigrad the ways another project would, and runs the result each time:
#   1. the license files: LICENSE is MIT, and no file names another license (NOTICE says so);
#   2. eigrad as a shared library (BUILD_SHARED_LIBS=ON) with its API docs, installed with
#      `cmake --install --prefix` into a temporary folder, and that tree checked (soname,
#      version header, eigradConfig.cmake without nlohmann_json, eigrad.pc, LICENSE, HTML docs);
#   3. test/downstream built against the installed tree through find_package;
#   4. the same program compiled by one g++ line from `pkg-config --cflags --libs eigrad`;
#   5. test/downstream with add_subdirectory(eigrad), in a project with no build type;
#   6. test/downstream with FetchContent from a file:// archive of this working tree.
# Build folders: build-downstream-{lib,find,pc,subdir,fetch}, recreated each run (ccache
# keeps the recompiles cheap). Exits non-zero when anything fails or warns.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
launcher=() cxx=(g++)
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache) cxx=(ccache g++)
version=$(sed -n 's/^project(eigrad VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
soversion=${version%.*}

fail() { echo "ci-downstream: FAIL: $*" >&2; exit 1; }
step() { echo "=== ci-downstream ($((SECONDS / 60)) min $((SECONDS % 60)) s): $*"; }
# Runs a configure or build command; its output goes to LOG and must hold no warning.
quiet() {
  local log=$1; shift
  "$@" >"$log" 2>&1 || { cat "$log"; fail "$* (log: $log)"; }
  if grep -n -E 'warning:|Warning' "$log" >&2; then fail "warnings in $log"; fi
}
# Runs the downstream program PROGRAM; it must print the fit of y = 3 x - 2 by this version.
run_fit() {
  local program=$1 out
  out=$("$program" "$(dirname "$program")/fit_line.safetensors") || { echo "$out"; fail "$program"; }
  echo "$out"
  grep -q "^eigrad $version: y = 3.0000 x -2.0000 after" <<<"$out" || fail "$program printed another fit or version"
}

step "license"
head -n 1 LICENSE | grep -qx 'MIT License' || fail "LICENSE is not the MIT License"
grep -qx 'Copyright (c) 2026 the eigrad authors' LICENSE || fail "LICENSE lacks the copyright line"
grep -qx 'SPDX-License-Identifier: MIT' NOTICE || fail "NOTICE lacks the SPDX line"
other=$(git ls-files -co --exclude-standard -z | grep -z -v -x -E 'LICENSE|NOTICE|scripts/ci-downstream.sh' |
        xargs -0 grep -n -I -E 'SPDX-License-Identifier|Copyright \(c\)|Copyright [0-9]|Licensed under|General Public License' |
        grep -v 'SPDX-License-Identifier: MIT$' || true)
[ -z "$other" ] || fail "files naming a license or copyright other than NOTICE's:"$'\n'"$other"

step "shared library, docs, install"
rm -rf build-downstream-lib build-downstream-find build-downstream-pc build-downstream-subdir build-downstream-fetch
mkdir -p build-downstream-lib build-downstream-find build-downstream-pc build-downstream-subdir build-downstream-fetch
prefix=$(mktemp -d /tmp/eigrad-prefix.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
quiet build-downstream-lib/configure.log cmake -S . -B build-downstream-lib -Werror=dev -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON -DEIGRAD_BUILD_SAMPLES=OFF -DEIGRAD_BUILD_DOCS=ON -DEIGRAD_DEVICE_BACKEND=NONE "${launcher[@]}"
quiet build-downstream-lib/build.log cmake --build build-downstream-lib -j "$jobs" --target eigrad eigrad_docs
quiet build-downstream-lib/install.log cmake --install build-downstream-lib --prefix "$prefix"
libdir=$(cd "$prefix" && ls -d lib*/ | head -n 1); libdir=$prefix/${libdir%/}
for file in "$libdir/libeigrad.so.$version" "$libdir/libeigrad.so.$soversion" "$libdir/libeigrad.so" \
            "$prefix/include/eigrad/version.hpp" "$prefix/include/eigrad/tensor.hpp" \
            "$libdir/cmake/eigrad/eigradConfig.cmake" "$libdir/cmake/eigrad/eigradConfigVersion.cmake" \
            "$libdir/pkgconfig/eigrad.pc" "$prefix/share/doc/eigrad/LICENSE" "$prefix/share/doc/eigrad/NOTICE" \
            "$prefix/share/doc/eigrad/html/index.html"; do
  [ -e "$file" ] || fail "the install lacks ${file#"$prefix"/}"
done
[ -z "$(find "$prefix/include" -name '*.in')" ] || fail "the install holds a .in template"
readelf -d "$libdir/libeigrad.so" | grep -q "SONAME.*\[libeigrad.so.$soversion\]" || fail "soname is not libeigrad.so.$soversion"
grep -q "#define EIGRAD_VERSION_STRING \"$version\"" "$prefix/include/eigrad/version.hpp" || fail "version.hpp"
! grep -rq -E "^[^#]*nlohmann" "$libdir/cmake/eigrad" || fail "the installed CMake package asks for nlohmann_json"

step "find_package against the installed tree"
quiet build-downstream-find/configure.log cmake -S test/downstream -B build-downstream-find -Werror=dev \
  -DCMAKE_BUILD_TYPE=Release -DEIGRAD_CONSUME=find_package -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}"
quiet build-downstream-find/build.log cmake --build build-downstream-find -j "$jobs"
ldd build-downstream-find/fit_line | grep -q "libeigrad.so.$soversion => $libdir/" || fail "fit_line does not load the installed libeigrad"
run_fit build-downstream-find/fit_line

step "pkg-config compile line"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion eigrad)" = "$version" ] || fail "pkg-config --modversion eigrad"
# shellcheck disable=SC2046  # the flags are meant to split
quiet build-downstream-pc/build.log "${cxx[@]}" -std=c++17 -O2 test/downstream/fit_line.cpp -o build-downstream-pc/fit_line \
  $(pkg-config --cflags --libs eigrad) -Wl,-rpath,"$libdir"
run_fit build-downstream-pc/fit_line

step "add_subdirectory, no build type in the parent"
quiet build-downstream-subdir/configure.log cmake -S test/downstream -B build-downstream-subdir -Werror=dev \
  -DEIGRAD_CONSUME=subdirectory -DEIGRAD_SOURCE_DIR="$root" -DEIGRAD_DEVICE_BACKEND=NONE "${launcher[@]}"
quiet build-downstream-subdir/build.log cmake --build build-downstream-subdir -j "$jobs"
run_fit build-downstream-subdir/fit_line

step "FetchContent from a file:// archive of this working tree, no build type in the parent"
git ls-files -co --exclude-standard -z | tar --null -T - -czf build-downstream-fetch/eigrad-src.tar.gz
quiet build-downstream-fetch/configure.log cmake -S test/downstream -B build-downstream-fetch/consumer -Werror=dev \
  -DEIGRAD_CONSUME=fetchcontent \
  -DEIGRAD_FETCH_URL="file://$root/build-downstream-fetch/eigrad-src.tar.gz" -DEIGRAD_DEVICE_BACKEND=NONE "${launcher[@]}"
quiet build-downstream-fetch/build.log cmake --build build-downstream-fetch/consumer -j "$jobs"
run_fit build-downstream-fetch/consumer/fit_line

step "all passed"
