#!/usr/bin/env bash
# Held-out sets with no ratings: --holdout that picks nothing (a file that
# `dmf split` made with the same seed) is an error naming the seed; an empty
# validation or test set gives metrics of n/a (null in JSON) with a warning,
# never an RMSE of 0; dmf gather ranks such runs last; dmf eval the same.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 100 --items 50 --ratings 2000 --out ratings.csv --quiet
expect_ok dmf split --data ratings.csv --test-ratio 0.2 --seed 9 --out-prefix part --quiet

# --- --holdout on split's train file with split's seed ---------------------------
expect_fail 1 dmf_np 2 train --data part.train --holdout 0.1 --split-seed 9 --epochs 2 --out never
[[ "$(count_lines stderr 'dmf: error')" == 1 ]] || fail "expected one error: $(cat stderr)"
contains stderr "--holdout 0.1 held out none of the"
contains stderr "--split-seed 9"
contains stderr "dmf split --seed 9"
[[ ! -e never ]] || fail "a model was written"
expect_ok dmf train --data part.train --holdout 0.1 --split-seed 10 --epochs 2 --out seed10 --quiet
contains stdout "holdout     RMSE 0."

# --- empty validation and test sets ----------------------------------------------
# Every line of unrated.csv is skipped as bad: a set of no ratings.
printf '1,2,abc\n3,4,zz\n' >unrated.csv
read_opts=(--bad-lines skip --columns user,item,rating,-)
mkdir runs
expect_ok dmf train --data part.train --validation part.test --epochs 2 --out runs/good --quiet
expect_ok dmf_np 2 train --data part.train --validation unrated.csv --test unrated.csv \
  "${read_opts[@]}" --epochs 2 --out runs/empty --metrics-out empty.jsonl
contains stdout "validation  RMSE n/a  MAE n/a  (0 ratings"
contains stdout "test        RMSE n/a  MAE n/a  (0 ratings"
not_contains stdout "RMSE 0.00000"
[[ "$(count_lines stderr 'unrated.csv has no ratings to score')" == 2 ]] ||
  fail "expected a warning for each set: $(cat stderr)"
not_contains empty.jsonl "validation_rmse"
python3 - runs/empty/manifest.json <<'PY' || fail "the manifest's metrics of empty sets"
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
for name in ("validation", "test"):
    assert m[name]["rmse"] is None and m[name]["mae"] is None and m[name]["count"] == 0, m
PY
# What watches validation RMSE cannot watch an empty set.
expect_fail 1 dmf train --data part.train --validation unrated.csv "${read_opts[@]}" --epochs 2 \
  --early-stop 1 --out never
contains stderr "--early-stop watches validation RMSE, but unrated.csv has no ratings to score"
expect_fail 1 dmf train --data part.train --validation unrated.csv "${read_opts[@]}" --epochs 2 \
  --restarts 2 --out never
contains stderr "--restarts keeps the run with the best validation RMSE, but unrated.csv has no"

# --- dmf gather ranks runs without a figure last ----------------------------------
# A manifest written before empty sets were n/a: RMSE 0 of 0 ratings.
cp -r runs/good runs/old-empty
python3 - runs/old-empty/manifest.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["metrics"]["validation"] = {"rmse": 0.0, "mae": 0.0, "count": 0, "cold": 0}
json.dump(m, open(sys.argv[1], "w"))
PY
expect_ok dmf gather --runs runs
[[ "$(tail -n +2 stdout | awk '{print $1}' | tr '\n' ' ')" == "good empty old-empty " ]] ||
  fail "gather's order: $(cat stdout)"
grep -E '^empty ' stdout | grep -qF " n/a " || fail "the empty run's figure is not n/a: $(cat stdout)"
grep -E '^old-empty ' stdout | grep -qF " n/a " || fail "the old run's 0 of 0 ratings: $(cat stdout)"
expect_ok dmf gather --runs runs --json
python3 - "$WORK/stdout" <<'PY' || fail "gather --json: $(cat stdout)"
import json, sys
rows = {r["run"]: r for r in json.load(open(sys.argv[1]))}
assert rows["empty"]["validation_rmse"] is None and rows["old-empty"]["validation_rmse"] is None, rows
assert rows["good"]["validation_rmse"] > 0, rows
PY

# --- dmf eval on a set of no ratings ---------------------------------------------
expect_ok dmf eval --model runs/good --data unrated.csv "${read_opts[@]}"
contains stdout "RMSE n/a  MAE n/a  (0 ratings"
contains stderr "unrated.csv has no ratings to score"
expect_ok dmf_np 2 eval --model runs/good --data unrated.csv "${read_opts[@]}" --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["rmse"] is None and j["mae"] is None and j["count"] == 0, j' \
  "$WORK/stdout" || fail "eval --json: $(cat stdout)"
# Every rating cold and left out: the same.
printf '900001,1,4\n900002,2,3\n' >cold.csv
expect_ok dmf eval --model runs/good --data cold.csv --cold-start drop
contains stdout "RMSE n/a  MAE n/a  (0 ratings, 2 cold left out)"
contains stderr "cold.csv has no ratings to score"
echo "empty_sets: ok"
