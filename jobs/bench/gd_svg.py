#!/usr/bin/env python3
"""Plots `dmf train --metrics-out` files as one SVG: a metric against epoch,
one line per file, log-scale y. Standard library only.

    gd_svg.py OUT.svg TITLE METRIC LABEL=FILE.jsonl [LABEL=FILE.jsonl ...]

METRIC is a key of the JSON lines (objective, loss, validation_rmse, ...).
Epochs whose value is missing, not finite or not positive are left out (a
diverged run's line stops there); a file that cannot be read is named in the
legend as missing.
"""
import json
import math
import sys

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]


def read(path, metric):
    points = []
    try:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                value = row.get(metric)
                if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
                    points.append((row["epoch"], float(value)))
    except (OSError, ValueError):
        return None
    return points


def tick_label(t):
    """1.5M, 20k, 0.5: short tick labels."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if t >= scale:
            return f"{t / scale:g}{suffix}"
    return f"{t:g}"


def nice_ticks(lo, hi):
    """Log-scale ticks: 1, 2, 5 × powers of ten inside [lo, hi]."""
    ticks = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            t = m * 10.0**e
            if lo <= t <= hi:
                ticks.append(t)
    return ticks or [lo, hi]


def main():
    out, title, metric, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    series = []
    for spec in specs:
        label, _, path = spec.partition("=")
        series.append((label, read(path, metric)))
    values = [v for _, pts in series if pts for _, v in pts]
    epochs = [e for _, pts in series if pts for e, _ in pts]
    if not values:
        sys.exit(f"gd_svg.py: no {metric} values to plot")
    lo, hi = min(values), max(values)
    if hi <= lo:
        lo, hi = lo / 1.1, hi * 1.1
    lo, hi = lo / 1.05, hi * 1.05
    max_epoch = max(max(epochs), 2)

    width, height = 820, 500
    left, right, top, bottom = 80, 190, 40, 50
    pw, ph = width - left - right, height - top - bottom

    def x(epoch):
        return left + pw * (epoch - 1) / (max_epoch - 1)

    def y(value):
        return top + ph * (1 - (math.log10(value) - math.log10(lo)) /
                           (math.log10(hi) - math.log10(lo)))

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left + pw / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/>']
    for t in nice_ticks(lo, hi):
        svg.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   'stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{tick_label(t)}</text>')
    step = max(1, math.ceil((max_epoch - 1) / 10))
    for e in range(1, max_epoch + 1, step):
        svg.append(f'<text x="{x(e):.1f}" y="{top + ph + 18}" text-anchor="middle">{e}</text>')
    svg.append(f'<text x="{left + pw / 2}" y="{height - 10}" text-anchor="middle">epoch</text>')
    svg.append(f'<text transform="translate(18,{top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{metric} (log scale)</text>')
    for n, (label, pts) in enumerate(series):
        color = COLORS[n % len(COLORS)]
        ly = top + 10 + 18 * n
        name = label if pts else f"{label} (missing)"
        svg.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 36}" y1="{ly}" y2="{ly}" '
                   f'stroke="{color}" stroke-width="2"/>')
        svg.append(f'<text x="{left + pw + 42}" y="{ly + 4}">{name}</text>')
        if not pts:
            continue
        path = " ".join(f"{x(e):.1f},{y(v):.1f}" for e, v in pts)
        svg.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        if len(pts) == 1:
            e, v = pts[0]
            svg.append(f'<circle cx="{x(e):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>')
    svg.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
