#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A throwaway Slurm cluster on loopback for the integration tests and for trying the exporter by hand:
# one slurmctld and five slurmd (one per node) on this machine, every file inside DIR.
#
#   scripts/slurm-cluster.sh start DIR          write DIR/slurm.conf, start munged (if needed),
#                                               slurmctld and the slurmds; wait until all nodes are idle
#   scripts/slurm-cluster.sh stop DIR [--purge] stop everything started for DIR (jobs included);
#                                               munged stays (it is shared); --purge removes DIR
#   scripts/slurm-cluster.sh status DIR         daemons of DIR, `sinfo -N`, `squeue`
#   scripts/slurm-cluster.sh stop-ctld DIR      stop only slurmctld (state is kept: a controller outage)
#   scripts/slurm-cluster.sh start-ctld DIR     start slurmctld again, recovering the saved state
#   scripts/slurm-cluster.sh stop-slurmd DIR NODE   stop one node's slurmd (its node stops responding)
#   scripts/slurm-cluster.sh start-slurmd DIR NODE  start one node's slurmd again
#   scripts/slurm-cluster.sh ensure-user NAME   create the unix user NAME (no home) if it is missing
#   scripts/slurm-cluster.sh stop-backup DIR    stop only the backup slurmctld (SLURM_TEST_BACKUP_CTLD=1)
#   scripts/slurm-cluster.sh start-backup DIR   start the backup slurmctld again
#   scripts/slurm-cluster.sh stop-dbd DIR       stop slurmdbd (SLURM_TEST_ACCOUNTING=1)
#   scripts/slurm-cluster.sh start-dbd DIR      start slurmdbd again
#   scripts/slurm-cluster.sh stop-db DIR        stop MariaDB (slurmdbd stays, losing its database)
#   scripts/slurm-cluster.sh start-db DIR       start MariaDB again
#
# SLURM_TEST_ACCOUNTING=1 (at start) makes an accounting cluster: MariaDB (mariadbd, own data dir
# DIR/db and socket, TCP on 127.0.0.1:base+31, no system service) and slurmdbd (base+30);
# AccountingStorageType=accounting_storage/slurmdbd, PriorityType=priority/multifactor,
# AccountingStorageEnforce=associations,limits,qos, AccountingStorageTRES=gres/gpu. sacctmgr creates
# the tree: root > physics (cpu=16, GrpJobs=8, GrpSubmit=30) > astro (cpu=8, mem=16000M,
# gres/gpu=2, GrpJobs=4, MaxJobs=3, …) and hep (cpu=6, mem=4000M); root > chem (cpu=2); users
# alice (astro*, chem), bob (hep*, astro; MaxJobs=1 in astro), carol (chem*, hep; cpu=4, MaxJobs=3 in hep);
# QOS high (Priority=100, MaxJobsPerUser=1, cpu=8) and low (GrpJobs=4, MaxTRESPerUser=cpu=2).
# After the nodes are up it runs short finished jobs (usage differs) and leaves running jobs plus
# jobs pending on AssocGrpGRES, AssocGrpCpuLimit, AssocGrpMemLimit, AssocMaxJobsLimit and
# QOSMaxJobsPerUserLimit; their ids are in DIR/accounting-jobs.env.
#
# SLURM_TEST_DEAD_NODES=N (at start, default 0) adds N more debug nodes (node6, …; 2 CPUs, 4000 MiB)
# whose slurmd is never started: they stay unknown*/down* with N/A free memory and CPU load.
# SLURM_TEST_BACKUP_CTLD=1 (at start) adds a backup slurmctld (BackupController, index 1) for real
# failover tests. slurmctld is the backup when its hostname is the second SlurmctldHost, and both
# listen on SlurmctldPort on every address, so the backup runs in its own network namespace (iproute2,
# a veth pair 10.213.X.1 <-> 10.213.X.2, X from the port base) and UTS namespace (hostname
# ctld-backup), with DIR/backup/{run,log} bind-mounted over DIR/{run,log} for its pid and log files.
# In this mode the primary's and the nodes' address is 10.213.X.1 (reachable from both namespaces).
# Shape: ClusterName=testcluster; node1..node5 (NodeHostname=localhost NodeAddr=127.0.0.1, own port);
# node4 has 8 CPUs and 16000 MiB, the others 4 CPUs and 8000 MiB; Weight=N for nodeN; partitions
# debug (Default, node[1-5]) and batch (node[3-4]), so node3 and node4 are in two partitions.
# GPUs (fake device files DIR/dev/nvidia*, see SLURM_NOTES.md): node1 gpu:a100:4, node2
# gpu:a100:2 + gpu:v100:2, node4 gpu:4 (no type) + shard:8. Non-GPU GRES without devices
# (Flags=CountOnly): node3 bandwidth:lustre:no_consume:4G (Slurm prints the count with its binary
# suffix: 4 x 1024^3, never allocated) and node4 bandwidth:nvme:2K (2048, consumable).
# Controller side: licenses matlab:10, fluent:4, spare:2 (Licenses=); a second SlurmctldHost
# <host>-backup at 127.0.0.2 that never runs: with CommunicationParameters=NoCtldInAddrAny slurmctld
# listens on 127.0.0.1 only, so nothing answers there and `scontrol ping` reports it DOWN at once
# (with SLURM_TEST_BACKUP_CTLD=1 the second SlurmctldHost is the real backup instead).
# Ports: slurmctld on $SLURM_TEST_PORT_BASE (default 26817), nodeN's slurmd on base+N; the base is
# saved in DIR/cluster.env at start, so later commands on DIR use the same ports.
# Timings: SlurmdTimeout=30 (slurmctld pings nodes every ~10 s, which is also how often a node's
# CPU load and free memory change), MessageTimeout=5 (a client call to a stopped slurmctld fails
# after ~5 s of retries).
set -euo pipefail

