#!/usr/bin/env bash
# dmf beside LIBMF (cjlin1/libmf, per-rating SGD on 2-D blocks) on the same
# data, the same cores and the same k: held-out RMSE against wall time, end
# to end and per epoch/iteration. A benchmark, not a test.
#
#   DMF_PEER_LIBMF=/path/to/libmf jobs/bench/peer.sh
#   DMF_PEER_LIBMF=/path/to/libmf PEER_QUICK=1 jobs/bench/peer.sh    (seconds)
#
# LIBMF is never downloaded, built or committed by this project: fetch it
# yourself (git clone https://github.com/cjlin1/libmf; cd libmf; make, or
# with the Makefile's USEAVX lines for AVX) and name the directory holding
# mf-train in DMF_PEER_LIBMF. Without it the script says so and exits 0.
#
# Data sets (DATASETS, cached in DMF_BENCH_DIR/peer/data), each split once
# 90/10 by `dmf split` (random, seed 1) into files both tools read as they
# are (LIBMF's `u i r` text, dmf's --format libmf); the test part is kept to
# ratings whose user and item occur in the training part (peer_data.py warm):
#   ml1m   `dmf generate` MovieLens-1M-shaped: 6,040 users, 3,706 items,
#          1,000,209 ratings on 1..5 in steps of 1
#   ml10m  MovieLens-10M-shaped: 69,878 users, 10,677 items, 10,000,054
#   movietweetings  DMF_SHARED_DATA/movietweetings/latest_20131106_ratings.dat
#          (141,695 ratings 0..10; IDs made dense 0-based indices by
#          peer_data.py dense); skipped when absent
# Per data set and k (KS), in this order so that the ratios are taken from
# one run: LIBMF over the grid L2S × RATES (-l2, -r), ITERS iterations on
# every core (-s); then every dmf solver that `dmf train --help` lists
# (als once per --als-solve: cholesky, and cg at each of CG_STEPS), each at
# every layout of LAYOUTS (ranks,threads), EPOCHS epochs, with LIBMF's best
# grid point run again after every LIBMF_EVERY dmf runs and at the end.
#
# Environment (defaults in brackets):
#   DMF_PEER_LIBMF  LIBMF's directory (mf-train in it) [none: skip]
#   DMF  the dmf binary to time [a Release build in BUILD_DIR, built here]
#   BUILD_DIR [build-bench];  DMF_BENCH_DIR  data and runs [/tmp/dmf-bench]
#   DMF_SHARED_DATA  the directory of movietweetings/ [../shared/data next to
#     the repository, or next to the main checkout of a git worktree]
#   DATASETS ["ml1m ml10m movietweetings"];  KS ["64"]
#   LAYOUTS  dmf's ranks,threads pairs ["1,C C,1" for C cores]
#   EPOCHS  dmf epochs [10];  EPOCHS_<solver>  for one solver (e.g. EPOCHS_gd=3)
#   ITERS  LIBMF iterations [40];  L2S ["0.01 0.03 0.05 0.1"];  RATES ["0.05 0.1"]
#   SOLVERS  the dmf solvers to run [every one `dmf train --help` lists]
#   CG_STEPS  --cg-steps of the als cg runs ["2 3 4"]
#   DMF_OPTS  more `dmf train` options for every run (e.g. "--lambda 0.03");
#     OPTS_<solver>  for one solver's runs (e.g. OPTS_gd="--batch-size 100000")
#   LIBMF_EVERY [3];  TRUE_RANK [10];  NOISE [0.5]  of the generator
#   PEER_DATA_ONLY=1  prepare (generate, split) the data sets and stop
#   PEER_QUICK=1  small data (20,000 and 100,000 ratings), k 8, 3 epochs,
#     5 iterations, one grid point, cg 3 steps, no movietweetings
# Writes the runs in DMF_BENCH_DIR/peer/runs/DATA-kK (replacing that data
# set's and k's earlier runs, keeping the others: a data set can be run
# again with other settings), then over all runs there DMF_BENCH_DIR/peer/
# peer.csv (one line per epoch or iteration of every run), peer-DATA-kK.svg
# (held-out RMSE against seconds end to end, one line per solver/tool and
# layout) and the summary of peer_report.py on stdout (with issue 15's
# sgd ratios: time to LIBMF's best RMSE over LIBMF's run per layout, epoch
# over LIBMF's iteration, best RMSE per k and over all k, 1 -> 2 ranks
# from the 1,1 and 2,1 layouts when LAYOUTS has both).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
libmf="${DMF_PEER_LIBMF:-}"
if [[ -z "$libmf" || ! -x "$libmf/mf-train" ]]; then
  echo "peer.sh: skipped: no LIBMF build (set DMF_PEER_LIBMF to a directory with mf-train: git clone https://github.com/cjlin1/libmf && make -C libmf)"
  exit 0
