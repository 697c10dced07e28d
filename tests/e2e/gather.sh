#!/usr/bin/env bash
# dmf gather: every model directory under --runs in one table, best first,
# with the figures of their manifests; checkpoints and hidden directories
# (a model being written or replaced) are not runs; a broken manifest is an
# error naming it.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 150 --items 90 --ratings 4000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
common=(train --data ratings.csv --holdout 0.2 --epochs 3 --quiet)
mkdir -p sweep/k2-big sweep/k4-small sweep/gd
expect_ok dmf "${common[@]}" --rank 2 --lambda 0.5 --out sweep/k2-big/model
expect_ok dmf "${common[@]}" --rank 4 --lambda 0.05 --out sweep/k4-small/model
# A run with checkpoints: its model is a run, its checkpoints are not.
expect_ok dmf_np 2 "${common[@]}" --solver gd --rank 3 --lambda 0.1 --out sweep/gd/model \
  --checkpoint-dir sweep/gd/checkpoints --checkpoint-every 1
[[ -e sweep/gd/checkpoints/latest ]] || fail "the gd run wrote no checkpoint"
# What a model being published looks like until its rename.
cp -r sweep/k2-big/model sweep/k2-big/.model.tmp-1234

# validation_rmse DIR: the figure, read from the manifest independently of dmf.
validation_rmse() {
  python3 -c 'import json, sys; print("%.5f" % json.load(open(sys.argv[1]))["metrics"]["validation"]["rmse"])' \
    "$1/manifest.json"
}

expect_ok dmf gather --runs sweep
cp stdout table
[[ "$(wc -l <table)" == 4 ]] || fail "gather printed $(wc -l <table) lines, not a header and 3 runs"
not_contains table ".model.tmp"
not_contains table "ckpt-"
# Rows ordered by validation RMSE, each with its run's own figure.
expected="$(for run in k2-big k4-small gd; do
  echo "$(validation_rmse "sweep/$run/model") $run/model"
done | sort -n | awk '{print $2}')"
[[ "$(tail -n +2 table | awk '{print $1}')" == "$expected" ]] ||
  fail "rows not in validation order; expected: $expected"
for run in k2-big k4-small gd; do
  grep -E "^$run/model " table | grep -qF " $(validation_rmse "sweep/$run/model") " ||
    fail "the row of $run does not show its validation RMSE"
done
grep -E '^k2-big/model +als +2 +0.5 +3 ' table >/dev/null || fail "k2-big's row has the wrong options"
grep -E '^gd/model +gd +3 +0.1 +3 ' table >/dev/null || fail "gd's row has the wrong options"

# The same on 2 ranks (printed once), by name, and as JSON.
expect_ok dmf_np 2 gather --runs sweep --sort name
[[ "$(tail -n +2 stdout | awk '{print $1}')" == "$(printf 'gd/model\nk2-big/model\nk4-small/model')" ]] ||
  fail "--sort name: $(cat stdout)"
expect_ok dmf gather --runs sweep --json
python3 - "$WORK/stdout" <<'PY' || fail "gather --json: $(cat stdout)"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["run"] for r in rows][0] == open("table").read().split("\n")[1].split()[0], rows
k4 = next(r for r in rows if r["run"] == "k4-small/model")
manifest = json.load(open("sweep/k4-small/model/manifest.json"))
assert k4["solver"] == "als" and k4["k"] == 4 and k4["lambda"] == "0.05" and k4["epochs"] == 3, k4
assert k4["validation_rmse"] == manifest["metrics"]["validation"]["rmse"], k4
assert k4["test_rmse"] is None, k4
PY

# Errors: no such directory; a manifest that is not JSON, named.
expect_fail 1 dmf gather --runs nowhere
contains stderr "--runs nowhere: not a directory"
echo '{"solver": ' >sweep/k4-small/model/manifest.json
expect_fail 1 dmf_np 2 gather --runs sweep
contains stderr "sweep/k4-small/model/manifest.json is not valid JSON"
echo "gather: ok"
