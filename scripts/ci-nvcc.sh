#!/usr/bin/env bash
# CI: compiles and links the CUDA configuration (EIGRAD_DEVICE_BACKEND=CUDA: cuda/*.cu through
# nvcc, cuBLAS; with MPI and NCCL found, the NCCL backend of eigrad::distributed) in
# build-cuda, the library, the device suite's executables and the distributed tests, when the
# CUDA toolkit is present; says so and succeeds otherwise. Nothing runs: no test needs a GPU.
# EIGRAD_CI_JOBS sets the build's parallelism (default: every core).
# The device code is compiled to PTX only (architecture 90-virtual): nvcc's front end and cicc
# check and optimise all of it, and ptxas, which turns PTX into one GPU's machine code, is left
# to the driver at load time. ptxas alone took 3 of the 4.5 minutes of cuda/interpreter.cu
# here; a build for a GPU keeps EIGRAD_CUDA_ARCHITECTURES's real architecture.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
if [ -z "$nvcc" ]; then
  echo "ci-nvcc: no CUDA toolkit (nvcc not found): the CUDA configuration is not compiled"
  exit 0
fi
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
launchers=()
command -v ccache >/dev/null 2>&1 && launchers=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
mkdir -p "$root/build-cuda"
cmake -S "$root" -B "$root/build-cuda" -DCMAKE_BUILD_TYPE=Release -DEIGRAD_DEVICE_BACKEND=CUDA \
      -DEIGRAD_CUDA_ARCHITECTURES=90-virtual -DCMAKE_CUDA_COMPILER="$nvcc" -DEIGRAD_BUILD_TESTS=ON -DEIGRAD_BUILD_SAMPLES=ON "${launchers[@]}" \
      > "$root/build-cuda/configure.log"
nccl=$(sed -n 's/^-- eigrad NCCL backend: //p' "$root/build-cuda/configure.log")
jobs=${EIGRAD_CI_JOBS:-$(nproc 2>/dev/null || echo 2)}
# every program of the device suite (test/device/test_*.cpp)
device_tests=$(cmake --build "$root/build-cuda" --target help | sed -n 's/^\.\.\. \(device_test_[a-z0-9_]*\).*/\1/p')
distributed_tests=()
if grep -q '^EIGRAD_WITH_MPI:BOOL=ON' "$root/build-cuda/CMakeCache.txt"; then
  distributed_tests=(test_distributed test_distributed_backends)
fi
# shellcheck disable=SC2086  # one target name per word
cmake --build "$root/build-cuda" -j "$jobs" --target eigrad $device_tests "${distributed_tests[@]}"
echo "ci-nvcc: the CUDA configuration compiles and links ($("$nvcc" --version | tail -1)); NCCL backend: $nccl"
