#!/usr/bin/env bash
# The Atari and ViZDoom measurements of benchmarks/RESULTS.md, one after another on an idle machine.
set -u
A3C=${A3C:-.build/release/a3c}
OUT=${OUT:-/tmp/a3c-atari-runs}
mkdir -p "$OUT"
$A3C bench --env ALE/Pong-v5 --train-seconds 60 --summary-json "$OUT/pong-bench.json" > "$OUT/pong-bench.md" 2>&1
for env in ALE/Breakout-v5 ALE/Kangaroo-v5 VizdoomDefendCenter-v1; do
    name=$(echo "$env" | tr '/' '_')
    # 20 minutes, then SIGINT: the run stops, writes its checkpoint and summary.
    timeout -s INT 1200 $A3C train --env "$env" --seed 1 --out "$OUT/$name" > "$OUT/$name.log" 2>&1
done
