#!/usr/bin/env bash
# jobs/local/train.sh as a user runs it: in a terminal (a pseudo-terminal
# here), Ctrl-C once the first epoch is done. The terminal sends SIGINT to
# the whole foreground process group; the script must pass it to mpirun as
# SIGUSR1, so dmf checkpoints and the script exits 75 (mpirun itself must
# not see the SIGINT: it would kill the ranks and exit 1). Run again, the
# job resumes and ends with the bytes of an uninterrupted run.
source "$DMF_E2E_LIB"

expect_ok dmf generate --users 2000 --items 500 --ratings 80000 --true-rank 4 --noise 0.3 \
  --out ratings.csv --quiet
expect_ok dmf_np 2 train --data ratings.csv --solver gd --rank 6 --lambda 0.05 --epochs 6 \
  --holdout 0.1 --batch-size 1000 --threads 1 --out reference --quiet

# jobs/local/mpi_env.sh picks Open MPI's shared-memory layer for one machine
# and keeps a value the user set.
env_lib="$DMF_SOURCE_DIR/jobs/local/mpi_env.sh"
[[ "$(env -u OMPI_MCA_pml bash -c "source '$env_lib'; echo \$OMPI_MCA_pml")" == ob1 ]] ||
  fail "mpi_env.sh did not set OMPI_MCA_pml=ob1"
[[ "$(OMPI_MCA_pml=ucx bash -c "source '$env_lib'; echo \$OMPI_MCA_pml")" == ucx ]] ||
  fail "mpi_env.sh replaced the user's OMPI_MCA_pml"

export DATA="$WORK/ratings.csv" OUT="$WORK/run" RANKS=2 THREADS=1 SOLVER=gd RANK=6 LAMBDA=0.05 \
  EPOCHS=6 HOLDOUT=0.1 MPIRUN="$DMF_MPIEXEC"
script="$DMF_SOURCE_DIR/jobs/local/train.sh"

# An option the script sets itself is refused with the variable to use.
expect_fail 1 bash "$script" --rank 64
contains "$WORK/stderr" "set RANK=... in the environment instead of passing --rank"
[[ ! -e run ]] || fail "train.sh created its run directory before refusing --rank"

# In a pseudo-terminal, Ctrl-C after the first epoch. Every safe point waits
# 10 ms (a test hook that changes no result), so the job is still training.
code=0
DMF_TEST_SAFE_POINT_DELAY=0.01 python3 - "$script" --batch-size 1000 >terminal.log 2>&1 <<'PY' || code=$?
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash"] + sys.argv[1:])
metrics = os.path.join(os.environ["OUT"], "metrics.jsonl")
sent, deadline = False, time.time() + 120
while time.time() < deadline:
    if not sent and os.path.exists(metrics) and os.path.getsize(metrics) > 0:
        os.write(fd, b"\x03")  # what the terminal turns into SIGINT
        sent = True
    if select.select([fd], [], [], 0.05)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child side is closed
            break
        if not data:
            break
        sys.stdout.write(data.decode(errors="replace"))
_, status = os.waitpid(pid, 0)
print("sent Ctrl-C" if sent else "never sent Ctrl-C")
sys.exit(os.waitstatus_to_exitcode(status))
PY
[[ "$code" == 75 ]] || {
  cat terminal.log run/train.log >&2
  fail "train.sh exited $code after Ctrl-C, not 75"
}
contains terminal.log "sent Ctrl-C"
contains terminal.log "run the same command again to go on"
[[ -e run/checkpoints/latest && ! -e run/model ]] || fail "no checkpoint after Ctrl-C, or a model"

# Run again: it resumes and finishes.
code=0
bash "$script" --batch-size 1000 </dev/null >again.log 2>&1 || code=$?
[[ "$code" == 0 ]] || {
  cat again.log >&2
  fail "train.sh exited $code when run again"
}
contains run/train.log "resuming from $WORK/run/checkpoints/ckpt-"
for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy; do
  cmp -s "reference/$f" "run/model/$f" || fail "run/model/$f differs from the uninterrupted run's"
done
echo "local_train: ok"
