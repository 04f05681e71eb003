#!/usr/bin/env bash
# CI: the device suite on Thrust's serial CPP device system (EIGRAD_DEVICE_BACKEND=CPP) in
# build-cpp, the second CPU stand-in for a GPU beside the test command's OMP build: the library,
# every program of test/device/ (the op table on "cuda", optimizers, nn, the samples' golden runs
# with --device cuda) and the samples they start. Only the backend-aware sources and cuda/*.cu
# differ from the OMP build, so with ccache the rest of the library is a cache hit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$root/build-cpp" -DCMAKE_BUILD_TYPE=Release -DEIGRAD_DEVICE_BACKEND=CPP -DEIGRAD_WITH_MPI=OFF \
      -DEIGRAD_BUILD_TESTS=ON -DEIGRAD_BUILD_SAMPLES=ON "${launcher[@]}" >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
device_tests=$(cmake --build "$root/build-cpp" --target help | sed -n 's/^\.\.\. \(device_test_[a-z0-9_]*\).*/\1/p')
samples=$(cmake --build "$root/build-cpp" --target help | sed -n 's/^\.\.\. \([0-9][0-9]_[a-z_]*\)$/\1/p')
# shellcheck disable=SC2086  # one target name per word
cmake --build "$root/build-cpp" -j "$jobs" --target $device_tests $samples
ctest --test-dir "$root/build-cpp" -R '^device_' -j "$jobs" --output-on-failure
echo "ci-device-cpp: the device suite passes on the CPP device system"
