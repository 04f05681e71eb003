#!/usr/bin/env bash
# Builds every tutorial sample and runs them in order with their default settings.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" -DEIGRAD_BUILD_SAMPLES=ON -DEIGRAD_DEVICE_BACKEND=OMP  # the configuration run-tests.sh builds
for src in "$root"/samples/[0-9][0-9]_*.cpp; do
  name=$(basename "$src" .cpp)
  echo "=== $name"
  "$root/build/samples/$name"
done
