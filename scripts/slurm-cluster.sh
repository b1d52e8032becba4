#!/usr/bin/env bash
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
#
# SLURM_TEST_DEAD_NODES=N (at start, default 0) adds N more debug nodes (node6, …; 2 CPUs, 4000 MiB)
# whose slurmd is never started: they stay unknown*/down* with N/A free memory and CPU load.
# Shape: ClusterName=testcluster; node1..node5 (NodeHostname=localhost NodeAddr=127.0.0.1, own port);
# node4 has 8 CPUs and 16000 MiB, the others 4 CPUs and 8000 MiB; Weight=N for nodeN; partitions
# debug (Default, node[1-5]) and batch (node[3-4]), so node3 and node4 are in two partitions.
# GPUs (fake device files DIR/dev/nvidia*, see SLURM_NOTES.md): node1 gpu:a100:4, node2
# gpu:a100:2 + gpu:v100:2, node4 gpu:4 (no type) + shard:8; node3 and node5 have none.
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
    node4) echo "gpu:4,shard:8" ;;
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
  fi
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
  runuser -u munge -- /usr/sbin/munged || die "munged failed to start (see /var/log/munge/munged.log)"
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
  {
    cat <<EOF
# Written by scripts/slurm-cluster.sh: a throwaway test cluster, everything inside $dir.
ClusterName=testcluster
SlurmctldHost=$ctld_host(127.0.0.1)
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
AccountingStorageType=accounting_storage/none
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
GresTypes=gpu,shard
EOF
    for n in "${ALL_NODES[@]}"; do
      local cpus mem weight gres
      read -r cpus mem weight <<<"$(node_spec "$n")"
      gres=$(node_gres "$n")
      echo "NodeName=$n NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((PORT_BASE + ${n#node})) CPUs=$cpus RealMemory=$mem Weight=$weight${gres:+ Gres=$gres} State=UNKNOWN"
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
  write_conf "$dir"
  start_ctld_process "$dir" clean
  local n
  for n in "${NODES[@]}"; do start_slurmd_process "$dir" "$n"; done

  local i states live bad
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    states=$(node_states || true)
    live=$(grep -E "^($(IFS='|'; echo "${NODES[*]}"))\|" <<<"$states" || true)
    bad=$(awk -F'|' '$2 != "idle"' <<<"$live")
    if [[ -n "$live" && -z "$bad" && $(wc -l <<<"$live") -eq ${#NODES[@]} ]]; then
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
  mapfile -t ds < <(slurmd_pids "$dir")
  terminate "slurmd" "${ds[@]}"
  mapfile -t steps < <(tagged_pids "$dir" slurmstepd)
  if ((${#steps[@]})); then
    mapfile -t jobs < <(descendants "${steps[@]}")
    # slurmstepd ignores SIGTERM and would keep trying to report to the dead slurmd.
    kill -KILL "${steps[@]}" "${jobs[@]}" 2>/dev/null || true
    wait_gone 5 "${steps[@]}" "${jobs[@]}" || die "slurmstepd or job processes survived SIGKILL"
  fi
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
    "" | -h | --help | help) usage ;;
    *) echo "$PROG: unknown command '${cmd}'" >&2; usage ;;
  esac
}

main "$@"
