#!/usr/bin/env bash
# A CCD++ epoch beside a LIBMF iteration on MovieLens-10M-shaped data (the
# peer benchmark's ml10m split, jobs/bench/peer.sh), the same k, the same
# cores; and the 1 -> 2 ranks speed-up of CCD++. The runs alternate in one
# script so that the ratios are taken under the same load. A benchmark, not a
# test.
#
#   DMF_PEER_LIBMF=/path/to/libmf jobs/bench/ccd.sh
#
# Each repetition runs, in this order: LIBMF (`mf-train -s C`, ITERS
# iterations), dmf ccd at 1 rank x C threads, 1 x 1 and C x 1 (EPOCHS epochs
# each). A LIBMF iteration is the median gap between its iteration lines (as
# peer_report.py takes it), a dmf epoch the median of the `seconds` of its
# metrics file (the epoch's training, without loading or validation). Prints
# per repetition: LIBMF's iteration, each dmf layout's epoch, the epoch over
# LIBMF's iteration at 1 x C, and 1 x 1 over C x 1; then the medians over
# the repetitions. With the floor benchmark (dmf_bench_ccd_floor, built with
# dmf; its binary in FLOOR_BENCH, else BUILD_DIR's), each repetition also
# times the bare 12-byte-a-rating pass on C threads and prints the memory
# floor of an epoch over LIBMF's iteration: 2(k + 1) passes as dmf arranges
# an epoch, and k + 1 as one pass per coordinate would.
#
# Environment (defaults in brackets):
#   DMF_PEER_LIBMF  LIBMF's directory (mf-train in it) [none: skip]
#   DMF  the dmf binary to time [a Release build in BUILD_DIR, built here]
#   DMF_BENCH_DIR  data and runs [/tmp/dmf-bench]; the data set is peer.sh's
#     ml10m (generated and split here the same way when absent), converted
#     once to a data set directory so that loading stays short
#   K [64];  EPOCHS [3];  ITERS [5];  REPS [3];  L2 [0.05];  RATE [0.1]
#   DMF_OPTS  more `dmf train` options (e.g. "--ccd-inner 2")
#   DMF_BASE  another dmf binary (an earlier build) to time at 1 x C after
#     the others in each repetition: its epoch over LIBMF's iteration too
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
libmf="${DMF_PEER_LIBMF:-}"
if [[ -z "$libmf" || ! -x "$libmf/mf-train" ]]; then
  echo "ccd.sh: skipped: no LIBMF build (set DMF_PEER_LIBMF to a directory with mf-train)"
  exit 0
fi
# shellcheck source=lib.sh
source "$here/lib.sh"
k="${K:-64}" epochs="${EPOCHS:-3}" iters="${ITERS:-5}" reps="${REPS:-3}"
l2="${L2:-0.05}" rate="${RATE:-0.1}"
read -r -a dmf_opts <<<"${DMF_OPTS:-}"
if [[ -n "${DMF:-}" ]]; then dmf="$DMF"; else bench_build dmf dmf_bench_ccd_floor; fi
floor_bench="${FLOOR_BENCH:-$build_dir/jobs/bench/dmf_bench_ccd_floor}"
[[ -x "$floor_bench" ]] || floor_bench=""

data_dir="$bench_dir/peer/data"
runs="$bench_dir/ccd/runs"
mkdir -p "$data_dir" "$runs"
base="$data_dir/ml10m-r10-s0.5"
if [[ ! -s "$base.test-warm" ]]; then
  DATASETS=ml10m PEER_DATA_ONLY=1 DMF="$dmf" DMF_BENCH_DIR="$bench_dir" "$here/peer.sh"
fi
for part in train test-warm; do
  if [[ ! -d "$base.$part.d" ]]; then
    "$dmf" convert --data "$base.$part" --format libmf --out "$base.$part.d" --quiet
  fi
done

# libmf_iteration REP: prints LIBMF's median seconds per iteration.
libmf_iteration() {
  local out="$runs/libmf-$1.json"
  python3 "$here/peer_run.py" "$out" tool=libmf -- "$libmf/mf-train" -k "$k" -t "$iters" \
    -s "$cores" -l2 "$l2" -r "$rate" -p "$base.test-warm" "$base.train" "$runs/libmf.model" \
    </dev/null >/dev/null
  rm -f "$runs/libmf.model"
  python3 - "$out" <<'EOF'
import json, re, statistics, sys
run = json.load(open(sys.argv[1]))
times, header = [], False
for t, line in run["lines"]:
    if re.match(r"\s*iter\s+tr_", line):
        header = True
    elif header and line.split() and line.split()[0].isdigit():
        times.append(t)
print(f"{statistics.median(b - a for a, b in zip(times, times[1:])):.4f}")
EOF
}

