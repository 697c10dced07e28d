#!/usr/bin/env bash
# dmf train --validation-metric ndcg@10: the metric of every epoch (the
# user's training items left out, --relevant-threshold honoured) is what
# dmf eval --exclude-rated TRAIN gives on the model; early stopping keeps
# the epoch of the highest value, --restarts the run of the highest; the
# figures are the same bytes on 1 and 3 ranks; dmf gather shows and sorts
# by the metric, higher first.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 200 --items 150 --ratings 6000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
# Every fifth line to validation (by Python: one dmf start less under ASan).
python3 - <<'PY'
lines = open("ratings.csv").read().splitlines(keepends=True)
open("part.train", "w").writelines(l for n, l in enumerate(lines) if n % 5 != 4)
open("part.test", "w").writelines(l for n, l in enumerate(lines) if n % 5 == 4)
PY
mkdir runs
# λ = 0 overfits: NDCG rises, then falls within 20 epochs.
common=(train --data part.train --validation part.test --validation-metric ndcg@10
  --relevant-threshold 4 --lambda 0 --rank 8 --quiet)
for np in $(e2e_ranks 1 3); do
  expect_ok dmf_np "$np" "${common[@]}" --epochs 20 --early-stop 2 --restarts 2 \
    --out "runs/np$np" --metrics-out "np$np.jsonl"
  contains stdout "validation ndcg@10"
  python3 - "np$np.jsonl" "runs/np$np/manifest.json" <<'PY' || fail "np$np: the runs"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
m = json.load(open(sys.argv[2]))
# Early stopping: each restart ends 2 epochs after its highest NDCG (or at
# --epochs), and keeps that epoch.
for r, run in enumerate(m["restarts"], start=1):
    values = [l["validation_ndcg@10"] for l in lines if l["restart"] == r]
    best = values.index(max(values)) + 1
    assert len(values) in (best + 2, 20), (r, values)
    assert run["best_epoch"] == best, (r, run, values)
    assert run["validation_ndcg@10"] == values[best - 1], (r, run, values)
assert m["stopped_by"] == "early-stop", m["stopped_by"]
# --restarts keeps the run of the highest NDCG.
kept = max(m["restarts"], key=lambda run: run["validation_ndcg@10"])
assert m["seed"] == kept["seed"], (m["seed"], m["restarts"])
v = m["metrics"]["validation"]
assert v["metric"] == "ndcg@10" and v["ndcg@10"] == kept["validation_ndcg@10"], v
PY
  # The column alone, for the comparison across layouts.
  python3 -c 'import json, sys; [print(json.loads(l)["validation_ndcg@10"]) for l in open(sys.argv[1])]' \
    "np$np.jsonl" >"ndcg$np.txt"
done
same_bytes ndcg1.txt ndcg3.txt

# dmf eval on the model written (the best epoch's of the kept run) gives the
# same figure, bit for bit.
expect_ok dmf eval --model runs/np1 --data part.test --exclude-rated part.train \
  --metrics ndcg@10 --relevant-threshold 4 --json --quiet
python3 - stdout runs/np1/manifest.json <<'PY' || fail "eval differs: $(cat stdout)"
import json, sys
got = json.load(open(sys.argv[1]))["ndcg@10"]
assert got == json.load(open(sys.argv[2]))["metrics"]["validation"]["ndcg@10"], got
PY

# gather: the column, and the runs by NDCG, highest first (one epoch is
# below the best epochs of the others); a run that watched RMSE has no
# NDCG ("-", last).
expect_ok dmf "${common[@]}" --epochs 1 --out runs/short
expect_ok dmf train --data part.train --validation part.test --rank 8 --epochs 1 --quiet \
  --out runs/rmse
expect_ok dmf gather --runs runs --sort ndcg@10
contains stdout "validation ndcg@10"
[[ "$(tail -n +2 stdout | awk '{print $1}' | tail -2 | xargs)" == "short rmse" ]] ||
  fail "not by NDCG, highest first, the run without it last: $(cat stdout)"
ndcg="$(python3 -c 'import json; print("%.5f" % json.load(open("runs/short/manifest.json"))["metrics"]["validation"]["ndcg@10"])')"
grep -E "^short " stdout | grep -qF " $ndcg " || fail "short's row does not show its NDCG $ndcg"
grep -E "^rmse " stdout | grep -qE " - +- *$" || fail "rmse's row shows an NDCG: $(cat stdout)"
# By default the metric the runs watched; they watched two: RMSE, said so.
expect_ok dmf gather --runs runs
contains stderr "the runs watched different validation metrics (ndcg@10, rmse): sorted by validation RMSE"
expect_fail 1 dmf gather --runs runs --sort ndgc
contains stderr "--sort: 'ndgc' is none of validation, train, test, name or a validation metric (rmse, mae, precision@k"

# No user with a relevant item (every rating is below 6): the metric is n/a,
# which nothing may watch.
no_relevant=(train --data part.train --validation part.test --validation-metric ndcg@10
  --relevant-threshold 6 --epochs 1)
expect_fail 1 dmf "${no_relevant[@]}" --early-stop 1 --out never
contains stderr "--early-stop watches validation ndcg@10, but no validation user has a relevant item to rank"
[[ ! -e never ]] || fail "a refused run wrote a model"
expect_ok dmf "${no_relevant[@]}" --out unwatched
contains stderr "warning: validation ndcg@10 is n/a"
contains stderr "ndcg@10 n/a"
echo "validation_metric: ok"
