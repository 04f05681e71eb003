#!/usr/bin/env bash
# CI step: builds the libFuzzer targets of fuzz/ with clang-14 (ASan + UBSan + fuzzer, -O1 -g,
# in build-fuzz, ccache on; linked against build-asan's libraries, which ci-sanitizers.sh
# compiles with the same flags) and runs each for EIGRAD_FUZZ_SECONDS (default 60) from the seeds
# in fuzz/corpus/<target>/ (copied: the committed seeds stay as they are). Fails on any
# crash, sanitizer report, leak, timeout (a hang: -timeout) or out-of-memory; the input that
# caused it is left in build-fuzz/findings/ (make it a regression test). Prints the
# executions each target reached.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
"$root/scripts/install-deps.sh" clang-14 libclang-rt-14-dev
seconds=${EIGRAD_FUZZ_SECONDS:-60}
jobs=${EIGRAD_JOBS:-$(nproc 2>/dev/null || echo 2)}
targets=(fuzz_module_state fuzz_optimizer_state fuzz_init_json fuzz_cli)
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

# The library and samples/common: scripts/ci-sanitizers.sh's build, compiled for fuzzing too.
"$root/scripts/ci-sanitizers.sh" --libraries-only >/dev/null
cmake -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_CXX_FLAGS="$sanitize -fsanitize=fuzzer-no-link -O1 -g -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="$sanitize" -DEIGRAD_LIBRARIES_FROM="$root/build-asan" "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/findings"
cd "$root"  # the command-line seeds name --init files relative to the repository root
# One target's run; its report line on stdout, the log's tail on stderr when it fails.
fuzz_one() {
  local target=$1 work=$build/corpus/$1 log=$build/$1.log runs
  mkdir -p "$work"
  # shellcheck disable=SC2086  # EIGRAD_FUZZ_EXTRA: more libFuzzer flags (fuzz-campaign.sh)
  if ! "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      ${EIGRAD_FUZZ_EXTRA:-} -print_final_stats=1 -artifact_prefix="$build/findings/$target-" "$work" "fuzz/corpus/$target" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "ci-fuzz: $target found a failure (input in $build/findings/)" >&2
    return 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')  # -fork prints no stats
  echo "ci-fuzz: $target: $runs executions in ${seconds} s, corpus $(ls "$work" | wc -l) inputs"
}
# As many targets at once as there are cores (EIGRAD_FUZZ_PARALLEL): each still fuzzes for its
# full time, on one core.
parallel=${EIGRAD_FUZZ_PARALLEL:-$jobs}
failed=0
for ((first = 0; first < ${#targets[@]}; first += parallel)); do
  pids=()
  for target in "${targets[@]:first:parallel}"; do
    fuzz_one "$target" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
done
[ "$failed" -eq 0 ] || exit 1
