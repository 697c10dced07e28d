#!/usr/bin/env bash
# What a run with checkpoints may replace or remove, and what a requeued run
# does with the outputs of the run it continues: checkpoint rotation removes
# only this run's checkpoints (never a user's file in one, never another
# run's), a checkpoint directory of another run is refused before training,
# --metrics-out is rewritten only by the run that resumes it, and a run
# resumed after its model was published says so and exits 0.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 300 --items 120 --ratings 6000 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet
expect_ok dmf generate --users 300 --items 120 --ratings 6000 --true-rank 3 --noise 0.3 \
  --seed 9 --out other.csv --quiet
run=(train --data ratings.csv --holdout 0.1 --rank 4 --epochs)

# checkpoints DIR: the names of DIR's checkpoints, one line.
checkpoints() { (cd "$1" && find . -maxdepth 1 -name 'ckpt-*' -type d | sort | tr '\n' ' '); }

# --- rotation: a user's file in a checkpoint is never removed -------------------
expect_ok dmf "${run[@]}" 1 --out m1 --checkpoint-dir ck --checkpoint-every 1
echo "my notes" >ck/ckpt-000001-epoch-1/notes.txt
# A directory named like a checkpoint that is not one (no manifest).
mkdir ck/ckpt-000002-mine
echo "mine too" >ck/ckpt-000002-mine/keep.txt
# A file the manifest does not list also makes the checkpoint unverifiable,
# so the run starts fresh (numbering on after 2) and leaves both alone.
expect_ok dmf_np 2 "${run[@]}" 4 --out m4 --checkpoint-dir ck --checkpoint-every 1 \
  --keep-checkpoints 1 --resume auto
contains "$WORK/stderr" '"files" does not list notes.txt, so it cannot be verified'
[[ "$(checkpoints ck)" == "./ckpt-000001-epoch-1 ./ckpt-000002-mine ./ckpt-000006-epoch-4 " ]] ||
  fail "rotation left: $(checkpoints ck)"
same_bytes <(echo "my notes") ck/ckpt-000001-epoch-1/notes.txt
same_bytes <(echo "mine too") ck/ckpt-000002-mine/keep.txt
[[ "$(count_lines stderr 'ck/ckpt-000001-epoch-1 holds notes.txt')" == 1 ]] ||
  fail "expected one warning about the user's file: $(cat stderr)"
contains stderr "it is left in place"

# --- another run's checkpoints: refused before training --------------------------
before="$(checkpoints ck)"
for other in lambda data; do
  if [[ "$other" == lambda ]]; then
    expect_fail 1 dmf_np 2 "${run[@]}" 2 --lambda 0.5 --out never --checkpoint-dir ck
  else
    expect_fail 1 dmf_np 2 train --data other.csv --holdout 0.1 --rank 4 --epochs 2 --out never \
      --checkpoint-dir ck
  fi
  [[ "$(count_lines stderr 'holds checkpoints of another run')" == 1 ]] ||
    fail "expected the refusal once: $(cat stderr)"
  contains stderr "ck/ckpt-000006-epoch-4"
  not_contains stderr "epoch 1/"
  [[ "$(checkpoints ck)" == "$before" ]] || fail "a refused run changed ck: $(checkpoints ck)"
  [[ ! -e never ]] || fail "a refused run wrote its model"
done
contains stderr "was trained on other data"
# This run's options, started afresh in the same directory: allowed (the
# checkpoints are this run's), and numbered after the newest.
expect_ok dmf "${run[@]}" 1 --out m1b --checkpoint-dir ck --checkpoint-every 1 --quiet
[[ -d ck/ckpt-000007-epoch-1 ]] || fail "the fresh run's checkpoint: $(checkpoints ck)"

# --- --metrics-out: only a resumed run rewrites its own file ---------------------
echo '{"mine": 1}' >theirs.jsonl
expect_fail 1 dmf "${run[@]}" 2 --out never --checkpoint-dir fresh-ck --resume auto \
  --metrics-out theirs.jsonl
