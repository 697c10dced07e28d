#!/usr/bin/env bash
# dmf train --feedback implicit: confidence-weighted ALS on play counts. The
# model is the same bytes on another layout, a checkpoint resumes to those
# bytes on another rank count, the manifest says implicit, no RMSE is
# printed, dmf recommend serves the model and folds a new user in, and a
# click file without counts (which explicit training refuses) trains. Layouts at 1-4 ranks × 1-2
# threads are checked bit for bit in the MPI tests (dmf_ials_mpi_tests).
source "$DMF_E2E_LIB"

# 90 users in 3 tastes over 60 items, counts 1-9, and some plays of other items.
awk 'BEGIN {
  for (u = 0; u < 90; u++) for (i = 0; i < 60; i++)
    if ((u % 3 == i % 3 && (u * 7 + i * 5) % 4 != 0) || (u * 11 + i * 13) % 17 == 0)
      printf "u%d,i%d,%d\n", u, i, 1 + (u * i) % 9
}' >plays.csv
args=(train --data plays.csv --feedback implicit --rank 4 --lambda 0.05 --alpha 2 --seed 3)
model_files=(user_factors.npy item_factors.npy user_bias.npy item_bias.npy)

expect_ok dmf "${args[@]}" --epochs 4 --threads 2 --out whole
contains whole/manifest.json '"feedback": "implicit"'
contains whole/manifest.json '"biases": "none"'
contains whole/manifest.json '"mu": 0.0'
contains stdout "train       loss"
not_contains stdout "RMSE"

# Two epochs at 2 ranks with checkpoints, then on to 4 at another rank count.
ranks=($(e2e_ranks 2 3))
expect_ok dmf_np "${ranks[0]}" "${args[@]}" --epochs 2 --checkpoint-dir ck --checkpoint-every 1 \
  --out half --quiet
expect_ok dmf_np "${ranks[-1]}" "${args[@]}" --epochs 4 --checkpoint-dir ck --checkpoint-every 1 \
  --resume auto --out resumed --quiet
for f in "${model_files[@]}"; do same_bytes "whole/$f" "resumed/$f"; done
cmp -s half/user_factors.npy whole/user_factors.npy && fail "2 and 4 epochs gave the same model"

# A user of taste 0 gets items of taste 0 (i0, i3, ...) first.
expect_ok dmf recommend --model whole --user u3 --top 3
[[ "$(count_lines stdout 'u3,')" == 3 ]] || fail "recommend did not list 3 items"
awk -F, 'NR > 1 && substr($3, 2) % 3 != 0 { exit 1 }' stdout ||
  fail "recommend ranked another taste's items first: $(cat stdout)"

# A new user who played taste-0 items, folded in (an exact implicit row
# solve against the model's items, with its alpha), gets more of taste 0.
printf 'new,i0,5\nnew,i3,2\nnew,i6,7\nnew,i9,1\n' >new.csv
expect_ok dmf recommend --model whole --fold-in new.csv --exclude-rated new.csv --top 3 \
  --out new_lists.csv
contains stdout "implicit feedback, alpha 2 and linear confidence"
[[ "$(count_lines new_lists.csv 'new,')" == 3 ]] || fail "fold-in did not list 3 items"
awk -F, 'NR > 1 && (substr($3, 2) % 3 != 0 || $3 ~ /^i[0369]$/) { exit 1 }' new_lists.csv ||
  fail "fold-in ranked another taste's or a played item first: $(cat new_lists.csv)"

# Clicks without counts: every value 1, which explicit training refuses.
expect_ok dmf train --data plays.csv --columns user,item,- --feedback implicit --rank 2 \
  --epochs 1 --out clicks --quiet
contains clicks/manifest.json '"feedback": "implicit"'

# A held-out set is watched by ndcg@10 by default (an implicit model predicts
# no ratings, so no RMSE), and early stopping runs on it; RMSE is refused.
expect_ok dmf "${args[@]}" --epochs 3 --holdout 0.2 --early-stop 2 --out held
contains stdout "ndcg@10"
not_contains stdout "RMSE"
contains held/manifest.json '"validation_ndcg@10"'
expect_fail 1 dmf "${args[@]}" --holdout 0.2 --validation-metric rmse --out refused
contains stderr "implicit-feedback model predicts no ratings"
expect_fail 1 dmf "${args[@]}" --test plays.csv --out refused
contains stderr "dmf eval --model DIR --data TEST --metrics"
[[ ! -e refused ]] || fail "a refused run wrote refused/"
