#!/usr/bin/env bash
# Bounds, exit codes and output files end to end: absurd --threads and --rank
# refused before anything is allocated, errors every rank shares printed
# once without an MPI_Abort, a full or closed standard output is an error,
# `-` is standard output, --overwrite replaces only regular files and model
# directories, and every output path is checked before training starts.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 60 --items 40 --ratings 800 --true-rank 3 --noise 0.3 \
  --out ratings.csv --quiet

# one_error: stderr holds exactly one line, `dmf: error: TEXT`, printed once
# by rank 0: no per-rank copies, no MPI_Abort.
one_error() {
  [[ "$(count_lines "$WORK/stderr" 'error:')" == 1 ]] || {
    cat "$WORK/stderr" >&2
    fail "expected one error line"
  }
  contains "$WORK/stderr" "dmf: error: $1"
  not_contains "$WORK/stderr" "dmf: rank "
  not_contains "$WORK/stderr" "MPI_ABORT"
}

# --- Bounds: threads and the memory a --rank needs, refused up front.
for np in 1 3; do
  expect_fail 1 dmf_np "$np" train --data ratings.csv --out m --threads 100000 --quiet
  one_error "--threads 100000 asks for 100000 threads, more than 16 x the"
  OMP_NUM_THREADS=100000 expect_fail 1 dmf_np "$np" train --data ratings.csv --out m --quiet
  one_error "OMP_NUM_THREADS=100000 asks for 100000 threads"
  # Would fill the memory for a minute and die in bad_alloc.
  expect_fail 1 dmf_np "$np" train --data ratings.csv --out m --rank 100000000 --quiet
  one_error "--rank 100000000 needs about"
  contains "$WORK/stderr" "of memory on rank 0"
  expect_fail 1 dmf_np "$np" train --solver gd --data ratings.csv --out m --rank 100000000 --quiet
  one_error "--rank 100000000 needs about"
  [[ ! -e m ]] || fail "a refused run left m behind"
done

# --- Errors every rank shares: once, exit 1, no MPI_Abort.
for np in 1 3; do
  expect_fail 1 dmf_np "$np" train --solver gd --lr 1e30 --data ratings.csv --out m --quiet
  one_error "training diverged in epoch 1"
  expect_fail 1 dmf_np "$np" train --init-scale 1e30 --data ratings.csv --out m --quiet
  one_error "the initial objective is"
  OMP_NUM_THREADS=x expect_fail 1 dmf_np "$np" info --data ratings.csv
  # (libgomp says so too, before dmf starts)
  [[ "$(count_lines "$WORK/stderr" 'dmf: error:')" == 1 ]] || fail "expected one dmf error line"
  contains "$WORK/stderr" "dmf: error: OMP_NUM_THREADS='x' is not a positive integer"
  not_contains "$WORK/stderr" "dmf: rank "
done

# --- Standard output that cannot take the results: exit 1, said once.
# (One process: under mpirun the ranks write to mpirun, which does not pass
# its own write errors back.)
got=0
dmf info --data ratings.csv --quiet >/dev/full 2>"$WORK/stderr" || got=$?
[[ "$got" == 1 ]] || fail "info >/dev/full exited $got"
one_error "cannot write to standard output: No space left on device"
got=0
dmf info --data ratings.csv --quiet >&- 2>"$WORK/stderr" || got=$?
[[ "$got" == 1 ]] || fail "info >&- exited $got"
one_error "cannot write to standard output: Bad file descriptor"

# --- `-` is standard output, with the file's bytes, on any number of ranks.
expect_ok dmf train --data ratings.csv --rank 3 --epochs 3 --out model --quiet
for np in 1 3; do
  expect_ok dmf_np "$np" generate --users 60 --items 40 --ratings 800 --true-rank 3 \
    --noise 0.3 --out - --quiet
  same_bytes "$WORK/stdout" ratings.csv
  expect_ok dmf_np "$np" predict --model model --data ratings.csv --out "predictions$np.csv" \
    --quiet
  expect_ok dmf_np "$np" predict --model model --data ratings.csv --out - --quiet
  same_bytes "$WORK/stdout" "predictions$np.csv"
  [[ ! -s "$WORK/stderr" ]] || fail "predict --out - --quiet said something on stderr"
  expect_ok dmf_np "$np" recommend --model model --all-users --top 3 --out "top$np.csv" --quiet
  expect_ok dmf_np "$np" recommend --model model --all-users --top 3 --out - --quiet
  same_bytes "$WORK/stdout" "top$np.csv"
  # One user without --out: printed; the summary line goes to stderr.
  expect_ok dmf_np "$np" recommend --model model --user 7 --top 3
  grep '^7,' "top$np.csv" | diff - <(tail -n +2 "$WORK/stdout") ||
    fail "recommend --user 7 printed other rows than the file's"
  contains "$WORK/stderr" "wrote the top 3 items of 1 users to standard output"
  expect_fail 1 dmf_np "$np" recommend --model model --all-users
  one_error "give --out FILE for the recommendations (or --out - for standard output)"
  # --metrics-out -: the JSON lines alone on stdout, the summary on stderr.
  expect_ok dmf_np "$np" train --data ratings.csv --rank 3 --epochs 3 --out "m$np" \
    --metrics-out -
  [[ "$(wc -l < "$WORK/stdout")" == 3 ]] || fail "expected 3 metrics lines on stdout"
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$WORK/stdout" ||
    fail "stdout is not JSON lines"
  contains "$WORK/stderr" "model written to m$np"
