# Helpers for end-to-end tests of the dmf CLI. CTest sets DMF (the binary),
# DMF_MPIEXEC and the Open MPI environment (see cmake/DmfTesting.cmake).
# A test script sources this file, then calls the helpers; the first failed
# check ends the script with a message and a non-zero exit.
set -euo pipefail

: "${DMF:?DMF must point at the dmf binary}"
: "${DMF_MPIEXEC:=mpiexec}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dmf-e2e-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# dmf ARGS...: run dmf in one process.
dmf() { "$DMF" "$@"; }

# dmf_np P ARGS...: run dmf on P ranks.
dmf_np() {
  local np="$1"
  shift
  # -q: no mpiexec trailer about non-zero exits; dmf has said what went wrong.
  "$DMF_MPIEXEC" -q -n "$np" --oversubscribe "$DMF" "$@"
}

# e2e_ranks N...: the rank counts a test loops over: all of N..., or under
# the sanitizers (DMF_E2E_SANITIZED=1, set by the ASan build) only 1 and 3 of
# them, as for the MPI tests: one rank and uneven blocks find the memory
# errors, and each start costs about a second there.
e2e_ranks() {
  local n
  if [[ "${DMF_E2E_SANITIZED:-0}" == 1 ]]; then
    for n in "$@"; do [[ "$n" == 1 || "$n" == 3 ]] && echo "$n"; done
  else
    echo "$@"
  fi
}

# expect_fail CODE CMD...: CMD must exit with CODE; its stderr is kept in $WORK/stderr.
expect_fail() {
  local want="$1"
  shift
  local got=0
  "$@" >"$WORK/stdout" 2>"$WORK/stderr" || got=$?
  if [[ "$got" != "$want" ]]; then
    echo "--- stderr:" >&2
    cat "$WORK/stderr" >&2
    fail "expected exit $want, got $got from: $*"
  fi
}

# expect_ok CMD...: CMD must succeed; stdout in $WORK/stdout, stderr in $WORK/stderr.
expect_ok() {
  local got=0
  "$@" >"$WORK/stdout" 2>"$WORK/stderr" || got=$?
  if [[ "$got" != 0 ]]; then
    echo "--- stderr:" >&2
    cat "$WORK/stderr" >&2
    fail "exit $got from: $*"
  fi
}

# contains FILE TEXT: FILE must contain TEXT (fixed string).
contains() {
  grep -qF -- "$2" "$1" || {
    echo "--- $1:" >&2
    cat "$1" >&2
    fail "$1 does not contain: $2"
  }
}

# not_contains FILE TEXT
not_contains() {
  if grep -qF -- "$2" "$1"; then
    echo "--- $1:" >&2
    cat "$1" >&2
    fail "$1 contains: $2"
  fi
}

# count_lines FILE TEXT: how many lines of FILE contain TEXT.
count_lines() { grep -cF -- "$2" "$1" || true; }

# same_bytes A B: files must be identical.
same_bytes() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }

# kill_session SID: SIGKILL to every process of the session SID (a job
# started with setsid, as when a node is lost), then waits until none is
# left. Open MPI puts each rank in a process group of its own, so a kill of
# mpiexec's group leaves the ranks running, orphaned, still writing (they
# removed a resumed run's checkpoint in the making).
kill_session() {
  local sid="$1" i
  pkill -KILL -s "$sid" 2>/dev/null || true
  wait "$sid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    pgrep -s "$sid" >/dev/null || return 0
    sleep 0.05
  done
  fail "processes of session $sid still run after SIGKILL"
}
