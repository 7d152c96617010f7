#!/usr/bin/env bash
# local-slurm.sh — a single-node Slurm on localhost for tests and CI (run as root).
#
#   tests/slurm/local-slurm.sh          start munge + slurmctld + slurmd (idempotent) and wait
#                                       until the node is idle; prints one line on success
#   tests/slurm/local-slurm.sh stop     stop slurmd and slurmctld (munged is left running)
#   tests/slurm/local-slurm.sh status   print what is running
#
# Environment:
#   CEZANNE_SLURM_STATE   state dir (pid files, state, spool, logs, copy of slurm.conf);
#                         default /var/tmp/cezanne-slurm
#   CEZANNE_SLURM_CONF    where Slurm reads its config; default /etc/slurm/slurm.conf
#   CEZANNE_SLURM_TIMEOUT seconds to wait for the node to become idle; default 60
#
# See docs/slurm.md for why each slurm.conf line is there.
set -euo pipefail

STATE_DIR=${CEZANNE_SLURM_STATE:-/var/tmp/cezanne-slurm}
CONF=${CEZANNE_SLURM_CONF:-/etc/slurm/slurm.conf}
TIMEOUT=${CEZANNE_SLURM_TIMEOUT:-60}
MUNGE_KEY=/etc/munge/munge.key

die() {
  echo "local-slurm: error: $*" >&2
  exit 1
}
log_tail() {
  local f
  for f in "$@"; do
    if [[ -f $f ]]; then
      echo "---- last lines of $f ----" >&2
      tail -n 25 "$f" >&2 || true
    fi
  done
}

# Is the daemon whose pid is in file $1 (and whose command name is $2) alive?
pid_alive() {
  local pidfile=$1 name=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]
}

# Stops the daemon whose pid is in file $1 (TERM, then KILL after 10 s).
stop_pidfile() {
  local pidfile=$1 name=$2 pid i
  pid_alive "$pidfile" "$name" || { rm -f "$pidfile"; return 0; }
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
}

stop_slurm() {
  stop_pidfile "$STATE_DIR/slurmd.pid" slurmd
  stop_pidfile "$STATE_DIR/slurmctld.pid" slurmctld
}

[[ $(id -u) -eq 0 ]] || die "must run as root (it writes $CONF and starts the Slurm daemons)"
command -v slurmctld >/dev/null || die "slurmctld not found (apt-get install slurm-wlm munge)"
command -v slurmd >/dev/null || die "slurmd not found (apt-get install slurm-wlm)"
command -v munged >/dev/null || die "munged not found (apt-get install munge)"

# One caller at a time (ctest -j may start several tests that each bring Slurm up).
exec 9>/run/cezanne-local-slurm.lock
flock -w 120 9 || die "another local-slurm.sh holds /run/cezanne-local-slurm.lock for over 120 s"

case ${1:-start} in
  stop)
    stop_slurm
    echo "local-slurm: stopped slurmctld and slurmd"
    exit 0
    ;;
  status)
    pid_alive "$STATE_DIR/slurmctld.pid" slurmctld && echo "slurmctld: running" || echo "slurmctld: stopped"
    pid_alive "$STATE_DIR/slurmd.pid" slurmd && echo "slurmd: running" || echo "slurmd: stopped"
    exit 0
    ;;
  start) ;;
  *) die "usage: $0 [start|stop|status]" ;;
esac

# ---------------------------------------------------------------------------------- munge
if [[ ! -s $MUNGE_KEY ]]; then
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null; then
    mungekey --create --keyfile="$MUNGE_KEY" --force >/dev/null
  else
    dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none
  fi
fi
chown munge:munge /etc/munge "$MUNGE_KEY"
chmod 0700 /etc/munge
chmod 0400 "$MUNGE_KEY"

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  # munged runs as the munge user (as under systemd); it refuses a key it does not own.
  if command -v runuser >/dev/null; then
    runuser -u munge -- /usr/sbin/munged 9>&-
  else
    su -s /bin/sh munge -c /usr/sbin/munged 9>&-
  fi
  for ((i = 0; i < 50; i++)); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || {
    log_tail /var/log/munge/munged.log
    die "munged did not start (munge -n | unmunge fails)"
  }
fi

# ------------------------------------------------------------------------------ slurm.conf
mkdir -p "$STATE_DIR/state" "$STATE_DIR/spool" "$(dirname "$CONF")"
chmod 0755 "$STATE_DIR"

# The node as slurmd sees it (CPUs, sockets, cores, threads, memory), under the short
# hostname slurmd will look itself up by; NodeAddr=127.0.0.1 so no DNS is needed.
NODE=$(hostname -s 2>/dev/null || hostname)
[[ -n $NODE ]] || NODE=localhost
HW=$(slurmd -C 2>/dev/null | head -n 1) || true
[[ $HW == NodeName=* ]] || die "slurmd -C printed no node line: '$HW'"
NODE_LINE="NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE ${HW#NodeName=* } State=UNKNOWN"

NEW_CONF=$(mktemp)
trap 'rm -f "$NEW_CONF"' EXIT
cat >"$NEW_CONF" <<EOF
# Written by cezanne tests/slurm/local-slurm.sh — single-node Slurm for tests (docs/slurm.md).
ClusterName=cezanne-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
JobRequeue=1
SchedulerType=sched/backfill
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldLogFile=$STATE_DIR/slurmctld.log
SlurmdLogFile=$STATE_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
$NODE_LINE
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

CHANGED=0
if [[ ! -f $CONF ]] || ! cmp -s "$NEW_CONF" "$CONF"; then
  install -m 0644 "$NEW_CONF" "$CONF"
  CHANGED=1
fi
cp "$CONF" "$STATE_DIR/slurm.conf"

# ------------------------------------------------------------------------------- daemons
CLEAR=()
if [[ $CHANGED -eq 1 ]]; then
  # A new node line needs fresh daemons; old job state may not fit the new config.
  stop_slurm
  CLEAR=(-c)
elif [[ -z $(ls -A "$STATE_DIR/state" 2>/dev/null) ]]; then
  CLEAR=(-c)  # first start
fi

if ! pid_alive "$STATE_DIR/slurmctld.pid" slurmctld; then
  slurmctld -f "$CONF" "${CLEAR[@]}" 9>&- || {
    log_tail "$STATE_DIR/slurmctld.log"
    die "slurmctld failed to start"
  }
fi
if ! pid_alive "$STATE_DIR/slurmd.pid" slurmd; then
  slurmd -f "$CONF" -N "$NODE" "${CLEAR[@]}" 9>&- || {
    log_tail "$STATE_DIR/slurmd.log"
    die "slurmd failed to start"
  }
fi

# ------------------------------------------------------------------------------ wait idle
deadline=$((SECONDS + TIMEOUT))
state=""
while ((SECONDS < deadline)); do
  state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
  case $state in
    idle | mixed | allocated | completing) break ;;
    down* | drain*)
      # ReturnToService=2 brings a registered node back; nudge it in case it was down.
      scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
      ;;
  esac
  sleep 0.5
done
case $state in
  idle | mixed | allocated | completing) ;;
  *)
    log_tail "$STATE_DIR/slurmctld.log" "$STATE_DIR/slurmd.log"
    die "node $NODE not idle after ${TIMEOUT}s (sinfo state: '${state:-no answer}')"
    ;;
esac

echo "local-slurm: Slurm up on $NODE ($(sinfo -h -o '%c CPUs, partition %P, %T'); conf $CONF, state $STATE_DIR)"