# dmf_epoch REP P T [DMF]: prints dmf ccd's median seconds per epoch on P ranks of
# T threads (each rank bound to T cores when they fit).
dmf_epoch() {
  local name="dmf-$1-p$2-t$3${4:+-base}" launcher
  mapfile -t launcher < <(DMF_MPIRUN_FLAGS="$(dmf_bind_flags "$2" "$3") ${DMF_MPIRUN_FLAGS:-}" \
    dmf_mpirun_command "$2")
  "${launcher[@]}" "${4:-$dmf}" train --data "$base.train.d" --validation "$base.test-warm.d" \
    --solver ccd --rank "$k" --threads "$3" --epochs "$epochs" --out "$runs/$name" --overwrite \
    --metrics-out "$runs/$name.jsonl" --quiet "${dmf_opts[@]}" </dev/null >/dev/null
  python3 - "$runs/$name.jsonl" <<'EOF'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"{statistics.median(l['seconds'] for l in lines):.4f} {lines[-1]['validation_rmse']:.6f}")
EOF
}

# pass_seconds: the median seconds of one bare 12-byte-a-rating pass over
# 10M ratings on every core.
pass_seconds() {
  "$floor_bench" --benchmark_filter="BM_ResidualPass/$cores/" --benchmark_repetitions=5 \
    --benchmark_format=json 2>/dev/null | python3 -c '
import json, statistics, sys
runs = [b for b in json.load(sys.stdin)["benchmarks"] if b.get("run_type") == "iteration"]
print("%.5f" % (statistics.median(b["real_time"] for b in runs) / 1e3))'
}

echo "ccd k=$k on $(wc -l <"$base.train") ratings; LIBMF -s $cores $iters iterations, dmf $epochs epochs"
[[ -n "$floor_bench" ]] || echo "(no $build_dir/jobs/bench/dmf_bench_ccd_floor: no floor column; set FLOOR_BENCH)"
base_dmf="${DMF_BASE:-}"
printf '%-4s %9s %9s %9s %9s %10s %10s %12s%s%s\n' rep libmf "1x$cores" 1x1 "${cores}x1" \
  "1x$cores/lib" "1x1/${cores}x1" "valid RMSE" "${base_dmf:+   base 1x$cores  base/lib  base RMSE}" \
  "${floor_bench:+  pass s  floor2/lib floor1/lib}"
ratios=() speedups=() base_ratios=() floors2=() floors1=()
for rep in $(seq 1 "$reps"); do
  lib=$(libmf_iteration "$rep")
  read -r wide rmse < <(dmf_epoch "$rep" 1 "$cores")
  read -r one _ < <(dmf_epoch "$rep" 1 1)
  read -r ranks _ < <(dmf_epoch "$rep" "$cores" 1)
  ratio=$(awk -v a="$wide" -v b="$lib" 'BEGIN { printf "%.3f", a / b }')
  speedup=$(awk -v a="$one" -v b="$ranks" 'BEGIN { printf "%.3f", a / b }')
  ratios+=("$ratio") speedups+=("$speedup")
  extra=""
  if [[ -n "$base_dmf" ]]; then
    read -r base_wide base_rmse < <(dmf_epoch "$rep" 1 "$cores" "$base_dmf")
    base_ratio=$(awk -v a="$base_wide" -v b="$lib" 'BEGIN { printf "%.3f", a / b }')
    base_ratios+=("$base_ratio")
    extra=$(printf ' %12s %9s %10s' "$base_wide" "$base_ratio" "$base_rmse")
  fi
  if [[ -n "$floor_bench" ]]; then
    pass=$(pass_seconds)
    floor2=$(awk -v p="$pass" -v k="$k" -v b="$lib" 'BEGIN { printf "%.3f", 2 * (k + 1) * p / b }')
    floor1=$(awk -v p="$pass" -v k="$k" -v b="$lib" 'BEGIN { printf "%.3f", (k + 1) * p / b }')
    floors2+=("$floor2") floors1+=("$floor1")
    extra+=$(printf ' %8s %10s %10s' "$pass" "$floor2" "$floor1")
  fi
  printf '%-4s %9s %9s %9s %9s %10s %10s %12s%s\n' "$rep" "$lib" "$wide" "$one" "$ranks" \
    "$ratio" "$speedup" "$rmse" "$extra"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median: ccd epoch / LIBMF iteration at 1x$cores $(median "${ratios[@]}"), 1 -> $cores ranks speed-up $(median "${speedups[@]}")${base_dmf:+, base epoch / LIBMF iteration $(median "${base_ratios[@]}")}${floor_bench:+; memory floor / LIBMF iteration: 2(k+1) passes $(median "${floors2[@]}"), k+1 passes $(median "${floors1[@]}")}"
