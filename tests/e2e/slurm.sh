#!/usr/bin/env bash
# Slurm end to end, for real: a single-node Slurm cluster started on this
# machine (slurm_cluster.sh) runs jobs/slurm/train.sbatch on generated data.
# Mid-run the batch shell gets SIGUSR1, as Slurm sends it before a time
# limit or at preemption (--signal=B:USR1@120); the job checkpoints,
# requeues itself, runs again with --resume auto and finishes. Its model
# must equal, byte for byte, an uninterrupted run at the same layout. A job
# cancelled with scancel checkpoints but stays cancelled. Then a sweep
# (jobs/slurm/sweep.sbatch) and dmf gather as a job depending on it.
source "$DMF_E2E_LIB"
source "$DMF_SOURCE_DIR/tests/e2e/slurm_cluster.sh"

trap 'code=$?; ((code == 0)) || slurm_cluster_logs; slurm_cluster_stop; [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"' EXIT
slurm_cluster_start "$WORK/slurm"

expect_ok dmf generate --users 2000 --items 500 --ratings 80000 --true-rank 4 --noise 0.3 \
  --out ratings.csv --quiet
args=(--solver gd --rank 6 --lambda 0.05 --epochs 6 --holdout 0.1 --batch-size 1000)
expect_ok dmf_np 2 train --data ratings.csv "${args[@]}" --threads 1 --out reference --quiet

# job_state JOB: the job's state (squeue keeps finished jobs with -t all).
job_state() { squeue -h -t all -j "$1" -o '%T' 2>/dev/null | head -n 1; }

# submit OUT: train.sbatch on OUT; prints the job ID. Every safe point waits
# 10 ms (a test hook that changes no result), so the job is still training
# when the signal comes.
submit() {
  DMF_TEST_SAFE_POINT_DELAY=0.01 sbatch --parsable --chdir="$WORK" \
    --export="ALL,DATA=$WORK/ratings.csv,OUT=$WORK/$1,DMF=$DMF,SOLVER=gd,RANK=6,LAMBDA=0.05,EPOCHS=6,HOLDOUT=0.1" \
    "$DMF_SOURCE_DIR/jobs/slurm/train.sbatch" --batch-size 1000
}

# first_epoch JOB OUT: waits until the job has trained an epoch.
first_epoch() {
  local i state
  for ((i = 0; i < 600; i++)); do
    [[ -s "$2/metrics.jsonl" ]] && return 0
    state="$(job_state "$1")"
    [[ "$state" == RUNNING || "$state" == PENDING ]] || {
      cat "$WORK/dmf-train-$1.log" >&2
      fail "job $1 is $state before its first epoch"
    }
    sleep 0.1
  done
  fail "job $1 trained no epoch in 60 s"
}

# Two jobs side by side: "run" gets Slurm's warning signal (as before a time
# limit or at preemption) and must requeue itself and finish; "cancelled"
# gets a plain scancel and must checkpoint and stay cancelled.
job="$(submit run)" || fail "sbatch failed"
cancelled="$(submit cancelled)" || fail "sbatch failed"
log="$WORK/dmf-train-$job.log"
first_epoch "$job" run
scancel --batch --signal=USR1 "$job" || fail "scancel --batch --signal=USR1 $job failed"
first_epoch "$cancelled" cancelled
scancel "$cancelled" || fail "scancel $cancelled failed"

# Requeued, it runs again and completes. A requeued job is held back for
# cred_expire + 1 seconds (10 + 1 here), time in which Slurm finishes the
# first run; `scontrol update StartTime=now` would race with that.
# Only a failure after the log's last word is not the requeue counts, and
# only a completion after the log says done.
for ((i = 0; i < 1200; i++)); do
  state="$(job_state "$job")"
  [[ "$state" == COMPLETED ]] && grep -q 'dmf-train: done' "$log" && break
  if [[ "$state" == FAILED || "$state" == CANCELLED || "$state" == TIMEOUT ]] &&
    ! grep 'dmf-train:' "$log" | tail -n 1 | grep -q requeueing; then
    break
  fi
  sleep 0.1
