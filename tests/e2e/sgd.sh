#!/usr/bin/env bash
# --solver sgd end to end: a run killed with SIGKILL after a checkpoint and
# resumed with --resume auto ends with the bytes of the uninterrupted run
# (docs/design.md §5); a 2-rank checkpoint resumes on 1 rank; sgd's own
# options are refused where they do not apply.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 1500 --items 400 --ratings 60000 --true-rank 4 --noise 0.3 \
  --out ratings.csv --quiet

sgd=(train --data ratings.csv --holdout 0.1 --rank 6 --epochs 6 --solver sgd --threads 2)

# same_model A B: the two model directories hold the same factors and biases.
same_model() {
  local f
  for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy user_ids.txt; do
    cmp -s "$1/$f" "$2/$f" || fail "$1/$f and $2/$f differ"
  done
}

expect_ok dmf_np 2 "${sgd[@]}" --out ref --quiet

# Killed after its second checkpoint (every safe point waits 200 ms, a test
# hook that changes no result, so that the job is still running then).
DMF_TEST_SAFE_POINT_DELAY=0.2 \
  setsid "$DMF_MPIEXEC" -q -n 2 --oversubscribe "$DMF" "${sgd[@]}" --out killed \
  --checkpoint-dir ck --checkpoint-every 1 >killed.out 2>killed.err &
job_pid=$!
for ((i = 0; i < 600; i++)); do
  (($(find ck -maxdepth 1 -name 'ckpt-*' -type d 2>/dev/null | wc -l) >= 2)) && break
  kill -0 "$job_pid" 2>/dev/null || { cat killed.err >&2; fail "the job ended before its checkpoints"; }
  sleep 0.1
done
kill -KILL -- "-$job_pid" 2>/dev/null || true
wait "$job_pid" 2>/dev/null || true
[[ ! -e killed ]] || fail "the killed run wrote its model"
cp -r ck ck-copy
expect_ok dmf_np 2 "${sgd[@]}" --out killed --checkpoint-dir ck --resume auto
contains stderr "resuming from ck/ckpt-"
same_model ref killed

# The same checkpoint on 1 rank: rows are in canonical order, so any rank
# count reads it back (the visiting order then is another, docs/design.md §5).
expect_ok dmf_np 1 "${sgd[@]}" --out one --checkpoint-dir ck-copy --resume auto
contains stderr "resuming from ck-copy/ckpt-"
[[ -s one/item_factors.npy ]] || fail "the 1-rank resume wrote no model"

# sgd's options under another solver, and a schedule under an adagrad.
expect_fail 1 dmf train --data ratings.csv --out x --sgd-lr 0.1
contains stderr "--sgd-lr applies to --solver sgd, not als"
expect_fail 1 dmf train --data ratings.csv --out x --solver sgd --sgd-schedule inv
contains stderr "--sgd-schedule applies to --sgd-optimizer sgd, not adagrad-row"
