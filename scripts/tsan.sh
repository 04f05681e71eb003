#!/usr/bin/env bash
# ThreadSanitizer run of the thread test (not in CI: it builds the library a third time).
# clang-14, -fsanitize=thread -O1 -g, in build-tsan (ccache on); fails on any data race.
#   scripts/tsan.sh                 # test_threads
#   scripts/tsan.sh test_engine     # any other test target
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-tsan
targets=("${@:-test_threads}")
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Tsan \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -O1 -g -fno-omit-frame-pointer" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DEIGRAD_BUILD_TESTS=ON -DEIGRAD_BUILD_SAMPLES=ON -DEIGRAD_BUILD_DOCS=OFF -DEIGRAD_BUILD_BENCHMARKS=OFF \
  -DEIGRAD_DEVICE_BACKEND=NONE \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j "${EIGRAD_JOBS:-2}" --target "${targets[@]}"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
cd "$root"
for target in "${targets[@]}"; do "$build/test/$target" --log_level=message; done
echo "tsan: OK"
