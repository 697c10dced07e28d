#!/usr/bin/env bash
# Load time of a generated CSV against the data set directory `dmf convert`
# makes of it (README "The data set directory"), alternated in one run at
# 1 rank x 2 threads and 2 ranks x 1 thread: `dmf info`'s load seconds
# (read + index + route; not MPI's start) and peak RSS, and the ratio text /
# data set, per round and as the median over the rounds. With BASELINE (an
# older dmf binary), each round runs it too, alternated with DMF on the same
# text, so the two ratios are measured on the same machine at the same time;
# each binary loads the data set it converted itself (its own format:
# load-N.dmf, load-N.baseline.dmf), converted again when the binary is newer
# than the directory. A benchmark, not a test.
#
#   jobs/bench/dataset_load.sh [RATINGS]        (default 10000000)
#
# Environment: DMF (the binary; default build/src/dmf), BASELINE (a second
# binary; unset: DMF alone), BENCH_DIR (scratch, default build/bench), REPEAT
# (rounds; 3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
# shellcheck source=../local/mpi_env.sh
source "$root_dir/jobs/local/mpi_env.sh"
dmf="${DMF:-$root_dir/build/src/dmf}"
ratings="${1:-10000000}"
bench_dir="${BENCH_DIR:-$root_dir/build/bench}"
repeat="${REPEAT:-3}"
baseline="${BASELINE:-}"
mkdir -p "$bench_dir"
text="$bench_dir/load-$ratings.csv"
set_dir="$bench_dir/load-$ratings.dmf"

if [[ ! -s "$text" ]]; then
  echo "generating $text (MovieLens-10M shape: 70k users, 10k items)"
  dmf_mpirun 2 "$dmf" generate --users 70000 --items 10000 --ratings "$ratings" \
    --out "$text" --quiet
fi
# convert BINARY DIR: DIR as BINARY writes it, unless DIR is newer.
convert() {
  if [[ ! -d "$2" || "$1" -nt "$2" ]]; then
    rm -rf "$2"
    dmf_mpirun 1 "$1" convert --data "$text" --out "$2" --threads 2 --quiet
  fi
}
convert "$dmf" "$set_dir"
[[ -n "$baseline" ]] && convert "$baseline" "$bench_dir/load-$ratings.baseline.dmf"

# field JSON KEY: a number from dmf info --json output.
field() { grep -o "\"$2\": [0-9.e+-]*" "$1" | head -1 | awk '{print $2}'; }

# load BINARY NP THREADS DATA: the load's seconds and peak RSS (MB) of one run.
load() {
  local flags
  # Each rank bound to its own cores (Open MPI's default: one core a rank).
  flags="$(dmf_bind_flags "$2" "$3") ${DMF_MPIRUN_FLAGS:-}"
  DMF_MPIRUN_FLAGS="$flags" dmf_mpirun "$2" "$1" info --data "$4" --threads "$3" --json --quiet \
    > "$bench_dir/load.json"
  echo "$(field "$bench_dir/load.json" seconds)" \
    "$(awk "BEGIN {print $(field "$bench_dir/load.json" peak_rss_bytes_max_rank) / 1e6}")"
}

binaries=("$dmf")
sets=("$set_dir")
if [[ -n "$baseline" ]]; then
  binaries+=("$baseline")
  sets+=("$bench_dir/load-$ratings.baseline.dmf")
fi
results="$bench_dir/dataset_load.results"
: > "$results"
printf '%-6s %-10s %-9s %9s %11s %12s %8s\n' round config binary "text s" "data set s" \
  "peak RSS MB" ratio
for ((round = 1; round <= repeat; round++)); do
  for config in "1 2" "2 1"; do
    read -r np threads <<<"$config"
    for b in "${!binaries[@]}"; do
      name=$([[ $b == 0 ]] && echo dmf || echo baseline)
      read -r t t_rss <<<"$(load "${binaries[$b]}" "$np" "$threads" "$text")"
      read -r s s_rss <<<"$(load "${binaries[$b]}" "$np" "$threads" "${sets[$b]}")"
      ratio=$(awk "BEGIN {print $t / $s}")
      printf '%-6s %-10s %-9s %9.3f %11.3f %5.0f/%-6.0f %8.1f\n' "$round" "P=$np T=$threads" \
        "$name" "$t" "$s" "$t_rss" "$s_rss" "$ratio"
      echo "$np $threads $name $t $s $ratio" >> "$results"
    done
  done
done
echo
echo "medians over $repeat rounds:"
printf '%-10s %-9s %9s %11s %8s\n' config binary "text s" "data set s" ratio
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    np, threads, name, t, s, ratio = line.split()
    rows.setdefault((np, threads, name), []).append((float(t), float(s), float(ratio)))
for (np, threads, name), runs in rows.items():
    med = [statistics.median(r[i] for r in runs) for i in range(3)]
    print(f"{'P=' + np + ' T=' + threads:<10} {name:<9} {med[0]:9.3f} {med[1]:11.3f} {med[2]:8.1f}")
PY
