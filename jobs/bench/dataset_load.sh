#!/usr/bin/env bash
# Load time of a generated CSV against the data set directory `dmf convert`
# makes of it (README "The data set directory"), alternated in one run at
# 1 rank x 2 threads and 2 ranks x 1 thread: `dmf info`'s load seconds
# (read + index + route) and peak RSS, and the ratio. A benchmark, not a test.
#
#   jobs/bench/dataset_load.sh [RATINGS]        (default 10000000)
#
# Environment: DMF (the binary; default build/src/dmf), BENCH_DIR (scratch,
# default build/bench), REPEAT (rounds; 2).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
# shellcheck source=../local/mpi_env.sh
source "$root_dir/jobs/local/mpi_env.sh"
dmf="${DMF:-$root_dir/build/src/dmf}"
ratings="${1:-10000000}"
bench_dir="${BENCH_DIR:-$root_dir/build/bench}"
repeat="${REPEAT:-2}"
mkdir -p "$bench_dir"
text="$bench_dir/load-$ratings.csv"
set_dir="$bench_dir/load-$ratings.dmf"

if [[ ! -s "$text" ]]; then
  echo "generating $text (MovieLens-10M shape: 70k users, 10k items)"
  dmf_mpirun 2 "$dmf" generate --users 70000 --items 10000 --ratings "$ratings" \
    --out "$text" --quiet
fi
if [[ ! -d "$set_dir" ]]; then
  dmf_mpirun 1 "$dmf" convert --data "$text" --out "$set_dir" --threads 2
fi

# field JSON KEY: a number from dmf info --json output.
field() { grep -o "\"$2\": [0-9.e+-]*" "$1" | head -1 | awk '{print $2}'; }

printf '%-6s %-10s %12s %12s %12s %8s\n' round config "text s" "data set s" "peak RSS MB" ratio
for ((round = 1; round <= repeat; round++)); do
  for config in "1 2" "2 1"; do
    read -r np threads <<<"$config"
    # Each rank bound to its own cores (Open MPI's default: one core a rank).
    flags="$(dmf_bind_flags "$np" "$threads") ${DMF_MPIRUN_FLAGS:-}"
    DMF_MPIRUN_FLAGS="$flags" dmf_mpirun "$np" "$dmf" info --data "$text" --threads "$threads" \
      --json --quiet > "$bench_dir/text.json"
    DMF_MPIRUN_FLAGS="$flags" dmf_mpirun "$np" "$dmf" info --data "$set_dir" --threads "$threads" \
      --json --quiet > "$bench_dir/set.json"
    t=$(field "$bench_dir/text.json" seconds)
    s=$(field "$bench_dir/set.json" seconds)
    printf '%-6s %-10s %12.2f %12.2f %5.0f/%-6.0f %8.1f\n' "$round" "P=$np T=$threads" "$t" "$s" \
      "$(awk "BEGIN {print $(field "$bench_dir/text.json" peak_rss_bytes_max_rank) / 1e6}")" \
      "$(awk "BEGIN {print $(field "$bench_dir/set.json" peak_rss_bytes_max_rank) / 1e6}")" \
      "$(awk "BEGIN {print $t / $s}")"
  done
done
