#!/usr/bin/env bash
# Data set directories end to end: dmf convert writes the same bytes at any
# rank count, numpy reads the arrays as they are (the item-major ones the
# same ratings by item), a model trained on the
# directory (with and without --holdout) is byte-identical to one trained on
# the text, eval scores it as it scores the text, dmf split of the directory
# holds out the ratings the text split does, a damaged array and a text
# option are refused, and nothing is overwritten.
source "$DMF_E2E_LIB"

# A CSV with a header, string IDs with leading zeros and a time column.
{
  printf 'userId,movieId,rating,timestamp\n'
  for u in $(seq 1 70); do
    for i in $(seq 1 $(( (u * 7) % 13 + 2 ))); do
      printf 'u%03d,%07d,%d,%d\n' "$u" $(( i * 31 % 97 )) $(( (u + i) % 5 + 1 )) $(( 1000 + u * i ))
    done
  done
} > ratings.csv

arrays="user_ids.txt item_ids.txt user_counts.npy item_counts.npy rows.npy columns.npy values.npy times.npy item_users.npy item_values.npy item_times.npy"
for np in $(e2e_ranks 1 3); do
  expect_ok dmf_np "$np" convert --data ratings.csv --out "r$np.dmf" --quiet
  contains "$WORK/stdout" "with times"
  for f in $arrays; do same_bytes "r1.dmf/$f" "r$np.dmf/$f"; done
done
mv r1.dmf r.dmf

# numpy reads the arrays as they are; they agree with each other.
PYTHON="${DMF_PYTHON:-/usr/bin/python3}"
if "$PYTHON" -c 'import numpy' 2>/dev/null; then
  "$PYTHON" - <<'PY' || fail "numpy does not read r.dmf as documented"
import json, numpy as np
m = json.load(open("r.dmf/manifest.json"))
rows, cols = np.load("r.dmf/rows.npy"), np.load("r.dmf/columns.npy")
values, times = np.load("r.dmf/values.npy"), np.load("r.dmf/times.npy")
users = open("r.dmf/user_ids.txt").read().split()
assert m["kind"] == "dmf data set" and len(rows) == m["ratings"] == len(values) == len(times)
assert (np.bincount(rows) == np.load("r.dmf/user_counts.npy")).all()
assert (np.bincount(cols, minlength=m["items"]) == np.load("r.dmf/item_counts.npy")).all()
assert (np.diff(rows.astype(np.int64) * m["items"] + cols) > 0).all()  # canonical order
assert users[rows[0]] == "u001" and values.dtype == np.float32 and times.dtype == np.int64
# The item-major arrays: the same ratings by item row, then user row.
order = np.lexsort((rows, cols))
assert (np.load("r.dmf/item_users.npy") == rows[order]).all()
assert (np.load("r.dmf/item_values.npy") == values[order]).all()
assert (np.load("r.dmf/item_times.npy") == times[order]).all()
PY
fi

# The same model from the text and from the directory, at 1 rank with
# --holdout (the kept ratings re-indexed) and at 3 without (the direct load).
for np in $(e2e_ranks 1 3); do
  holdout=$([[ "$np" == 1 ]] && echo 0.2 || echo 0)
  for data in ratings.csv r.dmf; do
    expect_ok dmf_np "$np" train --data "$data" --holdout "$holdout" --rank 3 --epochs 3 \
      --out "m.$data.np$np" --quiet
  done
  for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy user_ids.txt item_ids.txt; do
    same_bytes "m.ratings.csv.np$np/$f" "m.r.dmf.np$np/$f"
  done
  grep '"fingerprint"' "m.ratings.csv.np$np/manifest.json" > fp.text
  grep '"fingerprint"' "m.r.dmf.np$np/manifest.json" > fp.binary
  same_bytes fp.text fp.binary
done

# A scored set read where it lies (eval, --validation, --test) gives the same figures.
expect_ok dmf eval --model m.ratings.csv.np1 --data ratings.csv --json
mv "$WORK/stdout" eval.text
expect_ok dmf eval --model m.ratings.csv.np1 --data r.dmf --json
sed 's/"data":"[^"]*"//' eval.text > eval.text.figures
sed 's/"data":"[^"]*"//' "$WORK/stdout" > eval.binary.figures
same_bytes eval.text.figures eval.binary.figures
contains eval.binary.figures '"count":'


# dmf split of the directory: data set directories holding the ratings the
# text split puts in each file, as convert writes them.
expect_ok dmf split --data ratings.csv --test-ratio 0.25 --seed 5 --out-prefix text --quiet
# (--validation-ratio 0.0001 takes none with this seed: an empty data set,
# which scores as an empty file does.)
expect_ok dmf_np 2 split --data r.dmf --test-ratio 0.25 --validation-ratio 0.0001 --seed 5 \
  --out-prefix binary --quiet
expect_ok dmf convert --data text.test --out text.test.dmf --quiet
for f in $arrays; do same_bytes "text.test.dmf/$f" "binary.test/$f"; done
expect_ok dmf train --data binary.train --validation binary.validation --rank 2 --epochs 1 \
  --out m.empty --quiet
contains "$WORK/stdout" "validation  RMSE n/a  MAE n/a  (0 ratings"

# A damaged array is refused naming it; so is an option that describes text.
cp -r r.dmf bad.dmf
printf '\x7f' | dd of=bad.dmf/values.npy bs=1 seek=150 conv=notrunc status=none
expect_fail 1 dmf_np 2 info --data bad.dmf
contains "$WORK/stderr" "bad.dmf/values.npy is corrupt"
expect_fail 1 dmf info --data r.dmf --sep ,
contains "$WORK/stderr" "r.dmf is a data set directory: --sep applies to reading text"

# Nothing a user wrote is replaced.
expect_fail 1 dmf convert --data ratings.csv --out r.dmf
contains "$WORK/stderr" "r.dmf already exists; pass --overwrite"
mkdir mine && echo precious > mine/notes
expect_fail 1 dmf convert --data ratings.csv --out mine --overwrite
[[ "$(cat mine/notes)" == precious ]] || fail "mine/notes was overwritten"

echo "dataset: ok"
