#!/usr/bin/env python3
"""Reads the runs of the peer benchmark (jobs/bench/peer.sh; each run a
peer_run.py JSON file) and writes its CSV, SVG charts and summary. Standard
library only.

    peer_report.py best-libmf RUN_DIR       prints "L2 RATE" of the LIBMF grid run
                                            with the lowest held-out RMSE
    peer_report.py report RUNS_DIR OUT_DIR  OUT_DIR/peer.csv, OUT_DIR/peer-DATA-kK.svg
                                            and the summary on stdout

How the figures are taken, the same way for both tools:
- iteration n's `seconds` is when the line reporting the end of the n-th
  epoch (dmf, `epoch n/N ...`) or iteration (LIBMF, `n-1  tr_rmse va_rmse
  obj`) arrived, counted from the process start (peer_run.py); `total` is
  the process's whole life, model written.
- `epoch_seconds` is the gap to the previous epoch's or iteration's line;
  there is none for the first (LIBMF prints its header and first iteration
  together, so where its loading ends is not visible). Seconds per epoch in
  the summary: the median of these gaps.
- held-out RMSE: dmf's validation_rmse from --metrics-out; LIBMF's va_rmse
  column (4 decimals; mf-predict on the written model gives the same).
- time to an RMSE, end to end: the line of the first epoch at or below it,
  plus what the run spent after its last epoch (writing the model): the run
  a user would make with --epochs set to that epoch.
"""
import csv
import glob
import json
import math
import os
import re
import statistics
import sys

ALS_SLACK = 1.005  # "within 0.5% of ALS's converged value" (issue 13)


def finite(value):
    return isinstance(value, (int, float)) and math.isfinite(value)


def parse_float(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def libmf_points(run):
    """(iteration, seconds, rmse) per line after mf-train's header."""
    points, header = [], False
    for t, line in run["lines"]:
        if re.match(r"\s*iter\s+tr_\w+\s+va_\w+", line):
            header = True
            continue
        fields = line.split()
        if header and len(fields) >= 3 and fields[0].isdigit():
            points.append((int(fields[0]) + 1, t, parse_float(fields[2])))
    return points


def dmf_points(run):
    """(epoch, seconds, rmse): RMSE from the metrics file, seconds from the
    progress lines. Without those lines (a future output format), an epoch's
    time is the total minus dmf's own elapsed time still to come."""
    history = []
    try:
        with open(run["meta"]["metrics"]) as f:
            history = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError, KeyError):
        pass
    arrived = {}
    for t, line in run["lines"]:
        m = re.match(r"epoch\s+(\d+)/\d+\s", line)  # "epoch  1/10 ..."
        if m:
            arrived.setdefault(int(m.group(1)), t)
    points = []
    last_elapsed = history[-1]["elapsed"] if history else 0.0
    for h in history:
        t = arrived.get(h["epoch"], run["wall"] - (last_elapsed - h["elapsed"]))
        rmse = h.get("validation_rmse")
        points.append((h["epoch"], t, rmse if finite(rmse) else None))
    return points


def load_run(path):
    with open(path) as f:
        run = json.load(f)
    run["path"] = path
    run["points"] = (libmf_points if run["meta"]["tool"] == "libmf" else dmf_points)(run)
    return run


def load_runs(run_dir):
    """The runs of one data set and k, in the order they started."""
    runs = [load_run(p) for p in glob.glob(os.path.join(run_dir, "*.json"))]
    return sorted(runs, key=lambda r: (r.get("started", 0.0), r["path"]))


def ok(run):
    return run["rc"] == 0 and run["points"]


def best_rmse(run):
    values = [r for _, _, r in run["points"] if r is not None]
    return min(values) if values else None


def epoch_gaps(run):
    times = [t for _, t, _ in run["points"]]
    return [b - a for a, b in zip(times, times[1:])]


