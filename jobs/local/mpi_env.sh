# shellcheck shell=bash
# Open MPI settings for workstation jobs; source it from a job script:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/mpi_env.sh"
#   dmf_mpirun 2 "$DMF" info --data ratings.csv
#
# - As root, sets OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) so mpirun agrees to start.
# - OMPI_MCA_pml=ob1: the ranks of one machine talk over shared memory, and
#   MPI_Init skips probing for cluster networks (UCX), 0.5 s -> 0.2 s a start.
# - dmf_mpirun NP CMD...: mpirun with NP ranks, adding --oversubscribe when the
#   machine has fewer cores than NP (Open MPI refuses otherwise).
# - MPIRUN names the launcher (default: mpirun on the PATH); extra mpirun flags
#   can be given in DMF_MPIRUN_FLAGS (split on blanks).
# Settings already in the environment are left alone.

if [[ "$(id -u)" == 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT="${OMPI_ALLOW_RUN_AS_ROOT:-1}"
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}"
fi

export OMPI_MCA_pml="${OMPI_MCA_pml:-ob1}"

MPIRUN="${MPIRUN:-mpirun}"

# dmf_cores: the cores this process may use.
dmf_cores() { nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1; }

# dmf_bind_flags P T: mpirun flags that bind each of P ranks to T cores when
# they fit (Open MPI binds one rank to one core otherwise, and its T threads
# would share it), else no binding; blank-separated, for DMF_MPIRUN_FLAGS.
dmf_bind_flags() {
  if (($1 * $2 <= $(dmf_cores))); then echo "--map-by slot:PE=$2"; else echo "--bind-to none"; fi
}

# dmf_mpirun_command NP: prints the launcher and its flags for NP ranks, one per line.
dmf_mpirun_command() {
  local np="$1"
  printf '%s\n' "$MPIRUN" -n "$np"
  if (($(dmf_cores) < np)); then printf '%s\n' --oversubscribe; fi
  local flag
  # shellcheck disable=SC2086 # DMF_MPIRUN_FLAGS is a blank-separated list on purpose
  for flag in ${DMF_MPIRUN_FLAGS:-}; do printf '%s\n' "$flag"; done
}

# dmf_mpirun NP CMD...: runs CMD on NP ranks.
dmf_mpirun() {
  local np="$1"
  shift
  local launcher
  mapfile -t launcher < <(dmf_mpirun_command "$np")
  "${launcher[@]}" "$@"
}
