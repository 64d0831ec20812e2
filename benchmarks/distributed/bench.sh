#!/usr/bin/env bash
# Pong for a fixed time in three shapes on this machine, one after the other: one process with 2
# workers (Hogwild in memory), 2 ranks of 1 worker (rank 0 serves and acts), and 3 ranks (rank 0
# only serves, 2 actor ranks). Prints agent steps/s, updates/s and the bytes the parameter server
# moved, with the CPU, so the server's overhead is the ratio against the first line.
#   benchmarks/distributed/bench.sh [SECONDS] [ENV]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
env=${2:-ALE/Pong-v5}
a3c=.build/release/a3c
[ -x "$a3c" ] || swift build -c release --product a3c >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "# a3c train --env $env, $seconds s each, $(date -u +%F)"
echo "# CPU: $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), $(nproc) cores$(grep -q avx512f /proc/cpuinfo && echo ', AVX-512')"
run() {
    local name=$1; shift
    # SIGINT after the time: the run (every rank, through --ranks) stops, checkpoints, writes its summary and exits 0.
    timeout -s INT --kill-after=60 "$seconds" "$@" --env "$env" --seed 1 --steps 1000000000 --quiet \
        --out "$out/$name" --summary-json "$out/$name.json" >/dev/null 2>"$out/$name.err" || true
    python3 - "$name" "$out/$name.json" "$out/$name/config.json" <<'PY'
import json, sys
name, summary, config = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
parameters = config.get("parameter_count") or config.get("parameterCount")
seconds = summary["wall_seconds"]
print(f"{name:<34} {summary['steps'] / seconds:>9,.0f} agent steps/s {summary['updates'] / seconds:>8,.1f} updates/s"
      f"  ({summary['steps']:,} steps, {summary['updates']:,} updates, {seconds:.0f} s, {parameters:,} parameters)")
PY
}
printf '%-34s %s\n' "shape" "training throughput"
run "1 process x 2 workers" "$a3c" train --workers 2
run "2 ranks x 1 worker" "$a3c" train --ranks 2 --workers 1
run "3 ranks: server + 2 x 1 worker" "$a3c" train --ranks 3 --workers 1 --server-workers 0