fi
libmf="$(cd "$libmf" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

quick="${PEER_QUICK:-0}"
if [[ "$quick" == 1 ]]; then
  datasets="${DATASETS:-ml1m ml10m}"
  ks="${KS:-8}" epochs="${EPOCHS:-3}" iters="${ITERS:-5}"
  l2s="${L2S:-0.05}" rates="${RATES:-0.1}" cg_steps="${CG_STEPS:-3}"
else
  datasets="${DATASETS:-ml1m ml10m movietweetings}"
  ks="${KS:-64}" epochs="${EPOCHS:-10}" iters="${ITERS:-40}"
  l2s="${L2S:-0.01 0.03 0.05 0.1}" rates="${RATES:-0.05 0.1}" cg_steps="${CG_STEPS:-2 3 4}"
fi
layouts="${LAYOUTS:-1,$cores $cores,1}"
libmf_every="${LIBMF_EVERY:-3}"
true_rank="${TRUE_RANK:-10}"
noise="${NOISE:-0.5}"
read -r -a dmf_opts <<<"${DMF_OPTS:-}"
peer_dir="$bench_dir/peer"
data_dir="$peer_dir/data"
runs_dir="$peer_dir/runs"
mkdir -p "$data_dir" "$runs_dir"

if [[ -n "${DMF:-}" ]]; then
  dmf="$DMF"
else
  bench_build dmf
fi

# shared_data: the directory holding movietweetings/, or nothing.
shared_data() {
  if [[ -n "${DMF_SHARED_DATA:-}" ]]; then
    echo "$DMF_SHARED_DATA"
    return
  fi
  local dir
  for dir in "$root_dir/../shared/data" \
    "$(git -C "$root_dir" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../../shared/data"; do
    if [[ -d "$dir" ]]; then
      (cd "$dir" && pwd)
      return
    fi
  done
}

# generated NAME USERS ITEMS RATINGS: sets all to a cached generated data set.
generated() {
  all="$data_dir/$1-r$true_rank-s$noise.all"
  if [[ ! -s "$all" ]]; then
    echo "generating $all"
    dmf_mpirun "$cores" "$dmf" generate --users "$2" --items "$3" --ratings "$4" \
      --true-rank "$true_rank" --noise "$noise" --seed 7 --format libmf --out "$all.tmp" \
      --overwrite --quiet
    mv "$all.tmp" "$all"
  fi
}

# prepare NAME: sets train and test to NAME's split (cached), or returns 1
# when the data set is not there.
prepare() {
  case "$1" in
    ml1m) if [[ "$quick" == 1 ]]; then generated ml1m-quick 600 400 20000; else generated ml1m 6040 3706 1000209; fi ;;
    ml10m) if [[ "$quick" == 1 ]]; then generated ml10m-quick 2000 1000 100000; else generated ml10m 69878 10677 10000054; fi ;;
    movietweetings)
      local src
      src="$(shared_data)/movietweetings/latest_20131106_ratings.dat"
      if [[ ! -s "$src" ]]; then
        echo "movietweetings: skipped, $src not found (set DMF_SHARED_DATA)"
        return 1
      fi
      all="$data_dir/movietweetings.all"
      [[ -s "$all" ]] || python3 "$here/peer_data.py" dense "$src" "$all"
      ;;
    *)
      echo "peer.sh: unknown data set '$1' in DATASETS (ml1m, ml10m, movietweetings)" >&2
      exit 1
      ;;
  esac
  train="${all%.all}.train"
  test="${all%.all}.test-warm"
  if [[ ! -s "$test" ]]; then
    "$dmf" split --data "$all" --format libmf --test-ratio 0.1 --seed 1 \
      --out-prefix "${all%.all}" --overwrite --quiet
    python3 "$here/peer_data.py" warm "$train" "${all%.all}.test" "$test"
  fi
}

