# Shared by the benchmark scripts (sourced, not run): the Release build they
# configure, the data cache and the MovieLens-10M-shaped data set. Sets
# root_dir, build_dir, bench_dir and cores; sources jobs/local/mpi_env.sh
# (dmf_mpirun, dmf_cores, dmf_bind_flags for rank binding).
#   BUILD_DIR  the Release build [build-bench]
#   DMF_BENCH_DIR  data cache and runs, outside the repository [/tmp/dmf-bench]
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../local/mpi_env.sh
source "$root_dir/jobs/local/mpi_env.sh"
build_dir="${BUILD_DIR:-$root_dir/build-bench}"
bench_dir="${DMF_BENCH_DIR:-/tmp/dmf-bench}"
cores="$(dmf_cores)"

# bench_build TARGET...: configures the Release build (benchmarks on, tests
# off), builds the targets, and sets dmf to the built binary.
bench_build() {
  local generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S "$root_dir" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DDMF_BUILD_TESTS=OFF -DDMF_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$build_dir" --target "$@" >/dev/null
  dmf="$build_dir/src/dmf"
}

# ml10m_data TRUE_RANK NOISE: sets data to the cached MovieLens-10M-shaped
# file (69,878 users, 10,677 items, 10,000,054 continuous ratings 1..5 from
# a rank-TRUE_RANK model plus N(0, NOISE²)), generating it on every core the
# first time. Every script that uses it shares the one file.
ml10m_data() {
  data="$bench_dir/ml10m-r$1-s$2.csv"
  if [[ ! -s "$data" ]]; then
    echo "generating $data"
    dmf_mpirun "$cores" "$dmf" generate --users 69878 --items 10677 --ratings 10000054 \
      --true-rank "$1" --noise "$2" --scale 1:5:0 --seed 7 --out "$data" --quiet
  fi
}
