#!/usr/bin/env bash
# Checkpoints end to end: a run killed at any instant (SIGKILL to the whole
# job mid-epoch, or mid-way through writing a checkpoint) and resumed with
# --resume auto ends with the same bytes as an uninterrupted run, for als,
# ccd and gd; SIGUSR1 checkpoints and exits 75; a corrupt or truncated latest
# checkpoint is reported and the one before it used; resuming on another
# number of ranks; checkpoints of other data or other options refused.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 1500 --items 400 --ratings 60000 --true-rank 4 --noise 0.3 \
  --out ratings.csv --quiet
expect_ok dmf generate --users 1500 --items 400 --ratings 60000 --true-rank 4 --noise 0.3 \
  --seed 9 --out other.csv --quiet

# same_model A B: the two model directories hold the same factors and biases.
same_model() {
  local f
  for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy user_ids.txt; do
    cmp -s "$1/$f" "$2/$f" || fail "$1/$f and $2/$f differ"
  done
}

# start_job NAME ARGS...: dmf on 2 ranks in the background, in its own
# process group (so that the whole job can be killed at once); stderr in
# NAME.err. Every safe point waits 20 ms (a test hook that changes no
# result), so that the job is still running when the test kills it.
start_job() {
  local name="$1"
  shift
  DMF_TEST_SAFE_POINT_DELAY=0.02 \
    setsid "$DMF_MPIEXEC" -q -n 2 --oversubscribe "$DMF" "$@" >"$name.out" 2>"$name.err" &
  job_pid=$!
}

# kill_job: SIGKILL to every process of the job, as when a node is lost.
kill_job() { kill_session "$job_pid"; }