def time_to(run, target):
    """End-to-end seconds to the first epoch at or below target, or None."""
    if target is None:
        return None
    tail = run["wall"] - run["points"][-1][1]
    for _, t, r in run["points"]:
        if r is not None and r <= target:
            return t + tail
    return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def best_libmf(run_dir):
    grid = [r for r in load_runs(run_dir) if r["meta"]["role"] == "grid" and ok(r)
            and best_rmse(r) is not None]
    if not grid:
        sys.exit(f"peer_report.py: no LIBMF run in {run_dir} finished with a held-out RMSE")
    best = min(grid, key=best_rmse)
    print(best["meta"]["l2"], best["meta"]["r"])


def label(run):
    m = run["meta"]
    if m["tool"] == "libmf":
        return f"LIBMF -l2 {m['l2']} -r {m['r']}, {m['threads']} threads"
    name = m["solver"] if m["variant"] == "default" else f"{m['solver']}-{m['variant']}"
    return f"dmf {name} {m['ranks']}x{m['threads']}"


def fmt(value, spec=".3f", none="-"):
    return none if value is None else format(value, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


class Group:
    """The runs of one data set and k, with the references of the summary."""

    def __init__(self, runs):
        self.runs = runs
        libmf = [r for r in runs if r["meta"]["tool"] == "libmf" and ok(r)]
        grid = [r for r in libmf if r["meta"]["role"] == "grid" and best_rmse(r) is not None]
        self.libmf_best_run = min(grid, key=best_rmse) if grid else None
        if self.libmf_best_run:
            point = (self.libmf_best_run["meta"]["l2"], self.libmf_best_run["meta"]["r"])
            self.libmf = [r for r in libmf if (r["meta"]["l2"], r["meta"]["r"]) == point]
        else:
            self.libmf = []
        self.libmf_iteration = median([g for r in self.libmf for g in epoch_gaps(r)])
        self.libmf_wall = median([r["wall"] for r in self.libmf])
        self.libmf_best = best_rmse(self.libmf_best_run) if self.libmf_best_run else None
        self.dmf = [r for r in runs if r["meta"]["tool"] == "dmf"]
        als = [r for r in self.dmf if ok(r) and r["meta"]["solver"] == "als"
               and r["meta"]["variant"] in ("cholesky", "default")]
        self.als = als[0] if als else None  # the first layout's exact ALS run
        self.als_final = self.als["points"][-1][2] if self.als else None
        self.als_best = best_rmse(self.als) if self.als else None
        self.target = self.als_final * ALS_SLACK if self.als_final is not None else None

    def row(self, run):
        """The summary's figures of one dmf run."""
        gaps = epoch_gaps(run)
        epoch = median(gaps)
        best = best_rmse(run)
        to_target = time_to(run, self.target)
        to_libmf = time_to(run, self.libmf_best)
        return {"label": label(run), "epoch": epoch,
                "epoch_ratio": ratio(epoch, self.libmf_iteration), "best": best,
                "best_ratio": ratio(best, self.als_best), "to_target": to_target,
                "target_ratio": ratio(to_target, self.libmf_wall), "to_libmf": to_libmf,
                "libmf_ratio": ratio(to_libmf, self.libmf_wall), "total": run["wall"],
                "epochs": len(run["points"])}

    def libmf_row(self):
        to_target = median([time_to(r, self.target) for r in self.libmf])
        to_libmf = median([time_to(r, self.libmf_best) for r in self.libmf])
        return {"label": label(self.libmf_best_run) + f" (median of {len(self.libmf)})",
                "epoch": self.libmf_iteration, "epoch_ratio": 1.0, "best": self.libmf_best,
                "best_ratio": ratio(self.libmf_best, self.als_best), "to_target": to_target,
                "target_ratio": ratio(to_target, self.libmf_wall), "to_libmf": to_libmf,
                "libmf_ratio": ratio(to_libmf, self.libmf_wall), "total": self.libmf_wall,
                "epochs": len(self.libmf_best_run["points"])}


def csv_rows(runs):
    for run in runs:
        m = run["meta"]
        previous = None
        for iteration, t, rmse in run["points"]:
            yield {"tool": m["tool"], "solver": m["solver"], "variant": m["variant"],
                   "data": m["data"], "k": m["k"], "ranks": m["ranks"], "threads": m["threads"],
                   "role": m["role"], "run": os.path.basename(run["path"])[:-5],
                   "iteration": iteration, "seconds": round(t, 4),
                   "epoch_seconds": "" if previous is None else round(t - previous, 4),
                   "heldout_rmse": "" if rmse is None else round(rmse, 6),
                   "total_seconds": run["wall"], "exit_code": run["rc"]}
            previous = t


COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]


