#!/usr/bin/env bash
# dmf train end to end: bitwise the same model for 1-4 ranks and 1-2 threads,
# --holdout equal to `dmf split`'s test set, metrics in every place they are
# promised, and nothing a user wrote replaced.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 120 --items 80 --ratings 3000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet

# The same model, byte for byte, whatever the layout.
model_files=(user_factors.npy item_factors.npy user_bias.npy item_bias.npy user_ids.txt item_ids.txt)
train_args=(train --data ratings.csv --rank 4 --lambda 0.1 --epochs 4 --seed 5 --quiet)
for layout in "1 1" "1 2" "2 1" "3 1" "4 1" "2 2"; do
  read -r np threads <<<"$layout"
  expect_ok dmf_np "$np" "${train_args[@]}" --threads "$threads" --out "m$np.$threads"
  for f in "${model_files[@]}"; do
    [[ -s "m$np.$threads/$f" ]] || fail "m$np.$threads/$f missing or empty"
    same_bytes "m1.1/$f" "m$np.$threads/$f"
  done
  contains "m$np.$threads/manifest.json" "\"ranks\": $np"
done
contains stdout "model written to m2.2"
# With every MPI message cut into pieces of at most 256 bytes (a test-only
# limit, docs/design.md §3), the same bytes; a bad limit is one error.
DMF_TEST_MAX_MESSAGE_BYTES=256 expect_ok dmf_np 3 "${train_args[@]}" --out pieces
for f in "${model_files[@]}"; do same_bytes "m1.1/$f" "pieces/$f"; done
DMF_TEST_MAX_MESSAGE_BYTES=0 expect_fail 1 dmf_np 3 "${train_args[@]}" --out never
[[ "$(count_lines stderr 'DMF_TEST_MAX_MESSAGE_BYTES')" == 1 ]] || fail "the bad limit not said once"
# One row per ID, IDs in numeric order.
[[ "$(wc -l < m1.1/user_ids.txt)" == 120 ]] || fail "user_ids.txt does not have 120 lines"
sort -n m1.1/item_ids.txt | cmp -s - m1.1/item_ids.txt || fail "item_ids.txt is not in numeric order"

# --holdout R measures exactly the ratings `dmf split --test-ratio R` holds out.
expect_ok dmf split --data ratings.csv --test-ratio 0.2 --seed 9 --out-prefix part --quiet
expect_ok dmf_np 2 train --data ratings.csv --holdout 0.2 --split-seed 9 --rank 4 --epochs 3 \
  --out holdout --quiet
holdout_line=$(grep -E '^  holdout ' stdout)
expect_ok dmf_np 2 train --data part.train --validation part.test --rank 4 --epochs 3 \
  --out split --quiet
validation_line=$(grep -E '^  validation ' stdout)
[[ "${holdout_line#*RMSE}" == "${validation_line#*RMSE}" ]] ||
  fail "holdout and split differ: '$holdout_line' vs '$validation_line'"
for f in "${model_files[@]}"; do same_bytes "holdout/$f" "split/$f"; done

# Metrics: one JSON line per epoch, the manifest's history, validation RMSE.
expect_ok dmf train --data part.train --validation part.test --test part.test --rank 4 \
  --epochs 5 --out with-metrics --metrics-out metrics.jsonl --quiet
[[ "$(wc -l < metrics.jsonl)" == 5 ]] || fail "metrics.jsonl does not have 5 lines"
contains metrics.jsonl '"epoch":5'
contains metrics.jsonl '"validation_rmse":'
contains stdout "validation  RMSE"
contains stdout "test        RMSE"
# Progress goes to stderr, one plain line per epoch when not on a terminal.
expect_ok dmf train --data part.train --rank 4 --epochs 3 --out progress
[[ "$(count_lines stderr 'epoch ')" == 3 ]] || fail "expected 3 epoch lines on stderr"
contains stderr "train RMSE"

# Training error falls with epochs; the model fits this easy data set.
python3 - with-metrics/manifest.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
h = [e["objective"] for e in m["history"]]
assert all(b <= a * (1 + 1e-9) for a, b in zip(h, h[1:])), h
assert m["metrics"]["train_rmse"] < 0.45, m["metrics"]
assert m["epochs"] == 5 and m["k"] == 4 and m["biases"] == "both", m
assert len(m["data"]["fingerprint"]) == 16, m["data"]
PY

# Cold ratings: users and items unseen in training are counted, not dropped.
printf '1,1,3\n99999,1,4\n1,99999,2\n' > cold.csv
expect_ok dmf train --data part.train --validation cold.csv --rank 4 --epochs 2 --out cold --quiet
contains stdout "(3 ratings, 2 cold)"

# Nothing is overwritten: an existing model, metrics file or other directory.
expect_fail 1 dmf train --data ratings.csv --rank 4 --epochs 1 --out m1.1
contains stderr "m1.1 already exists"
contains stderr "--overwrite"
not_contains stderr "epoch 1/1"  # refused before training, not after
expect_fail 1 dmf train --data ratings.csv --rank 4 --epochs 1 --out new --metrics-out metrics.jsonl --quiet
contains stderr "metrics.jsonl already exists"
mkdir mine && echo keep > mine/notes.txt
expect_fail 1 dmf train --data ratings.csv --rank 4 --epochs 1 --out mine --overwrite --quiet
[[ "$(cat mine/notes.txt)" == keep ]] || fail "a directory that is not a model was touched"
expect_ok dmf train --data ratings.csv --rank 4 --epochs 1 --out m1.1 --overwrite --quiet

# Option errors, once, on every rank count.
expect_fail 1 dmf_np 2 train --data ratings.csv --holdout 0.1 --validation part.test --out x --quiet
contains stderr "--holdout and --validation"
[[ "$(count_lines stderr 'dmf: error')" == 1 ]] || fail "the error was not printed once"
expect_fail 1 dmf train --data ratings.csv --rank 0 --out x --quiet
contains stderr "--rank"
expect_fail 1 dmf train --data ratings.csv --out x --lambda-user -1 --quiet
contains stderr "--lambda-user"
expect_fail 1 dmf train --data missing.csv --out x --quiet
contains stderr "missing.csv"
[[ ! -e x ]] || fail "a failed run left its output directory"