readonly PROG=slurm-cluster.sh
readonly NODES=(node1 node2 node3 node4 node5)  # the nodes that get a slurmd
readonly START_TIMEOUT=${SLURM_TEST_START_TIMEOUT:-30}
readonly STOP_TIMEOUT=15

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}
note() { echo "$PROG: $*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# node_spec NAME -> "CPUS MEMORY_MIB WEIGHT"
node_spec() {
  case "$1" in
    node4) echo "8 16000 4" ;;
    node[1-5]) echo "4 8000 ${1#node}" ;;
    node*) echo "2 4000 ${1#node}" ;;
  esac
}

# node_gres NAME -> the node line's Gres= value (empty: none)
node_gres() {
  case "$1" in
    node1) echo "gpu:a100:4" ;;
    node2) echo "gpu:a100:2,gpu:v100:2" ;;
    node3) echo "bandwidth:lustre:no_consume:4G" ;;
    node4) echo "gpu:4,shard:8,bandwidth:nvme:2K" ;;
  esac
}

# gres.conf for the nodes above. slurmd drops a GPU without File= (the node then goes INVAL), so
# every GPU is a fake device: a character device node with /dev/null's numbers.
write_gres_conf() {
  local dir=$1 i
  mkdir -p "$dir/dev"
  for ((i = 0; i < 4; i++)); do
    [[ -c "$dir/dev/nvidia$i" ]] || mknod "$dir/dev/nvidia$i" c 1 3
  done
  cat >"$dir/gres.conf" <<EOF
# Written by scripts/slurm-cluster.sh: fake GPUs (device files are /dev/null's twins).
AutoDetect=off
NodeName=node1 Name=gpu Type=a100 File=$dir/dev/nvidia[0-3]
NodeName=node2 Name=gpu Type=a100 File=$dir/dev/nvidia[0-1]
NodeName=node2 Name=gpu Type=v100 File=$dir/dev/nvidia[2-3]
NodeName=node4 Name=gpu File=$dir/dev/nvidia[0-3]
NodeName=node4 Name=shard Count=8
NodeName=node3 Name=bandwidth Type=lustre Count=4G Flags=CountOnly
NodeName=node4 Name=bandwidth Type=nvme Count=2K Flags=CountOnly
EOF
}

# Absolute path of DIR (created if missing).
abs_dir() {
  [[ -n "${1:-}" ]] || die "missing DIR argument"
  mkdir -p -- "$1"
  (cd -- "$1" && pwd -P)
}