def svg(path, title, series, target):
    """RMSE against seconds, one polyline per (label, points, dashed)."""
    xs = [t for _, pts, _ in series for t, _ in pts]
    ys = [r for _, pts, _ in series for _, r in pts]
    if not ys:
        return False
    lo = min(ys)
    hi = min(max(ys), lo * 1.25)
    if target is not None:
        hi = max(hi, target)
    lo, hi = lo - 0.05 * (hi - lo) - 1e-4, hi + 0.02 * (hi - lo) + 1e-4
    # Log seconds: the slow solvers' minutes and the fast ones' seconds both show.
    x_lo, x_hi = min(t for t in xs if t > 0) / 1.1, max(xs) * 1.1
    width, height = 900, 520
    left, right, top, bottom = 70, 290, 40, 50
    pw, ph = width - left - right, height - top - bottom

    def x(t):
        return left + pw * math.log(max(t, x_lo) / x_lo) / math.log(x_hi / x_lo)

    def y(r):
        return top + ph * (1 - (r - lo) / (hi - lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<clipPath id="plot"><rect x="{left}" y="{top}" width="{pw}" height="{ph}"/></clipPath>',
           f'<text x="{left + pw / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/>']
    for n in range(6):
        r = lo + (hi - lo) * n / 5
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(r):.1f}" y2="{y(r):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(r) + 4:.1f}" text-anchor="end">{r:.4f}</text>')
    for e in range(math.floor(math.log10(x_lo)), math.ceil(math.log10(x_hi)) + 1):
        for mult in (1, 2, 5):
            t = mult * 10.0**e
            if x_lo <= t <= x_hi:
                out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{top + ph}" '
                           'stroke="#eee"/>')
                out.append(f'<text x="{x(t):.1f}" y="{top + ph + 18}" '
                           f'text-anchor="middle">{t:g}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 10}" text-anchor="middle">'
               'seconds since the process started, end to end (log scale)</text>')
    out.append(f'<text transform="translate(16,{top + ph / 2}) rotate(-90)" '
               'text-anchor="middle">held-out RMSE</text>')
    if target is not None:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                   'stroke="black" stroke-dasharray="2,3"/>')
        out.append(f'<text x="{left + pw - 4}" y="{y(target) - 4:.1f}" text-anchor="end" '
                   f'font-size="10">ALS converged + 0.5%</text>')
    colors = {}  # one color per solver, the layouts told apart by dashes
    for n, (name, pts, dashed) in enumerate(series):
        solver = name.rsplit(" ", 1)[0]
        color = "black" if name.startswith("LIBMF") else \
            colors.setdefault(solver, COLORS[len(colors) % len(COLORS)])
        dash = ' stroke-dasharray="6,3"' if dashed else ""
        ly = top + 10 + 18 * n
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 36}" y1="{ly}" y2="{ly}" '
                   f'stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{left + pw + 42}" y="{ly + 4}">{name}</text>')
        if not pts:
            continue
        line = " ".join(f"{x(t):.1f},{y(r):.1f}" for t, r in pts)
        out.append(f'<g clip-path="url(#plot)"><polyline points="{line}" fill="none" '
                   f'stroke="{color}" stroke-width="1.5"{dash}/>')
        out += [f'<circle cx="{x(t):.1f}" cy="{y(r):.1f}" r="2" fill="{color}"/>' for t, r in pts]
        out.append("</g>")
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def print_table(rows):
    print(f"  {'run':44} {'ep':>3} {'s/epoch':>8} {'xLIBMF':>7} {'best RMSE':>9} {'xALS':>7} "
          f"{'to ALS+.5%':>10} {'xLIBMF':>7} {'to LIBMF':>9} {'xLIBMF':>7} {'total s':>8}")
    for r in rows:
        print(f"  {r['label']:44} {r['epochs']:>3} {fmt(r['epoch']):>8} "
              f"{fmt(r['epoch_ratio'], '.2f'):>7} {fmt(r['best'], '.4f'):>9} "
              f"{fmt(r['best_ratio'], '.4f'):>7} {fmt(r['to_target'], '.2f'):>10} "
              f"{fmt(r['target_ratio'], '.2f'):>7} {fmt(r['to_libmf'], '.2f'):>9} "
              f"{fmt(r['libmf_ratio'], '.2f'):>7} {fmt(r['total'], '.2f'):>8}")


