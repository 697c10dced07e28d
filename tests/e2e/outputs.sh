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
