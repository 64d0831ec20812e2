"""Milestones of a run from its episodes.csv: when the mean of the last 10 and of the last 100
whole games first reached given scores, and the means at given step counts.

    milestones.py episodes.csv
"""
import csv
import sys

rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["kind"] == "episode"]
steps = [int(r["global_step"]) for r in rows]
seconds = [float(r["wall_seconds"]) for r in rows]
scores = [float(r["episode_return"]) for r in rows]


def mean(values):
    return sum(values) / len(values) if values else float("nan")


print(f"games {len(rows)}, steps {steps[-1] if steps else 0:,}, seconds {seconds[-1] if seconds else 0:,.0f}")
for window in (10, 100):
    best = max((mean(scores[i - window + 1:i + 1]), i) for i in range(window - 1, len(scores))) if len(scores) >= window else None
    if best:
        print(f"best mean of {window} games: {best[0]:.1f} at step {steps[best[1]]:,} ({seconds[best[1]]:,.0f} s)")
    for threshold in (18, 150, 400):
        for i in range(window - 1, len(scores)):
            if mean(scores[i - window + 1:i + 1]) >= threshold:
                print(f"mean of {window} games first >= {threshold}: step {steps[i]:,}, {seconds[i]:,.0f} s, game {i + 1}")
                break
for budget in (1_000_000, 2_000_000, 3_000_000, 4_000_000, 6_000_000):
    upto = [s for s, step in zip(scores, steps) if step <= budget]
    if upto and steps[-1] >= budget * 0.98:
        print(f"at {budget:,} steps: last 10 games {mean(upto[-10:]):.1f}, last 100 games {mean(upto[-100:]):.1f}")
evaluations = [r for r in csv.DictReader(open(sys.argv[1])) if r["kind"] == "eval"]
for r in evaluations[-3:]:
    print(f"evaluation at step {int(r['global_step']):,}: {r['eval_episodes']} games, mean {r['eval_mean_return']}")
