#!/usr/bin/env bash
# Mini-batch gradient descent (dmf train --solver gd) on generated data shaped
# like MovieLens-10M (69,878 users, 10,677 items, 10,000,054 ratings; 10% held
# out), k = RANK, on one rank of every core:
#   - the optimizer sweep: every optimizer at its default learning rate, at
#     batch size OPT_BATCH;
#   - the batch sweep: BATCH_OPTIMIZER at each of BATCHES (0 = full batch);
#     (GRID=1 runs every optimizer at every batch size instead);
# each for a fixed time budget: a probe of PROBE_EPOCHS epochs at each batch
# size (with BATCH_OPTIMIZER) times an epoch there, and the runs at that batch
# size get floor(TIME_BUDGET / fastest probe epoch) epochs, at least 1 and at
# most MAX_EPOCHS. Reported per run: seconds per epoch (median), held-out RMSE
# at the end and at the last epoch that ended within TIME_BUDGET, the best
# held-out RMSE, the objective, dmf's learning-rate backoffs (divergence).
#   - allreduce, dense vs sparse: at SPARSE_RANKS ranks of one thread, for each
#     of SPARSE_BATCHES, SPARSE_EPOCHS epochs with --sparse-allreduce off and
#     on: bytes and seconds of the item-gradient allreduce per step, from the
#     manifest's solver_state.allreduce.
#   - an ALS run (k = RANK, default λ) of as many epochs as the optimizer
#     sweep's runs, as the reference row and line (ALS=0 skips it).
# A benchmark, not a test. The default grid takes about 25 minutes on 2 cores
# (TIME_BUDGET=60); trim it with the variables below.
#
#   jobs/bench/gd.sh
#   TIME_BUDGET=20 BATCHES="10000 0" SPARSE_BATCHES=10000 jobs/bench/gd.sh
#
# Environment (defaults in brackets):
#   BUILD_DIR  the Release build this script configures and builds [build-bench]
#   DMF_BENCH_DIR  data cache and runs, outside the repository [/tmp/dmf-bench]
#   TRUE_RANK [10];  NOISE [0.5]  of the generator (the data file of als.sh)
#   RANK  k of every run [10];  THREADS  threads of the one-rank runs [all cores]
#   TIME_BUDGET  seconds of training per run [60];  MAX_EPOCHS [100]
#   PROBE_EPOCHS [2]
#   FIXED_EPOCHS  when set, every run gets this many epochs and there are no
#     probes (on a loaded machine a budget of seconds is not comparable; the
#     RMSE at TIME_BUDGET is still reported)
#   OPTIMIZERS ["sgd momentum nesterov adagrad adagrad-avg rmsprop adam"]
#   OPT_BATCH  batch size of the optimizer sweep [10000]
#   BATCHES  batch sizes of the batch sweep ["1000 10000 100000 1000000 0"]
#   BATCH_OPTIMIZER  optimizer of the batch sweep and the probes [adam]
#   GRID=1  every optimizer at every batch size (long)
#   SPARSE_BATCHES ["1000 10000 100000"];  SPARSE_RANKS [2];  SPARSE_EPOCHS [1]
#   SPARSE=0 skips the allreduce comparison;  ALS=0 skips the ALS reference
#   EXTRA  more `dmf train` options for every gd run (e.g. "--lambda 0.02")
# Writes DMF_BENCH_DIR/gd.csv (one line per run, probes left out) and
# DMF_BENCH_DIR/gd-objective.svg (objective per epoch of the optimizer sweep
# and ALS; drawn by gd_svg.py, Python standard library only).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
true_rank="${TRUE_RANK:-10}"
noise="${NOISE:-0.5}"
rank="${RANK:-10}"
threads="${THREADS:-$cores}"
budget="${TIME_BUDGET:-60}"
max_epochs="${MAX_EPOCHS:-100}"
probe_epochs="${PROBE_EPOCHS:-2}"
optimizers="${OPTIMIZERS:-sgd momentum nesterov adagrad adagrad-avg rmsprop adam}"
opt_batch="${OPT_BATCH:-10000}"
batches="${BATCHES:-1000 10000 100000 1000000 0}"
batch_optimizer="${BATCH_OPTIMIZER:-adam}"
sparse_batches="${SPARSE_BATCHES:-1000 10000 100000}"
sparse_ranks="${SPARSE_RANKS:-2}"
sparse_epochs="${SPARSE_EPOCHS:-1}"
read -r -a extra <<<"${EXTRA:-}"
runs_dir="$bench_dir/runs/gd"
mkdir -p "$runs_dir"

bench_build dmf

ml10m_data "$true_rank" "$noise"

