#!/usr/bin/env bash
# Load throughput of `dmf info` (read + parse + route + build blocks) on a
# generated `user item rating` text file (LIBMF's format), at 1x1, 1x2 and
# 2x1 (ranks x threads): seconds, MB/s and ratings/s per rank, peak RSS per
# rank and per rating, the read/index/route split. When LIBMF is given, its
# `mf-train -t 1 -k 8 -s 2` (which reads the same file and runs one
# iteration) runs alternately with dmf, and the table gives dmf's time as a
# ratio of it, measured in the same run. With BASELINE (an older dmf
# binary), each run of DMF is followed by one of BASELINE on the same
# configuration, and a second table gives the baseline's figures, so the
# two builds (and their 1 -> 2 ranks speed-ups) are compared on the same
# machine at the same time. Each table gives the best run of each
# configuration and, below it, the median of the runs (total and route
# seconds). A benchmark, not a test.
#
#   jobs/bench/load.sh [RATINGS]        (default 10000000: 127 MB)
#
# Environment: DMF (the binary; default build/src/dmf), BASELINE (a second
# binary; unset: DMF alone), BENCH_DIR (scratch, default build/bench), REPEAT
# (runs per configuration, the best is kept; 3), LIBMF (a LIBMF build
# directory holding mf-train; unset: dmf alone).
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
data="$bench_dir/load-$ratings.txt"

if [[ ! -s "$data" ]]; then
  echo "generating $data (MovieLens-10M shape: 70k users, 10k items)"
  dmf_mpirun 2 "$dmf" generate --users 70000 --items 10000 --ratings "$ratings" \
    --format libmf --out "$data" --quiet
fi

libmf_train=""
if [[ -n "${LIBMF:-}" ]]; then
  if [[ -x "$LIBMF/mf-train" ]]; then
    libmf_train="$LIBMF/mf-train"
  else
    echo "LIBMF=$LIBMF holds no mf-train: running dmf alone"
  fi
else
  echo "LIBMF not set: running dmf alone (LIBMF=DIR compares with LIBMF's mf-train)"
fi

# median FILE COLUMN: the median of a column of numbers (the lower middle one
# of an even count).
median() { awk "{print \$$2}" "$1" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# field JSON KEY: a number from dmf info --json output.
field() { grep -o "\"$2\": [0-9.e+-]*" "$1" | head -1 | awk '{print $2}'; }

# libmf_seconds: LIBMF's wall seconds (best of REPEAT) and peak RSS in KB,
# reading $data on one thread; "" when no LIBMF.
libmf_best=""
libmf_rss=""
run_libmf() {
  [[ -n "$libmf_train" ]] || return 0
  local out seconds kb
  out="$( { /usr/bin/time -f "%e %M" "$libmf_train" -t 1 -k 8 -s 2 "$data" \
    "$bench_dir/libmf.model" >/dev/null; } 2>&1 | tail -1)"
  read -r seconds kb <<<"$out"
  if [[ -z "$libmf_best" ]] || awk "BEGIN {exit !($seconds < $libmf_best)}"; then
    libmf_best=$seconds
    libmf_rss=$kb
  fi
}

# run_dmf BINARY NP THREADS TAG: one load, kept in load-best-TAG-NP-THREADS.json
# when it is the fastest so far.
run_dmf() {
  local binary="$1" np="$2" threads="$3" tag="$4" seconds best_file
  best_file="$bench_dir/load-best-$tag-$np-$threads.json"
  # Each rank bound to its own cores: Open MPI's default binds a rank to
  # one core, where its threads would share it.
  DMF_MPIRUN_FLAGS="$(dmf_bind_flags "$np" "$threads") ${DMF_MPIRUN_FLAGS:-}" \
    dmf_mpirun "$np" "$binary" info --data "$data" --threads "$threads" --json --quiet \
    > "$bench_dir/load.json"
  seconds=$(field "$bench_dir/load.json" seconds)
  echo "$seconds $(field "$bench_dir/load.json" route_seconds)" \
    >>"$bench_dir/load-all-$tag-$np-$threads.txt"
  if [[ ! -s "$best_file" ]] || awk "BEGIN {exit !($seconds < $(field "$best_file" seconds))}"; then
    cp "$bench_dir/load.json" "$best_file"
  fi
}

tags=(dmf)
if [[ -n "$baseline" ]]; then tags+=(baseline); fi
rm -f "$bench_dir"/load-best-*.json "$bench_dir"/load-all-*.txt
rows=("1 1" "1 2" "2 1")
# Round k runs every configuration once, so that the machine's drift over
# the minutes of a benchmark (a shared VM's speed wanders) falls on every
# configuration alike, and on the 1 -> 2 ranks ratio's two ends.
for ((k = 0; k < repeat; k++)); do
  for config in "${rows[@]}"; do
    read -r np threads <<<"$config"
    run_libmf  # alternated with dmf: both see the same machine
    run_dmf "$dmf" "$np" "$threads" dmf
    if [[ -n "$baseline" ]]; then run_dmf "$baseline" "$np" "$threads" baseline; fi
  done
done

for tag in "${tags[@]}"; do
  if [[ -n "$baseline" ]]; then
    if [[ "$tag" == dmf ]]; then echo "DMF ($dmf):"; else echo "BASELINE ($baseline):"; fi
  fi
  printf '%-10s %8s %8s %10s %12s %10s %12s %18s\n' config seconds "x LIBMF" "MB/s/rank" \
    "ratings/s/rk" "peak MB" "B/rating/rk" "read/index/route s"
  one_rank=""
  for row in "${rows[@]}"; do
    read -r np threads <<<"$row"
    j="$bench_dir/load-best-$tag-$np-$threads.json"
    seconds=$(field "$j" seconds)
    ratio="-"
    if [[ -n "$libmf_best" ]]; then ratio=$(awk "BEGIN {printf \"%.2f\", $seconds / $libmf_best}"); fi
    peak=$(field "$j" peak_rss_bytes_max_rank)
    printf '%-10s %8.2f %8s %10.1f %12.3g %10.0f %12.1f   %.2f/%.2f/%.2f\n' "P=$np T=$threads" \
      "$seconds" "$ratio" "$(field "$j" mb_per_s_per_rank)" "$(field "$j" ratings_per_s_per_rank)" \
      "$(awk "BEGIN {print $peak / 1e6}")" "$(awk "BEGIN {print $peak * $np / $ratings}")" \
      "$(field "$j" read_seconds)" "$(field "$j" index_seconds)" "$(field "$j" route_seconds)"
    all="$bench_dir/load-all-$tag-$np-$threads.txt"
    printf '%-10s median of %d: %.3f s, route %.3f s\n' "" "$(wc -l <"$all")" \
      "$(median "$all" 1)" "$(median "$all" 2)"
    if [[ "$np" == 1 && "$threads" == 1 ]]; then
      one_rank=$seconds
      one_rank_median=$(median "$all" 1)
    fi
    if [[ "$np" == 2 && -n "$one_rank" ]]; then
      echo "  speed-up from 1 to 2 ranks: $(awk "BEGIN {printf \"%.2f\", $one_rank / $seconds}")x" \
        "(medians: $(awk "BEGIN {printf \"%.2f\", $one_rank_median / $(median "$all" 1)}")x)"
    fi
  done
done
if [[ -n "$libmf_best" ]]; then
  printf 'LIBMF mf-train -t 1 -k 8 -s 2 (read + 1 iteration): %.2f s, peak RSS %.0f MB\n' \
    "$libmf_best" "$(awk "BEGIN {print $libmf_rss / 1e3}")"
fi
