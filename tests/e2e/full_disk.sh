#!/usr/bin/env bash
# A full disk while writing a model or a checkpoint, at 1, 2 and 3 ranks: the
# run ends within seconds with one error naming the file and "No space left
# on device", exit 1 on every rank, nothing published and no hidden
# directory left; an earlier checkpoint stays usable and --resume auto from
# it, once there is room, ends with the uninterrupted run's model. The full
# disk is a small tmpfs, which needs root (as in CI); without it the test
# says so and passes.
source "$DMF_E2E_LIB"

mkdir disk
if ! mount -t tmpfs -o size=200k tmpfs disk 2>mount.err; then
  echo "skipped: cannot mount a tmpfs for a full disk ($(head -1 mount.err))"
  exit 0
fi
trap 'umount "$WORK/disk"; rm -rf "$WORK"' EXIT

expect_ok dmf generate --users 3000 --items 1000 --ratings 60000 --true-rank 4 --out ratings.csv \
  --quiet

# dmf_np_within P ARGS...: dmf on P ranks, failed (exit 124) after 60 s: a
# hang must fail the test, not wait for CTest's timeout.
dmf_np_within() {
  local np="$1"
  shift
  timeout 60 "$DMF_MPIEXEC" -q -n "$np" --oversubscribe "$DMF" "$@"
}

# one_error TEXT...: stderr holds exactly one error, containing every TEXT.
one_error() {
  [[ "$(count_lines "$WORK/stderr" "dmf: error:")" == 1 ]] ||
    { cat "$WORK/stderr" >&2; fail "not exactly one error"; }
  local text
  for text in "$@"; do contains "$WORK/stderr" "$text"; done
}

# --- the model: 3000 x 16 factors and more do not fit in 200 KiB -------------
train=(train --data ratings.csv --rank 16 --epochs 1)
for np in $(e2e_ranks 1 2 3); do
  expect_fail 1 dmf_np_within "$np" "${train[@]}" --out disk/model
  one_error "cannot write disk/model/" "No space left on device; disk/model was not created"
  [[ -z "$(ls -A disk)" ]] || fail "left behind on the full disk at $np ranks: $(ls -A disk)"
done

# --- a checkpoint: the first fits, the second does not ---------------------------
# k = 8: a checkpoint takes about 150 KiB of the 250 KiB.
umount disk
mount -t tmpfs -o size=250k tmpfs disk
als=(train --data ratings.csv --holdout 0.1 --rank 8 --epochs 4)
expect_ok dmf_np 2 "${als[@]}" --out ref --quiet
for np in $(e2e_ranks 1 2 3); do
  expect_fail 1 dmf_np_within "$np" "${als[@]}" --out "model-$np" --checkpoint-dir disk/ck \
    --checkpoint-every 1
  one_error "cannot write disk/ck/ckpt-000002-epoch-2/" "No space left on device" \
    "disk/ck/ckpt-000002-epoch-2 was not created"
  # (the lock file is the run's mark on the directory, empty)
  [[ "$(ls -A disk/ck | tr '\n' ' ')" == ".dmf-checkpoints.lock ckpt-000001-epoch-1 latest " ]] ||
    fail "at $np ranks the checkpoint directory holds: $(ls -A disk/ck)"
  [[ "$(readlink disk/ck/latest)" == ckpt-000001-epoch-1 ]] || fail "latest moved"
  [[ ! -e "model-$np" ]] || fail "a failed run wrote its model"
  # Room again: resuming from the checkpoint that survived gives the model
  # of the uninterrupted run.
  mount -o remount,size=2m disk
  expect_ok dmf_np_within "$np" "${als[@]}" --out "model-$np" --checkpoint-dir disk/ck \
    --checkpoint-every 1 --resume auto
  contains "$WORK/stderr" "resuming from disk/ck/ckpt-000001-epoch-1"
  for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy user_ids.txt; do
    same_bytes "ref/$f" "model-$np/$f"
  done
  rm -rf disk/ck
  mount -o remount,size=250k disk
done
