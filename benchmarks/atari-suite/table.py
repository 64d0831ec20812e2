"""The Atari suite's results table from its run folders (GAME-seedS/, as run.sh leaves them): the
mean of the last 100 games at 1M, 2M, 5M and 10M agent steps, the wall time and steps/s of each
run, beside the published 10M-step scores.

    python3 benchmarks/atari-suite/table.py benchmarks/atari-suite > table.md
"""
import csv
import json
import os
import sys

# Published scores at 10M agent steps (40M frames), 100-game means unless said. Sources:
# rl-baselines3-zoo benchmark.md (SB3 A2C and PPO, one run each); Schulman et al. 2017, Table 6
# (the PPO paper's A2C column, mean of the last 100 training games); vwxyzjn/cleanrl
# docs/benchmark/ppo*.md (ppo_atari_envpool_xla_jax, 3 seeds).
PUBLISHED = {
    "Pong": {"sb3_a2c": 17.3, "ppo_paper_a2c": 19.7, "cleanrl_ppo": 20.4},
    "Breakout": {"sb3_a2c": 280, "ppo_paper_a2c": 303, "cleanrl_ppo": 430},
    "SpaceInvaders": {"sb3_a2c": 627, "ppo_paper_a2c": 745, "cleanrl_ppo": 1189},
    "BeamRider": {"sb3_a2c": 2890, "ppo_paper_a2c": 3032, "cleanrl_ppo": 2478},
    "Qbert": {"sb3_a2c": 3882, "ppo_paper_a2c": 10066, "cleanrl_ppo": 17246},
    "Kangaroo": {"sb3_a2c": None, "ppo_paper_a2c": 45, "cleanrl_ppo": 6582},
    "DefendTheCenter": {"sb3_a2c": None, "ppo_paper_a2c": None, "cleanrl_ppo": None},
}
GAMES = list(PUBLISHED)
BUDGETS = (1_000_000, 2_000_000, 5_000_000, 10_000_000)


def mean_at(games, budget, last_step):
    """Mean of the last 100 games finished by `budget` steps; None when the run stopped before
    it (early on its target, or cut short) or had finished no game by then."""
    done = [score for step, score in games if step <= budget]
    if not done or last_step < budget * 0.98:
        return None
    return sum(done[-100:]) / len(done[-100:])


def runs(folder):
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isdir(path) or "-seed" not in name:
            continue
        game, seed = name.rsplit("-seed", 1)
        if game not in PUBLISHED or not os.path.exists(os.path.join(path, "episodes.csv")):
            continue
        summary = json.load(open(os.path.join(path, "summary.json"))) if os.path.exists(os.path.join(path, "summary.json")) else {}
        rows = list(csv.DictReader(open(os.path.join(path, "episodes.csv"))))
        games = [(int(r["global_step"]), float(r["episode_return"])) for r in rows if r["kind"] == "episode"]
        evaluations = [(int(r["global_step"]), float(r["eval_mean_return"])) for r in rows if r["kind"] == "eval"]
        # A run that shared the machine (its command.txt says so) has no wall time or rate to show.
        command = os.path.join(path, "command.txt")
        if os.path.exists(command) and "shared the machine" in open(command).read():
            summary = {k: v for k, v in summary.items() if k not in ("wall_seconds", "steps_per_second")}
        yield game, int(seed), summary, games, evaluations


def cell(value):
    return "-" if value is None else f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    print("| game | seed | 1M | 2M | 5M | 10M | final (steps) | best eval | wall | steps/s | SB3 A2C | PPO paper A2C | CleanRL PPO |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    found = sorted(runs(folder), key=lambda r: (GAMES.index(r[0]), r[1]))
    for game, seed, summary, games, evaluations in found:
        last = summary.get("steps", games[-1][0] if games else 0)
        cells = [cell(mean_at(games, b, last)) for b in BUDGETS]
        final = summary.get("mean_return_100")
        if final is None and games:
            final = sum(s for _, s in games[-100:]) / len(games[-100:])
        best_eval = max((m for _, m in evaluations), default=None)
        stopped = f"{cell(final)} ({last / 1e6:.2f}M{', solved' if summary.get('solved') else ''})"
        wall = summary.get("wall_seconds")
        rate = summary.get("steps_per_second")
        published = PUBLISHED[game]
        print(
            "| " + " | ".join([
                game, str(seed), *cells, stopped, cell(best_eval),
                f"{wall / 60:,.0f} min" if wall else "-", f"{rate:,.0f}" if rate else "-",
                cell(published["sb3_a2c"]), cell(published["ppo_paper_a2c"]), cell(published["cleanrl_ppo"]),
            ]) + " |"
        )
    if not found:
        print("| (no runs yet) |" + " |" * 12)
    print()
    print("Means of the last 100 whole games finished by each budget (agent steps; frames = 4x);")
    print("'-' where the run had stopped before it. A run stops early once its mean passes SB3 A2C's")
    print("score (Pong: +18). Published: SB3 rl-baselines3-zoo benchmark.md; PPO paper (Schulman et al.")
    print("2017) Table 6; CleanRL docs/benchmark (ppo_atari_envpool_xla_jax, 3 seeds); all at 10M steps.")


if __name__ == "__main__":
    main()
