#!/usr/bin/env bash
# Implicit-feedback ALS (dmf train --feedback implicit, warm-started
# conjugate gradient) on play counts shaped like last.fm-360k, against the
# `implicit` library's published 2.32 s per iteration (8 cores, k = 64, that
# data set), and its ranking quality against the popularity baseline. A
# benchmark, not a test.
#
#   jobs/bench/implicit.sh
#   QUICK=1 jobs/bench/implicit.sh      (a small data set: seconds)
#
# Data sets (cached in DMF_BENCH_DIR/implicit/data), each split once by
# `dmf split --by user` (TEST_RATIO of every user's items held out, seed 1):
#   lastfm  `dmf generate --feedback implicit` with last.fm-360k's size:
#           358,000 users, 160,000 items, 17,500,000 pairs (QUICK=1: 20,000
#           users, 9,000 items, 980,000 pairs; USERS, ITEMS, PAIRS override)
#           from a hidden model of TRUE_RANK tastes (README, "Generated data")
#   movietweetings  DMF_SHARED_DATA/movietweetings/latest_20131106_ratings.dat,
#           the ratings of 8 and above as clicks (value 1); skipped when absent
# Per data set: precision@10 and NDCG@10 of the popularity baseline (`dmf
# eval --baseline popularity`, the training items excluded); then, for each
# layout of LAYOUTS (ranks,threads), `dmf train --feedback implicit --solver
# als --als-solve cg --cg-steps CG_STEPS --rank RANK` for EPOCHS iterations:
# seconds per iteration (the median of the metrics lines; for lastfm at its
# full size also as a ratio of implicit's 2.32 s) and the model's precision@10 and NDCG@10
# with the ratio of its NDCG to the baseline's (the target: 1.5 or more on
# the generated data). A dmf that does not accept `train --feedback
# implicit` gets one line saying so and no training; the rest still runs.
#
# Environment (defaults in brackets):
#   DMF  the dmf binary to time [a Release build in BUILD_DIR, built here]
#   BUILD_DIR [build-bench];  DMF_BENCH_DIR  data and runs [/tmp/dmf-bench]
#   DMF_SHARED_DATA  the directory of movietweetings/ [../shared/data next to
#     the repository, or next to the main checkout of a git worktree]
#   QUICK=1  the small generated set;  USERS, ITEMS, PAIRS  its size
#   DATASETS ["lastfm movietweetings"];  LAYOUTS ["1,C C,1" for C cores]
#   RANK [64];  CG_STEPS [3];  EPOCHS [10 (QUICK: 5)];  TEST_RATIO [0.2]
#   ALPHA [1];  CONFIDENCE [log];  LAMBDA [1]  of the confidence-weighted
#     objective (the best of a small sweep on the QUICK set at k = 64: with
#     λ 10 the factors collapse, with linear confidence the NDCG falls below
#     the baseline's);  TRUE_RANK  tastes of the generated data [10]
#   RANKING=0  no model ranking (users x items x k multiply-adds: at full
#     size it takes longer than the training); the baseline's stays
#   TRAIN_OPTS  more `dmf train` options for every run
# Writes the data sets, models and logs under DMF_BENCH_DIR/implicit and the
# summary on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

quick="${QUICK:-0}"
if [[ "$quick" == 1 ]]; then
  users="${USERS:-20000}" items="${ITEMS:-9000}" pairs="${PAIRS:-980000}"
  epochs="${EPOCHS:-5}"
else
  users="${USERS:-358000}" items="${ITEMS:-160000}" pairs="${PAIRS:-17500000}"
  epochs="${EPOCHS:-10}"
fi
datasets="${DATASETS:-lastfm movietweetings}"
layouts="${LAYOUTS:-1,$cores $cores,1}"
rank="${RANK:-64}"
cg_steps="${CG_STEPS:-3}"
test_ratio="${TEST_RATIO:-0.2}"
alpha="${ALPHA:-1}"
confidence="${CONFIDENCE:-log}"
lambda="${LAMBDA:-1}"
ranking="${RANKING:-1}"
true_rank="${TRUE_RANK:-10}"
read -r -a train_opts <<<"${TRAIN_OPTS:-}"
# implicit's benchmark: 2.32 s per iteration, k = 64, CG, 8 cores, last.fm-360k.
implicit_seconds=2.32
work_dir="$bench_dir/implicit"
data_dir="$work_dir/data"
runs_dir="$work_dir/runs"
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

