# shellcheck shell=bash
# A single-node Slurm cluster on this machine, for the Slurm end-to-end test
# (sourced). slurm_cluster_start DIR installs the Debian packages when they
# are missing (munge, slurmctld, slurmd, slurm-client; as root, from the
# Debian archive, without starting their services), writes a slurm.conf
# into DIR, starts munged, slurmctld and slurmd by hand (no systemd) and
# waits until the node is idle; SLURM_CONF points at the config.
# slurm_cluster_stop cancels the cluster's jobs and kills every daemon it
# started, by PID, and any job step left behind. Failures are loud: the
# test fails, it is never skipped.

slurm_pids=()

slurm_install() {
  local missing=() package
  for package in munge slurmctld slurmd slurm-client; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ "$(id -u)" == 0 ]] || fail "Slurm is not installed and only root can install it: apt-get install ${missing[*]}"
  echo "slurm: installing ${missing[*]}"
  # The packages' scripts must not start the services: policy-rc.d says no.
  local policy=/usr/sbin/policy-rc.d created=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created=1
  fi
  local code=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
    code=$?
  if ((code != 0)); then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$WORK/apt.log" 2>&1 &&
      code=0
  fi
  ((created)) && rm -f "$policy"
  ((code == 0)) || { tail -n 20 "$WORK/apt.log" >&2; fail "apt-get install ${missing[*]} failed"; }
}

# slurm_daemon NAME CMD...: starts a daemon in the background, remembers its PID.
slurm_daemon() {
  local name="$1"
  shift
  "$@" >"$slurm_dir/$name.out" 2>&1 &
  slurm_pids+=($!)
}

slurm_cluster_start() {
  slurm_dir="$1"
  slurm_install
  mkdir -p "$slurm_dir"/{state,spool,munge,tmp}
  chmod 700 "$slurm_dir/munge"
  local host
  host="$(hostname -s)"
  dd if=/dev/urandom of="$slurm_dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$slurm_dir/munge/munge.key"
  local socket="$slurm_dir/munge/munge.socket"
  slurm_daemon munged /usr/sbin/munged --foreground --force --key-file="$slurm_dir/munge/munge.key" \
    --socket="$socket" --pid-file="$slurm_dir/munge/munged.pid" \
    --seed-file="$slurm_dir/munge/munged.seed" --log-file="$slurm_dir/munge/munged.log"
  local i
  for ((i = 0; i < 50; i++)); do [[ -S "$socket" ]] && break; sleep 0.1; done
  [[ -S "$socket" ]] || { cat "$slurm_dir/munged.out" >&2; fail "munged did not start"; }

  # Two free ports off the defaults, so a Slurm already running elsewhere
  # (another build tree's test) is left alone; the search starts at a random
  # pair, so that two tests starting together seldom pick the same one.
  local port tries
  for ((tries = 0; tries < 100; tries++)); do
    port=$((16817 + 2 * (RANDOM % 100)))
    slurm_port_busy "$port" || slurm_port_busy $((port + 1)) || break
  done
  ((tries < 100)) || fail "no two free TCP ports in 16817-17016 for slurmctld and slurmd"
  cat >"$slurm_dir/slurm.conf" <<CONF
ClusterName=dmftest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket,cred_expire=10
StateSaveLocation=$slurm_dir/state
SlurmdSpoolDir=$slurm_dir/spool
# Names on this machine that derive from job IDs alone (PMIx's
# TmpFS/spmix_appdir_0_2.0, Open MPI's shared-memory segments) must not
# meet another test's cluster: its own TmpFS, job IDs from a random start.
TmpFS=$slurm_dir/tmp
FirstJobId=$((RANDOM * 1000 + 1))
SlurmctldPidFile=$slurm_dir/slurmctld.pid
SlurmdPidFile=$slurm_dir/slurmd.pid
SlurmctldLogFile=$slurm_dir/slurmctld.log
SlurmdLogFile=$slurm_dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmctldParameters=preempt_send_user_signal
SlurmdParameters=config_overrides
MailProg=/bin/true
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$slurm_dir/slurm.conf"
  slurm_daemon slurmctld /usr/sbin/slurmctld -D -i
  slurm_daemon slurmd /usr/sbin/slurmd -D
  local pid
  for ((i = 0; i < 100; i++)); do
    sinfo -h -o '%t' 2>/dev/null | grep -qx idle && return 0
    for pid in "${slurm_pids[@]}"; do kill -0 "$pid" 2>/dev/null || i=100; done
    sleep 0.2
  done
  cat "$slurm_dir"/*.out "$slurm_dir"/*.log >&2 2>/dev/null || true
  fail "the Slurm node did not come up (sinfo: $(sinfo -h 2>&1 | head -n 3))"
}

# slurm_cluster_logs: what a failed test needs to say why (sent to stderr):
# the daemons' errors and the job logs' last lines.
slurm_cluster_logs() {
  local f errors
  for f in "$slurm_dir"/*.log "$slurm_dir"/*.out "$slurm_dir"/munge/munged.log; do
    # A new cluster has no saved state: those errors are no news.
    errors="$(grep -iE 'error|fatal|fail' "$f" 2>/dev/null |
      grep -vE 'state file|backup state save' | tail -n 8 || true)"
    [[ -z "$errors" ]] || printf -- '--- errors in %s\n%s\n' "$f" "$errors" >&2
  done
  for f in "$WORK"/dmf-*.log; do
    [[ -s "$f" ]] || continue
    echo "--- $f" >&2
    tail -n 8 "$f" >&2
  done
}

# slurm_port_busy PORT: true when something listens on 127.0.0.1:PORT.
slurm_port_busy() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

slurm_cluster_stop() {
  local pid i jobs=()
  # Jobs first, while slurmd is there to end their steps: a slurmstepd
  # outlives slurmd and would keep a failed test's ranks running.
  ((${#slurm_pids[@]} > 0)) && mapfile -t jobs < <(squeue -h -o %A 2>/dev/null)
  if ((${#jobs[@]} > 0)); then
    scancel --full --signal=KILL "${jobs[@]}" 2>/dev/null || true
    scancel "${jobs[@]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do [[ -z "$(squeue -h 2>/dev/null)" ]] && break; sleep 0.1; done
  fi
  for pid in "${slurm_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${slurm_pids[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # Whatever still runs for this cluster: the slurmstepds and job processes
  # (they carry its SLURM_CONF and a SLURM_JOB_ID).
  local proc
  for proc in /proc/[0-9]*; do
    pid="${proc#/proc/}"
    if tr '\0' '\n' 2>/dev/null <"$proc/environ" | grep -qxF "SLURM_CONF=$slurm_dir/slurm.conf" &&
      { [[ "$(cat "$proc/comm" 2>/dev/null)" == slurmstepd ]] ||
        tr '\0' '\n' 2>/dev/null <"$proc/environ" | grep -q '^SLURM_JOB_ID='; }; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  slurm_pids=()
}
