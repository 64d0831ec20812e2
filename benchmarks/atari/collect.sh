#!/usr/bin/env bash
# Copies what a finished run leaves into a results folder to commit: its config and summary, every
# game (episodes.csv: the episode and evaluation rows of metrics.csv), the update diagnostics
# (diagnostics.csv, see diagnostics.py), the learning curve, the log, the command and the machine.
# Checkpoints stay behind (megabytes each).
# Usage: benchmarks/atari/collect.sh RUN_DIR DEST_DIR "COMMAND" [LOG]
set -euo pipefail
run=$1 dest=$2 command=$3 log=${4:-}
A3C=${A3C:-.build/release/a3c}
mkdir -p "$dest"
cp "$run/config.json" "$dest/"
[ -f "$run/summary.json" ] && cp "$run/summary.json" "$dest/"
awk -F, 'NR == 1 || $1 == "episode" || $1 == "eval"' "$run/metrics.csv" > "$dest/episodes.csv"
python3 "$(dirname "$0")/diagnostics.py" "$run/metrics.csv" "$dest/diagnostics.csv"
"$A3C" plot "$run" --out "$dest/learning-curve.svg" >/dev/null
"$A3C" plot "$run" --out "$dest/learning-curve.png" >/dev/null || true
[ -n "$log" ] && tr '\r' '\n' < "$log" | grep -v '^$' | grep -v '^steps ' > "$dest/train.log" || true
{
    echo "$command"
    echo
    lscpu | grep -E 'Model name|^CPU\(s\)|avx512f' | sed 's/  */ /g' | sed 's/Flags:.*avx512f.*/AVX-512: yes/'
    echo "commit: $(git rev-parse --short HEAD)"
} > "$dest/command.txt"
python3 "$(dirname "$0")/milestones.py" "$dest/episodes.csv" | tee "$dest/milestones.txt"
