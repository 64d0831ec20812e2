"""diagnostics.csv from a run's metrics.csv: an update row about every 16k agent steps, and every
update row of the last 20k (where a run that collapsed shows how), each beside the mean of the
last 100 whole games at that point.

    diagnostics.py RUN/metrics.csv OUT/diagnostics.csv
"""
import collections
import csv
import sys

source, destination = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(source)))
last = max((int(r["global_step"]) for r in rows), default=0)
columns = ["entropy", "explained_variance", "dead_unit_fraction", "gradient_norm", "clipped_update_fraction"]
games, mean, due = collections.deque(maxlen=100), "", 0
with open(destination, "w", newline="") as file:
    out = csv.writer(file)
    out.writerow(["global_step", "mean_return_100"] + columns)
    for row in rows:
        if row["kind"] == "episode":
            games.append(float(row["episode_return"]))
            mean = f"{sum(games) / len(games):.4g}"
        elif row["kind"] == "update" and row.get("entropy"):
            step = int(row["global_step"])
            if step >= due or step >= last - 20_000:
                out.writerow([step, mean] + [row.get(c, "") for c in columns])
                due = step + 16_000
