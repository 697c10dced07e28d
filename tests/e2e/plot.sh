#!/usr/bin/env bash
# dmf plot: the learning curves of two training runs' --metrics-out files as
# one SVG. The SVG must render (rsvg-convert, Debian package librsvg2-bin) to
# a non-blank image showing both runs, every path must pass through the
# metrics of its run at the coordinates the panel's own tick marks give
# (read back with xml.etree), null figures must be gaps, and bad input must
# be an error naming the file and line.
source "$DMF_E2E_LIB"

command -v rsvg-convert >/dev/null ||
  fail "rsvg-convert is missing: install librsvg2-bin (cmake/bootstrap.sh does)"

expect_ok dmf generate --users 200 --items 120 --ratings 6000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
common=(train --data ratings.csv --holdout 0.2 --rank 3 --lambda 0.05 --quiet)
expect_ok dmf "${common[@]}" --epochs 4 --out als-model --metrics-out als.jsonl
expect_ok dmf_np 2 "${common[@]}" --solver gd --epochs 6 --out gd-model --metrics-out gd.jsonl

# A figure that was not measured is null in the file (a NaN: e.g. the RMSE of
# an empty set). The gd run again, with validation RMSE null in epochs 3 and
# 4 and train RMSE null in the last epoch.
python3 - gd.jsonl gd-gaps.jsonl <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for r in lines:
    if r["epoch"] in (3, 4):
        r["validation_rmse"] = None
lines[-1]["train_rmse"] = None
with open(sys.argv[2], "w") as out:
    for r in lines:
        out.write(json.dumps(r) + "\n")
PY

expect_ok dmf plot --metrics als.jsonl gd-gaps.jsonl --out curves.svg
contains stdout "wrote the learning curves of als.jsonl, gd-gaps.jsonl to curves.svg"

# check_svg SVG LABEL FILE [LABEL FILE ...]: the SVG's legend, panels and
# paths against the metrics files, one run each; FILE#R is restart R of a
# --restarts file.
check_svg() {
  python3 - "$@" <<'PY'
import json, re, sys
import xml.etree.ElementTree as ET

svg_path, pairs = sys.argv[1], sys.argv[2:]
labels, files = pairs[0::2], pairs[1::2]
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(svg_path).getroot()
def fail(message):
    sys.exit("FAIL: %s: %s" % (svg_path, message))

def groups(parent, cls):
    return [g for g in parent.iter(NS + "g") if g.get("class") == cls]

legend = [g.find(NS + "text").text for g in groups(root, "legend-entry")]
if legend != labels:
    fail("legend %r, expected %r" % (legend, labels))

def records(spec):
    path, _, restart = spec.partition("#")
    lines = [json.loads(line) for line in open(path) if line.strip()]
    return [r for r in lines if not restart or r.get("restart") == int(restart)]

runs = [records(f) for f in files]
metrics = ["loss", "train_rmse", "validation_rmse"]
panels = {g.get("id"): g for g in groups(root, "panel")}
expected_ids = {"%s-%s" % (m, x) for m in metrics for x in ("epoch", "seconds")}
if set(panels) != expected_ids:
    fail("panels %s, expected %s" % (sorted(panels), sorted(expected_ids)))

def scale(panel, axis):
    """The data -> SVG map the panel's tick marks define: (offset, slope)."""
    attr = "x1" if axis == "x" else "y1"
    ticks = [(float(g.find(NS + "text").text), float(g.find(NS + "line").get(attr)))
             for g in groups(panel, "tick-" + axis)]
    if len(ticks) < 2:
        fail("%s has %d %s ticks" % (panel.get("id"), len(ticks), axis))
    (v0, p0), (v1, p1) = ticks[0], ticks[-1]
    slope = (p1 - p0) / (v1 - v0)
    for v, p in ticks:
        if abs(p0 + (v - v0) * slope - p) > 0.02:
            fail("%s: %s tick %g is not on the axis' scale" % (panel.get("id"), axis, v))
    return lambda v: p0 + (v - v0) * slope

checked = 0
for pid, panel in panels.items():
    metric, x_name = pid.rsplit("-", 1)
    to_x, to_y = scale(panel, "x"), scale(panel, "y")
    paths = {int(p.get("data-run")): p.get("d") for p in panel.iter(NS + "path")
             if p.get("class") == "series"}
    for run, records in enumerate(runs):
        # The expected polyline: one piece per stretch of measured epochs.
        pieces, piece = [], []
        for r in records:
            y = r.get(metric)
            if y is None:
                if piece: pieces.append(piece)
                piece = []
                continue
            x = r["epoch"] if x_name == "epoch" else r["elapsed"]
            piece.append((to_x(x), to_y(y)))
        if piece: pieces.append(piece)
        if not pieces:
            if run in paths: fail("%s draws run %d, which has no %s" % (pid, run, metric))
            continue
        if run not in paths:
            fail("%s has no path for run %d" % (pid, run))
        drawn = []
        for op, x, y in re.findall(r"([ML])(-?[\d.]+) (-?[\d.]+)", paths[run]):
            if op == "M": drawn.append([])
            drawn[-1].append((float(x), float(y)))
        if [len(p) for p in drawn] != [len(p) for p in pieces]:
            fail("%s run %d: pieces of %s points, expected %s" %
                 (pid, run, [len(p) for p in drawn], [len(p) for p in pieces]))
        for got, want in zip(sum(drawn, []), sum(pieces, [])):
            if abs(got[0] - want[0]) > 0.03 or abs(got[1] - want[1]) > 0.03:
                fail("%s run %d: point %s, expected %s" % (pid, run, got, want))
            checked += 1
print("checked %d points" % checked)
PY
}

