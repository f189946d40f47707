#!/usr/bin/env bash
# A one-machine Slurm cluster for trying and testing `kaigiroku batch` on a real
# scheduler: munged, slurmctld and slurmd from Debian's packages, with their
# configuration, keys, state, sockets, pid files and logs all in one private
# folder, so nothing under /etc or /run is changed and no system Slurm or munge
# that may already run here is touched (own ports, own munge socket).
#
#   scripts/slurm-cluster.sh start    installs slurm-wlm and munge if missing (apt-get, as
#                                     root), writes DIR/slurm.conf (one node: this host with
#                                     its real CPUs and memory, one partition), starts the
#                                     three daemons and waits until the node is idle
#   scripts/slurm-cluster.sh stop     stops the daemons it started (by their pid files)
#   scripts/slurm-cluster.sh status   the daemons, sinfo and squeue
#   scripts/slurm-cluster.sh env      prints `export SLURM_CONF=DIR/slurm.conf`, which every
#                                     Slurm command (sbatch, sinfo, squeue, scontrol, sacct)
#                                     needs to talk to this cluster: eval "$(… env)"
#
# DIR is $KAIGIROKU_SLURM_DIR, default /tmp/kaigiroku-slurm. Ports: $KAIGIROKU_SLURM_PORT
# (slurmctld, default 16817) and the next one (slurmd).
#
# Made for a container without systemd or a writable cgroup tree (this one runs under
# gVisor): processes are tracked by /proc (proctrack/linuxproc), tasks are not bound
# (task/none), nothing asks for cgroups. Jobs run as the user who submits them; the
# daemons run as root (slurmd must, to start jobs as that user). There is no slurmdbd,
# so plain `sacct` has nothing to read: finished jobs are written to DIR/log/jobcomp.txt
# (jobcomp/filetxt), which `sacct -c` reads.
set -euo pipefail

DIR="${KAIGIROKU_SLURM_DIR:-/tmp/kaigiroku-slurm}"
PORT="${KAIGIROKU_SLURM_PORT:-16817}"
CONF="$DIR/slurm.conf"
export SLURM_CONF="$CONF"

