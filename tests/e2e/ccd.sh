#!/usr/bin/env bash
# --solver ccd (CCD++) end to end: bitwise the same model for any ranks x
# threads (docs/design.md §5), its held-out RMSE near ALS's, its report in
# the manifest, and --ccd-inner declared as ccd's own option. (Killed and
# resumed: e2e.checkpoint.)
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 400 --items 250 --ratings 16000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
train_args=(train --data ratings.csv --holdout 0.2 --rank 4 --lambda 0.05 --epochs 12 --seed 5
  --quiet)
model_files=(user_factors.npy item_factors.npy user_bias.npy item_bias.npy)

# The held-out RMSE of a run's stdout.
holdout_rmse() { awk '$1 == "holdout" { print $3 }' "$1"; }

# (P, T) = (1,1), (1,2), then P ranks of one thread (1 and 3 under the sanitizers).
layouts=("1 2")
for np in $(e2e_ranks 2 3 4); do layouts+=("$np 1"); done
expect_ok dmf "${train_args[@]}" --solver ccd --threads 1 --out ccd1.1
cp stdout ccd.out
for layout in "${layouts[@]}"; do
  read -r np threads <<<"$layout"
  expect_ok dmf_np "$np" "${train_args[@]}" --solver ccd --threads "$threads" --out "ccd$np.$threads"
  for f in "${model_files[@]}"; do same_bytes "ccd1.1/$f" "ccd$np.$threads/$f"; done
done
contains ccd1.1/manifest.json '"solver": "ccd"'
contains ccd1.1/manifest.json '"inner": 1'

# Held-out RMSE within 0.5% of ALS's on the same split.
expect_ok dmf "${train_args[@]}" --out als
als=$(holdout_rmse stdout)
ccd=$(holdout_rmse ccd.out)
[[ -n "$als" && -n "$ccd" ]] || fail "no holdout RMSE in the runs' output"
awk -v a="$als" -v b="$ccd" 'BEGIN { exit !(b <= 1.005 * a) }' ||
  fail "ccd's holdout RMSE $ccd is not within 0.5% of als's $als"

# The inner passes count; they are ccd's option.
expect_ok dmf "${train_args[@]}" --solver ccd --ccd-inner 3 --out ccd-inner3
contains ccd-inner3/manifest.json '"inner": 3'
cmp -s ccd1.1/user_factors.npy ccd-inner3/user_factors.npy && fail "--ccd-inner 3 changed nothing"
expect_fail 1 dmf train --data ratings.csv --ccd-inner 2 --out x --quiet
contains stderr "--ccd-inner applies to --solver ccd, not als"
expect_fail 1 dmf train --data ratings.csv --solver ccd --ccd-inner 0 --out x --quiet
contains stderr "--ccd-inner: must be at least 1"
echo "ccd: ok"
