#!/usr/bin/env bash
# The experiment this project started from: full-batch gradient descent on a
# dense 501 × 100 rating table with 10 features, 1,000 iterations, which took
# about 15 s in NumPy. Times
#
#   dmf train --solver gd --batch-size 0 --optimizer sgd --lr 0.05 --schedule constant \
#     --rank 10 --epochs 1000
#
# (the NumPy loop's constant rate 0.05, λ 0.05, both biases) on one rank with 1 thread and with
# every core, and, when python3 has numpy, the same full-batch loop written in
# NumPy (float64, vectorized: E = R − (μ + b_u + b_i + P Qᵀ), the per-row mean
# gradients dmf uses, 1000 iterations) on the same table in the same run.
# Prints seconds and the ratios to the historical 15 s and to the NumPy loop.
# A benchmark, not a test.
#
#   jobs/bench/dense.sh
#
# Environment (defaults in brackets):
#   BUILD_DIR  the Release build this script configures and builds [build-bench]
#   DMF_BENCH_DIR  data cache and runs, outside the repository [/tmp/dmf-bench]
#   EPOCHS [1000];  THREADS  thread counts of the dmf runs ["1 <all cores>"]
#   REPEATS  runs of each timing, the fastest kept [3]
#   PYTHON  the interpreter of the reports [python3]
#   NUMPY_PYTHON  the interpreter of the NumPy loop [the first of python3,
#     /usr/bin/python3 that imports numpy]; NUMPY=0 skips the loop
#   BASELINE  seconds of the original NumPy experiment [15]
#   BASELINE_DMF  another dmf binary (an older build, say) timed in the same
#     run, each of its runs right after one of this build's, reported as
#     "baseline gd" [none]
# Writes DMF_BENCH_DIR/dense.csv (one line per timing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
epochs="${EPOCHS:-1000}"
threads_list="${THREADS:-1 $cores}"
repeats="${REPEATS:-3}"
python="${PYTHON:-python3}"
numpy_python="${NUMPY_PYTHON:-}"
if [[ -z "$numpy_python" ]]; then
  for candidate in "$python" /usr/bin/python3; do
    if "$candidate" -c 'import numpy' 2>/dev/null; then numpy_python="$candidate"; break; fi
  done
fi
baseline="${BASELINE:-15}"
mkdir -p "$bench_dir/runs"

bench_build dmf

# Every (user, item) pair of 501 × 100 rated once: a fully dense table.
data="$bench_dir/dense-501x100-r10.csv"
if [[ ! -s "$data" ]]; then
  "$dmf" generate --users 501 --items 100 --ratings 50100 --true-rank 10 --noise 0.5 \
    --scale 1:5:0 --seed 7 --out "$data" --quiet
fi

csv="$bench_dir/dense.csv"
echo "what,threads,best_seconds,all_seconds,train_rmse,x_vs_${baseline}s" >"$csv"

# best_dmf THREADS: appends, for this build's dmf and BASELINE_DMF if set, the
# fastest of REPEATS runs' training seconds (from the manifest: training only,
# after loading), the two binaries' runs alternated. Leaves the last models in
# place.
best_dmf() {
  local threads="$1" r w which
  local -A all=()
  local whiches=(dmf) bins=("$dmf")
  if [[ -n "${BASELINE_DMF:-}" ]]; then whiches+=(baseline); bins+=("$BASELINE_DMF"); fi
  for ((r = 0; r < repeats; r++)); do
    for w in "${!whiches[@]}"; do
      which="${whiches[$w]}"
      local name="dense-$which-t$threads"
      DMF_MPIRUN_FLAGS="--bind-to none ${DMF_MPIRUN_FLAGS:-}" dmf_mpirun 1 "${bins[$w]}" train \
        --data "$data" --solver gd --batch-size 0 --optimizer sgd --lr 0.05 --schedule constant \
        --rank 10 --epochs "$epochs" \
        --threads "$threads" --out "$bench_dir/runs/$name" --overwrite --quiet \
        >"$bench_dir/runs/$name.log" 2>&1 || { cat "$bench_dir/runs/$name.log"; return 1; }
      all[$which]="${all[$which]:-} $("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"]["train"])' \
        "$bench_dir/runs/$name/manifest.json")"
    done
  done
  for which in "${whiches[@]}"; do
    # shellcheck disable=SC2086  # the run times, one argument each
    "$python" - "$bench_dir/runs/dense-$which-t$threads/manifest.json" "$threads" "$baseline" \
      "$which gd" ${all[$which]} >>"$csv" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
times = [float(t) for t in sys.argv[5:]]
best = min(times)
print(f"{sys.argv[4]},{sys.argv[2]},{best:.4f},{' '.join(f'{t:.3f}' for t in times)},"
      f"{m['metrics']['train_rmse']:.5f},{float(sys.argv[3]) / best:.1f}")
EOF
  done
}

