#!/usr/bin/env bash
# Bad input end to end: every case is a clear error naming the file (and line
# where a line is at fault), exit 1, at once; never a hang, never a model
# trained on something silently wrong.
source "$DMF_E2E_LIB"

# dmf calls that could hang run under `timeout`, so a regression fails here
# (exit 124) instead of holding the suite until CTest's limit.
dmf_limited() { timeout 30 "$DMF" "$@"; }
dmf_np_limited() {
  local np="$1"
  shift
  timeout 30 "$DMF_MPIEXEC" -q -n "$np" --oversubscribe "$DMF" "$@"
}

printf '1,1,3\n1,2,4\n2,1,5\n2,2,1\n3,1,2\n3,2,4\n' > ratings.csv
expect_ok dmf train --data ratings.csv --rank 2 --epochs 2 --out model --quiet

# A FIFO (or a device) is refused before it is opened for reading: opening a
# FIFO without a writer blocks forever.
mkfifo fifo
expect_fail 1 dmf_limited train --data fifo --rank 2 --epochs 1 --out m1 --quiet
contains stderr "fifo: not a regular file"
expect_fail 1 dmf_limited train --data ratings.csv --config fifo --out m2 --quiet
contains stderr "fifo"
contains stderr "not a regular file"
expect_fail 1 dmf_limited train --data ratings.csv --validation fifo --rank 2 --epochs 1 \
  --out m3 --quiet
contains stderr "fifo: not a regular file"
expect_fail 1 dmf_np_limited 2 eval --model model --data fifo --quiet
contains stderr "fifo: not a regular file"
[[ "$(count_lines stderr 'not a regular file')" == 1 ]] || fail "the error is not printed once"
[[ ! -e m1 && ! -e m2 && ! -e m3 ]] || fail "a model was written"

# A finite but absurd rating is a bad line (the default --rating-range), not
# a NaN loss in epoch 1; --rating-range cannot widen the range past it.
printf '1,1,3\n1,2,4\n2,1,3e38\n2,2,1\n' > huge.csv
expect_fail 1 dmf_np 2 train --data huge.csv --rank 2 --epochs 1 --out m4 --quiet
contains stderr "huge.csv:3: rating 3e38 is outside the default --rating-range -1e9:1e9"
not_contains stderr "MPI_ABORT"
expect_fail 1 dmf train --data huge.csv --rating-range 0:1e20 --rank 2 --epochs 1 --out m4 --quiet
contains stderr "--rating-range"
contains stderr "within -1e9:1e9"
[[ ! -e m4 ]] || fail "a model was written"

# Ratings that are all equal (a click file) teach an explicit-rating model
# nothing: refused before training, nothing written.
printf '1,1\n1,2\n2,1\n3,2\n' > clicks.csv
expect_fail 1 dmf_np 2 train --data clicks.csv --rank 2 --epochs 1 --out m5
contains stderr "all 4 ratings in clicks.csv are 1 (it has no rating column): an explicit-rating model cannot learn from them; for clicks, plays or purchases train with --feedback implicit"
[[ "$(count_lines stderr 'all 4 ratings')" == 1 ]] || fail "the error is not printed once"
not_contains stderr "epoch 1"
expect_fail 1 dmf train --data ratings.csv --columns user,item,- --rank 2 --epochs 1 --out m5
contains stderr "all 6 ratings in ratings.csv are 1"
printf '1,1,4\n1,2,4\n2,1,4\n' > fours.csv
expect_fail 1 dmf train --data fours.csv --rank 2 --epochs 1 --out m5 --quiet
contains stderr "all 3 ratings in fours.csv are 4: an explicit-rating model"
[[ ! -e m5 ]] || fail "a model was written"

# A (user, item) pair twice in eval --data or train --validation follows
# --duplicates as the training data does: an error naming both lines by
# default, merged under a policy (and then counted once).
printf '1,1,3\n1,2,4\n2,1,5\n1,1,2\n' > dup.csv
printf '1,1,2.5\n1,2,4\n2,1,5\n' > dup_mean.csv
for np in $(e2e_ranks 1 2 3); do
  expect_fail 1 dmf_np "$np" eval --model model --data dup.csv --quiet
  contains stderr "dup.csv: 1 (user, item) pair is rated more than once: user 1, item 1 on lines 1 and 4"
  [[ "$(count_lines stderr 'rated more than once')" == 1 ]] || fail "the error is not printed once"
  expect_ok dmf_np "$np" eval --model model --data dup.csv --duplicates mean --json --quiet
  mv stdout merged.json
  expect_ok dmf_np "$np" eval --model model --data dup_mean.csv --json --quiet
  python3 - merged.json stdout <<'PY'
import json, math, sys
merged, direct = (json.load(open(p)) for p in sys.argv[1:])
assert merged["count"] == direct["count"] == 3, (merged, direct)
for key in ("rmse", "mae"):
    assert math.isclose(merged[key], direct[key], rel_tol=1e-12), (key, merged, direct)
PY
done
expect_fail 1 dmf_np 2 train --data ratings.csv --validation dup.csv --rank 2 --epochs 1 \
  --out m6 --quiet
contains stderr "dup.csv: 1 (user, item) pair is rated more than once: user 1, item 1 on lines 1 and 4"
[[ ! -e m6 ]] || fail "a model was written"

# A `user,item` header without a rating column is a header, not a user
# called "user" (predict --columns user,item, and a click file for train).
printf 'user,item\n1,1\n2,2\n' > pairs.csv
expect_ok dmf_np 2 predict --model model --data pairs.csv --columns user,item --out pairs.out --quiet
contains stdout "wrote 2 predictions to pairs.out (0 cold)"
[[ "$(count_lines pairs.out 'user,item,')" == 1 ]] || fail "pairs.out predicts for a user 'user'"
printf 'user,item\n1,1\n1,2\n2,1\n3,2\n' > clicks_header.csv
expect_fail 1 dmf train --data clicks_header.csv --rank 2 --epochs 1 --out m7 --quiet
contains stderr "all 4 ratings in clicks_header.csv are 1 (it has no rating column)"

# A NUL (or other control byte) inside an ID is a bad line, not an ID that
# turns every ID's order bytewise.
printf '1,1,3\n1,2,4\n2\0007,1,5\n2,2,1\n' > nul.csv
expect_fail 1 dmf_np 2 train --data nul.csv --rank 2 --epochs 1 --out m8 --quiet
contains stderr "nul.csv:3: user ID holds the control byte 0x00: 2?7,1,5"
[[ ! -e m8 ]] || fail "a model was written"