check_svg curves.svg als als.jsonl gd-gaps gd-gaps.jsonl
# The gaps: validation RMSE of gd in two pieces, its train RMSE ends early.
python3 - curves.svg <<'PY'
import sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
def d(panel, run):
    for g in root.iter(NS + "g"):
        if g.get("id") == panel:
            return [p.get("d") for p in g.iter(NS + "path") if p.get("data-run") == str(run)][0]
assert d("validation_rmse-epoch", 1).count("M") == 2, d("validation_rmse-epoch", 1)
assert d("validation_rmse-epoch", 0).count("M") == 1
assert d("train_rmse-seconds", 1).count("L") == 4  # 5 of 6 epochs: 4 segments
PY

# It renders: a PNG of the SVG's size, not blank, with both runs' colours
# (#1f77b4 and #ff7f0e) in it.
rsvg-convert curves.svg -o curves.png || fail "rsvg-convert cannot render curves.svg"
python3 - curves.svg curves.png <<'PY'
import re, struct, sys, zlib
svg, png = open(sys.argv[1]).read(), open(sys.argv[2], "rb").read()
if png[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("FAIL: not a PNG")
pos, idat = 8, b""
while pos < len(png):
    n, kind = struct.unpack(">I4s", png[pos:pos + 8])
    body = png[pos + 8:pos + 8 + n]
    pos += 12 + n
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
m = re.search(r'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', svg)
if (width, height) != (round(float(m.group(1))), round(float(m.group(2)))):
    sys.exit("FAIL: PNG is %dx%d, the SVG %sx%s" % (width, height, m.group(1), m.group(2)))
if depth != 8 or colour not in (2, 6):
    sys.exit("FAIL: unexpected PNG depth %d colour type %d" % (depth, colour))
bpp = 4 if colour == 6 else 3
stride = width * bpp
raw = zlib.decompress(idat)
prev = bytearray(stride)
counts = {"ink": 0, "#1f77b4": 0, "#ff7f0e": 0}
targets = {"#1f77b4": (0x1f, 0x77, 0xb4), "#ff7f0e": (0xff, 0x7f, 0x0e)}
for row in range(height):
    start = row * (stride + 1)
    kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
    for i in range(stride):  # undo the PNG row filter
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1: line[i] = (line[i] + a) & 255
        elif kind == 2: line[i] = (line[i] + b) & 255
        elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    for x in range(0, stride, bpp):
        px = line[x:x + 3]
        if bpp == 4 and line[x + 3] == 0:
            continue  # transparent
        if min(px) < 200:
            counts["ink"] += 1
        for name, (r, g, b) in targets.items():
            if abs(px[0] - r) + abs(px[1] - g) + abs(px[2] - b) < 60:
                counts[name] += 1
if counts["ink"] < width * height // 100:
    sys.exit("FAIL: the PNG is (nearly) blank: %s" % counts)
for name in targets:
    if counts[name] < 200:
        sys.exit("FAIL: the PNG shows too little of the colour %s: %s" % (name, counts))
print("png: %dx%d %s" % (width, height, counts))
PY

# --out - writes the same SVG to stdout, and nothing else there; on 2 ranks
# rank 0 alone writes it, once.
expect_ok dmf_np 2 plot --metrics als.jsonl,gd-gaps.jsonl --out - --quiet
same_bytes stdout curves.svg

# --labels name the runs (escaped for XML); restarts are curves of their own.
expect_ok dmf "${common[@]}" --epochs 2 --restarts 2 --out restarts-model --metrics-out restarts.jsonl
expect_ok dmf plot --metrics als.jsonl restarts.jsonl --labels 'ALS <k=3>' 'two & seeds' \
  --out labelled.svg
check_svg labelled.svg 'ALS <k=3>' als.jsonl 'two & seeds (restart 1)' 'restarts.jsonl#1' \
  'two & seeds (restart 2)' 'restarts.jsonl#2'
contains labelled.svg 'ALS &lt;k=3&gt;'
contains labelled.svg 'two &amp; seeds (restart 2)'
# Two files of one name: the legend shows their paths.
mkdir -p a b && cp als.jsonl a/metrics.jsonl && cp gd.jsonl b/metrics.jsonl
expect_ok dmf plot --metrics a/metrics.jsonl b/metrics.jsonl --out same-name.svg
check_svg same-name.svg a/metrics.jsonl a/metrics.jsonl b/metrics.jsonl b/metrics.jsonl

# Errors: one sentence naming the file (and line), printed once from 2 ranks,
# exit 1, and no SVG left behind.
expect_fail_once() {
  local message="$1"
  shift
  expect_fail 1 dmf_np 2 plot --quiet "$@"
  contains "$WORK/stderr" "$message"
  [[ "$(count_lines "$WORK/stderr" "error")" == 1 ]] || fail "error not printed once: $(cat "$WORK/stderr")"
  [[ ! -e bad.svg ]] || fail "a failed plot left bad.svg"
}
head -n 2 als.jsonl >broken.jsonl
echo '{"epoch": 3, "loss": 0.5,' >>broken.jsonl
expect_fail_once 'broken.jsonl:3: not a JSON object: {"epoch": 3, "loss": 0.5,' \
  --metrics als.jsonl broken.jsonl --out bad.svg
head -n 1 als.jsonl >missing.jsonl
echo '{"epoch": 2, "loss": 0.5, "elapsed": 1.0}' >>missing.jsonl
expect_fail_once 'missing.jsonl:2: no "train_rmse" field' --metrics missing.jsonl --out bad.svg
: >empty.jsonl
expect_fail_once 'empty.jsonl: no epochs in the file' --metrics empty.jsonl --out bad.svg
expect_fail_once 'cannot read absent.jsonl' --metrics absent.jsonl --out bad.svg
expect_fail_once '--labels names 1 runs but --metrics gives 2 files' \
  --metrics als.jsonl gd.jsonl --labels one --out bad.svg
# An existing --out is kept unless --overwrite.
cp curves.svg before.svg
expect_fail 1 dmf plot --metrics gd.jsonl --out curves.svg
contains "$WORK/stderr" "curves.svg already exists; pass --overwrite to replace it"
same_bytes curves.svg before.svg
expect_ok dmf plot --metrics gd.jsonl --out curves.svg --overwrite
check_svg curves.svg gd gd.jsonl

echo "plot: ok"
