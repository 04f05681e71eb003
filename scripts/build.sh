#!/usr/bin/env bash
# Configures and builds eigrad (Release) in ./build after installing missing dependencies.
# Extra arguments go to the CMake configure step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
jobs=$(nproc 2>/dev/null || echo 2)
# ccache (installed by install-deps.sh) makes a rebuild after a fresh clone cost seconds.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"  # hits across clones in other folders
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" >/dev/null
cmake --build "$root/build" -j "$jobs"
