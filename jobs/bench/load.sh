#!/usr/bin/env bash
# Load throughput of `dmf info` (read + parse + route + build blocks) on a
# generated CSV, at 1 and 2 ranks: MB/s and ratings/s per rank, peak RSS per
# rank, bytes held per rating per stored copy. A benchmark, not a test.
#
#   jobs/bench/load.sh [RATINGS]        (default 20000000)
#
# Environment: DMF (the binary; default build/src/dmf), BENCH_DIR (scratch,
# default build/bench), REPEAT (runs per configuration, the best is kept; 3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
# shellcheck source=../local/mpi_env.sh
source "$root_dir/jobs/local/mpi_env.sh"
dmf="${DMF:-$root_dir/build/src/dmf}"
ratings="${1:-20000000}"
bench_dir="${BENCH_DIR:-$root_dir/build/bench}"
repeat="${REPEAT:-3}"
mkdir -p "$bench_dir"
data="$bench_dir/load-$ratings.csv"

if [[ ! -s "$data" ]]; then
  echo "generating $data (MovieLens-10M shape: 70k users, 10k items)"
  dmf_mpirun 2 "$dmf" generate --users 70000 --items 10000 --ratings "$ratings" \
    --out "$data" --quiet
fi

# field JSON KEY: a number from dmf info --json output.
field() { grep -o "\"$2\": [0-9.e+-]*" "$1" | head -1 | awk '{print $2}'; }

printf '%-12s %10s %10s %14s %12s %12s %10s\n' config seconds "MB/s/rank" "ratings/s/rank" \
  "peak RSS MB" "B/rating" "read/index/route s"
for config in "1 1" "1 2" "2 1"; do
  read -r np threads <<<"$config"
  best=""
  for ((k = 0; k < repeat; k++)); do
    dmf_mpirun "$np" "$dmf" info --data "$data" --threads "$threads" --json --quiet \
      > "$bench_dir/load.json"
    seconds=$(field "$bench_dir/load.json" seconds)
    if [[ -z "$best" ]] || awk "BEGIN {exit !($seconds < $best)}"; then
      best=$seconds
      cp "$bench_dir/load.json" "$bench_dir/load-best.json"
    fi
  done
  j="$bench_dir/load-best.json"
  printf '%-12s %10.2f %10.1f %14.3g %12.0f %12.1f   %.2f/%.2f/%.2f\n' "P=$np T=$threads" \
    "$(field "$j" seconds)" "$(field "$j" mb_per_s_per_rank)" "$(field "$j" ratings_per_s_per_rank)" \
    "$(awk "BEGIN {print $(field "$j" peak_rss_bytes_max_rank) / 1e6}")" \
    "$(field "$j" bytes_per_rating_per_copy)" "$(field "$j" read_seconds)" \
    "$(field "$j" index_seconds)" "$(field "$j" route_seconds)"
done
