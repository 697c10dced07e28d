#!/usr/bin/env bash
# dmf split end to end: byte-identical files for 1-4 ranks, nothing lost or
# duplicated, the input's format kept, and nothing overwritten.
source "$DMF_E2E_LIB"

# A CSV with a header, string IDs and CRLF line ends.
{
  printf 'userId,movieId,rating,timestamp\r\n'
  for u in $(seq 1 60); do
    for i in $(seq 1 $(( (u * 7) % 13 + 1 ))); do
      printf 'u%03d,%07d,%d,%d\r\n' "$u" $(( i * 31 % 97 )) $(( (u + i) % 5 + 1 )) $(( 1000 + u * i ))
    done
  done
} > ratings.csv
lines=$(( $(wc -l < ratings.csv) - 1 ))

for by in random user time; do
  for np in $(e2e_ranks 1 2 3 4); do
    expect_ok dmf_np "$np" split --data ratings.csv --test-ratio 0.2 --validation-ratio 0.1 \
      --by "$by" --seed 7 --out-prefix "$by.np$np" --quiet
    for part in train validation test; do
      head -1 "$by.np$np.$part" | grep -q '^userId,movieId,rating,timestamp$' ||
        fail "$by.np$np.$part lost the header"
    done
    if [[ "$np" != 1 ]]; then
      for part in train validation test; do same_bytes "$by.np1.$part" "$by.np$np.$part"; done
    fi
  done
  # train + validation + test = input (as lines, without headers and CRs).
  tail -n +2 ratings.csv | tr -d '\r' | sort > all.sorted
  for part in train validation test; do tail -n +2 "$by.np1.$part"; done | sort > union.sorted
  same_bytes all.sorted union.sorted
  test_lines=$(( $(wc -l < "$by.np1.test") - 1 ))
  (( test_lines > lines / 10 && test_lines < lines * 3 / 10 )) ||
    fail "$by: $test_lines of $lines ratings in test, expected about 20%"
done

# The split files load as ratings again.
expect_ok dmf info --data random.np1.train --quiet

# Existing outputs are never replaced without --overwrite.
echo precious > keep.test
expect_fail 1 dmf_np 2 split --data ratings.csv --out-prefix keep --quiet
contains "$WORK/stderr" "keep.test already exists; pass --overwrite"
[[ "$(cat keep.test)" == precious ]] || fail "keep.test was overwritten"
[[ ! -e keep.train ]] || fail "a partial split was left behind"
expect_ok dmf split --data ratings.csv --out-prefix keep --overwrite --quiet

# Contradictory options.
expect_fail 1 dmf split --data ratings.csv --out-prefix x --test-ratio 0.6 --validation-ratio 0.5
contains "$WORK/stderr" "leave nothing to train on"
expect_fail 1 dmf split --data ratings.csv --out-prefix x --duplicates mean
contains "$WORK/stderr" "--duplicates mean cannot apply"
printf '1,2,3\n' > notime.csv
expect_fail 1 dmf split --data notime.csv --out-prefix x --by time
contains "$WORK/stderr" "--by time needs a time column"

echo "split: ok"
