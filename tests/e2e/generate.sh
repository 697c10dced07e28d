#!/usr/bin/env bash
# dmf generate end to end: the same bytes on 1-4 ranks, options and config
# files honoured, bad values and existing files refused.
source "$DMF_E2E_LIB"

args=(--users 300 --items 200 --ratings 9000 --seed 5 --quiet)
for np in $(e2e_ranks 1 2 3 4); do
  expect_ok dmf_np "$np" generate "${args[@]}" --out "g$np.csv"
  [[ "$np" == 1 ]] || same_bytes g1.csv "g$np.csv"
done
[[ "$(head -1 g1.csv)" == "user,item,rating,time" ]] || fail "csv header missing"
# The summary names what was written and the hidden model.
contains "$WORK/stdout" "generated 9000 ratings of 300 users on 200 items into g$np.csv"
contains "$WORK/stdout" "hidden model: rank 10, noise sd 0.5"
[[ "$(($(wc -l < g1.csv) - 1))" == 9000 ]] || fail "not 9000 ratings"
expect_ok dmf info --data g1.csv --json --quiet
contains "$WORK/stdout" '"ratings": 9000'

# Implicit feedback: play counts under a "count" column, the same bytes on
# 1 and 3 ranks (the MPI test covers 1-4 against a serial reference); the
# explicit model's options are refused rather than ignored.
for np in $(e2e_ranks 1 3); do
  expect_ok dmf_np "$np" generate --feedback implicit "${args[@]}" --out "i$np.csv"
done
same_bytes i1.csv i3.csv
[[ "$(head -1 i1.csv)" == "user,item,count,time" ]] || fail "implicit csv header: $(head -1 i1.csv)"
contains "$WORK/stdout" "generated 9000 play counts of 300 users on 200 items"
contains "$WORK/stdout" "hidden model: 10 tastes, activity exponent 0.3, popularity exponent 0.75"
expect_fail 1 dmf generate --feedback implicit --noise 1 --out x.csv
contains "$WORK/stderr" "--noise applies to --feedback explicit: implicit feedback has play counts"
# The popularity baseline ranks its held-out items, the same figures on 1
# and 3 ranks (tests/mpi/popularity_test.cpp checks them by brute force, and
# runs its code under the sanitizers, where these four starts are left out).
if [[ "${DMF_E2E_SANITIZED:-0}" != 1 ]]; then
  expect_ok dmf split --data i1.csv --by user --test-ratio 0.2 --out-prefix i --quiet
  for np in 1 3; do
    expect_ok dmf_np "$np" eval --baseline popularity --train i.train --data i.test \
      --exclude-rated i.train --metrics precision@10,ndcg@10 --quiet
    cp "$WORK/stdout" "baseline$np.txt"
  done
  contains baseline1.txt "popularity in i.train on i.test: precision@10 0."
  same_bytes baseline1.txt baseline3.txt
  expect_fail 1 dmf eval --baseline popularity --train i.train --data i.test
  contains "$WORK/stderr" "--baseline popularity ranks items; rmse and mae need --model"
  expect_fail 1 dmf eval --baseline popularity --train i.train --data i.test --metrics ndcg \
    --cold-start drop
  contains "$WORK/stderr" "--cold-start applies to rmse and mae; --baseline popularity leaves out"
fi

# Big enough for several write rounds per rank: still the same bytes.
big=(--users 20000 --items 4000 --ratings 2500000 --seed 3 --quiet)
expect_ok dmf generate "${big[@]}" --out big1.tsv
expect_ok dmf_np 2 generate "${big[@]}" --out big2.tsv --threads 1
same_bytes big1.tsv big2.tsv
[[ "$(wc -l < big1.tsv)" == 2500001 ]] || fail "big1.tsv does not hold 2500000 ratings"
rm -f big1.tsv big2.tsv

# Another seed, other bytes.
expect_ok dmf generate --users 300 --items 200 --ratings 9000 --seed 6 --out other.csv --quiet
cmp -s g1.csv other.csv && fail "--seed changed nothing"

# --help lists every option.
expect_ok dmf generate --help
for option in feedback users items ratings true-rank noise skew popularity-exponent scale seed out \
  format overwrite threads; do
  contains "$WORK/stdout" "--$option"
done

# An existing file is refused and left untouched, unless --overwrite.
echo precious > keep.csv
expect_fail 1 dmf_np 2 generate "${args[@]}" --out keep.csv
contains "$WORK/stderr" "keep.csv already exists; pass --overwrite"
[[ "$(cat keep.csv)" == precious ]] || fail "keep.csv was overwritten"
expect_ok dmf generate "${args[@]}" --out keep.csv --overwrite
same_bytes g1.csv keep.csv

# Bad values name their option.
expect_fail 1 dmf generate --users 0 --out x.csv
contains "$WORK/stderr" "--users: must be at least 1 (got 0)"
expect_fail 1 dmf generate --scale 5:1:1 --out x.csv
contains "$WORK/stderr" "--scale: MIN 5 must be below MAX 1"
expect_fail 1 dmf generate --ratings abc --out x.csv
contains "$WORK/stderr" "--ratings: expected an integer, got 'abc'"
expect_fail 1 dmf generate --scale 1:5:1.5 --out x.csv
contains "$WORK/stderr" "--scale: MAX - MIN = 4 must be a whole number of STEP 1.5"
expect_fail 1 dmf generate --true-rank 0 --out x.csv
contains "$WORK/stderr" "--true-rank"
expect_fail 1 dmf_np 3 generate --users 10 --ratings 9 --out x.csv
contains "$WORK/stderr" "--ratings 9 is fewer than --users 10"
[[ "$(grep -c 'fewer than' "$WORK/stderr")" == 1 ]] || fail "the error was not reported once"
expect_fail 1 dmf generate --users 10 --items 10 --ratings 101 --out x.csv
contains "$WORK/stderr" "more than the --users 10 x --items 10 distinct pairs"
[[ ! -e x.csv ]] || fail "a failed run left x.csv"
[[ -z "$(ls | grep dmf-tmp || true)" ]] || fail "a temporary file was left behind: $(ls)"

# A config file is honoured; the command line overrides it; unknown keys are errors.
printf 'users = 100\nitems = 50\nratings = 1000\n' > g.ini
expect_ok dmf generate --config g.ini --out c1.csv --quiet
contains "$WORK/stdout" "generated 1000 ratings of 100 users on 50 items"
expect_ok dmf generate --config g.ini --ratings 2000 --out c2.csv --quiet
contains "$WORK/stdout" "generated 2000 ratings"
printf 'users = 100\nusres = 3\n' > bad.ini
expect_fail 1 dmf generate --config bad.ini --out c3.csv
contains "$WORK/stderr" "bad.ini:2: unknown option 'usres'; did you mean --users?"

# Other formats load back with the same counts.
for name in r.dat r.tsv r.mtx u.data; do
  expect_ok dmf_np 2 generate "${args[@]}" --out "$name"
  expect_ok dmf info --data "$name" --json --quiet
  contains "$WORK/stdout" '"ratings": 9000'
done

echo "generate: ok"
