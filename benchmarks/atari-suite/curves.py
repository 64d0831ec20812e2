"""The Atari suite's learning curves on one page: a panel per game, the mean of the last 100 games
against agent steps for each of its runs, SB3 zoo A2C's 10M-step score dashed. Writes SVG; a .png output is drawn from
it by rsvg-convert (librsvg2-bin, as `a3c plot` does).

    python3 benchmarks/atari-suite/curves.py benchmarks/atari-suite docs/images/atari-suite.png
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from table import PUBLISHED, runs  # noqa: E402

PANEL_W, PANEL_H, COLUMNS = 300, 190, 4
LEFT, TOP, PLOT_W, PLOT_H = 48, 26, 236, 130


def nice_top(value):
    for scale in (1, 10, 100, 1000, 10000):
        for step in (1, 2, 2.5, 5):
            if step * scale >= value:
                return step * scale
    return value


COLOURS = ("#1f5fa8", "#e08a1e", "#3a9a4a")


def running_means(games):
    means, window = [], []
    for step, score in games:
        window.append(score)
        if len(window) > 100:
            window.pop(0)
        means.append((step, sum(window) / len(window)))
    return means


def panel(game, seeds, x0, y0):
    """One game's panel as SVG elements: each run's 100-game running mean (one colour per run, in
    seed order, named when there are several), the published A2C line."""
    curves = [running_means(games) for _, games in seeds]
    target = PUBLISHED[game]["sb3_a2c"]
    last_step = max(max(games[-1][0] for _, games in seeds), 1)
    x_top = max(1, -(-last_step // 1_000_000)) * 1_000_000
    values = [m for means in curves for _, m in means]
    low = min(0, min(values))
    high = nice_top(max(values + ([target] if target else []) + [1]))
    def x(step): return x0 + LEFT + PLOT_W * step / x_top
    def y(value): return y0 + TOP + PLOT_H * (1 - (value - low) / (high - low))
    parts = [
        f'<rect x="{x0 + LEFT}" y="{y0 + TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#fafafa" stroke="#999"/>',
        f'<text x="{x0 + LEFT}" y="{y0 + 16}" font-size="13" font-weight="bold">{game}</text>',
        f'<text x="{x0 + LEFT + PLOT_W}" y="{y0 + TOP + PLOT_H + 16}" font-size="10" text-anchor="end">{x_top // 1_000_000}M steps</text>',
        f'<text x="{x0 + LEFT}" y="{y0 + TOP + PLOT_H + 16}" font-size="10">0</text>',
        f'<text x="{x0 + LEFT - 4}" y="{y(high) + 4}" font-size="10" text-anchor="end">{high:g}</text>',
        f'<text x="{x0 + LEFT - 4}" y="{y(low) + 4}" font-size="10" text-anchor="end">{low:g}</text>',
    ]
    if target:
        parts.append(f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + PLOT_W}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                     'stroke="#c33" stroke-dasharray="5,3"/>')
        parts.append(f'<text x="{x0 + LEFT + PLOT_W - 2}" y="{y(target) - 3:.1f}" font-size="9" fill="#c33" '
                     f'text-anchor="end">SB3 A2C {target:g}</text>')
    for index, means in enumerate(curves):
        colour = COLOURS[index % len(COLOURS)]
        stride = max(1, len(means) // 600)
        points = " ".join(f"{x(s):.1f},{y(m):.1f}" for s, m in means[::stride] + [means[-1]])
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        if len(curves) > 1:
            # One under another at the plot's top right, clear of the panel's title.
            parts.append(f'<text x="{x0 + LEFT + PLOT_W - 4}" y="{y0 + TOP + 12 + 11 * index}" '
                         f'font-size="10" fill="{colour}" text-anchor="end">run {index + 1}</text>')
    return parts


def main(folder, out):
    order = list(PUBLISHED)
    by_game = {}
    for game, seed, _, games, _ in sorted(runs(folder), key=lambda run: (order.index(run[0]), run[1])):
        if games:
            by_game.setdefault(game, []).append((seed, games))
    found = list(by_game.items())
    rows = -(-len(found) // COLUMNS)
    width, height = PANEL_W * COLUMNS, PANEL_H * rows + 28
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="DejaVu Sans">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="12" y="18" font-size="13">swift-a3c, the defaults of a3c train: mean of the last 100 games '
             f'against agent steps (frames = 4x); dashed: SB3 zoo A2C at 10M steps</text>']
    for index, (game, seeds) in enumerate(found):
        parts += panel(game, seeds, PANEL_W * (index % COLUMNS), 28 + PANEL_H * (index // COLUMNS))
    parts.append("</svg>")
    svg = "\n".join(parts)
    if out.endswith(".png"):
        subprocess.run(["rsvg-convert", "-f", "png", "-o", out], input=svg.encode(), check=True)
    else:
        open(out, "w").write(svg)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
