#!/usr/bin/env bash
# ALS on generated data shaped like MovieLens-10M (69,878 users, 10,677
# items, 10,000,054 ratings; 10% held out): seconds per epoch at k = 32, 64,
# 128 on (P ranks, T threads) = (1,1), (1,2), (2,1); speedups over (1,1);
# GFLOP/s of the normal-equation build (2 sides × k(k+1) × ratings per epoch)
# beside an Eigen SGEMM and a triad (L3 and main-memory bandwidth) measured
# in the same run; the row kernel's microseconds per row at degree 150
# (exact solve, its Cholesky phase beside Eigen's LLT, 3 conjugate-gradient
# steps) and the set-up's column pass (marked against sorted) from
# dmf_bench_als; bytes sent per epoch; peak
# RSS of the largest rank; train and held-out RMSE. Then the accuracy check:
# at the generator's true rank, held-out RMSE / σ (target ≤ 1.03). A
# benchmark, not a test.
#
#   jobs/bench/als.sh
#
# Environment (defaults in brackets):
#   BUILD_DIR  the Release build this script configures and builds [build-bench]
#   DMF_BENCH_DIR  data cache and runs, outside the repository [/tmp/dmf-bench]
#   KS  ranks k to time ["32 64 128"];  LAYOUTS  P,T pairs ["1,1 1,2 2,1"]
#   EPOCHS [5];  LAMBDA [0.05]  of the timed runs
#   TRUE_RANK [10];  NOISE [0.5]  of the generator (continuous ratings 1..5)
#   ACC_LAMBDA [0.02];  ACC_EPOCHS [10]  of the accuracy run (k = TRUE_RANK,
#     on every core as ranks); ACC=0 skips it
# Writes DMF_BENCH_DIR/als.csv (one line per timed run) and als-kernels.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
ks="${KS:-32 64 128}"
layouts="${LAYOUTS:-1,1 1,2 2,1}"
epochs="${EPOCHS:-5}"
lambda="${LAMBDA:-0.05}"
true_rank="${TRUE_RANK:-10}"
noise="${NOISE:-0.5}"
acc_lambda="${ACC_LAMBDA:-0.02}"
acc_epochs="${ACC_EPOCHS:-10}"
mkdir -p "$bench_dir/runs"

bench_build dmf dmf_bench_als

# The SGEMM figure and the row kernel at each k, one core, in this run.
filter="^BM_Sgemm/1024\$|^BM_Triad/(16|256)\$|^BM_DistinctColumns/[01]\$"
for k in $ks; do
  filter="$filter|^BM_GramBuild/$k/1500\$|^BM_RowSolve/$k/150\$|^BM_Cholesky/$k\$|^BM_CholeskyEigen/$k\$|^BM_RowSolveCg/$k/150\$"
done
echo "kernels (one core): $filter"
"$build_dir/jobs/bench/dmf_bench_als" --benchmark_filter="$filter" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$bench_dir/als-kernels.json" \
  --benchmark_out_format=json | grep -E '_median|^Benchmark|^---'

ml10m_data "$true_rank" "$noise"

# train NAME P T ARGS...: dmf train on P ranks of T threads each, each rank
# bound to T cores when they fit (Open MPI binds one rank to one core
# otherwise, and its T threads would share it).
train() {
  local name="$1" np="$2" threads="$3"
  shift 3
  local flags
  flags="$(dmf_bind_flags "$np" "$threads")"
  echo "train $name: P=$np T=$threads $*"
  DMF_MPIRUN_FLAGS="$flags ${DMF_MPIRUN_FLAGS:-}" dmf_mpirun "$np" "$dmf" train --data "$data" \
    --holdout 0.1 --threads "$threads" --out "$bench_dir/runs/$name" --overwrite --quiet "$@" \
    >"$bench_dir/runs/$name.log" 2>&1 || { cat "$bench_dir/runs/$name.log"; return 1; }
}

for k in $ks; do
  for layout in $layouts; do
    IFS=, read -r np threads <<<"$layout"
    train "k$k-p$np-t$threads" "$np" "$threads" --rank "$k" --lambda "$lambda" --epochs "$epochs"
  done
done
acc_ranks="$cores"
if [[ "${ACC:-1}" != 0 ]]; then
  train accuracy "$acc_ranks" 1 --rank "$true_rank" --lambda "$acc_lambda" --epochs "$acc_epochs"
fi

python3 - "$bench_dir" "$ks" "$layouts" "$noise" "${ACC:-1}" <<'EOF'
import csv, json, os, statistics, sys

bench_dir, ks, layouts, noise, acc = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), \
    float(sys.argv[4]), sys.argv[5] != "0"
kernels = {b["run_name"]: b for b in json.load(open(f"{bench_dir}/als-kernels.json"))["benchmarks"]
           if b.get("aggregate_name") == "median"}
