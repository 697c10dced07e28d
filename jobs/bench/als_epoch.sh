#!/usr/bin/env bash
# One ALS epoch against one LIBMF iteration, in a few minutes: the
# MovieLens-10M-shaped data of peer.sh (its 90% training part, its warm test
# part as validation for both tools, as peer.sh), k = 64, on every core (LIBMF -s C, dmf 1 rank × C
# threads), LIBMF and each dmf binary given alternated, ROUNDS times. A
# benchmark, not a test.
#
#   DMF_PEER_LIBMF=/path/to/libmf jobs/bench/als_epoch.sh [DMF ...]
#
# DMF: the dmf binaries to compare (e.g. an older build and this one) [the
# Release build of BUILD_DIR, built here]. Each round runs LIBMF for LO·3 and
# HI·3 iterations and each dmf for LO and HI epochs; the CPU seconds (user +
# system of the whole process tree) of an iteration or epoch are the
# difference of the two runs over the difference of their counts, so loading
# and start-up drop out, and a shared machine's load skews them less than
# wall seconds. Wall seconds per epoch are dmf's own (the manifest's history,
# median of epochs 2..). Prints one line per run and, per tool, the rounds'
# CPU seconds per epoch and their ratio to LIBMF's in the same round, with
# the median.
#
# Environment (defaults in brackets):
#   DMF_PEER_LIBMF  LIBMF's directory (mf-train in it) [none: skip]
#   BUILD_DIR [build-bench];  DMF_BENCH_DIR  data and runs [/tmp/dmf-bench]
#   ROUNDS [3];  LO [2];  HI [6];  K [64]
#   DMF_OPTS  dmf train options of every run ["--als-solve cg --cg-steps 3"]
#   LIBMF_OPTS ["-l2 0.05 -r 0.1"]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
libmf="${DMF_PEER_LIBMF:-}"
if [[ -z "$libmf" || ! -x "$libmf/mf-train" ]]; then
  echo "als_epoch.sh: skipped: no LIBMF build (set DMF_PEER_LIBMF to a directory with mf-train)"
  exit 0
fi
# shellcheck source=lib.sh
source "$here/lib.sh"
rounds="${ROUNDS:-3}" lo="${LO:-2}" hi="${HI:-6}" k="${K:-64}"
read -r -a dmf_opts <<<"${DMF_OPTS:---als-solve cg --cg-steps 3}"
read -r -a libmf_opts <<<"${LIBMF_OPTS:--l2 0.05 -r 0.1}"
binaries=("$@")
if ((${#binaries[@]} == 0)); then
  bench_build dmf
  binaries=("$dmf")
fi
data_dir="$bench_dir/peer/data"
train="$data_dir/ml10m-r10-s0.5.train"
test="$data_dir/ml10m-r10-s0.5.test-warm"
if [[ ! -s "$train" ]]; then
  DMF="${binaries[0]}" PEER_DATA_ONLY=1 DATASETS=ml10m "$here/peer.sh"
fi
runs="$bench_dir/als_epoch"
mkdir -p "$runs"
log="$runs/runs.txt"
: >"$log"

# cpu_wall CMD...: "CPU-seconds wall-seconds" of CMD and its children.
cpu_wall() {
  python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
start = time.monotonic()
rc = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{r.ru_utime + r.ru_stime:.3f} {time.monotonic() - start:.3f}" if rc == 0 else "FAILED")
EOF
}

mapfile -t launcher < <(DMF_MPIRUN_FLAGS="$(dmf_bind_flags 1 "$cores") ${DMF_MPIRUN_FLAGS:-}" \
  dmf_mpirun_command 1)
for round in $(seq "$rounds"); do
  for n in "$lo" "$hi"; do
    line="$round libmf $((n * 3)) $(cpu_wall "$libmf/mf-train" -k "$k" -t $((n * 3)) -s "$cores" \
      "${libmf_opts[@]}" -p "$test" "$train" "$runs/libmf.model")"
    echo "$line" | tee -a "$log"
  done
  for i in "${!binaries[@]}"; do
    for n in "$lo" "$hi"; do
      out="$runs/dmf$i-$n"
      line="$round dmf$i $n $(cpu_wall "${launcher[@]}" "${binaries[$i]}" train --data "$train" \
        --validation "$test" --format libmf --rank "$k" --threads "$cores" --epochs "$n" \
        "${dmf_opts[@]}" --out "$out" --overwrite --quiet)"
      echo "$line $(python3 -c 'import json, statistics, sys
h = json.load(open(sys.argv[1]))["history"]
print("wall/epoch", round(statistics.median(e["seconds"] for e in h[1:] or h), 3),
      "validation RMSE", h[-1].get("validation_rmse"))' "$out/manifest.json")" | tee -a "$log"
    done
  done
done

echo
for i in "${!binaries[@]}"; do echo "dmf$i = ${binaries[$i]}"; done
python3 - "$log" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and f[3] != "FAILED":
        runs[(f[0], f[1])][int(f[2])] = float(f[3])
per = collections.defaultdict(dict)  # tool -> round -> CPU s per iteration/epoch
for (rnd, tool), by_count in runs.items():
    if len(by_count) == 2:
        (a, ca), (b, cb) = sorted(by_count.items())
        per[tool][rnd] = (cb - ca) / (b - a)
libmf = per.get("libmf", {})
for tool, by_round in sorted(per.items()):
    ratios = [c / libmf[r] for r, c in by_round.items() if r in libmf]
    print(f"{tool:>6}: CPU s per epoch/iteration " +
          " ".join(f"{c:.3f}" for c in by_round.values()) +
          (f"; / LIBMF's " + " ".join(f"{x:.2f}" for x in ratios) +
           f", median {statistics.median(ratios):.2f}x" if ratios else ""))
EOF