# prepare NAME: sets train and test to NAME's split (cached), or returns 1
# when the data set is not there.
prepare() {
  local all
  case "$1" in
    lastfm)
      all="$data_dir/lastfm-u$users-i$items-p$pairs-k$true_rank.csv"
      if [[ ! -s "$all" ]]; then
        echo "generating $all"
        local start=$SECONDS
        dmf_mpirun "$cores" "$dmf" generate --feedback implicit --users "$users" --items "$items" \
          --ratings "$pairs" --true-rank "$true_rank" --seed 7 --out "$all.tmp" --overwrite \
          --quiet >/dev/null
        mv "$all.tmp" "$all"
        echo "generated in $((SECONDS - start)) s on $cores rank(s)"
      fi
      ;;
    movietweetings)
      local src
      src="$(shared_data)/movietweetings/latest_20131106_ratings.dat"
      if [[ ! -s "$src" ]]; then
        echo "movietweetings: skipped, $src not found (set DMF_SHARED_DATA)"
        return 1
      fi
      all="$data_dir/movietweetings-clicks.dat"
      # user::movie::rating::time; a rating of 8 or more is a click (1).
      [[ -s "$all" ]] || awk -F'::' '$3 >= 8 { print $1 "::" $2 "::1::" $4 }' "$src" >"$all"
      ;;
    *)
      echo "implicit.sh: unknown data set '$1' in DATASETS (lastfm, movietweetings)" >&2
      exit 1
      ;;
  esac
  local prefix="${all%.*}-t$test_ratio"
  train="$prefix.train"
  test="$prefix.test"
  if [[ ! -s "$train" || ! -s "$test" ]]; then
    "$dmf" split --data "$all" --by user --test-ratio "$test_ratio" --seed 1 \
      --out-prefix "$prefix" --overwrite --quiet >/dev/null
  fi
}

# json_field FILE KEY...: the values of KEYs in the one JSON object of FILE
# (numbers with 4 decimals, n/a when absent or null).
json_field() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
show = lambda v: "n/a" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v)
print(" ".join(show(d.get(k)) for k in sys.argv[2:]))' "$@"
}

# median_seconds FILE: the median "seconds" of the epochs of a --metrics-out file.
median_seconds() {
  python3 -c 'import json, statistics, sys
s = [json.loads(l)["seconds"] for l in open(sys.argv[1]) if l.strip()]
print(f"{statistics.median(s):.3f}" if s else "n/a")' "$1"
}

# ratio A B: A / B to two decimals, n/a when either is not a number.
ratio() {
  python3 -c 'import sys
try: print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")
except (ValueError, ZeroDivisionError): print("n/a")' "$1" "$2"
}

metrics=(--metrics precision@10,ndcg@10)
can_train=1
if ! "$dmf" train --feedback implicit --help >/dev/null 2>&1; then
  can_train=0
  echo "implicit.sh: training skipped: $dmf does not accept 'train --feedback implicit' (a build without implicit ALS); the data and the popularity baseline follow"
fi

summary=()
for name in $datasets; do
  prepare "$name" || continue
  base="$runs_dir/$name-popularity.json"
  "$dmf" eval --baseline popularity --train "$train" --data "$test" --exclude-rated "$train" \
    "${metrics[@]}" --json --quiet >"$base"
  read -r base_p base_n users_ranked <<<"$(json_field "$base" precision@10 ndcg@10 users_ranked)"
  summary+=("$(printf '%-15s %-12s %8s %14s %10s %10s %12s' "$name" popularity - - \
    "$base_p" "$base_n" "1.00")")
  echo "$name: popularity precision@10 $base_p, NDCG@10 $base_n ($users_ranked users ranked)"
  [[ "$can_train" == 1 ]] || continue
  for layout in $layouts; do
    np="${layout%,*}" threads="${layout#*,}"
    run="$runs_dir/$name-k$rank-${np}x$threads"
    rm -rf "$run" "$run.jsonl"
    if ! DMF_MPIRUN_FLAGS="$(dmf_bind_flags "$np" "$threads")" dmf_mpirun "$np" "$dmf" train \
      --data "$train" --feedback implicit --alpha "$alpha" --confidence "$confidence" \
      --lambda "$lambda" --solver als --als-solve cg --cg-steps "$cg_steps" --rank "$rank" \
      --epochs "$epochs" --threads "$threads" --out "$run" --metrics-out "$run.jsonl" \
      --quiet "${train_opts[@]}" >"$run.log" 2>&1; then
      echo "$name ${np}x$threads: dmf train failed, see $run.log"
      continue
    fi
    seconds="$(median_seconds "$run.jsonl")"
    p=- n=-
    if [[ "$ranking" == 1 ]]; then
      "$dmf" eval --model "$run" --data "$test" --exclude-rated "$train" "${metrics[@]}" --json \
        --quiet >"$run.eval.json"
      read -r p n <<<"$(json_field "$run.eval.json" precision@10 ndcg@10)"
    fi
    vs="-"
    # Only last.fm-360k's size compares with implicit's figure.
    [[ "$name" == lastfm && "$pairs" == 17500000 ]] && vs="$(ratio "$seconds" "$implicit_seconds")"
    summary+=("$(printf '%-15s %-12s %8s %14s %10s %10s %12s' "$name" "als ${np}x$threads" \
      "$seconds" "$vs" "$p" "$n" "$(ratio "$n" "$base_n")")")
    echo "$name ${np}x$threads: $seconds s per iteration, precision@10 $p, NDCG@10 $n"
  done
done

echo
echo "k = $rank, cg $cg_steps steps, $epochs iterations, alpha $alpha ($confidence), lambda $lambda; implicit: $implicit_seconds s per iteration on 8 cores (last.fm-360k)"
printf '%-15s %-12s %8s %14s %10s %10s %12s\n' "data" "ranker" "s/iter" "x implicit's" \
  "prec@10" "NDCG@10" "NDCG x pop."
printf '%s\n' "${summary[@]}"
