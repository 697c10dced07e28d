#!/usr/bin/env bash
# ALS with --als-solve cg (the default): a few conjugate-gradient steps per
# row, warm-started from the current factors, land within 0.5% of the exact
# (Cholesky) solve's held-out RMSE, and give bitwise the same model whatever
# the layout.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 300 --items 200 --ratings 12000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
train_args=(train --data ratings.csv --holdout 0.2 --rank 4 --lambda 0.1 --epochs 10 --seed 5
  --quiet)
model_files=(user_factors.npy item_factors.npy user_bias.npy item_bias.npy)

# The held-out RMSE of a run's stdout.
holdout_rmse() { awk '$1 == "holdout" { print $3 }' "$1"; }

expect_ok dmf "${train_args[@]}" --als-solve cholesky --out exact
cp stdout exact.out
for layout in "1 1" "1 2" "2 1" "3 1"; do
  read -r np threads <<<"$layout"
  expect_ok dmf_np "$np" "${train_args[@]}" --threads "$threads" \
    --out "cg$np.$threads"
  cp stdout "cg$np.$threads.out"
  for f in "${model_files[@]}"; do same_bytes "cg1.1/$f" "cg$np.$threads/$f"; done
done
contains cg1.1/manifest.json '"solve": "cg"'
contains cg1.1/manifest.json '"cg_steps": 3'
contains exact/manifest.json '"solve": "cholesky"'

exact=$(holdout_rmse exact.out)
cg=$(holdout_rmse cg1.1.out)
[[ -n "$exact" && -n "$cg" ]] || fail "no holdout RMSE in the runs' output"
awk -v a="$exact" -v b="$cg" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.005 * a) }' ||
  fail "cg's holdout RMSE $cg is not within 0.5% of cholesky's $exact"
# cg is not the exact solve, and its steps count.
cmp -s exact/user_factors.npy cg1.1/user_factors.npy && fail "cg gave the exact solve's factors"
expect_ok dmf "${train_args[@]}" --als-solve cg --cg-steps 1 --out cg-one
cmp -s cg-one/user_factors.npy cg1.1/user_factors.npy && fail "--cg-steps 1 changed nothing"

# ALS's options are ALS's.
expect_fail 1 dmf train --data ratings.csv --solver gd --als-solve cg --out x --quiet
contains stderr "--als-solve applies to --solver als, not gd"
expect_fail 1 dmf train --data ratings.csv --solver gd --cg-steps 2 --out x --quiet
contains stderr "--cg-steps applies to --solver als, not gd"
expect_fail 1 dmf train --data ratings.csv --als-solve cg --cg-steps 0 --out x --quiet
contains stderr "--cg-steps: must be at least 1"
# Steps of an exact solve would be ignored: refused.
expect_fail 1 dmf train --data ratings.csv --als-solve cholesky --cg-steps 2 --out x --quiet
contains stderr "--cg-steps applies to --als-solve cg, not cholesky"