sgemm = kernels["BM_Sgemm/1024"]["FLOP/s"] / 1e9
print(f"\nEigen SGEMM 1024^3, one core, median of 3: {sgemm:.1f} GFLOP/s")
triad = {m: kernels[f"BM_Triad/{m}"]["bytes_per_second"] / 1e9 for m in (16, 256)}
print(f"triad a = b + s*c, one core: {triad[16]:.1f} GB/s (16 MiB arrays, L3), "
      f"{triad[256]:.1f} GB/s (256 MiB, main memory)")
marked, sorted_ = (1e3 / kernels[f"BM_DistinctColumns/{m}"]["items_per_second"] * 9e6 for m in (1, 0))
print(f"set-up's column pass, 9M ratings: marked {marked:.0f} ms, sorted {sorted_:.0f} ms")
for k in ks:
    build = kernels[f"BM_GramBuild/{k}/1500"]["FLOP/s"] / 1e9
    solve = kernels[f"BM_RowSolve/{k}/150"]["FLOP/s"] / 1e9
    print(f"  k={k}: Gram build alone (degree 1500) {build:.1f} GFLOP/s = {100 * build / sgemm:.0f}% "
          f"of SGEMM; whole row solve at degree 150 {solve:.1f} GFLOP/s = {100 * solve / sgemm:.0f}%")
    # items_per_second of the row kernels is rows per second.
    row_us = {name: 1e6 / kernels[key]["items_per_second"] for name, key in (
        ("exact", f"BM_RowSolve/{k}/150"), ("Cholesky", f"BM_Cholesky/{k}"),
        ("CG", f"BM_RowSolveCg/{k}/150"), ("Eigen LLT", f"BM_CholeskyEigen/{k}"))}
    print(f"        per row at degree 150: exact solve {row_us['exact']:.1f} us, of which the "
          f"Cholesky phase {row_us['Cholesky']:.1f} us (Eigen's LLT {row_us['Eigen LLT']:.1f}); "
          f"3 conjugate-gradient steps {row_us['CG']:.1f} us")

def manifest(name):
    return json.load(open(f"{bench_dir}/runs/{name}/manifest.json"))

rows = []
for k in ks:
    base = None
    for layout in layouts:
        np_, threads = (int(x) for x in layout.split(","))
        m = manifest(f"k{k}-p{np_}-t{threads}")
        seconds = [h["seconds"] for h in m["history"]]
        per_epoch = statistics.median(seconds[1:] if len(seconds) > 1 else seconds)
        base = base or per_epoch
        ratings = m["data"]["ratings"]
        gflops = 2 * int(k) * (int(k) + 1) * ratings / per_epoch / 1e9
        rows.append({
            "k": int(k), "P": np_, "T": threads, "s_per_epoch": round(per_epoch, 3),
            "speedup": round(base / per_epoch, 2), "build_gflops": round(gflops, 1),
            "pct_of_sgemm_per_core": round(100 * gflops / (sgemm * np_ * threads), 1),
            "bytes_sent_per_epoch": m["bytes_sent_per_epoch"],
            "peak_rss_mb": round(m["peak_rss_bytes"] / 2**20, 1),
            "train_rmse": round(m["metrics"]["train_rmse"], 4),
            "holdout_rmse": round(m["metrics"]["validation"]["rmse"], 4),
            "epoch_seconds": " ".join(f"{s:.2f}" for s in seconds),
            "sgemm_gflops_one_core": round(sgemm, 1)})

print(f"\nALS on {ratings} training ratings; s/epoch = median of epochs 2..; GFLOP/s = "
      "2 k(k+1) ratings / (s/epoch), the whole epoch's time; % = of SGEMM x cores used")
head = f"{'k':>4} {'P':>2} {'T':>2} {'s/epoch':>8} {'speedup':>8} {'GFLOP/s':>8} {'%SGEMM':>7} " \
       f"{'MB sent/ep':>11} {'RSS MiB':>8} {'train':>7} {'holdout':>8}  epochs (s)"
print(head)
for r in rows:
    print(f"{r['k']:>4} {r['P']:>2} {r['T']:>2} {r['s_per_epoch']:>8.3f} {r['speedup']:>7.2f}x "
          f"{r['build_gflops']:>8.1f} {r['pct_of_sgemm_per_core']:>6.1f}% "
          f"{r['bytes_sent_per_epoch'] / 1e6:>11.1f} {r['peak_rss_mb']:>8.1f} "
          f"{r['train_rmse']:>7.4f} {r['holdout_rmse']:>8.4f}  {r['epoch_seconds']}")
with open(f"{bench_dir}/als.csv", "w", newline="") as out:
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
print(f"written {bench_dir}/als.csv")

if acc:
    m = manifest("accuracy")
    held = m["metrics"]["validation"]["rmse"]
    c = dict(line.split(" = ", 1) for line in m["config"].splitlines() if " = " in line)
    c = {key: value.split("  #")[0].strip() for key, value in c.items()}
    print(f"\naccuracy: k = {m['k']} (the true rank), lambda {c['lambda']} ({c['reg-weighting']}), "
          f"{m['epochs']} epochs: held-out RMSE {held:.4f}, sigma {noise}: "
          f"RMSE/sigma = {held / noise:.3f} (target <= 1.03)")
EOF
