#!/usr/bin/env bash
# CI step: the library, samples and test suite built with clang-14 under AddressSanitizer +
# UndefinedBehaviorSanitizer (-O1 -g, in build-asan, ccache on; no docs, no benchmarks), then
# the whole suite through CTest and a short run of every sample (LeakSanitizer checks them at
# exit). Fails on any compiler warning and on any sanitizer report (each one aborts its
# process: -fno-sanitize-recover=all, halt_on_error).
#
# The objects also carry libFuzzer's coverage instrumentation (-fsanitize=fuzzer-no-link,
# inert without libFuzzer), so scripts/ci-fuzz.sh links its targets against these libraries
# instead of compiling the library a third time; `--libraries-only` builds just those.
set -euo pipefail
# Without MPI: the distributed tests under mpirun + ASan/LSan fail (LeakSanitizer reports at
# exit of the MPI ranks, not yet told apart from eigrad's own); they run in the g++ build.
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-asan
"$root/scripts/install-deps.sh" clang-14 libclang-rt-14-dev
jobs=${EIGRAD_JOBS:-$(nproc 2>/dev/null || echo 2)}
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Sanitize \
  -DCMAKE_CXX_FLAGS="$sanitize -fsanitize=fuzzer-no-link -O1 -g -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="$sanitize" -DCMAKE_SHARED_LINKER_FLAGS="$sanitize" \
  -DEIGRAD_BUILD_TESTS=ON -DEIGRAD_BUILD_SAMPLES=ON -DEIGRAD_BUILD_DOCS=OFF -DEIGRAD_BUILD_BENCHMARKS=OFF \
  -DEIGRAD_DEVICE_BACKEND=NONE -DEIGRAD_WITH_MPI=OFF \
  "${launcher[@]}" >/dev/null
targets=()
if [ "${1:-}" = "--libraries-only" ]; then targets=(--target eigrad_stages); fi
log=$build/build.log
if ! cmake --build "$build" -j "$jobs" "${targets[@]}" 2>&1 | tee "$log"; then exit 1; fi
if grep -q "warning:" "$log"; then
  echo "ci-sanitizers: the clang build has warnings:" >&2
  grep -A3 "warning:" "$log" >&2
  exit 1
fi
if [ "${1:-}" = "--libraries-only" ]; then exit 0; fi

# allocator_may_return_null: an allocation larger than memory must reach eigrad as a null
# pointer (a typed DeviceError, pinned by test_misuse), as it does without ASan.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j "$jobs"

# Every sample, briefly: a clean exit (0) with LeakSanitizer on; 06 once per optimizer.
# 10_distributed needs MPI, which this build leaves out (see above); 11_regression takes only a
# seed (pytorch/examples' command line) and runs to its stopping loss.
for sample in "$build"/samples/[0-9][0-9]_*; do
  [ -x "$sample" ] || continue
  case "$(basename "$sample")" in
    10_distributed) continue ;;
    11_regression) "$sample" 1 >/dev/null ;;
    *) "$sample" --iters 300 --seed 1 >/dev/null ;;
  esac
done
for optimizer in sgd rmsprop adam adamw adagrad; do
  "$build/samples/06_optim" --iters 300 --seed 1 --optimizer "$optimizer" --lr 1e-6 >/dev/null
done
# The error paths too: a bad flag (exit 2) and a diverging run (exit 3) must not leak.
set +e
"$build/samples/03_autograd" --bogus >/dev/null 2>&1; bad_flag=$?
"$build/samples/03_autograd" --lr 1e30 --iters 50 --seed 1 >/dev/null 2>&1; diverged=$?
set -e
if [ "$bad_flag" -ne 2 ] || [ "$diverged" -ne 3 ]; then
  echo "ci-sanitizers: sample exit codes $bad_flag and $diverged (expected 2 and 3)" >&2
  exit 1
fi
echo "ci-sanitizers: OK"