say() { echo "slurm-cluster: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# The pid in FILE if that process is alive.
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_missing() {
  local missing=()
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  command -v munged >/dev/null || missing+=(munge)
  ((${#missing[@]})) || return 0
  [ "$(id -u)" -eq 0 ] || die "needs ${missing[*]} (Debian: apt-get install slurm-wlm munge); run as root to install them"
  say "installing slurm-wlm munge (missing: ${missing[*]})"
  apt-get update -qq
  # The packages try to start their services; policy-rc.d (or the lack of systemd) stops that,
  # and their failure to do so is harmless here.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null ||
    die "apt-get install slurm-wlm munge failed"
}

# Everything `slurmd -C` found on this machine: NodeName=… CPUs=… Boards=… … RealMemory=…
node_line() {
  local line
  line=$(slurmd -C 2>/dev/null | head -n 1)
  [[ "$line" == NodeName=* ]] || die "slurmd -C did not describe this machine: $line"
  echo "$line"
}

write_conf() {
  local node_line node mem
  node_line=$(node_line)
  node=$(sed -E 's/^NodeName=([^ ]+).*/\1/' <<<"$node_line")
  mem=$(sed -E 's/.*RealMemory=([0-9]+).*/\1/' <<<"$node_line")
  # Leave the system a little: slurmd refuses a node whose RealMemory is over what it sees.
  mem=$((mem * 95 / 100))
  node_line=$(sed -E "s/RealMemory=[0-9]+/RealMemory=$mem/" <<<"$node_line")
  cat >"$CONF" <<EOF
# Written by scripts/slurm-cluster.sh: a one-node cluster in $DIR.
ClusterName=kaigiroku
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups in a container: processes found through /proc, tasks not bound.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
# CPUs and memory are what jobs ask for (--cpus-per-task, --mem).
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job that does not say how much memory it needs gets 1 GB per CPU, not the whole node.
DefMemPerCPU=1024
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# No slurmdbd: finished jobs go to a text file that "sacct -c" reads.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
# Finished jobs stay in scontrol/squeue for 10 minutes.
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
KillWait=30
$node_line State=UNKNOWN
PartitionName=batch Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  echo "$node"
}

start_munge() {
  local key="$DIR/munge/munge.key"
  if alive "$DIR/run/munged.pid" >/dev/null; then return 0; fi
  if [ ! -s "$key" ]; then
    # 1024 random bytes, as mungekey makes; readable by this user only (munged checks).
    dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    chmod 0400 "$key"
  fi
  # --force: the private folder may sit below a world-writable /tmp, which munged
  # would otherwise refuse as a place for its socket.
  munged --force --key-file="$key" --socket="$DIR/munge/munge.socket" \
    --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" \
    --seed-file="$DIR/munge/munged.seed" ||
    die "munged did not start: $(tail -n 5 "$DIR/log/munged.log" 2>/dev/null)"
  for _ in $(seq 50); do
    [ -S "$DIR/munge/munge.socket" ] && return 0
    sleep 0.1
  done
  die "munged's socket $DIR/munge/munge.socket did not appear"
}

# The node's state (idle, mixed, down ...), or nothing while slurmctld does not answer.
node_state() {
  sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true
}

start() {
  install_missing
  mkdir -p "$DIR"/{state,spool,log,munge,run}
  # Every user who submits jobs talks to munged through its socket; the key stays root's (0400).
  chmod 0755 "$DIR" "$DIR/munge"
  if alive "$DIR/run/slurmctld.pid" >/dev/null && [[ "$(node_state)" == idle* || "$(node_state)" == mixed* || "$(node_state)" == allocated* ]]; then
    say "already running ($CONF)"
    return 0
  fi
  stop_daemons quiet
  local node
  node=$(write_conf)
  # Whatever goes wrong from here, the daemons already started are stopped again.
  trap 'stop_daemons quiet' EXIT
  start_munge
  # -c: a fresh start, no jobs left from an earlier cluster in this folder.
  slurmctld -c -f "$CONF" || die "slurmctld did not start: $(tail -n 20 "$DIR/log/slurmctld.log" 2>/dev/null)"
  slurmd -f "$CONF" -N "$node" || die "slurmd did not start: $(tail -n 20 "$DIR/log/slurmd-$node.log" 2>/dev/null)"
  local state=""
  for _ in $(seq 120); do
    state=$(node_state)
    if [[ "$state" == idle* ]]; then
      trap - EXIT
      say "node $node idle ($CONF)"
      sinfo -N -l >&2
      return 0
    fi
    sleep 0.5
  done
  say "the node did not become idle within 60 s (state: ${state:-none}); the logs:"
  tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd-$node.log" "$DIR/log/munged.log" >&2 2>/dev/null || true
  say "stopping what was started"
  exit 1
}

# Stops slurmd, slurmctld and munged of this folder, each by its own pid file.
stop_daemons() {
  local f pid quiet="${1:-}"
  for f in "$DIR"/run/slurmd-*.pid "$DIR/run/slurmctld.pid" "$DIR/run/munged.pid"; do
    pid=$(alive "$f") || continue
    [ -n "$quiet" ] || say "stopping $(basename "$f" .pid) ($pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "$(basename "$f" .pid) ($pid) still there after 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

status() {
  local f pid up=0
  for f in "$DIR"/run/munged.pid "$DIR/run/slurmctld.pid" "$DIR"/run/slurmd-*.pid; do
    if pid=$(alive "$f"); then
      echo "$(basename "$f" .pid): running ($pid)"
      up=1
    else
      echo "$(basename "$f" .pid): not running"
    fi
  done
  ((up)) || return 3
  echo "SLURM_CONF=$CONF"
  sinfo -N -l
  squeue
}

case "${1:-}" in
start) start ;;
stop) stop_daemons ;;
status) status ;;
env) echo "export SLURM_CONF=$CONF" ;;
*)
  echo "usage: $0 start|stop|status|env   (folder: $DIR)" >&2
  exit 64
  ;;
esac