done
[[ "$state" == COMPLETED ]] || {
  cat "$log" >&2
  fail "job $job ended $state"
}
contains "$log" "asking dmf to checkpoint"
contains "$log" "checkpointed; requeueing job $job"
contains "$log" "(restart 1)"
contains "$log" "resuming from $WORK/run/checkpoints/ckpt-"
contains "$log" "done; model in $WORK/run/model"
restarts="$(scontrol show job "$job" | sed -nE 's/.*Restarts=([0-9]+).*/\1/p')"
[[ "$restarts" == 1 ]] || fail "job $job was started $restarts extra times, not 1"
for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy; do
  cmp -s "reference/$f" "run/model/$f" || fail "run/model/$f differs from the uninterrupted run's"
done

# The cancelled job ended long ago (it was not held back like a requeue).
clog="$WORK/dmf-train-$cancelled.log"
[[ "$(job_state "$cancelled")" == CANCELLED ]] || {
  cat "$clog" >&2
  fail "job $cancelled is $(job_state "$cancelled") after scancel, not CANCELLED"
}
contains "$clog" "not requeued"
[[ -e cancelled/checkpoints/latest && ! -e cancelled/model ]] ||
  fail "the cancelled job left no checkpoint, or a model"
restarts="$(scontrol show job "$cancelled" | sed -nE 's/.*Restarts=([0-9]+).*/\1/p')"
[[ "$restarts" == 0 ]] || fail "the cancelled job $cancelled was requeued"

# --- a sweep: jobs/slurm/sweep.sbatch as a 4-task array, then dmf gather ----
sweep="$(sbatch --parsable --chdir="$WORK" --array=0-3 \
  --export="ALL,DATA=$WORK/ratings.csv,SWEEP=$WORK/sweep,DMF=$DMF,DMF_JOBS_DIR=$DMF_SOURCE_DIR/jobs/slurm,GRID_RANKS=3 5,GRID_LAMBDAS=0.05,GRID_SOLVERS=als gd,EPOCHS=2" \
  "$DMF_SOURCE_DIR/jobs/slurm/sweep.sbatch")" || fail "sbatch of the sweep failed"
# gather as the sweep's header says: a job that waits for the array.
gather="$(sbatch --parsable --chdir="$WORK" --dependency="afterany:$sweep" --output=gather.out \
  --wrap "'$DMF' gather --runs sweep --quiet")" || fail "sbatch of gather failed"
for ((i = 0; i < 600; i++)); do
  state="$(job_state "$gather")"
  [[ "$state" == PENDING || "$state" == RUNNING || "$state" == COMPLETING ]] || break
  sleep 0.2
done
states="$(squeue -h -t all -j "$sweep" -o '%T' 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')"
[[ "$states" == " 4 COMPLETED " ]] || { cat "$WORK"/dmf-sweep-*.log >&2; fail "sweep $sweep: $states"; }
[[ "$state" == COMPLETED ]] || { cat gather.out >&2; fail "the gather job $gather ended $state"; }
cp gather.out "$WORK/stdout"
cat "$WORK/stdout"
# Four runs, best validation RMSE first (checked against the manifests).
(($(grep -c -- '-k[35]-l0.05' "$WORK/stdout") == 4)) || fail "gather did not list the 4 runs"
best="$(python3 - sweep <<'PY'
import glob, json, os, sys
runs = {os.path.basename(os.path.dirname(os.path.dirname(p))):
        json.load(open(p))["metrics"]["validation"]["rmse"]
        for p in glob.glob(sys.argv[1] + "/*/model/manifest.json")}
print(min(runs, key=runs.get))
PY
)"
[[ "$(sed -n 2p "$WORK/stdout")" == "$best/model "* ]] || fail "gather's first row is not $best"
echo "slurm: ok"