load_env() {
  local dir=$1
  if [[ -f "$dir/cluster.env" ]]; then
    # shellcheck disable=SC1091
    source "$dir/cluster.env"
  else
    PORT_BASE=${SLURM_TEST_PORT_BASE:-26817}
    DEAD_NODES=${SLURM_TEST_DEAD_NODES:-0}
    BACKUP_CTLD=${SLURM_TEST_BACKUP_CTLD:-0}
    ACCOUNTING=${SLURM_TEST_ACCOUNTING:-0}
  fi
  ACCOUNTING=${ACCOUNTING:-0}
  [[ "$ACCOUNTING" =~ ^[01]$ ]] || die "SLURM_TEST_ACCOUNTING must be 0 or 1, got '$ACCOUNTING'"
  acct_ports
  BACKUP_CTLD=${BACKUP_CTLD:-0}
  [[ "$BACKUP_CTLD" =~ ^[01]$ ]] || die "SLURM_TEST_BACKUP_CTLD must be 0 or 1, got '$BACKUP_CTLD'"
  backup_net_names
  [[ "$DEAD_NODES" =~ ^[0-9]$ ]] || die "SLURM_TEST_DEAD_NODES must be 0..9, got '$DEAD_NODES'"
  ALL_NODES=("${NODES[@]}")
  local i
  for ((i = 1; i <= DEAD_NODES; i++)); do ALL_NODES+=("node$((${#NODES[@]} + i))"); done
  if ! [[ "$PORT_BASE" =~ ^[0-9]+$ ]] || ((PORT_BASE < 1024 || PORT_BASE + ${#ALL_NODES[@]} > 65535)); then
    die "SLURM_TEST_PORT_BASE must be a port number in 1024..$((65535 - ${#ALL_NODES[@]})), got '$PORT_BASE'"
  fi
  CONF="$dir/slurm.conf"
  export SLURM_CONF="$CONF" LC_ALL=C SLURM_TIME_FORMAT=standard
}

# ---------------------------------------------------------------- munge
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

ensure_munge() {
  command -v munged >/dev/null || die "munged not found (apt-get install munge)"
  if munge_ok; then return 0; fi
  if [[ ! -s /etc/munge/munge.key ]]; then
    note "creating /etc/munge/munge.key"
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 0755 /run/munge
  note "starting munged"
  # munged outlives this script and is shared: it must not keep the caller's descriptors open.
  # Started under `flock /tmp/se-cluster.lock …` it would otherwise hold the cluster lock for
  # as long as it runs, and every later run would wait for it forever.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec ${fd}>&-"
    done
    exec runuser -u munge -- /usr/sbin/munged
  ) || die "munged failed to start (see /var/log/munge/munged.log)"
  local i
  for ((i = 0; i < 50; i++)); do
    munge_ok && return 0
    sleep 0.1
  done
  die "munged started but 'munge -n | unmunge' still fails"
}

# ---------------------------------------------------------------- config
write_conf() {
  local dir=$1 ctld_host
  ctld_host=$(hostname -s)
  mkdir -p "$dir/state" "$dir/run" "$dir/log"
  local n
  for n in "${NODES[@]}"; do mkdir -p "$dir/spool/$n"; done
  # Jobs of other users run their script from the spool dir: every parent must be traversable.
  chmod 0755 "$dir" "$dir/spool" "$dir"/spool/*
  printf 'PORT_BASE=%s\nDEAD_NODES=%s\n' "$PORT_BASE" "$DEAD_NODES" >"$dir/cluster.env"
  echo "BACKUP_CTLD=$BACKUP_CTLD" >>"$dir/cluster.env"
  echo "ACCOUNTING=$ACCOUNTING" >>"$dir/cluster.env"
  {
    cat <<EOF
# Written by scripts/slurm-cluster.sh: a throwaway test cluster, everything inside $dir.
ClusterName=testcluster
SlurmctldHost=$ctld_host($NODE_ADDR)
$(backup_ctld_line "$ctld_host")
SlurmctldPort=$PORT_BASE
SlurmdPort=$((PORT_BASE + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmdParameters=config_overrides
ReturnToService=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
$(accounting_conf_lines)
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
SlurmctldTimeout=10
SlurmdTimeout=30
MessageTimeout=5
InactiveLimit=0
KillWait=2
MinJobAge=300
MaxJobCount=20000
GresTypes=gpu,shard,bandwidth
Licenses=matlab:10,fluent:4,spare:2
EOF
    for n in "${ALL_NODES[@]}"; do
      local cpus mem weight gres
      read -r cpus mem weight <<<"$(node_spec "$n")"
      gres=$(node_gres "$n")
      echo "NodeName=$n NodeHostname=localhost NodeAddr=$NODE_ADDR Port=$((PORT_BASE + ${n#node})) CPUs=$cpus RealMemory=$mem Weight=$weight${gres:+ Gres=$gres} State=UNKNOWN"
    done
    echo "PartitionName=debug Nodes=node[1-${#ALL_NODES[@]}] Default=YES MaxTime=INFINITE State=UP"
    echo "PartitionName=batch Nodes=node[3-4] MaxTime=INFINITE State=UP"
  } >"$CONF"
  write_gres_conf "$dir"
}

# ---------------------------------------------------------------- processes
# A zombie counts as gone: its parent (often init here) may reap it much later.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ "${stat:0:1}" != Z ]]
}

pidfile_pid() {
  local f=$1 p
  [[ -f "$f" ]] || return 1
  p=$(tr -dc '0-9' <"$f")
  pid_alive "$p" || return 1
  echo "$p"
}

# PIDs of the daemons started for DIR: they carry SLURM_CLUSTER_SH_DIR=DIR in their environment (so
# do the slurmstepds slurmd starts). Optional second argument: the daemon name (comm) to keep.
tagged_pids() {
  local dir=$1 want=${2:-} f p comm
  grep -lzxF -- "SLURM_CLUSTER_SH_DIR=$dir" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
    p=${f#/proc/}
    p=${p%/environ}
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    [[ -z "$want" || "$comm" == "$want" ]] && echo "$p"
  done
  return 0
}

# All descendants of the given PIDs (the processes of running jobs below slurmstepd).
descendants() {
  local -A children=()
  local p pp
  # /proc/PID/stat is "pid (comm) state ppid ...", and comm may contain spaces.
  while read -r p pp; do
    children[$pp]+=" $p"
  done < <(cat /proc/[0-9]*/stat 2>/dev/null | sed -nE 's/^([0-9]+) .*\) . ([0-9]+) .*/\1 \2/p')
  local -a queue=("$@")
  while ((${#queue[@]})); do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    for pp in ${children[$p]:-}; do
      echo "$pp"
      queue+=("$pp")
    done
  done
}

# wait_gone SECONDS PID... -> 0 when all exited
wait_gone() {
  local secs=$1 p i
  shift
  for ((i = 0; i < secs * 10; i++)); do
    local alive=0
    for p in "$@"; do pid_alive "$p" && alive=1 && break; done
    ((alive)) || return 0
    sleep 0.1
  done
  return 1
}

# terminate NAME PID...: SIGTERM, wait, then SIGKILL.
terminate() {
  local what=$1
  shift
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  if ! wait_gone "$STOP_TIMEOUT" "$@"; then
    note "$what did not exit within ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
    kill -KILL "$@" 2>/dev/null || true
    wait_gone 5 "$@" || die "$what (pids $*) survived SIGKILL"
  fi
}

ctld_pids() {
  local dir=$1
  { pidfile_pid "$dir/run/slurmctld.pid" || true; tagged_pids "$dir" slurmctld; } | sort -u
}

slurmd_pids() {
  local dir=$1 node=${2:-}
  if [[ -n "$node" ]]; then
    pidfile_pid "$dir/run/slurmd-$node.pid" || true
    return 0
  fi
  {
    local f
    for f in "$dir"/run/slurmd-*.pid; do [[ -e "$f" ]] && { pidfile_pid "$f" || true; }; done
    tagged_pids "$dir" slurmd
  } | sort -u
}

log_tails() {
  local dir=$1 f
  for f in "$dir"/log/*.log; do
    [[ -e "$f" ]] || continue
    echo "----- tail of $f" >&2
    tail -n 25 "$f" >&2
  done
}

ctld_up() { timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; }

start_ctld_process() {
  local dir=$1 mode=$2
  if [[ -n "$(ctld_pids "$dir")" ]]; then
    note "slurmctld for $dir is already running"
    return 0
  fi
  local -a args=(-f "$CONF")
  if [[ "$mode" == clean ]]; then args+=(-c -i); else args+=(-R -i); fi
  env SLURM_CLUSTER_SH_DIR="$dir" slurmctld "${args[@]}" ||
    { log_tails "$dir"; die "slurmctld failed to start"; }
  local i
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    ctld_up && return 0
    [[ -n "$(ctld_pids "$dir")" ]] || { log_tails "$dir"; die "slurmctld exited right after start"; }
    sleep 0.5
  done
  log_tails "$dir"
  die "slurmctld did not answer 'scontrol ping' within ${START_TIMEOUT}s"
}

start_slurmd_process() {
  local dir=$1 node=$2
  if [[ -n "$(slurmd_pids "$dir" "$node")" ]]; then
    note "slurmd for $node is already running"
    return 0
  fi
  env SLURM_CLUSTER_SH_DIR="$dir" slurmd -f "$CONF" -N "$node" ||
    { log_tails "$dir"; die "slurmd -N $node failed to start"; }
}

# node_states -> "name|state" once per node
node_states() { timeout 15 sinfo -h -N -o '%N|%T' 2>/dev/null | sort -u; }

# ---------------------------------------------------------------- backup slurmctld
# Names of the backup's namespace and addresses (SLURM_TEST_BACKUP_CTLD=1); without a backup the
# nodes and the controller use 127.0.0.1 as before.
backup_net_names() {
  local x=$(((PORT_BASE / 100) % 256))
  NETNS=se-bk-$PORT_BASE
  VETH_HOST=sebk${PORT_BASE}h
  VETH_BACKUP=sebk${PORT_BASE}b
  BACKUP_HOST=ctld-backup
  BACKUP_ADDR=10.213.$x.2
  if ((BACKUP_CTLD)); then NODE_ADDR=10.213.$x.1; else NODE_ADDR=127.0.0.1; fi
}

backup_ctld_line() {
  if ((BACKUP_CTLD)); then
    echo "SlurmctldHost=$BACKUP_HOST($BACKUP_ADDR)"
  else
    # A backup that never runs (slurm_controller_up 0). NoCtldInAddrAny keeps the primary on
    # 127.0.0.1 only, so nothing answers at 127.0.0.2 and a ping to it fails at once.
    echo "SlurmctldHost=$1-backup(127.0.0.2)"
    echo "CommunicationParameters=NoCtldInAddrAny"
  fi
  return 0
}

ensure_backup_netns() {
  command -v ip >/dev/null || die "ip not found (apt-get install iproute2)"
  if ! ip netns list | grep -qw -- "$NETNS"; then
    ip netns add "$NETNS" || die "ip netns add $NETNS failed"
  fi
  if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
    ip link add "$VETH_HOST" type veth peer name "$VETH_BACKUP" netns "$NETNS" ||
      die "could not create the veth pair $VETH_HOST/$VETH_BACKUP"
    ip addr add "$NODE_ADDR/30" dev "$VETH_HOST"
    ip link set "$VETH_HOST" up
    ip -n "$NETNS" addr add "$BACKUP_ADDR/30" dev "$VETH_BACKUP"
    ip -n "$NETNS" link set "$VETH_BACKUP" up
    ip -n "$NETNS" link set lo up
  fi
}

remove_backup_netns() {
  ip link del "$VETH_HOST" 2>/dev/null || true
  ip netns del "$NETNS" 2>/dev/null || true
}

# The backup is tagged SLURM_CLUSTER_SH_DIR=DIR/backup, so the primary's commands never see it.
backup_pids() { tagged_pids "$1/backup" slurmctld; }

# backup_state -> the backup's line of `scontrol ping` (e.g. "... at ctld-backup is UP").
backup_state() { timeout 10 scontrol ping 2>/dev/null | grep -F "$BACKUP_HOST" || true; }

start_backup_process() {
  local dir=$1
  ((BACKUP_CTLD)) || die "$dir was started without SLURM_TEST_BACKUP_CTLD=1: there is no backup"
  if [[ -n "$(backup_pids "$dir")" ]]; then
    note "the backup slurmctld for $dir is already running"
    return 0
  fi
  ensure_backup_netns
  mkdir -p "$dir/backup/run" "$dir/backup/log"
  # Own mount namespace: the backup writes its pid and log files under DIR/backup.
  env SLURM_CLUSTER_SH_DIR="$dir/backup" ip netns exec "$NETNS" \
    unshare --uts --mount --propagation private sh -c \
    'hostname "$1" && mount --bind "$2/backup/run" "$2/run" && mount --bind "$2/backup/log" "$2/log" &&
     exec slurmctld -f "$3" -i' sh "$BACKUP_HOST" "$dir" "$CONF" ||
    { tail -n 25 "$dir/backup/log/slurmctld.log" >&2 || true; die "the backup slurmctld failed to start"; }
  local i
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    [[ "$(backup_state)" == *"is UP"* ]] && return 0
    [[ -n "$(backup_pids "$dir")" ]] ||
      { tail -n 25 "$dir/backup/log/slurmctld.log" >&2 || true; die "the backup slurmctld exited right after start"; }
    sleep 0.5
  done
  tail -n 25 "$dir/backup/log/slurmctld.log" >&2 || true
  die "the backup slurmctld did not answer 'scontrol ping' within ${START_TIMEOUT}s"
}

stop_backup_process() {
  local dir=$1
  local -a pids
  mapfile -t pids < <(backup_pids "$dir")
  terminate "backup slurmctld" "${pids[@]}"
}

cmd_start_backup() {
  local dir
  [[ -f "${1:-}/slurm.conf" ]] || die "no cluster in ${1:-} (missing slurm.conf; use start first)"
  dir=$(abs_dir "$1")
  load_env "$dir"
  ensure_munge
  start_backup_process "$dir"
}

cmd_stop_backup() {
  local dir
  [[ -d "${1:-}" ]] || die "no such cluster directory: ${1:-}"
  dir=$(abs_dir "$1")
  load_env "$dir"
  stop_backup_process "$dir"
}

# ---------------------------------------------------------------- accounting (SLURM_TEST_ACCOUNTING=1)
# MariaDB in DIR/db (own socket, TCP on 127.0.0.1:DB_PORT, no system service) and slurmdbd on
# DBD_PORT; slurmctld then runs with accounting_storage/slurmdbd, priority/multifactor and enforced
# associations, limits and QOS.
acct_ports() {
  DBD_PORT=$((PORT_BASE + 30))
  DB_PORT=$((PORT_BASE + 31))
}

# The slurm.conf lines that differ between the plain and the accounting cluster.
accounting_conf_lines() {
  if ((ACCOUNTING)); then
    cat <<EOC
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
AccountingStorageEnforce=associations,limits,qos
AccountingStorageTRES=gres/gpu
PriorityType=priority/multifactor
PriorityWeightFairshare=10000
PriorityWeightAge=1000
PriorityWeightQOS=1000
PriorityDecayHalfLife=7-0
PriorityCalcPeriod=1
EOC
  else
    echo "AccountingStorageType=accounting_storage/none"
  fi
}

# spawn_detached LOG CMD...: CMD in its own session, stdin /dev/null, stdout and stderr to LOG and
# no other inherited descriptor (a daemon holding the caller's lock or pipe blocks the caller).
spawn_detached() {
  local log=$1 fd
  shift
  (
    for fd in "/proc/$BASHPID/fd/"*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-"
    done
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
}

db_pids() { { pidfile_pid "$1/run/mariadbd.pid" || true; tagged_pids "$1" mariadbd; } | sort -u; }
dbd_pids() { { pidfile_pid "$1/run/slurmdbd.pid" || true; tagged_pids "$1" slurmdbd; } | sort -u; }
db_up() { mariadb --no-defaults -h 127.0.0.1 -P "$DB_PORT" -u root -e 'select 1' >/dev/null 2>&1; }
dbd_up() { timeout 10 sacctmgr -n -P show cluster format=cluster >/dev/null 2>&1; }

start_db_process() {
  local dir=$1 i
  [[ -n "$(db_pids "$dir")" ]] && { note "mariadbd for $dir is already running"; return 0; }
  command -v mariadbd >/dev/null || die "mariadbd not found (apt-get install mariadb-server)"
  if [[ ! -d "$dir/db/mysql" ]]; then
    mariadb-install-db --no-defaults --user=root --datadir="$dir/db" --skip-test-db \
      --auth-root-authentication-method=normal >"$dir/log/mariadb-install.log" 2>&1 ||
      { tail -n 25 "$dir/log/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
  fi
  spawn_detached "$dir/log/mariadb.log" env SLURM_CLUSTER_SH_DIR="$dir" mariadbd --no-defaults \
    --user=root --datadir="$dir/db" --socket="$dir/run/mariadbd.sock" \
    --pid-file="$dir/run/mariadbd.pid" --port="$DB_PORT" --bind-address=127.0.0.1 --skip-log-bin \
    --innodb-buffer-pool-size=64M --innodb-lock-wait-timeout=900 --log-error="$dir/log/mariadb.log"
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    db_up && return 0
    sleep 0.5
  done
  tail -n 25 "$dir/log/mariadb.log" >&2 || true
  die "mariadbd did not answer on 127.0.0.1:$DB_PORT within ${START_TIMEOUT}s"
}

write_dbd_conf() {
  local dir=$1
  cat >"$dir/slurmdbd.conf" <<EOC
# Written by scripts/slurm-cluster.sh: slurmdbd of the throwaway test cluster in $dir.
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$dir/run/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=root
StorageLoc=slurm_acct_db
EOC
  chmod 0600 "$dir/slurmdbd.conf"
}

# slurmdbd reads slurmdbd.conf from SLURM_CONF's directory.
start_dbd_process() {
  local dir=$1 i
  [[ -n "$(dbd_pids "$dir")" ]] && { note "slurmdbd for $dir is already running"; return 0; }
  command -v slurmdbd >/dev/null || die "slurmdbd not found (apt-get install slurmdbd)"
  spawn_detached "$dir/log/slurmdbd.out" env SLURM_CLUSTER_SH_DIR="$dir" slurmdbd
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    dbd_up && return 0
    sleep 0.5
  done
  tail -n 25 "$dir/log/slurmdbd.log" "$dir/log/slurmdbd.out" >&2 || true
  die "slurmdbd did not answer sacctmgr within ${START_TIMEOUT}s"
}

stop_accounting_processes() {
  local dir=$1
  local -a pids
  mapfile -t pids < <(dbd_pids "$dir")
  terminate "slurmdbd" "${pids[@]}"
  mapfile -t pids < <(db_pids "$dir")
  terminate "mariadbd" "${pids[@]}"
}

ACCT_USERS=(alice bob carol)

# The association tree (see the header), two QOS and the limits, before slurmctld starts.
create_accounting_tree() {
  local u
  for u in "${ACCT_USERS[@]}"; do cmd_ensure_user "$u"; done
  sam() { sacctmgr -i "$@" >/dev/null || die "sacctmgr $* failed"; }
  sam add cluster testcluster
  sam add qos high Priority=100 MaxJobsPerUser=1 GrpTRES=cpu=8 MaxWall=01:00:00
  sam add qos low Priority=10 GrpJobs=4 MaxTRESPerUser=cpu=2 MaxSubmitJobsPerUser=10
  sam add account physics Cluster=testcluster Fairshare=60 GrpTRES=cpu=16 GrpJobs=8 GrpSubmit=30
  sam add account astro Parent=physics Fairshare=40 GrpTRES=cpu=8,mem=16000M \
    GrpJobs=4 GrpSubmit=12 MaxJobs=3 MaxSubmit=10 MaxWall=02:00:00
  sam add account hep Parent=physics Fairshare=20 GrpTRES=cpu=6,mem=4000M GrpJobs=3
  sam add account chem Cluster=testcluster Fairshare=40 GrpTRES=cpu=2 GrpSubmit=6
  sam modify account where name=physics,astro,hep,chem set QOS=normal,high,low DefaultQOS=normal
  sam add user alice DefaultAccount=astro Account=astro,chem
  sam add user bob DefaultAccount=hep Account=hep,astro
  sam add user carol DefaultAccount=chem Account=chem,hep
  sam modify user where name=bob account=astro set MaxJobs=1 MaxSubmitJobs=4
  sam modify user where name=carol account=hep set GrpTRES=cpu=4 MaxJobs=3
  sam modify user where name=alice,bob,carol set QOS=normal,high,low DefaultQOS=normal
  sam modify user where name=root set QOS=normal,high,low
  unset -f sam
}

# acct_job USER ARGS...: sbatch as USER (no output files); prints the job id.
acct_job() {
  local user=$1
  shift
  runuser -u "$user" -- sbatch --parsable --output=/dev/null --error=/dev/null --chdir=/tmp "$@" |
    cut -d';' -f1
}

# Finished jobs first (usage differs between users), then running jobs and jobs that pend on a
# limit: astro's gres/gpu=2, chem's cpu=2, hep's mem=4000M, bob's MaxJobs=1 in astro and the
# high QOS's MaxJobsPerUser=1.
create_accounting_jobs() {
  local dir=$1 i
  # The gres/gpu TRES exists once slurmctld registered AccountingStorageTRES with slurmdbd.
  sacctmgr -i modify account where name=astro set GrpTRES=gres/gpu=2 >/dev/null ||
    die "sacctmgr could not set astro's GrpTRES=gres/gpu=2"
  for i in 1 2 3; do acct_job alice -A astro -c 4 --mem=500 -w node4 --wrap='sleep 2' >/dev/null; done
  acct_job bob -A hep -c 2 --mem=500 --wrap='sleep 2' >/dev/null
  acct_job carol -A chem -c 1 --mem=200 --wrap='sleep 1' >/dev/null
  sleep 4
  {
    echo "gpu_run=$(acct_job alice -A astro -c 1 --mem=500 --gres=gpu:2 --wrap='sleep 100000')"
    echo "gpu_pend=$(acct_job alice -A astro -c 1 --mem=500 --gres=gpu:1 --wrap='sleep 100000')"
    echo "chem_run=$(acct_job carol -A chem -c 2 --mem=500 --wrap='sleep 100000')"
    echo "chem_pend=$(acct_job carol -A chem -c 2 --mem=500 --wrap='sleep 100000')"
    echo "hep_run=$(acct_job carol -A hep -c 1 --mem=3000 --wrap='sleep 100000')"
    echo "hep_pend=$(acct_job carol -A hep -c 1 --mem=2000 --wrap='sleep 100000')"
    echo "bob_run=$(acct_job bob -A astro -c 1 --mem=200 --wrap='sleep 100000')"
    echo "bob_pend=$(acct_job bob -A astro -c 1 --mem=200 --wrap='sleep 100000')"
    echo "qos_run=$(acct_job carol -A hep -q high -c 1 --mem=200 --wrap='sleep 100000')"
    echo "qos_pend=$(acct_job carol -A hep -q high -c 1 --mem=200 --wrap='sleep 100000')"
  } >"$dir/accounting-jobs.env"
}

cmd_start_dbd() {
  local dir
  [[ -f "${1:-}/slurmdbd.conf" ]] || die "no accounting cluster in ${1:-} (missing slurmdbd.conf)"
  dir=$(abs_dir "$1")
  load_env "$dir"
  start_dbd_process "$dir"
}

cmd_stop_dbd() {
  local dir
  [[ -d "${1:-}" ]] || die "no such cluster directory: ${1:-}"
  dir=$(abs_dir "$1")
  load_env "$dir"
  local -a pids
  mapfile -t pids < <(dbd_pids "$dir")
  terminate "slurmdbd" "${pids[@]}"
}

cmd_start_db() {
  local dir
  [[ -d "${1:-}/db" ]] || die "no accounting cluster in ${1:-} (missing db/)"
  dir=$(abs_dir "$1")
  load_env "$dir"
  start_db_process "$dir"
}

cmd_stop_db() {
  local dir
  [[ -d "${1:-}" ]] || die "no such cluster directory: ${1:-}"
  dir=$(abs_dir "$1")
  load_env "$dir"
  local -a pids
  mapfile -t pids < <(db_pids "$dir")
  terminate "mariadbd" "${pids[@]}"
}

# ---------------------------------------------------------------- commands
cmd_start() {
  local dir
  dir=$(abs_dir "${1:-}")
  rm -f "$dir/cluster.env"
  load_env "$dir"
  for c in slurmctld slurmd sinfo scontrol; do
    command -v "$c" >/dev/null || die "$c not found (apt-get install slurmctld slurmd slurm-client)"
  done
  [[ $(id -u) == 0 ]] || die "must run as root (SlurmUser=root, slurmd runs jobs as their users)"
  if [[ -n "$(ctld_pids "$dir")$(slurmd_pids "$dir")" ]]; then
    die "a cluster is already running in $dir (run: $0 stop $dir)"
  fi
  ensure_munge
  if ((BACKUP_CTLD)); then ensure_backup_netns; fi
  write_conf "$dir"
  if ((ACCOUNTING)); then
    write_dbd_conf "$dir"
    start_db_process "$dir"
    start_dbd_process "$dir"
    create_accounting_tree
  fi
  start_ctld_process "$dir" clean
  local n
  for n in "${NODES[@]}"; do start_slurmd_process "$dir" "$n"; done
  if ((BACKUP_CTLD)); then start_backup_process "$dir"; fi

  local i states live bad
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    states=$(node_states || true)
    live=$(grep -E "^($(IFS='|'; echo "${NODES[*]}"))\|" <<<"$states" || true)
    bad=$(awk -F'|' '$2 != "idle"' <<<"$live")
    if [[ -n "$live" && -z "$bad" && $(wc -l <<<"$live") -eq ${#NODES[@]} ]]; then
      if ((ACCOUNTING)); then create_accounting_jobs "$dir"; fi
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.5
  done
  echo "----- sinfo -N:" >&2
  echo "$states" >&2
  log_tails "$dir"
  die "not all ${#NODES[@]} nodes with a slurmd were idle within ${START_TIMEOUT}s (see the logs above; stop with: $0 stop $dir)"
}

cmd_stop() {
  local dir purge=0
  [[ -n "${1:-}" ]] || die "missing DIR argument"
  [[ "${2:-}" == --purge ]] && purge=1
  [[ -d "$1" ]] || { note "$1 does not exist: nothing to stop"; return 0; }
  dir=$(abs_dir "$1")
  load_env "$dir"
  # slurmctld first, so that it starts no job while we stop; then the slurmds; then the jobs
  # (their slurmstepds survive slurmd by design) and the processes below them.
  local -a steps jobs ds ctld
  mapfile -t ctld < <(ctld_pids "$dir")
  terminate "slurmctld" "${ctld[@]}"
  if ((BACKUP_CTLD)); then stop_backup_process "$dir"; fi
  mapfile -t ds < <(slurmd_pids "$dir")
  terminate "slurmd" "${ds[@]}"
  mapfile -t steps < <(tagged_pids "$dir" slurmstepd)
  if ((${#steps[@]})); then
    mapfile -t jobs < <(descendants "${steps[@]}")
    # slurmstepd ignores SIGTERM and would keep trying to report to the dead slurmd.
    kill -KILL "${steps[@]}" "${jobs[@]}" 2>/dev/null || true
    wait_gone 5 "${steps[@]}" "${jobs[@]}" || die "slurmstepd or job processes survived SIGKILL"
  fi
  stop_accounting_processes "$dir"
  # Anything else still tagged (e.g. a slurmstepd started while we were stopping).
  local -a rest
  mapfile -t rest < <(tagged_pids "$dir")
  if ((${#rest[@]})); then
    mapfile -t jobs < <(descendants "${rest[@]}")
    kill -KILL "${rest[@]}" "${jobs[@]}" 2>/dev/null || true
  fi
  # Last resort for daemons started without the tag: anything whose command line names DIR's config.
  pkill -TERM -f -- "-f $CONF( |$)" 2>/dev/null || true
  rm -f "$dir"/run/*.pid
  if ((BACKUP_CTLD)); then remove_backup_netns; fi
  if ((purge)); then
    rm -rf -- "$dir"
  fi
}

cmd_status() {
  local dir
  [[ -d "${1:-}" ]] || die "no such cluster directory: ${1:-}"
  dir=$(abs_dir "$1")
  load_env "$dir"
  echo "cluster dir: $dir  (SLURM_CONF=$CONF, ports $PORT_BASE..$((PORT_BASE + ${#ALL_NODES[@]})))"
  echo "slurmctld pids: $(ctld_pids "$dir" | tr '\n' ' ')"
  echo "slurmd pids:    $(slurmd_pids "$dir" | tr '\n' ' ')"
  if ctld_up; then
    sinfo -N
    squeue
  else
    echo "slurmctld is not answering"
    return 1
  fi
}

cmd_stop_ctld() {
  local dir
  [[ -d "${1:-}" ]] || die "no such cluster directory: ${1:-}"
  dir=$(abs_dir "$1")
  load_env "$dir"
  local -a ctld
  mapfile -t ctld < <(ctld_pids "$dir")
  ((${#ctld[@]})) || { note "slurmctld for $dir is not running"; return 0; }
  terminate "slurmctld" "${ctld[@]}"
}

cmd_start_ctld() {
  local dir
  [[ -f "${1:-}/slurm.conf" ]] || die "no cluster in ${1:-} (missing slurm.conf; use start first)"
  dir=$(abs_dir "$1")
  load_env "$dir"
  ensure_munge
  start_ctld_process "$dir" recover
}

cmd_stop_slurmd() {
  local dir node=${2:-}
  [[ -d "${1:-}" ]] || die "no such cluster directory: ${1:-}"
  [[ -n "$node" ]] || die "missing NODE argument"
  dir=$(abs_dir "$1")
  load_env "$dir"
  local -a ds
  mapfile -t ds < <(slurmd_pids "$dir" "$node")
  ((${#ds[@]})) || { note "slurmd for $node is not running"; return 0; }
  terminate "slurmd $node" "${ds[@]}"
}

cmd_start_slurmd() {
  local dir node=${2:-}
  [[ -f "${1:-}/slurm.conf" ]] || die "no cluster in ${1:-} (missing slurm.conf; use start first)"
  [[ -n "$node" ]] || die "missing NODE argument"
  dir=$(abs_dir "$1")
  load_env "$dir"
  grep -q "^NodeName=$node " "$CONF" || die "no node named '$node' in $CONF"
  start_slurmd_process "$dir" "$node"
}

cmd_ensure_user() {
  local name=${1:-}
  [[ "$name" =~ ^[a-z_][a-z0-9_-]{0,30}$ ]] || die "invalid user name '${name}'"
  if id -u "$name" >/dev/null 2>&1; then return 0; fi
  useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$name" ||
    die "useradd $name failed"
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    stop-ctld) cmd_stop_ctld "$@" ;;
    start-ctld) cmd_start_ctld "$@" ;;
    stop-slurmd) cmd_stop_slurmd "$@" ;;
    start-slurmd) cmd_start_slurmd "$@" ;;
    ensure-user) cmd_ensure_user "$@" ;;
    start-backup) cmd_start_backup "$@" ;;
    stop-backup) cmd_stop_backup "$@" ;;
    stop-dbd) cmd_stop_dbd "$@" ;;
    start-dbd) cmd_start_dbd "$@" ;;
    stop-db) cmd_stop_db "$@" ;;
    start-db) cmd_start_db "$@" ;;
    "" | -h | --help | help) usage ;;
    *) echo "$PROG: unknown command '${cmd}'" >&2; usage ;;
  esac
}

main "$@"