def report(runs_dir, out_dir):
    # Data sets and k in the order they ran.
    groups_runs = [load_runs(d) for d in glob.glob(os.path.join(runs_dir, "*")) if os.path.isdir(d)]
    groups_runs.sort(key=lambda g: g[0].get("started", 0.0) if g else 0.0)
    runs = [r for g in groups_runs for r in g]
    if not runs:
        sys.exit(f"peer_report.py: no runs under {runs_dir}")
    rows = list(csv_rows(runs))
    csv_path = os.path.join(out_dir, "peer.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["tool"])
        writer.writeheader()
        writer.writerows(rows)

    groups = {}
    for run in runs:
        groups.setdefault((run["meta"]["data"], run["meta"]["k"]), []).append(run)
    summary = {}
    print("\ns/epoch: median gap between epoch (iteration) lines; xLIBMF: over LIBMF's "
          "iteration. best RMSE: lowest held-out RMSE of the run; xALS: over the exact ALS "
          "run's. to ALS+.5%: end-to-end seconds to a held-out RMSE within 0.5% of the exact "
          "ALS run's last (model written); to LIBMF: to LIBMF's best; their xLIBMF: over "
          "LIBMF's whole run (median of its runs at the best grid point).")
    for (data, k), group_runs in groups.items():
        g = Group(group_runs)
        print(f"\n{data}, k = {k}: LIBMF best grid point "
              + (f"{label(g.libmf_best_run)}, best held-out RMSE {fmt(g.libmf_best, '.4f')}"
                 if g.libmf_best_run else "none")
              + (f"; exact ALS ({label(g.als)}) converged to {g.als_final:.4f}, "
                 f"target {g.target:.4f}" if g.als else ""))
        rows = [g.libmf_row()] if g.libmf_best_run else []
        rows += [g.row(r) for r in g.dmf if ok(r)]
        print_table(rows)
        for r in g.dmf:
            if not ok(r):
                print(f"  FAILED: {label(r)} (exit {r['rc']}, see {r['path']})")
        series = []
        if g.libmf:
            run = sorted(g.libmf, key=lambda r: r["wall"])[len(g.libmf) // 2]
            series.append((label(run), [(t, r) for _, t, r in run["points"] if r is not None],
                           False))
        for run in g.dmf:
            if ok(run):
                series.append((label(run), [(t, r) for _, t, r in run["points"] if r is not None],
                               int(run["meta"]["ranks"]) > 1))
        path = os.path.join(out_dir, f"peer-{data}-k{k}.svg")
        if svg(path, f"{data}, k = {k}: held-out RMSE against wall time", series, g.target):
            print(f"  written {path}")
        summary[(data, k)] = (g, {r["label"]: r for r in rows})
    targets(summary)
    sgd_targets(summary)
    print(f"written {csv_path}")


def by_variant(group, rows):
    """{solver-variant: the row of its fastest layout per epoch}."""
    out = {}
    for run in group.dmf:
        if not ok(run):
            continue
        m = run["meta"]
        name = m["solver"] if m["variant"] == "default" else f"{m['solver']}-{m['variant']}"
        row = rows[label(run)]
        out.setdefault(name, []).append(row)
    return out


def targets(summary):
    """The ratios issue 13 states targets for, from the tables above."""
    print("\nIssue 13's ratios (each solver at its better layout):")
    for (data, k), (g, rows) in summary.items():
        variants = by_variant(g, rows)
        for name, vrows in variants.items():
            fastest = min(vrows, key=lambda r: r["epoch"] if r["epoch"] is not None else math.inf)
            soonest = [r for r in vrows if r["to_target"] is not None]
            soonest = min(soonest, key=lambda r: r["to_target"]) if soonest else None
            best = min((r["best"] for r in vrows if r["best"] is not None), default=None)
            print(f"  {data} k={k} {name:16} epoch/LIBMF-iteration "
                  f"{fmt(fastest['epoch_ratio'], '.2f')} ({fastest['label'].split()[-1]})"
                  f"  time to ALS+0.5% / LIBMF {g.libmf_best_run and len(g.libmf_best_run['points'])}"
                  f"-iteration run "
                  + (f"{fmt(soonest['target_ratio'], '.2f')} ({soonest['label'].split()[-1]},"
                     f" {soonest['to_target']:.2f} s)" if soonest else "not reached")
                  + f"  best RMSE / ALS's {fmt(ratio(best, g.als_best), '.4f')}")
        als = {n: v for n, v in variants.items() if n.startswith("als")}
        reached = {n: min(r["to_target"] for r in v if r["to_target"] is not None)
                   for n, v in als.items() if any(r["to_target"] is not None for r in v)}
        if len(als) > 1 and reached:
            winner = min(reached, key=reached.get)
            print(f"  {data} k={k} ALS solve reaching ALS+0.5% soonest end to end: {winner} ("
                  + ", ".join(f"{n} {s:.2f} s" for n, s in sorted(reached.items(), key=lambda i: i[1]))
                  + (", not reached: " + ", ".join(sorted(set(als) - set(reached)))
                     if set(als) - set(reached) else "") + ")")


def sgd_targets(summary):
    """The ratios issue 15 states targets for: --solver sgd against LIBMF."""
    lines, best_by_data = [], {}
    for (data, k), (g, rows) in summary.items():
        runs = {f"{r['meta']['ranks']}x{r['meta']['threads']}": rows[label(r)]
                for r in g.dmf if ok(r) and r["meta"]["solver"] == "sgd"}
        if not runs:
            continue
        mine = min((r["best"] for r in runs.values() if r["best"] is not None), default=None)
        seen = best_by_data.setdefault(data, [None, None])
        if mine is not None and (seen[0] is None or mine < seen[0][0]):
            seen[0] = (mine, k)
        if g.libmf_best is not None and (seen[1] is None or g.libmf_best < seen[1][0]):
            seen[1] = (g.libmf_best, k)
        reached = {n: r["libmf_ratio"] for n, r in runs.items() if r["libmf_ratio"] is not None}
        one, two = runs.get("1x1"), runs.get("2x1")
        speedup = ratio(one["epoch"], two["epoch"]) if one and two else None
        lines.append(
            f"  {data} k={k}: to LIBMF's best / LIBMF's run "
            + (", ".join(f"{v:.2f} ({n})" for n, v in sorted(reached.items())) or "not reached")
            + "; epoch / LIBMF iteration "
            + ", ".join(f"{fmt(r['epoch_ratio'], '.2f')} ({n})" for n, r in sorted(runs.items()))
            + f"; best RMSE {fmt(mine, '.4f')} / LIBMF's {fmt(g.libmf_best, '.4f')}"
            + (f"; 1 -> 2 ranks {speedup:.2f}x" if speedup is not None else ""))
    if not lines:
        return
    print("\nIssue 15's ratios (--solver sgd; LIBMF at its best grid point, every core):")
    print("\n".join(lines))
    for data, (mine, libmf) in best_by_data.items():
        print(f"  {data}: best held-out RMSE over k: sgd "
              + (f"{mine[0]:.4f} (k={mine[1]})" if mine else "-") + ", LIBMF "
              + (f"{libmf[0]:.4f} (k={libmf[1]})" if libmf else "-"))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "best-libmf":
        best_libmf(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

