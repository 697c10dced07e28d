#!/usr/bin/env bash
# dmf info on small files: counts, JSON, per-rank balance, and bad input
# reported once, with file:line, and exit 1 on every rank count.
source "$DMF_E2E_LIB"

cat > ratings.dat <<'DATA'
1::0104257::8::1364690142
1::tt01::7::1364690143
2::0104257::10::1364690144
3::104257::2::1364690145
DATA

for np in $(e2e_ranks 1 2 3); do
  expect_ok dmf_np "$np" info --data ratings.dat --json --quiet
  contains "$WORK/stdout" '"users": 3'
  contains "$WORK/stdout" '"items": 3'   # 0104257 and 104257 are different IDs
  contains "$WORK/stdout" '"ratings": 4'
  contains "$WORK/stdout" '"format": "movielens"'
done

expect_ok dmf info --data ratings.dat --ranks 4 --quiet
contains "$WORK/stdout" "on 4 ranks"
contains "$WORK/stdout" "user degree   min 1, p50 1, p90 2, p99 2, max 2"
# The memory to train, per layout, at train's default --rank 32: 3 users and
# 3 items of (32 + 1) floats each on one rank.
contains "$WORK/stdout" "memory to train (als, --rank 32,"
contains "$WORK/stdout" "factor rows     max      792 B (rank 0)"
contains "$WORK/stdout" "an estimate"

# The same in JSON at --k 7 (train's alias): factor rows scale with k, the
# blocks (offsets + column and value per rating) do not.
expect_ok dmf info --data ratings.dat --ranks 4 --k 7 --json --quiet
python3 - "$WORK/stdout" <<'PY' || fail "info --json train_memory: $(cat "$WORK/stdout")"
import json, sys
layouts = {b["ranks"]: b["train_memory"] for b in json.load(open(sys.argv[1]))["balance"]}
one, four = layouts[1], layouts[4]
assert one["estimate"] and one["solver"] == "als" and one["k"] == 7, one
assert one["factor_rows"]["max_bytes"] == 6 * (7 + 1) * 4, one
assert one["rating_blocks"]["max_bytes"] == 2 * ((3 + 1) * 8 + 4 * (4 + 4)), one
assert one["total"]["max_bytes"] == sum(one[p]["max_bytes"] for p in ("rating_blocks", "factor_rows", "solver_buffers")), one
# On 4 ranks the largest rank holds 2 of the 4 ratings of each side.
assert four["rating_blocks"]["min_bytes"] < four["rating_blocks"]["max_bytes"] < one["rating_blocks"]["max_bytes"], four
PY

# Bad input: the message names file and line and shows the line, once.
cat > bad.csv <<'DATA'
user,item,rating
1,10,4
2,11,4.5
3,12,five
4,13,3
DATA
for np in $(e2e_ranks 1 2 3 4); do
  expect_fail 1 dmf_np "$np" info --data bad.csv --quiet
  contains "$WORK/stderr" "dmf: error: bad.csv:4: rating 'five' is not a number: 3,12,five"
  [[ "$(count_lines "$WORK/stderr" "dmf: error:")" == 1 ]] || fail "error printed more than once at np=$np"
done

# --bad-lines skip reports the count and the first lines.
expect_ok dmf_np 2 info --data bad.csv --bad-lines skip --quiet
contains "$WORK/stdout" "bad lines     1 skipped"
contains "$WORK/stdout" "bad.csv:4:"
contains "$WORK/stdout" "  ratings       3"

# Rating range.
expect_fail 1 dmf info --data bad.csv --rating-range 1:4 --quiet
contains "$WORK/stderr" "bad.csv:3: rating 4.5 is outside --rating-range 1:4"

# Duplicates: an error naming the lines, or merged by policy.
printf '1,1,5\n1,2,3\n1,1,4\n' > dup.csv
expect_fail 1 dmf_np 2 info --data dup.csv --quiet
contains "$WORK/stderr" "user 1, item 1 on lines 1 and 3"
expect_ok dmf_np 2 info --data dup.csv --duplicates mean --json --quiet
contains "$WORK/stdout" '"duplicates_merged": 1'
contains "$WORK/stdout" '"max": 4.5'  # (5 + 4) / 2

# Missing file, a directory, an empty file: one sentence each.
expect_fail 1 dmf_np 2 info --data nope.csv --quiet
contains "$WORK/stderr" "nope.csv"
[[ "$(wc -l < "$WORK/stderr")" == 1 ]] || fail "a missing file takes more than one line"
mkdir adir
expect_fail 1 dmf info --data adir --quiet
contains "$WORK/stderr" "adir"
: > empty.csv
expect_fail 1 dmf_np 2 info --data empty.csv --quiet
contains "$WORK/stderr" "empty.csv"

echo "info: ok"