# wait_for WHAT CMD...: polls CMD until it succeeds (at most 60 s).
wait_for() {
  local what="$1" i
  shift
  for ((i = 0; i < 600; i++)); do
    "$@" && return 0
    kill -0 "$job_pid" 2>/dev/null || { cat ./*.err >&2; fail "the job ended before $what"; }
    sleep 0.1
  done
  fail "timed out waiting for $what"
}

# checkpoints DIR: how many complete checkpoints DIR has.
checkpoints() { find "$1" -maxdepth 1 -name 'ckpt-*' -type d 2>/dev/null | wc -l; }
has_checkpoints() { (($(checkpoints "$1") >= $2)); }

# als_for N / gd_for N: the training command for N epochs.
als_for() { als=(train --data ratings.csv --holdout 0.1 --rank 6 --epochs "$1"); }
gd_for() {
  gd=(train --data ratings.csv --holdout 0.1 --rank 6 --epochs "$1" --solver gd --batch-size 300
    --tol-params 1e-12)
}
als_for 8
gd_for 6

expect_ok dmf_np 2 "${als[@]}" --out als-ref --quiet
expect_ok dmf_np 2 "${gd[@]}" --out gd-ref --metrics-out gd-ref.jsonl --quiet

# --- killed mid-epoch, resumed: the same model ---------------------------------
start_job als-kill "${als[@]}" --out als-kill --checkpoint-dir als-ck --checkpoint-every 1
wait_for "the third ALS checkpoint" has_checkpoints als-ck 3
kill_job
[[ ! -e als-kill ]] || fail "a killed run wrote its model"
expect_ok dmf_np 2 "${als[@]}" --out als-kill --checkpoint-dir als-ck --checkpoint-every 1 \
  --resume auto
contains stderr "resuming from als-ck/ckpt-"
same_model als-ref als-kill

# ccd keeps residuals beside both blocks but computes them afresh from the
# model each epoch, so a checkpoint (the model) resumes to the same bytes:
# killed on 2 ranks, resumed on 1, the bytes of a run on 1.
ccd=(train --data ratings.csv --holdout 0.1 --rank 6 --epochs 8 --solver ccd --ccd-inner 2)
expect_ok dmf "${ccd[@]}" --out ccd-ref --quiet
start_job ccd-kill "${ccd[@]}" --out ccd-kill --checkpoint-dir ccd-ck --checkpoint-every 1
wait_for "the third ccd checkpoint" has_checkpoints ccd-ck 3
kill_job
[[ ! -e ccd-kill ]] || fail "a killed run wrote its model"
expect_ok dmf "${ccd[@]}" --out ccd-kill --checkpoint-dir ccd-ck --checkpoint-every 1 --resume auto
contains stderr "resuming from ccd-ck/ckpt-"
same_model ccd-ref ccd-kill

# gd checkpoints by time, so also between steps, and keeps the previous
# state for --tol-params beside the current one.
start_job gd-kill "${gd[@]}" --out gd-kill --checkpoint-dir gd-ck --checkpoint-seconds 0.1 \
  --metrics-out gd-kill.jsonl
wait_for "two gd checkpoints" has_checkpoints gd-ck 2

kill_job
expect_ok dmf_np 2 "${gd[@]}" --out gd-kill --checkpoint-dir gd-ck --resume auto \
  --metrics-out gd-kill.jsonl
same_model gd-ref gd-kill
# The metrics file was rewritten from the checkpoint: every epoch once, with
# the uninterrupted run's figures (parameter_change also checks that the
# state --tol-params keeps came back).
python3 - gd-ref.jsonl gd-kill.jsonl <<'EOF' || fail "the resumed metrics differ"
import json, sys
ref, got = ([json.loads(l) for l in open(f)] for f in sys.argv[1:])
keys = ("epoch", "objective", "train_rmse", "validation_rmse", "learning_rate", "parameter_change")
assert [[r[k] for k in keys] for r in ref] == [[r[k] for k in keys] for r in got], (ref, got)
EOF

# --- killed while a checkpoint is being written ---------------------------------
als_for 3
expect_ok dmf_np 2 "${als[@]}" --out als-3 --checkpoint-dir als-pause-ck --checkpoint-every 1 --quiet
als_for 8
export DMF_TEST_CHECKPOINT_PAUSE=60
start_job als-pause "${als[@]}" --out als-pause --checkpoint-dir als-pause-ck --checkpoint-every 1 \
  --resume auto
wait_for "the paused checkpoint write" grep -q "pausing" als-pause.err
# Meanwhile the directory is that run's: a second run into it is refused
# (the kill below releases it: the resumed run goes on).
expect_fail 1 dmf "${als[@]}" --out never --checkpoint-dir als-pause-ck --checkpoint-every 1 \
  --resume auto
contains stderr "another dmf run is writing checkpoints to als-pause-ck"
[[ ! -e never ]] || fail "the refused run wrote a model"
kill_job
unset DMF_TEST_CHECKPOINT_PAUSE
[[ "$(readlink als-pause-ck/latest)" == *epoch-3 ]] || fail "latest moved to an unfinished checkpoint"
find als-pause-ck -maxdepth 1 -name '.ckpt-*dmf-tmp-*' | grep -q . ||
  fail "the kill did not land inside the write (no unfinished checkpoint)"
expect_ok dmf_np 2 "${als[@]}" --out als-pause --checkpoint-dir als-pause-ck --checkpoint-every 1 \
  --resume auto
contains stderr "resuming from als-pause-ck/ckpt-000003-epoch-3"
same_model als-ref als-pause
find als-pause-ck -maxdepth 1 -name '.ckpt-*dmf-tmp-*' | grep -q . &&
  fail "the unfinished checkpoint was not cleaned up"

# --- killed while an old checkpoint is being removed -----------------------------
export DMF_TEST_ROTATION_PAUSE=60
start_job als-rot "${als[@]}" --out als-rot --checkpoint-dir als-rot-ck --checkpoint-every 1 \
  --keep-checkpoints 1
wait_for "the paused removal" grep -q "inside the removal" als-rot.err
kill_job
unset DMF_TEST_ROTATION_PAUSE
find als-rot-ck -maxdepth 1 -name '.ckpt-*dmf-tmp-removed' | grep -q . ||
  fail "the kill did not land inside the removal"
# What is in view is whole: the checkpoint being removed was hidden first.
for d in als-rot-ck/ckpt-*; do
  [[ -e "$d/manifest.json" ]] || fail "$d is in view without its manifest"
done
expect_ok dmf_np 2 "${als[@]}" --out als-rot --checkpoint-dir als-rot-ck --checkpoint-every 1 \
  --keep-checkpoints 1 --resume auto
not_contains stderr "is not a dmf checkpoint"
same_model als-ref als-rot
find als-rot-ck -maxdepth 1 -name '.ckpt-*dmf-tmp-*' | grep -q . &&
  fail "the half-removed checkpoint was not cleaned up"

# --- SIGUSR1: checkpoint, exit 75, resume --------------------------------------
start_job gd-usr1 "${gd[@]}" --out gd-usr1 --checkpoint-dir gd-usr1-ck --checkpoint-every 2
wait_for "the first gd checkpoint" has_checkpoints gd-usr1-ck 1
kill -USR1 "$job_pid"
code=0
wait "$job_pid" || code=$?
[[ "$code" == 75 ]] || { cat gd-usr1.err >&2; fail "SIGUSR1: exit $code, not 75"; }
contains gd-usr1.out "stopped by SIGUSR1: checkpoint gd-usr1-ck/ckpt-"
expect_ok dmf_np 2 "${gd[@]}" --out gd-usr1 --checkpoint-dir gd-usr1-ck --resume auto
same_model gd-ref gd-usr1

# --- more signals while that checkpoint is being written: still one, valid -----
export DMF_TEST_CHECKPOINT_PAUSE=2
start_job gd-twice "${gd[@]}" --out gd-twice --checkpoint-dir gd-twice-ck --metrics-out gd-twice.jsonl
wait_for "the first gd epoch" test -s gd-twice.jsonl
kill -USR1 "$job_pid"
wait_for "the signalled checkpoint write" grep -q "pausing" gd-twice.err
# Again through mpirun, and SIGTERM straight to the ranks.
kill -USR1 "$job_pid"
pkill -TERM -P "$job_pid" -x dmf || fail "no dmf rank under mpirun $job_pid"
code=0
wait "$job_pid" || code=$?
unset DMF_TEST_CHECKPOINT_PAUSE
[[ "$code" == 75 ]] || { cat gd-twice.err >&2; fail "signals during the write: exit $code, not 75"; }
(($(checkpoints gd-twice-ck) == 1)) || fail "signals during the write left $(checkpoints gd-twice-ck) checkpoints, not 1"
expect_ok dmf_np 2 "${gd[@]}" --out gd-twice --checkpoint-dir gd-twice-ck --resume auto
contains stderr "resuming from gd-twice-ck/ckpt-000001-"
same_model gd-ref gd-twice

# --- a corrupt latest checkpoint: warned about, the one before used -------------
als_for 4
expect_ok dmf_np 2 "${als[@]}" --out als-4 --checkpoint-dir als-bad --checkpoint-every 1 --quiet
als_for 8
latest="als-bad/$(readlink als-bad/latest)"
printf '\x55' | dd of="$latest/item_factors.npy" bs=1 seek=200 conv=notrunc status=none
expect_ok dmf_np 3 "${als[@]}" --out als-bad-model --checkpoint-dir als-bad --resume auto
contains stderr "$latest/item_factors.npy is corrupt"
contains stderr "resuming from als-bad/ckpt-000003-epoch-3"
same_model als-ref als-bad-model
# Truncated: the same.
latest="als-bad/$(readlink als-bad/latest)"
truncate -s -4 "$latest/user_bias.npy"
expect_ok dmf_np 1 "${als[@]}" --out als-trunc-model --checkpoint-dir als-bad --resume auto
contains stderr "$latest/user_bias.npy has"
contains stderr "(truncated)"
same_model als-ref als-trunc-model
# --resume PATH of a corrupt checkpoint fails instead.
expect_fail 1 dmf_np 2 "${als[@]}" --out never --resume "$latest"
contains stderr "$latest/user_bias.npy has"

# --- another number of ranks -----------------------------------------------------
# als: the same bytes on any layout (docs/design.md §5); gd: the same RMSE within noise.
gd_for 3
expect_ok dmf_np 3 "${gd[@]}" --out gd-3 --checkpoint-dir gd-p --checkpoint-every 3 --quiet
gd_for 6
expect_ok dmf_np 1 "${gd[@]}" --out gd-p1 --checkpoint-dir gd-p --resume auto --quiet
python3 - gd-ref/manifest.json gd-p1/manifest.json <<'EOF' || fail "gd resumed 3 -> 1 rank is off"
import json, sys
a, b = (json.load(open(f))["metrics"]["validation"]["rmse"] for f in sys.argv[1:])
assert abs(a - b) / a < 0.02, (a, b)
EOF

# --- refusals ------------------------------------------------------------------
expect_fail 1 dmf_np 2 train --data other.csv --holdout 0.1 --rank 6 --epochs 8 --out never \
  --checkpoint-dir als-ck --resume auto
contains stderr "was trained on other data"
expect_fail 1 dmf_np 2 "${als[@]}" --lambda 0.1 --out never --checkpoint-dir als-ck --resume auto
contains stderr "--lambda 0.05 there, 0.1 here"
expect_fail 1 dmf "${als[@]}" --out never --resume auto
contains stderr "--resume auto looks in --checkpoint-dir"
expect_fail 1 dmf "${als[@]}" --out never --resume no-such-checkpoint
contains stderr "no-such-checkpoint"
expect_fail 1 dmf "${als[@]}" --out never --checkpoint-every 2
contains stderr "--checkpoint-every needs --checkpoint-dir"
# A fresh start with --resume auto when there is nothing to resume.
als_for 1
expect_ok dmf "${als[@]}" --out fresh --checkpoint-dir empty-ck --resume auto
contains stderr "no checkpoint in empty-ck; starting fresh"
# The checkpoints kept: the newest --keep-checkpoints.
(($(checkpoints als-ck) == 3)) ||
  fail "als-ck keeps $(checkpoints als-ck) checkpoints, not 3: $(ls -A als-ck | tr '\n' ' ')"
echo "checkpoint: ok"
