#!/usr/bin/env bash
# Checkpoint write speed on the MovieLens-10M-shaped data set at k = 64:
# for als (the model: 80,555 rows × 64 floats, 21 MB) and gd with adam
# (model + two moment arrays + step counts, 62 MB), at 1 rank × T threads
# and at P ranks × 1 thread, one epoch each with --checkpoint-every 1. Prints
# per run the checkpoint's size, write time (first byte to `latest` moved,
# fsyncs and checksums included), MB/s, the epoch's time and their ratio,
# and for scale what `dd ... conv=fsync` writes to the same disk.
#
#   jobs/bench/checkpoint.sh
#
# Environment: BUILD_DIR, DMF_BENCH_DIR (jobs/bench/lib.sh); RANKS [cores].
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_build dmf
ml10m_data 10 0.5
ranks="${RANKS:-$cores}"
runs="$bench_dir/checkpoint-runs"
rm -rf "$runs"
mkdir -p "$runs"

# run NAME P T ARGS...: one epoch with a checkpoint after it; prints a row.
run() {
  local name="$1" p="$2" t="$3"
  shift 3
  local log="$runs/$name.log"
  DMF_MPIRUN_FLAGS="$(dmf_bind_flags "$p" "$t")" dmf_mpirun "$p" "$dmf" train --data "$data" \
    --rank 64 --epochs 1 --threads "$t" --checkpoint-dir "$runs/$name-ck" --checkpoint-every 1 \
    --out "$runs/$name-model" "$@" 2>"$log" >/dev/null
  local mb seconds rate epoch
  read -r mb seconds rate < <(sed -nE 's/^checkpoint .*: ([0-9.]+) MB in ([0-9.]+) s \(([0-9]+) MB\/s\)$/\1 \2 \3/p' "$log")
  epoch="$(sed -nE 's/^epoch 1\/1 .* ([0-9.]+) s$/\1/p' "$log")"
  printf '%-14s %3s %3s %9s %9s %8s %9s %9.3f\n' "$name" "$p" "$t" "$mb" "$seconds" "$rate" \
    "$epoch" "$(awk -v w="$seconds" -v e="$epoch" 'BEGIN { print w / e }')"
}

printf '%-14s %3s %3s %9s %9s %8s %9s %9s\n' run P T MB write_s MB/s epoch_s write/epoch
run als-1x"$cores" 1 "$cores"
run als-"$ranks"x1 "$ranks" 1
run gd-adam-1x"$cores" 1 "$cores" --solver gd --batch-size 1000000
run gd-adam-"$ranks"x1 "$ranks" 1 --solver gd --batch-size 1000000
dd_rate="$(dd if=/dev/zero of="$runs/dd.bin" bs=1M count=256 conv=fsync 2>&1 | tail -n 1)"
rm -f "$runs/dd.bin"
echo "for scale, dd of 256 MiB with fsync on the same disk: $dd_rate"
