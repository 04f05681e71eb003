#!/usr/bin/env bash
# Builds bench/stage_bench in ./build-bench (Release with -march=native, so the library, the
# floor and the benchmark share their flags; LibTorch is measured when CMake finds it) and runs
# it. Arguments go to stage_bench (--points, --stages, --rounds, --round-ms or --steps,
# --no-torch); --build-only stops after the build.
# Environment: EIGRAD_BENCH_JOBS (build parallelism, default 2); EIGRAD_BENCH_BUILD (build
# folder), EIGRAD_BENCH_FLAGS (CMAKE_CXX_FLAGS) and EIGRAD_BENCH_CMAKE_ARGS (more configure
# arguments) are for scripts/bench-callgrind.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${EIGRAD_BENCH_BUILD:-$root/build-bench}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# shellcheck disable=SC2086  # EIGRAD_BENCH_CMAKE_ARGS is a list of arguments
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="${EIGRAD_BENCH_FLAGS:--march=native}" \
      -DEIGRAD_BUILD_BENCHMARKS=ON -DEIGRAD_BUILD_SAMPLES=OFF -DEIGRAD_BUILD_TESTS=OFF \
      -DEIGRAD_BUILD_DOCS=OFF "${launcher[@]}" ${EIGRAD_BENCH_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "${EIGRAD_BENCH_JOBS:-2}" --target stage_bench >/dev/null
[ "${1:-}" = "--build-only" ] && exit 0
"$build/bench/stage_bench" "$@"
