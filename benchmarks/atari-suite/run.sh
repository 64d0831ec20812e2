#!/usr/bin/env bash
# The Atari suite: the defaults of `a3c train` on six Atari games and ViZDoom's defend_the_center,
# one seed at a time, each run stopped at its budget or once it passes the published A2C score
# (SB3 zoo's, at 10M agent steps). Every run is collected into benchmarks/atari-suite/GAME-seedS/
# (config.json, summary.json, episodes.csv with the evaluation rows, learning curve, command, CPU);
# table.py turns the folders into the results table. Run it on an idle machine, one run at a time.
#
#   benchmarks/atari-suite/run.sh SEED BUDGET [GAME...]     e.g. run.sh 1 10000000 Pong Breakout
#
# GAME is one of Pong Breakout SpaceInvaders BeamRider Qbert Kangaroo DefendTheCenter (default: all).
# Extra options for every run go in A3C_OPTIONS (for example "--algo a2c"); RUNS is where the run
# directories (with their checkpoints) go, /tmp/a3c-suite by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
seed=${1:?seed} budget=${2:?budget in agent steps}
shift 2
games=("$@")
[ ${#games[@]} -eq 0 ] && games=(Pong Breakout SpaceInvaders BeamRider Qbert Kangaroo DefendTheCenter)
A3C=${A3C:-.build/release/a3c}
RUNS=${RUNS:-/tmp/a3c-suite}
mkdir -p "$RUNS"

for game in "${games[@]}"; do
    # id and target: SB3 zoo A2C's 10M-step score (Pong: +18, this project's goal); Kangaroo and
    # defend_the_center have none there: Kangaroo runs its budget with 10-game evaluations, and
    # defend_the_center stops at 10 kills.
    extra=()
    case $game in
        Pong) id=ALE/Pong-v5 target=18 ;;
        Breakout) id=ALE/Breakout-v5 target=280 ;;
        SpaceInvaders) id=ALE/SpaceInvaders-v5 target=627 ;;
        BeamRider) id=ALE/BeamRider-v5 target=2890 ;;
        Qbert) id=ALE/Qbert-v5 target=3882 ;;
        Kangaroo) id=ALE/Kangaroo-v5 target="" extra=(--eval-every 250000 --eval-episodes 10) ;;
        DefendTheCenter) id=VizdoomDefendCenter-v1 target=10 ;;
        *) echo "run.sh: unknown game $game (Pong Breakout SpaceInvaders BeamRider Qbert Kangaroo DefendTheCenter)" >&2; exit 2 ;;
    esac
    [ -n "$target" ] && extra+=(--target-return "$target")
    name=$game-seed$seed
    run=$RUNS/$name
    rm -rf "$run"
    # shellcheck disable=SC2086
    command="a3c train --env $id --seed $seed --steps $budget ${extra[*]} ${A3C_OPTIONS:-}"
    echo "suite: $command" >&2
    # shellcheck disable=SC2086
    $A3C train --env "$id" --seed "$seed" --steps "$budget" "${extra[@]}" ${A3C_OPTIONS:-} \
        --out "$run" > "$RUNS/$name.log" 2>&1 || echo "suite: $name ended with status $?" >&2
    benchmarks/atari/collect.sh "$run" "benchmarks/atari-suite/$name" "$command" "$RUNS/$name.log" >/dev/null
done
python3 benchmarks/atari-suite/table.py benchmarks/atari-suite
