#!/usr/bin/env bash
# Builds eigrad with its samples, tests and benchmarks (so they keep compiling), then runs the whole suite through CTest.
# Exits non-zero when anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" -DEIGRAD_BUILD_SAMPLES=ON -DEIGRAD_BUILD_TESTS=ON -DEIGRAD_BUILD_BENCHMARKS=ON -DEIGRAD_DEVICE_BACKEND=OMP
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"
