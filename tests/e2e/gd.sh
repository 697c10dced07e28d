#!/usr/bin/env bash
# dmf train --solver gd and dmf gradcheck end to end: the optimizers and
# schedules from the command line, the stopping rules (each one stops where
# its rule says, checked from the logged figures), early stopping writing
# the best epoch's model, restarts keeping the best run, divergence, and
# options of one solver refused for the other.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 150 --items 90 --ratings 4000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
expect_ok dmf split --data ratings.csv --test-ratio 0.2 --seed 3 --out-prefix part --quiet

# json FILE EXPR: a figure from a JSON file (EXPR over `j`).
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# Every optimizer and schedule trains to a finite held-out RMSE below the
# mean-only model's (about 1 star on this data), at 2 ranks.
gd=(train --solver gd --data part.train --validation part.test --rank 3 --quiet)
for optimizer in sgd momentum nesterov adagrad adagrad-avg rmsprop adam; do
  expect_ok dmf_np 2 "${gd[@]}" --optimizer "$optimizer" --epochs 15 --batch-size 500 \
    --out "m-$optimizer"
  rmse=$(json "m-$optimizer/manifest.json" 'j["metrics"]["validation"]["rmse"]')
  python3 -c "import sys; r=float(sys.argv[1]); sys.exit(0 if r < 0.9 else 1)" "$rmse" ||
    fail "$optimizer: validation RMSE $rmse"
done
for schedule in inv-sqrt inv step; do
  expect_ok dmf "${gd[@]}" --optimizer sgd --lr 0.1 --schedule "$schedule" --step-every 2 \
    --epochs 4 --out "s-$schedule" --metrics-out "s-$schedule.jsonl"
done
# At t = 0, 1, 2, 3 epochs: inv-sqrt (c = 1) 0.1 / sqrt(t + 1), inv (t1 = 10)
# 0.1 * 10 / (t + 10), step (every 2, factor 0.5) halving after two epochs.
python3 - s-inv-sqrt.jsonl s-inv.jsonl s-step.jsonl <<'PY'
import json, math, sys
def rates(path): return [json.loads(l)["learning_rate"] for l in open(path)]
got = rates(sys.argv[1])
assert all(abs(r - 0.1 / math.sqrt(t + 1)) < 1e-12 for t, r in enumerate(got)), got
got = rates(sys.argv[2])
assert len(got) == 4 and all(abs(r - 1.0 / (t + 10)) < 1e-12 for t, r in enumerate(got)), got
assert rates(sys.argv[3]) == [0.1, 0.1, 0.05, 0.05], rates(sys.argv[3])
PY

# With neither --lr nor --schedule, sgd, momentum and nesterov start at their
# default rate and halve it every 4 epochs; adam keeps its rate.
for pair in sgd:0.1 nesterov:0.01 adam:0.01; do
  expect_ok dmf "${gd[@]}" --optimizer "${pair%%:*}" --epochs 5 --out "d-${pair%%:*}" \
    --metrics-out "d-${pair%%:*}.jsonl"
done
python3 - d-sgd.jsonl d-nesterov.jsonl d-adam.jsonl <<'PY'
import json, sys
def rates(path): return [json.loads(l)["learning_rate"] for l in open(path)]
assert rates(sys.argv[1]) == [0.1] * 4 + [0.05], rates(sys.argv[1])
assert rates(sys.argv[2]) == [0.01] * 4 + [0.005], rates(sys.argv[2])
assert rates(sys.argv[3]) == [0.01] * 5, rates(sys.argv[3])
PY

# The layout fixes the model: the same run twice gives the same bytes.
expect_ok dmf_np 3 "${gd[@]}" --optimizer adam --epochs 3 --batch-size 300 --out again
expect_ok dmf_np 3 "${gd[@]}" --optimizer adam --epochs 3 --batch-size 300 --out again2
for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy; do
  same_bytes "again/$f" "again2/$f"
done

# --tol-objective: stops at the first epoch whose relative change is below T.
expect_ok dmf "${gd[@]}" --optimizer adam --epochs 200 --tol-objective 0.01 --out tol \
  --metrics-out tol.jsonl
python3 - tol.jsonl tol/manifest.json <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
manifest = json.load(open(sys.argv[2]))
assert manifest["stopped_by"] == "tol-objective", manifest["stopped_by"]
objectives = [l["objective"] for l in lines]
changes = [abs(a - b) / abs(a) for a, b in zip(objectives, objectives[1:])]
assert len(lines) < 200 and changes[-1] < 0.01, changes
assert all(c >= 0.01 for c in changes[:-1]), changes
PY
# --tol-params and --tol-gradient log their figure and stop by it.
expect_ok dmf "${gd[@]}" --epochs 200 --tol-params 0.02 --tol-gradient 1e-9 --out tolp \
  --metrics-out tolp.jsonl
