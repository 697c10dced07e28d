#!/usr/bin/env bash
# The README's first command, jobs/local/quickstart.sh, with this build's
# dmf (DMF set: no set-up, no build): it generates the default data set,
# describes it and trains on 2 ranks with 10% held out, plots the learning
# curves, and says where everything went.
source "$DMF_E2E_LIB"

export QUICKSTART_OUT="$WORK/qs" MPIRUN="$DMF_MPIEXEC"
expect_ok bash "$DMF_SOURCE_DIR/jobs/local/quickstart.sh"
contains "$WORK/stdout" "quickstart: done."
contains "$WORK/stdout" "model:     $WORK/qs/model"
# The held-out RMSE of the trained model, on the generator's 1-5 scale with
# noise sd 0.5: a model that learned nothing (μ and biases) is near 0.9.
rmse="$(sed -n 's/.*validation RMSE \([0-9.]*\).*/\1/p' "$WORK/qs/train.log" | tail -n 1)"
[[ -n "$rmse" ]] || fail "no validation RMSE in train.log: $(cat "$WORK/qs/train.log")"
awk -v r="$rmse" 'BEGIN { exit !(r > 0.4 && r < 0.7) }' || fail "validation RMSE $rmse"
for f in manifest.json user_factors.npy item_factors.npy; do
  [[ -s "$WORK/qs/model/$f" ]] || fail "no $f in the model"
done
[[ "$(wc -l <"$WORK/qs/metrics.jsonl")" == 10 ]] || fail "metrics.jsonl has not 10 epochs"
grep -q '<svg' "$WORK/qs/curves.svg" || fail "curves.svg is not an SVG"
# Run again: the same command replaces its own outputs.
expect_ok bash "$DMF_SOURCE_DIR/jobs/local/quickstart.sh"
contains "$WORK/stdout" "quickstart: done."
echo "quickstart: ok"