# The solvers of this dmf binary: the choices its --solver help lists.
train_help="$("$dmf" train --help)"
mapfile -t solvers < <(python3 -c '
import re, sys
text = sys.stdin.read()
entry = re.search(r"^  --solver NAME(.*?)(?=^  --|\Z)", text, re.S | re.M).group(1)
print("\n".join(re.findall(r"\(([\w|-]+)\)\s*(?:\[|$)", " ".join(entry.split()))[-1].split("|")))' \
  <<<"$train_help")
if [[ -n "${SOLVERS:-}" ]]; then read -r -a solvers <<<"$SOLVERS"; fi
echo "dmf solvers: ${solvers[*]}; LIBMF: $libmf"

# variants SOLVER: the runs of one solver, one per line: a label and options.
variants() {
  if [[ "$1" == als && "$train_help" == *--als-solve* ]]; then
    echo "cholesky --als-solve cholesky"
    local n
    for n in $cg_steps; do echo "cg$n --als-solve cg --cg-steps $n"; done
  else
    echo "default"
  fi
}

libmf_runs=0
# run_libmf DATA K L2 RATE ROLE: one LIBMF training, timed by peer_run.py.
run_libmf() {
  local name="libmf-l2_$3-r$4-$libmf_runs"
  libmf_runs=$((libmf_runs + 1))
  echo "  libmf $name: -k $2 -t $iters -s $cores -l2 $3 -r $4"
  python3 "$here/peer_run.py" "$run_dir/$name.json" tool=libmf solver=libmf variant="l2=$3 r=$4" \
    data="$1" k="$2" ranks=1 threads="$cores" role="$5" l2="$3" r="$4" -- \
    "$libmf/mf-train" -k "$2" -t "$iters" -s "$cores" -l2 "$3" -r "$4" -p "$test" "$train" \
    "$run_dir/$name.model" </dev/null >/dev/null || echo "    FAILED (see $run_dir/$name.json)"
  rm -f "$run_dir/$name.model"
}

# run_dmf DATA K SOLVER VARIANT P T OPTIONS...: one dmf training on P ranks
# of T threads (each rank bound to T cores when they fit). Its standard
# input is /dev/null: mpirun would read the list the caller's loop reads.
run_dmf() {
  local data="$1" k="$2" solver="$3" variant="$4" np="$5" t="$6"
  shift 6
  local name="dmf-$solver-$variant-p$np-t$t" key="${solver//[^A-Za-z0-9_]/_}"
  local epochs_var="EPOCHS_$key" opts_var="OPTS_$key" extra
  read -r -a extra <<<"${!opts_var:-}"
  local all_opts=("$@" "${dmf_opts[@]}" "${extra[@]}")
  if [[ " ${all_opts[*]} " != *" --epochs "* ]]; then
    all_opts+=(--epochs "${!epochs_var:-$epochs}")
  fi
  local launcher
  mapfile -t launcher < <(DMF_MPIRUN_FLAGS="$(dmf_bind_flags "$np" "$t") ${DMF_MPIRUN_FLAGS:-}" \
    dmf_mpirun_command "$np")
  echo "  dmf $name: ${all_opts[*]}"
  python3 "$here/peer_run.py" "$run_dir/$name.json" tool=dmf solver="$solver" \
    variant="$variant" data="$data" k="$k" ranks="$np" threads="$t" role=run \
    metrics="$run_dir/$name.jsonl" -- "${launcher[@]}" "$dmf" train --data "$train" \
    --validation "$test" --format libmf --solver "$solver" --rank "$k" --threads "$t" \
    --out "$run_dir/$name" --overwrite --metrics-out "$run_dir/$name.jsonl" "${all_opts[@]}" \
    </dev/null >/dev/null || echo "    FAILED (see $run_dir/$name.json)"
}

for data in $datasets; do
  prepare "$data" || continue
  if [[ "${PEER_DATA_ONLY:-0}" == 1 ]]; then continue; fi
  for k in $ks; do
    run_dir="$runs_dir/$data-k$k"
    rm -rf "${run_dir:?}"
    mkdir -p "$run_dir"
    echo "$data, k = $k: $(wc -l <"$train") training and $(wc -l <"$test") test ratings"
    for l2 in $l2s; do
      for rate in $rates; do run_libmf "$data" "$k" "$l2" "$rate" grid; done
    done
    read -r best_l2 best_rate < <(python3 "$here/peer_report.py" best-libmf "$run_dir")
    echo "  LIBMF's best grid point: -l2 $best_l2 -r $best_rate"
    read -r -a grid_l2 <<<"$l2s"
    if ((${#grid_l2[@]} > 1)) && [[ "$best_l2" == "${grid_l2[0]}" || "$best_l2" == "${grid_l2[-1]}" ]]; then
      echo "  note: -l2 $best_l2 is at the edge of L2S ($l2s): LIBMF may do better beyond it"
    fi
    since_libmf=0
    for solver in "${solvers[@]}"; do
      while read -r variant options; do
        for layout in $layouts; do
          IFS=, read -r np t <<<"$layout"
          # shellcheck disable=SC2086 # options is a blank-separated list
          run_dmf "$data" "$k" "$solver" "$variant" "$np" "$t" $options
          since_libmf=$((since_libmf + 1))
          if ((since_libmf >= libmf_every)); then
            run_libmf "$data" "$k" "$best_l2" "$best_rate" repeat
            since_libmf=0
          fi
        done
      done < <(variants "$solver")
    done
    if ((since_libmf > 0)); then run_libmf "$data" "$k" "$best_l2" "$best_rate" repeat; fi
  done
done

if [[ "${PEER_DATA_ONLY:-0}" != 1 ]]; then
  python3 "$here/peer_report.py" report "$runs_dir" "$peer_dir"
fi
