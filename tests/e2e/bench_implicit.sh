#!/usr/bin/env bash
# jobs/bench/implicit.sh at tiny size: the generated play counts, their split
# and the popularity baseline's line, and either one line saying training is
# skipped (a dmf without implicit ALS) or a line per layout with seconds per
# iteration and the model's figures; the summary table at the end.
source "$(dirname "$0")/lib.sh"
bench="$(cd "$(dirname "$0")/../.." && pwd)/jobs/bench/implicit.sh"
export DMF_BENCH_DIR="$WORK/bench" MPIRUN="$DMF_MPIEXEC"

expect_ok env QUICK=1 USERS=300 ITEMS=200 PAIRS=6000 DATASETS=lastfm LAYOUTS=1,1 EPOCHS=1 \
  RANK=4 "$bench"
contains "$WORK/stdout" "generating $WORK/bench/implicit/data/lastfm-u300-i200-p6000-k10.csv"
contains "$WORK/stdout" "lastfm: popularity precision@10 0."
contains "$WORK/stdout" "(300 users ranked)"
if "$DMF" train --feedback implicit --help >/dev/null 2>&1; then
  contains "$WORK/stdout" "lastfm 1x1: "
  contains "$WORK/stdout" " s per iteration, precision@10 0."
else
  contains "$WORK/stdout" "implicit.sh: training skipped: $DMF does not accept 'train --feedback implicit'"
  [[ "$(grep -c 'skipped' "$WORK/stdout")" == 1 ]] || fail "more than one skip line"
fi
contains "$WORK/stdout" "NDCG x pop."
[[ -s "$WORK/bench/implicit/runs/lastfm-popularity.json" ]] || fail "no baseline figures written"
