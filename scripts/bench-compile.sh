#!/usr/bin/env bash
# Each sample's compile time and binary size: builds the sample binaries in a build folder
# (default ./build, configured as it is; compile commands are exported for the timing), then
# compiles each samples/NN_*.cpp again with its exact command from compile_commands.json
# (the project's flags, no ccache) and reports the median wall and CPU time of --repeat runs,
# and the size of each binary.
# Usage: scripts/bench-compile.sh [--build DIR] [--repeat N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
repeat=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--repeat N]" >&2; exit 2 ;;
  esac
done
cmake -S "$root" -B "$build" -DEIGRAD_BUILD_SAMPLES=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
names=()
for src in "$root"/samples/[0-9][0-9]_*.cpp; do names+=("$(basename "$src" .cpp)"); done
cmake --build "$build" -j "${EIGRAD_BENCH_JOBS:-2}" --target "${names[@]}" >/dev/null
python3 - "$build" "$repeat" "${names[@]}" <<'PY'
import json, os, resource, shlex, statistics, subprocess, sys, tempfile, time

build, repeat, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with open(os.path.join(build, "compile_commands.json")) as f:
    entries = json.load(f)
flags = None
print("| sample | compile s (wall) | compile s (CPU) | binary KiB | text KiB |")
print("|---|---|---|---|---|")
for name in names:
    # The sample's one object (the binary and the eigrad_stages library share it).
    def output(e):
        args = shlex.split(e["command"])
        return args[args.index("-o") + 1] if "-o" in args else ""
    entry = next(e for e in entries if output(e).endswith(f"{name}_object.dir/{name}.cpp.o"))
    args = shlex.split(entry["command"])
    if args[0].endswith("ccache"):
        args = args[1:]
    with tempfile.TemporaryDirectory() as tmp:
        args[args.index("-o") + 1] = os.path.join(tmp, "sample.o")
        times, cpu_times = [], []
        for _ in range(repeat):
            start = time.monotonic()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(args, cwd=entry["directory"], check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times.append(time.monotonic() - start)
            cpu_times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if flags is None:
        flags = " ".join(a for a in args if a.startswith(("-O", "-m", "-std", "-g", "-f")))
    binary = os.path.join(build, "samples", name)
    text = int(subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True)
               .stdout.split(".text")[1].split()[0])
    print(f"| {name} | {statistics.median(times):.1f} | {statistics.median(cpu_times):.1f} "
          f"| {os.path.getsize(binary) / 1024:.0f} | {text / 1024:.0f} |",
          flush=True)
print(f"\ncompile flags: {flags}; median of {repeat} run(s); CPU = user + system time of the compiler")
PY
