#!/usr/bin/env bash
# --solver sgd end to end: a run killed with SIGKILL after a checkpoint and
# resumed with --resume auto ends with the bytes of the uninterrupted run
# (docs/design.md §5); a 2-rank checkpoint resumes on 1 rank; the step
# options sgd shares with gd take sgd's values and are refused where they do
# not apply.
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
kill_session "$job_pid"
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
# The step options are sgd's, and a resumed run must share them.
expect_fail 1 dmf_np 1 "${sgd[@]}" --out other --checkpoint-dir ck-copy --resume auto \
  --optimizer adagrad
contains stderr "--optimizer adagrad-row there, adagrad here"

# The step options gd and sgd both declare, each for itself: sgd's values
# and defaults under --solver sgd (the manifest says what ran), gd's values
# refused naming gd, none of them under als, a schedule only of plain steps.
expect_ok dmf train --data ratings.csv --rank 4 --epochs 1 --solver sgd --optimizer adagrad \
  --lr 0.07 --out named --quiet
python3 - named/manifest.json <<'PY' || fail "--optimizer adagrad --lr 0.07 did not reach sgd"
import json, sys
state = json.load(open(sys.argv[1]))["solver_state"]
sys.exit(0 if (state["optimizer"], state["learning_rate"]) == ("adagrad", 0.07) else 1)
PY
expect_fail 1 dmf train --data ratings.csv --out x --solver sgd --optimizer adam
contains stderr "--optimizer: 'adam' is not one of adagrad-row|adagrad|sgd; --optimizer adam applies to --solver gd, not sgd"
expect_fail 1 dmf train --data ratings.csv --out x --lr 0.1
contains stderr "--lr applies to --solver gd or --solver sgd, not als"
expect_fail 1 dmf train --data ratings.csv --out x --solver sgd --schedule inv
contains stderr "--schedule applies to --optimizer sgd, not adagrad-row"