for threads in $threads_list; do
  echo "dmf train --solver gd --batch-size 0 --optimizer sgd --lr 0.05 --schedule constant --rank 10 --epochs $epochs --threads $threads"
  best_dmf "$threads"
done

if [[ "${NUMPY:-1}" != 0 && -n "$numpy_python" ]]; then
  echo "NumPy full-batch loop ($numpy_python, $("$numpy_python" -c 'import numpy; print("numpy", numpy.__version__)'))"
  # One thread for BLAS, like the dmf --threads 1 run; the table is too small
  # for BLAS threads to pay off anyway.
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$numpy_python" - "$data" "$epochs" "$repeats" "$baseline" >>"$csv" <<'EOF'
import sys, time
import numpy as np

path, epochs, repeats, baseline = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
raw = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1, 2))
users, items = int(raw[:, 0].max()), int(raw[:, 1].max())
R = np.zeros((users, items))
R[raw[:, 0].astype(int) - 1, raw[:, 1].astype(int) - 1] = raw[:, 2]
k, lr, lam = 10, 0.05, 0.05

def train(seed):
    rng = np.random.default_rng(seed)
    P = rng.normal(0.0, 0.1 / np.sqrt(k), (users, k))
    Q = rng.normal(0.0, 0.1 / np.sqrt(k), (items, k))
    bu, bi, mu = np.zeros(users), np.zeros(items), R.mean()
    for _ in range(epochs):
        E = R - (mu + bu[:, None] + bi[None, :] + P @ Q.T)
        # dmf's step: the mean over a row's ratings of -2 e x, plus 2 λ w
        # (count-weighted λ w n / n).
        gP = -2.0 * (E @ Q) / items + 2.0 * lam * P
        gQ = -2.0 * (E.T @ P) / users + 2.0 * lam * Q
        gbu = -2.0 * E.mean(axis=1) + 2.0 * lam * bu
        gbi = -2.0 * E.mean(axis=0) + 2.0 * lam * bi
        P -= lr * gP; Q -= lr * gQ; bu -= lr * gbu; bi -= lr * gbi
    E = R - (mu + bu[:, None] + bi[None, :] + P @ Q.T)
    return np.sqrt((E * E).mean())

times = []
for r in range(repeats):
    start = time.perf_counter()
    rmse = train(r)
    times.append(time.perf_counter() - start)
best = min(times)
print(f"numpy float64,1,{best:.4f},{' '.join(f'{t:.3f}' for t in times)},{rmse:.5f},"
      f"{baseline / best:.1f}")
EOF
else
  echo "NumPy loop skipped: neither python3 nor /usr/bin/python3 has numpy (or NUMPY=0)"
fi

"${python}" - "$csv" "$baseline" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
baseline = float(sys.argv[2])
numpy_row = next((r for r in rows if r["what"].startswith("numpy")), None)
print(f"\n{'':16} {'threads':>7} {'best s':>8} {'vs ' + str(baseline) + ' s':>9} "
      f"{'vs NumPy':>9} {'train RMSE':>10}  runs (s)")
for r in rows:
    best = float(r["best_seconds"])
    vs_numpy = f"{float(numpy_row['best_seconds']) / best:8.1f}x" if numpy_row else f"{'-':>9}"
    print(f"{r['what']:16} {r['threads']:>7} {best:8.3f} {baseline / best:8.1f}x {vs_numpy} "
          f"{float(r['train_rmse']):10.5f}  {r['all_seconds']}")
print(f"(ratios: how many times faster than the {baseline} s NumPy experiment, and than the "
      "NumPy loop timed in this run)\nwritten " + sys.argv[1])
EOF