# train NAME P T ARGS...: dmf train on P ranks of T threads each (bound to T
# cores each when they fit), its epochs in NAME.jsonl, its log in NAME.log.
# A failed run is reported and left without a manifest; the script goes on.
train() {
  local name="$1" np="$2" t="$3"
  shift 3
  local flags
  flags="$(dmf_bind_flags "$np" "$t")"
  echo "train $name: P=$np T=$t $*"
  rm -rf "${runs_dir:?}/$name" "$runs_dir/$name.jsonl"
  DMF_MPIRUN_FLAGS="$flags ${DMF_MPIRUN_FLAGS:-}" dmf_mpirun "$np" "$dmf" train --data "$data" \
    --holdout 0.1 --rank "$rank" --threads "$t" --out "$runs_dir/$name" --overwrite --quiet \
    --metrics-out "$runs_dir/$name.jsonl" "$@" >"$runs_dir/$name.log" 2>&1 ||
    { echo "  FAILED (exit $?):"; tail -5 "$runs_dir/$name.log"; }
}

# The runs of gd.csv: name sweep optimizer batch ranks threads sparse epochs.
runs_list="$runs_dir/runs.txt"
: >"$runs_list"
declare -A epochs_at done_runs

# epochs_for BATCH: sets $epochs to the budget's epochs at BATCH, probing once.
epochs_for() {
  local batch="$1"
  if [[ -n "${FIXED_EPOCHS:-}" ]]; then epochs_at[$batch]="$FIXED_EPOCHS"; fi
  if [[ -z "${epochs_at[$batch]:-}" ]]; then
    train "probe-b$batch" 1 "$threads" --solver gd --optimizer "$batch_optimizer" \
      --batch-size "$batch" --epochs "$probe_epochs" "${extra[@]}"
    epochs_at[$batch]="$(python3 - "$runs_dir/probe-b$batch/manifest.json" "$budget" "$max_epochs" <<'EOF'
import json, sys
try:
    second = min(h["seconds"] for h in json.load(open(sys.argv[1]))["history"])
except (OSError, ValueError, KeyError):
    second = float(sys.argv[2])  # the probe failed: one epoch
print(max(1, min(int(sys.argv[3]), int(float(sys.argv[2]) // max(second, 1e-9)))))
EOF
)"
    echo "  batch $batch: fastest probe epoch -> ${epochs_at[$batch]} epochs in ${budget} s"
  fi
  epochs="${epochs_at[$batch]}"
}

# gd_run SWEEP OPTIMIZER BATCH: one budgeted run on one rank (once per pair).
gd_run() {
  local sweep="$1" optimizer="$2" batch="$3" epochs
  local name="$optimizer-b$batch"
  epochs_for "$batch"
  if [[ -z "${done_runs[$name]:-}" ]]; then
    train "$name" 1 "$threads" --solver gd --optimizer "$optimizer" --batch-size "$batch" \
      --epochs "$epochs" "${extra[@]}"
    done_runs[$name]=1
    echo "$name $sweep $optimizer $batch 1 $threads auto $epochs" >>"$runs_list"
  fi
}

if [[ "${GRID:-0}" == 1 ]]; then
  for batch in $batches; do
    for optimizer in $optimizers; do gd_run grid "$optimizer" "$batch"; done
  done
else
  for optimizer in $optimizers; do gd_run optimizer "$optimizer" "$opt_batch"; done
  for batch in $batches; do gd_run batch "$batch_optimizer" "$batch"; done
fi

if [[ "${SPARSE:-1}" != 0 ]]; then
  for batch in $sparse_batches; do
    for mode in off on; do
      name="allreduce-$mode-b$batch-p$sparse_ranks"
      train "$name" "$sparse_ranks" 1 --solver gd --optimizer "$batch_optimizer" \
        --batch-size "$batch" --epochs "$sparse_epochs" --sparse-allreduce "$mode" "${extra[@]}"
      echo "$name allreduce $batch_optimizer $batch $sparse_ranks 1 $mode $sparse_epochs" >>"$runs_list"
    done
  done
fi

als_epochs=""
if [[ "${ALS:-1}" != 0 ]]; then
  epochs_for "$opt_batch"
  als_epochs="$epochs"
  train als 1 "$threads" --solver als --epochs "$als_epochs"
  echo "als reference als - 1 $threads - $als_epochs" >>"$runs_list"
fi

svg_series=()
for optimizer in $optimizers; do svg_series+=("$optimizer=$runs_dir/$optimizer-b$opt_batch.jsonl"); done
if [[ -n "$als_epochs" ]]; then svg_series+=("ALS=$runs_dir/als.jsonl"); fi
python3 "$here/gd_svg.py" "$bench_dir/gd-objective.svg" \
  "dmf gd, batch $opt_batch, k = $rank, default learning rates: objective per epoch" \
  objective "${svg_series[@]}"

python3 - "$runs_list" "$runs_dir" "$bench_dir/gd.csv" "$budget" <<'EOF'
import csv, json, math, statistics, sys

runs_list, runs_dir, out, budget = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
rows = []
for line in open(runs_list):
    name, sweep, optimizer, batch, ranks, threads, sparse, epochs = line.split()
    row = {"name": name, "sweep": sweep, "optimizer": optimizer, "batch": batch,
           "ranks": int(ranks), "threads": int(threads), "sparse_allreduce": sparse,
           "epochs_planned": int(epochs)}
    try:
        m = json.load(open(f"{runs_dir}/{name}/manifest.json"))
    except OSError:
        rows.append({**row, "status": "failed"})
        continue
    history = m["history"]
    seconds = [h["seconds"] for h in history]
    within = [h for h in history if h["elapsed"] <= budget] or history[:1]
    valid = [h["validation_rmse"] for h in history
             if isinstance(h.get("validation_rmse"), (int, float))]
    state = m.get("solver_state", {})
    reduce = state.get("allreduce", {})
    steps = state.get("steps_per_epoch", 0) * len(history)
    row.update({
        "status": m.get("stopped_by", "done"),
        "lr": state.get("learning_rate", ""),
        "epochs": len(history),
        "steps_per_epoch": state.get("steps_per_epoch", ""),
        "s_per_epoch": round(statistics.median(seconds), 3),
        "train_seconds": round(m["seconds"]["train"], 2),
        "objective": round(history[-1]["objective"], 1),
        "train_rmse": round(m["metrics"]["train_rmse"], 5),
        "holdout_rmse": round(m["metrics"]["validation"]["rmse"], 5),
        "holdout_rmse_at_budget": round(within[-1]["validation_rmse"], 5),
        "epochs_at_budget": within[-1]["epoch"],
        "best_holdout_rmse": round(min(valid), 5) if valid else "",
        "lr_backoffs": m.get("learning_rate_backoffs", 0),
        "allreduce_calls": reduce.get("calls", ""),
        "sparse_calls": reduce.get("sparse_calls", ""),
        "allreduce_bytes_per_step": round(reduce["bytes"] / steps) if reduce and steps else "",
        "allreduce_ms_per_step": round(1e3 * reduce["seconds"] / steps, 3) if reduce and steps
                                 else "",
        "allreduce_share_of_train": round(reduce["seconds"] / m["seconds"]["train"], 3)
                                    if reduce else "",
        "peak_rss_mb": round(m["peak_rss_bytes"] / 2**20, 1),
        "epoch_seconds": " ".join(f"{s:.2f}" for s in seconds)})
    rows.append(row)

fields = []
for r in rows:
    fields += [f for f in r if f not in fields]
with open(out, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)

print(f"\n{'run':30} {'lr':>6} {'ep':>4} {'steps':>6} {'s/ep':>7} {'train s':>8} {'train':>8} "
      f"{'holdout':>8} {'@budget':>8} {'best':>8} {'backoffs':>8}")
for r in rows:
    if r["status"] == "failed" or r["sweep"] == "allreduce":
        continue
    print(f"{r['name']:30} {r['lr']!s:>6} {r['epochs']:>4} {r['steps_per_epoch']!s:>6} "
          f"{r['s_per_epoch']:>7.3f} {r['train_seconds']:>8.1f} {r['train_rmse']:>8.4f} "
          f"{r['holdout_rmse']:>8.4f} {r['holdout_rmse_at_budget']:>8.4f} "
          f"{r['best_holdout_rmse']!s:>8} {r['lr_backoffs']:>8}")
sparse = [r for r in rows if r["sweep"] == "allreduce" and r["status"] != "failed"]
if sparse:
    print(f"\n{'allreduce run':30} {'s/ep':>7} {'calls':>7} {'sparse':>7} {'bytes/step':>11} "
          f"{'ms/step':>8} {'share':>6}")
    for r in sparse:
        print(f"{r['name']:30} {r['s_per_epoch']:>7.3f} {r['allreduce_calls']:>7} "
              f"{r['sparse_calls']:>7} {r['allreduce_bytes_per_step']:>11} "
              f"{r['allreduce_ms_per_step']:>8} {r['allreduce_share_of_train']:>6}")
for r in rows:
    if r["status"] == "failed":
        print(f"FAILED: {r['name']} (see {runs_dir}/{r['name']}.log)")
print(f"written {out}")
EOF
echo "written $bench_dir/gd-objective.svg"