done

# --- --overwrite replaces regular files (and model directories) only.
echo kept > target.csv
ln -s target.csv link.csv
mkfifo fifo
mkdir plain-dir
touch plain-dir/mine
# (every command at 1 rank; the refusal on 2 ranks once: it is rank 0's)
for out in link.csv fifo; do
  expect_fail 1 dmf predict --model model --data ratings.csv --out "$out" --overwrite --quiet
  one_error "--out $out is a"
  contains "$WORK/stderr" "dmf replaces only regular files, even with --overwrite"
  expect_fail 1 dmf_np 2 predict --model model --data ratings.csv --out "$out" --overwrite --quiet
  one_error "--out $out is a"
  expect_fail 1 dmf generate --users 5 --items 5 --ratings 10 --out "$out" --overwrite --quiet
  one_error "--out $out is a"
  expect_fail 1 dmf train --data ratings.csv --out t --metrics-out "$out" --overwrite --quiet
  one_error "--metrics-out $out is a"
done
expect_fail 1 dmf train --data ratings.csv --out link.csv --overwrite --quiet
one_error "link.csv exists and is not a dmf model directory"
expect_fail 1 dmf train --data ratings.csv --out plain-dir --overwrite --quiet
one_error "plain-dir exists and is not a dmf model directory"
[[ -L link.csv && "$(cat target.csv)" == kept ]] || fail "the symbolic link or its target changed"
[[ -p fifo ]] || fail "the FIFO was replaced"
[[ -f plain-dir/mine ]] || fail "plain-dir was replaced"

# --- Every output path is checked before the data is read or an epoch run:
# a bad one fails at once, with no epoch line.
bad_outputs=(
  "--out /proc/dmf-model|--out /proc/dmf-model: cannot create files in directory /proc"
  "--out ratings.csv/m|--out ratings.csv/m: ratings.csv is not a directory"
  "--out m0 --metrics-out /proc/m.jsonl|--metrics-out /proc/m.jsonl: cannot create files"
  "--out m0 --checkpoint-dir /proc/ck|--checkpoint-dir /proc/ck: cannot create files"
  "--out m0 --metrics-out ratings.csv --overwrite|--metrics-out ratings.csv is also the input --data"
  "--out m0 --metrics-out m0/metrics.jsonl|--metrics-out m0/metrics.jsonl is inside --out m0"
  "--out m0 --checkpoint-dir m0|--out m0 is also the output --checkpoint-dir"
)
for np in 1 3; do
  # On 3 ranks, the first two: the check is rank 0's, the error everyone's.
  # Under the sanitizers also on 1 (each start costs a second there; the
  # path rules themselves run under them in the unit tests).
  ((np == 1 && ${DMF_E2E_SANITIZED:-0} != 1)) || bad_outputs=("${bad_outputs[@]:0:2}")
  for entry in "${bad_outputs[@]}"; do
    read -ra args <<<"${entry%%|*}"
    expect_fail 1 dmf_np "$np" train --data ratings.csv --epochs 50 "${args[@]}"
    one_error "${entry#*|}"
    # Refused before the data was read: no load line, no epoch (a timing
    # check would say less and fail on a busy machine).
    not_contains "$WORK/stderr" "epoch "
    not_contains "$WORK/stderr" "loaded "
  done
  expect_fail 1 dmf_np "$np" train --data ratings.csv --out "" --quiet
  one_error "--out is empty; give a path"
  expect_fail 1 dmf_np "$np" predict --model model --data ratings.csv --out model/p.csv --quiet
  one_error "--out model/p.csv is inside the input --model model"
  expect_fail 1 dmf_np "$np" split --data ratings.csv --out-prefix /proc/x --quiet
  one_error "--out-prefix /proc/x.train: cannot create files in directory /proc"
done
[[ ! -e m0 ]] || fail "a refused run wrote m0"

# A closed stderr loses the logs but fails nothing.
dmf info --data ratings.csv >"$WORK/stdout" 2>&- || fail "info 2>&- failed"
contains "$WORK/stdout" "ratings.csv"

# split writes several files: `-` is refused rather than taken as a name.
expect_fail 1 dmf split --data ratings.csv --out-prefix - --quiet
one_error "--out-prefix -: split writes two or three files"
[[ ! -e -.train ]] || fail "split wrote -.train"
