#!/usr/bin/env bash
# The quick-start job: set up and build dmf, make a synthetic data set, look
# at it and train a model on it on 2 MPI ranks, holding out 10% to measure.
#
#   jobs/local/quickstart.sh
#
# Steps: cmake/bootstrap.sh (packages, configure, build in build/), then
# `dmf generate` into build/quickstart/, then `dmf info` and `dmf train` on 2
# ranks (model in build/quickstart/model), then `dmf plot` of its learning
# curves (build/quickstart/curves.svg). Output of
# each step is shown and also kept in build/quickstart/. Environment:
#   DMF_BUILD_DIR  build directory (default: build/ at the top of the repository)
#   DMF_RANKS      number of MPI ranks (default: 2)
#   DMF            a dmf binary to use instead of setting up and building one
#   QUICKSTART_OUT where the data, model and logs go (default: BUILD_DIR/quickstart)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
build_dir="${DMF_BUILD_DIR:-$root_dir/build}"
ranks="${DMF_RANKS:-2}"

# shellcheck source-path=SCRIPTDIR source=mpi_env.sh
source "$here/mpi_env.sh"

if [[ -n "${DMF:-}" ]]; then
  dmf="$DMF" # a dmf built elsewhere: no set-up, no build
else
  "$root_dir/cmake/bootstrap.sh" --build-dir "$build_dir"
  build_dir="$(cd "$build_dir" && pwd)"
  dmf="$build_dir/src/dmf"
fi
[[ -x "$dmf" ]] || {
  echo "quickstart: no dmf executable at $dmf" >&2
  exit 1
}

out="${QUICKSTART_OUT:-$build_dir/quickstart}"
mkdir -p "$out"
data="$out/ratings.csv"

# step NAME CMD...: shows the command, runs it with its output on the terminal
# and in $out/NAME.log, and stops the job if it fails.
step() {
  local name="$1"
  shift
  echo
  echo "== $name: $*"
  local code=0
  "$@" 2>&1 | tee "$out/$name.log" || code=$?
  if ((code != 0)); then
    echo "quickstart: '$name' failed (exit $code); its output is in $out/$name.log" >&2
    exit "$code"
  fi
}

# A default synthetic data set: users, items, ratings and seed at their defaults.
step generate "$dmf" generate --out "$data" --overwrite

mapfile -t mpirun < <(dmf_mpirun_command "$ranks")
step info "${mpirun[@]}" "$dmf" info --data "$data"

# ALS at the generator's true rank; 10% of the ratings held out and measured.
# Each rank runs half the cores' threads.
threads=$(($(nproc) / ranks))
((threads >= 1)) || threads=1
step train "${mpirun[@]}" "$dmf" train --data "$data" --holdout 0.1 --rank 10 --lambda 0.05 \
  --epochs 10 --threads "$threads" --out "$out/model" --metrics-out "$out/metrics.jsonl" --overwrite
# The learning curves of that run, as an SVG any browser shows.
step plot "$dmf" plot --metrics "$out/metrics.jsonl" --labels als --out "$out/curves.svg" --overwrite

echo
echo "quickstart: done."
echo "  data set:  $data"
echo "  model:     $out/model (manifest.json, *.npy, *_ids.txt)"
echo "  metrics:   $out/metrics.jsonl (learning curves: $out/curves.svg)"
echo "  logs:      $out/generate.log, $out/info.log, $out/train.log"
[[ -n "${DMF:-}" ]] || echo "  build log: $build_dir/bootstrap.log"
