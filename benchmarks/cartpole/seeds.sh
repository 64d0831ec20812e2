#!/usr/bin/env bash
# CartPole-v1 time to solve over seeds 1..N (default 30): whole process, quiet, one run at a time.
# Usage: benchmarks/cartpole/seeds.sh [A3C_BINARY] [N] [extra a3c train options...]
# Prints one line per seed (seed, seconds, steps, solved) and the medians.
set -euo pipefail
binary=${1:-.build/release/a3c}
count=${2:-30}
shift $(( $# > 2 ? 2 : $# ))
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for seed in $(seq 1 "$count"); do
    start=$(date +%s.%N)
    "$binary" train --seed "$seed" --quiet --out "$scratch/run$seed" --summary-json "$scratch/s$seed.json" "$@" >/dev/null
    end=$(date +%s.%N)
    python3 - "$scratch/s$seed.json" "$seed" "$start" "$end" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
print(sys.argv[2], f"{float(sys.argv[4]) - float(sys.argv[3]):.2f}", summary["steps"], summary["solved"])
PY
done | tee "$scratch/all.txt"
python3 - "$scratch/all.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
seconds = [float(r[1]) for r in rows]
steps = [int(r[2]) for r in rows]
print(f"solved {sum(r[3] == 'True' for r in rows)}/{len(rows)}; seconds median {statistics.median(seconds):.2f} "
      f"min {min(seconds):.2f} max {max(seconds):.2f}; steps median {statistics.median(steps):,.0f} max {max(steps):,}")
PY
