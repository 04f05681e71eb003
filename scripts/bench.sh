#!/usr/bin/env bash
# Builds bench/stage_bench in ./build-bench (Release with -march=native, so the library, the
# floor and the benchmark share their flags; LibTorch is measured when CMake finds it) and runs
# it. Arguments go to stage_bench (--points, --stages, --rounds, --round-ms or --steps, --no-torch).
# EIGRAD_BENCH_JOBS sets the build's parallelism (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-march=native" \
      -DEIGRAD_BUILD_BENCHMARKS=ON -DEIGRAD_BUILD_SAMPLES=OFF -DEIGRAD_BUILD_TESTS=OFF \
      -DEIGRAD_BUILD_DOCS=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j "${EIGRAD_BENCH_JOBS:-2}" --target stage_bench >/dev/null
"$build/bench/stage_bench" "$@"