contains stderr "theirs.jsonl exists"
contains stderr "--overwrite"
same_bytes <(echo '{"mine": 1}') theirs.jsonl
[[ ! -e fresh-ck ]] || fail "the refusal came after the checkpoint directory was made"
# An empty file (what a run killed in its first epoch leaves) is taken over.
: >empty.jsonl
expect_ok dmf "${run[@]}" 2 --out fresh --checkpoint-dir fresh-ck --checkpoint-every 1 \
  --resume auto --metrics-out empty.jsonl
[[ "$(wc -l <empty.jsonl)" == 2 ]] || fail "empty.jsonl was not written"
# --overwrite replaces any file.
expect_ok dmf "${run[@]}" 2 --out fresh2 --checkpoint-dir fresh2-ck --resume auto \
  --metrics-out theirs.jsonl --overwrite
[[ "$(wc -l <theirs.jsonl)" == 2 ]] || fail "--overwrite did not replace theirs.jsonl"
# A resumed run refuses a metrics file that another run wrote ...
expect_ok dmf "${run[@]}" 2 --lambda 0.2 --out other-run --metrics-out other-run.jsonl
cp other-run.jsonl saved.jsonl
expect_fail 1 dmf "${run[@]}" 3 --out never --checkpoint-dir fresh-ck --resume auto \
  --metrics-out other-run.jsonl
contains stderr "other-run.jsonl is not this run's metrics file"
same_bytes saved.jsonl other-run.jsonl
# ... and rewrites its own.
expect_ok dmf "${run[@]}" 3 --out fresh3 --checkpoint-dir fresh-ck --resume auto \
  --metrics-out empty.jsonl
[[ "$(wc -l <empty.jsonl)" == 3 ]] || fail "the resumed run did not rewrite its metrics"

# --- a requeued run whose model is already published ----------------------------
expect_ok dmf_np 2 "${run[@]}" 3 --out done --checkpoint-dir done-ck --checkpoint-every 1 \
  --resume auto
inode="$(stat -c %i done)"
before="$(checkpoints done-ck)"
expect_ok dmf_np 2 "${run[@]}" 3 --out done --checkpoint-dir done-ck --checkpoint-every 1 \
  --resume auto --threads 2 --verbose
contains stdout "done is complete"
[[ "$(count_lines stdout 'is complete')" == 1 ]] || fail "said twice: $(cat stdout)"
not_contains stderr "epoch 1/"
[[ "$(stat -c %i done)" == "$inode" ]] || fail "the published model was written again"
[[ "$(checkpoints done-ck)" == "$before" ]] || fail "checkpoints changed: $(checkpoints done-ck)"
# Not this run's model (other options, more epochs, other data): refused as before.
expect_fail 1 dmf_np 2 "${run[@]}" 3 --lambda 0.5 --out done --checkpoint-dir done-ck2 --resume auto
contains stderr "done already exists"
contains stderr "--lambda 0.05 there, 0.5 here"
expect_fail 1 dmf "${run[@]}" 5 --out done --checkpoint-dir done-ck --resume auto
contains stderr "done already exists"
contains stderr "--epochs 3 there, 5 here"
expect_fail 1 dmf train --data other.csv --holdout 0.1 --rank 4 --epochs 3 --out done \
  --checkpoint-dir done-ck3 --resume auto
contains stderr "done already exists"
# Without --resume it is refused whoever's it is.
expect_fail 1 dmf "${run[@]}" 3 --out done
contains stderr "done already exists"
# A corrupt published model is not complete.
printf '\x55' | dd of=done/item_factors.npy bs=1 seek=200 conv=notrunc status=none
expect_fail 1 dmf "${run[@]}" 3 --out done --checkpoint-dir done-ck --resume auto
contains stderr "done/item_factors.npy is corrupt"
echo "resume_outputs: ok"