python3 - tolp.jsonl tolp/manifest.json <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert json.load(open(sys.argv[2]))["stopped_by"] == "tol-params"
changes = [l["parameter_change"] for l in lines]
assert changes[-1] < 0.02 and all(c >= 0.02 for c in changes[:-1]), changes
assert all(l["gradient_norm"] > 0 for l in lines)
PY
expect_ok dmf "${gd[@]}" --epochs 300 --tol-gradient 0.02 --out tolg --metrics-out tolg.jsonl
python3 - tolg.jsonl tolg/manifest.json <<'PY'
import json, sys
norms = [json.loads(l)["gradient_norm"] for l in open(sys.argv[1])]
assert json.load(open(sys.argv[2]))["stopped_by"] == "tol-gradient"
assert norms[-1] < 0.02 and all(n >= 0.02 for n in norms[:-1]), norms
PY

# --early-stop: a learning rate that overfits; the model written is the best
# epoch's, and eval on the validation file gives that epoch's RMSE.
expect_ok dmf_np 2 train --solver gd --data part.train --validation part.test --rank 8 \
  --lambda 0 --optimizer adam --lr 0.05 --epochs 60 --early-stop 3 --out early \
  --metrics-out early.jsonl
contains stderr "stopped by early-stop"
best=$(json early/manifest.json 'j["best_epoch"]')
contains stderr "the model is epoch $best's"
python3 - early.jsonl "$best" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
best = int(sys.argv[2])
rmses = [l["validation_rmse"] for l in lines]
assert rmses.index(min(rmses)) + 1 == best, (rmses, best)
assert len(lines) == best + 3, (len(lines), best)
PY
expect_ok dmf eval --model early --data part.test --json --quiet
python3 - stdout early.jsonl "$best" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))["rmse"]
want = [json.loads(l) for l in open(sys.argv[2])][int(sys.argv[3]) - 1]["validation_rmse"]
assert abs(got - want) < 1e-6, (got, want)
PY

# --restarts: seeds S, S+1, S+2; the table marks the kept one, the lowest.
expect_ok dmf "${gd[@]}" --epochs 3 --restarts 3 --seed 10 --out restarts \
  --metrics-out restarts.jsonl
contains stdout "<- kept"
[[ "$(count_lines stdout '<- kept')" == 1 ]] || fail "one run must be kept"
python3 - restarts/manifest.json restarts.jsonl <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
runs = m["restarts"]
assert [r["seed"] for r in runs] == [10, 11, 12], runs
best = min(runs, key=lambda r: r["validation_rmse"])
assert m["seed"] == best["seed"], (m["seed"], runs)
assert abs(m["metrics"]["validation"]["rmse"] - best["validation_rmse"]) < 1e-12
assert sorted({json.loads(l)["restart"] for l in open(sys.argv[2])}) == [1, 2, 3]
PY

# Divergence: warned and backed off, or a clear error and no model.
expect_ok dmf "${gd[@]}" --optimizer sgd --batch-size 0 --lr 6 --epochs 5 --out backoff
contains stderr "diverged"
contains stderr "learning rate halved"
expect_fail 1 dmf "${gd[@]}" --optimizer sgd --batch-size 0 --lr 1e9 --epochs 5 --out blown
contains stderr "training diverged"
[[ ! -e blown ]] || fail "a diverged run wrote a model"

# Options of the other solver, and rules that need a validation set.
expect_fail 1 dmf train --data part.train --optimizer adam --out x --quiet
contains stderr "--optimizer applies to --solver gd"
expect_fail 1 dmf train --solver gd --data part.train --early-stop 2 --out x --quiet
contains stderr "--early-stop watches validation RMSE"
expect_fail 1 dmf train --data part.train --restarts 2 --out x --quiet
contains stderr "--restarts keeps the run with the best validation RMSE"

# gradcheck: passes at 1e-4 on any rank count with the same figures, and
# fails (exit 1) when nothing but exact agreement is accepted.
for np in 1 3; do
  expect_ok dmf_np "$np" gradcheck --data ratings.csv --rank 4 --init-scale 1 --samples 300 --quiet
  contains stdout "300 coordinates"
  contains stdout " ok"
  sed 's/.*max relative error //' stdout >"gradcheck$np.txt"
done
same_bytes gradcheck1.txt gradcheck3.txt
expect_fail 1 dmf gradcheck --data ratings.csv --rank 4 --biases none --reg-weighting uniform \
  --tolerance 0 --quiet
contains stdout "FAILED"
