"""The Atari suite's learning curves on one page: a panel per game, the mean of the last 100 games
against agent steps, SB3 zoo A2C's 10M-step score dashed. Writes SVG; a .png output is drawn from
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


def panel(game, seed, games, x0, y0):
    """One game's panel as SVG elements: the 100-game running mean, the published A2C line."""
    means, window = [], []
    for step, score in games:
        window.append(score)
        if len(window) > 100:
            window.pop(0)
        means.append((step, sum(window) / len(window)))
    target = PUBLISHED[game]["sb3_a2c"]
    last_step = max(games[-1][0], 1)
    x_top = max(1, -(-last_step // 1_000_000)) * 1_000_000
    low = min(0, min(m for _, m in means))
    high = nice_top(max([m for _, m in means] + ([target] if target else []) + [1]))
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
    stride = max(1, len(means) // 600)
    points = " ".join(f"{x(s):.1f},{y(m):.1f}" for s, m in means[::stride] + [means[-1]])
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="1.6"/>')
    return parts


def main(folder, out):
    found = [(game, seed, games) for game, seed, _, games, _ in runs(folder) if games]
    order = list(PUBLISHED)
    found.sort(key=lambda item: (order.index(item[0]), item[1]))
    rows = -(-len(found) // COLUMNS)
    width, height = PANEL_W * COLUMNS, PANEL_H * rows + 28
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="DejaVu Sans">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="12" y="18" font-size="13">swift-a3c, the defaults of a3c train: mean of the last 100 games '
             f'against agent steps (frames = 4x); dashed: SB3 zoo A2C at 10M steps</text>']
    for index, (game, seed, games) in enumerate(found):
        parts += panel(game, seed, games, PANEL_W * (index % COLUMNS), 28 + PANEL_H * (index // COLUMNS))
    parts.append("</svg>")
    svg = "\n".join(parts)
    if out.endswith(".png"):
        subprocess.run(["rsvg-convert", "-f", "png", "-o", out], input=svg.encode(), check=True)
    else:
        open(out, "w").write(svg)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
