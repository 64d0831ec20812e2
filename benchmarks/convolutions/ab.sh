#!/usr/bin/env bash
# Training speed on one game under several set-ups, alternated round by round so that the machine's
# drift falls on all of them alike: agent steps/s of `a3c train` per set-up and round, then each
# set-up's median over the first one's. Each set-up is "NAME|ENVIRONMENT|OPTIONS".
# Usage: benchmarks/convolutions/ab.sh GAME ALGO STEPS ROUNDS "SETUP" "SETUP" ...
#   benchmarks/convolutions/ab.sh ALE/Pong-v5 ppo 40960 3 "ours, fp32|A3C_CONV=blocks|--precision fp32" \
#       "oneDNN, fp32|A3C_CONV=onednn|--precision fp32" "oneDNN, bf16|A3C_CONV=onednn|--precision bf16"
set -euo pipefail
game=$1 algo=$2 steps=$3 rounds=$4
shift 4
A3C=${A3C:-.build/release/a3c}
echo "command: $0 $game $algo $steps $rounds $(printf '"%s" ' "$@")"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') model $(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), $(nproc) cores"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)')"
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
declare -A rates
for round in $(seq 1 "$rounds"); do
    for setup in "$@"; do
        IFS='|' read -r name environment options <<< "$setup"
        rm -rf "$run/out"
        # shellcheck disable=SC2086
        env $environment "$A3C" train --env "$game" --algo "$algo" --seed 1 --steps "$steps" $options --quiet \
            --out "$run/out" --summary-json "$run/summary.json" > /dev/null
        rate=$(python3 -c "import json; print(round(json.load(open('$run/summary.json'))['steps_per_second']))")
        rates[$name]="${rates[$name]:-} $rate"
        echo "round $round  $name: $rate agent steps/s"
    done
done
first=""
for setup in "$@"; do
    IFS='|' read -r name _ _ <<< "$setup"
    median=$(python3 -c "import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:]))))" ${rates[$name]})
    [ -z "$first" ] && first=$median
    echo "median  $name: $median agent steps/s, $(python3 -c "print(f'{$median / $first:.2f}')")x the first"
done
