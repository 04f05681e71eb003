#!/usr/bin/env bash
# Instructions per training step (callgrind's Ir) of eigrad and the floor for the tutorial
# stages at N = 2000: a figure that machine load does not move, next to scripts/bench.sh's
# times. Builds stage_bench in ./build-callgrind with -march=x86-64-v3 (AVX2: valgrind 3.19
# cannot run AVX-512 code, which -march=native gives on this machine) and without LibTorch,
# then runs it under valgrind for each stage given (default 2 .. 8).
# Usage: scripts/bench-callgrind.sh [stage ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-callgrind"
EIGRAD_BENCH_BUILD="$build" EIGRAD_BENCH_FLAGS="-march=x86-64-v3" EIGRAD_BENCH_CMAKE_ARGS="-DEIGRAD_BENCH_LIBTORCH=OFF" \
  "$root/scripts/bench.sh" --build-only
bench="$build/bench/stage_bench"
steps=10 rounds=1
total=$((10 + (rounds + 3) * steps))  # stage_bench's warm-up, timed and counted steps
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| stage | floor Ir / step | eigrad Ir / step | eigrad / floor |"
echo "|---|---|---|---|"
for stage in "${@:-2 3 4 5 6 7 8}"; do
  for s in $stage; do
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$s" "$bench" --points 2000 --stages "$s" \
      --rounds $rounds --steps $steps --no-torch >/dev/null 2>&1
    # Inclusive cost of each implementation's Trainer::run(): the floor's and eigrad's (the
    # only other Trainer in a build without LibTorch).
    callgrind_annotate --inclusive=yes --threshold=100 "$out/cg.$s" 2>/dev/null |
      awk -v s="$s" -v total=$total '
        /::run\(long\)/ { gsub(",", "", $1); if ($0 ~ /FloorTrainer::run/) floor = $1; else eig = $1 }
        END { printf "| %02d | %.0f | %.0f | %.1f |\n", s, floor / total, eig / total, eig / floor }'
  done
done
