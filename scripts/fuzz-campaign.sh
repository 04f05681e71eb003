#!/usr/bin/env bash
# A long fuzzing campaign (not part of CI): every fuzz/ target for EIGRAD_FUZZ_SECONDS each
# (default 3600), on EIGRAD_FUZZ_WORKERS processes (default: the number of cores), keeping the
# corpus in build-fuzz/corpus/ between campaigns. Same build and failure handling as
# scripts/ci-fuzz.sh, which it runs.
#   EIGRAD_FUZZ_SECONDS=28800 scripts/fuzz-campaign.sh      # eight hours a target
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export EIGRAD_FUZZ_SECONDS=${EIGRAD_FUZZ_SECONDS:-3600}
workers=${EIGRAD_FUZZ_WORKERS:-$(nproc 2>/dev/null || echo 2)}
if [ "$workers" -le 1 ]; then exec "$root/scripts/ci-fuzz.sh"; fi
# libFuzzer's -fork mode runs the workers and merges what they find into the corpus.
# One target at a time: -fork already keeps every core busy.
EIGRAD_FUZZ_PARALLEL=1 EIGRAD_FUZZ_EXTRA="-fork=$workers -ignore_crashes=0" exec "$root/scripts/ci-fuzz.sh"
