#!/usr/bin/env bash
# A training job on a workstation: dmf train under mpirun with checkpoints,
# resumable. Run it again after it stopped (Ctrl-C, kill, reboot) and it goes
# on from its latest checkpoint; the final model is the same as if it had
# never stopped.
#
#   DATA=ratings.csv OUT=runs/als jobs/local/train.sh [extra dmf train options]
#
# Environment (defaults in brackets):
#   DATA         ratings file [required]
#   OUT          run directory: OUT/model, OUT/checkpoints, OUT/metrics.jsonl, OUT/train.log
#   RANKS        MPI ranks [2 when the machine has 2 or more cores, else 1]
#   THREADS      OpenMP threads per rank [cores / RANKS]
#   SOLVER, RANK, LAMBDA, EPOCHS, HOLDOUT       [als, 32, 0.05, 20, 0.1]
#   CHECKPOINT_SECONDS   time between checkpoints [300]
#   DMF          the dmf binary [build/src/dmf]
# Ctrl-C (SIGINT) or SIGTERM to this script is passed to mpirun as SIGUSR1:
# every rank checkpoints at its next safe point and the script exits with 75.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=mpi_env.sh
source "$here/mpi_env.sh"

: "${DATA:?set DATA to the ratings file}"
: "${OUT:?set OUT to the run directory}"
dmf="${DMF:-$root_dir/build/src/dmf}"
[[ -x "$dmf" ]] || {
  echo "train.sh: no dmf at $dmf; build it with cmake/bootstrap.sh or set DMF" >&2
  exit 1
}
# Options the script sets itself come from the environment: a second
# --rank on the command line would only get boost's "specified more than once".
for arg in "$@"; do
  case "${arg%%=*}" in
    --solver | --rank | --k | --factors | --lambda | --epochs | --holdout)
      var="${arg%%=*}"
      var="${var#--}"
      [[ "$var" == k || "$var" == factors ]] && var=rank
      echo "train.sh: set ${var^^}=... in the environment instead of passing ${arg%%=*} (the script passes it to dmf train)" >&2
      exit 1
      ;;
    --threads | --out | --metrics-out | --checkpoint-dir | --checkpoint-seconds | --resume | --data)
      echo "train.sh: ${arg%%=*} is set by the script (see the environment variables in its header)" >&2
      exit 1
      ;;
  esac
done
cores="$(dmf_cores)"
ranks="${RANKS:-$((cores >= 2 ? 2 : 1))}"
threads="${THREADS:-$((cores / ranks > 0 ? cores / ranks : 1))}"
mkdir -p "$OUT"

# Each rank gets its THREADS cores when they fit; otherwise no binding.
DMF_MPIRUN_FLAGS="${DMF_MPIRUN_FLAGS:-} $(dmf_bind_flags "$ranks" "$threads")"
mapfile -t launcher < <(dmf_mpirun_command "$ranks")

echo "train.sh: $ranks ranks x $threads threads; log in $OUT/train.log" >&2
# mpirun runs in a session of its own (setsid, which execs it: $! is
# mpirun), so a Ctrl-C on the terminal reaches only this script; mpirun
# would take SIGINT as an abort, kill the ranks and exit 1.
setsid "${launcher[@]}" -q "$dmf" train --data "$DATA" --solver "${SOLVER:-als}" --rank "${RANK:-32}" \
  --lambda "${LAMBDA:-0.05}" --epochs "${EPOCHS:-20}" --holdout "${HOLDOUT:-0.1}" \
  --threads "$threads" --out "$OUT/model" --metrics-out "$OUT/metrics.jsonl" \
  --checkpoint-dir "$OUT/checkpoints" --checkpoint-seconds "${CHECKPOINT_SECONDS:-300}" \
  --resume auto "$@" </dev/null >>"$OUT/train.log" 2>&1 &
job=$!
# mpirun forwards SIGUSR1 to every rank (its SIGTERM handling kills them).
signalled=0
trap 'echo "train.sh: stopping; dmf writes a checkpoint" >&2; signalled=1; kill -USR1 "$job" 2>/dev/null || true' INT TERM
# A trap ends the wait early: wait again (bash keeps an ended job's status).
while true; do
  signalled=0
  wait "$job" && code=0 || code=$?
  ((signalled)) || break
done
tail -n 5 "$OUT/train.log" >&2
case "$code" in
  0) echo "train.sh: done; model in $OUT/model" >&2 ;;
  75) echo "train.sh: checkpointed in $OUT/checkpoints; run the same command again to go on" >&2 ;;
  *) echo "train.sh: dmf train failed (exit $code); see $OUT/train.log" >&2 ;;
esac
exit "$code"
