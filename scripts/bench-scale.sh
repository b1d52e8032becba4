#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The scale benchmark (issue 6): a real slurmctld with --nodes nodes and --jobs pending jobs, the
# exporter measured against it. Run by hand as root (not part of the test suite); takes ~10 min at
# the default size. Needs a built build/ (prometheus-slurm-exporter and test/bench/scale_bench).
#
#   scripts/bench-scale.sh [--nodes 10000] [--jobs 50000] [--slurmd 4] [--partitions 4]
#                          [--runs 20] [--cli-runs 5] [--rpc-seconds 60] [--leak-polls 1000]
#                          [--json FILE] [--build DIR] [--keep] [--cluster-only]
#
# Cluster (all files in a temp dir, ports from $SLURM_TEST_PORT_BASE, default 28817): slurmctld;
# nodes bn[1-S] with a slurmd each (partition `live`, default, a few running jobs), the rest
# configured only (they stay unknown*/down*) in partitions p1..pP, plus `all` (every node, so
# nodes sit in two partitions). Jobs go through slurm_submit_batch_job for 4 users and 3
# accounts round robin over p1..pP: half held (priority 0), half pending on a begin time a year
# away, every 50th an array of 20 tasks; the scheduler leaves all of them alone, so an unchanged
# poll is really unchanged.
#
# Measured, each as median and p99 over the runs:
#   1 floor: every RPC of one poll and nothing else (slurm_ping, slurm_get_statistics,
#     slurm_load_licenses, slurm_load_reservations, slurm_load_partitions, slurm_load_node,
#     slurm_load_jobs with update_time 0), alone and run by run right after each libslurm poll
#   2 full poll (a Collection::poll right after a job and a node changed), libslurm and cli backends,
#     wall and CPU; libslurm against the floor measured right after it (ratio per run), the cli
#     backend against the commands it runs, timed alone
#   3 unchanged poll (a poll again, nothing changed), next to the unchanged floor (the same
#     RPCs, the three loads answered SLURM_NO_CHANGE_IN_DATA)
#   4 /metrics of a warm snapshot: 1 and 50 concurrent keep-alive clients, plain and gzip
#   5 during a full poll: `/` latency, and a /metrics that arrives mid-poll (joins it)
#   6 exporter RSS idle / after the first poll / steady after the HTTP load / peak (VmHWM), RSS
#     over --leak-polls polls (one full poll every 20), next to squeue's and sinfo's peak RSS
#   7 sdiag RPC counts per minute with 1 and with 10 scrapers every 15 s, poll limit 10 s
#   8 (Slurm 25.11 and newer: MetricsType=metrics/openmetrics) one read of each of slurmctld's own
#     /metrics/<path> endpoints against one poll of ours (full: after a job and a node changed,
#     the change's own cost taken out; unchanged), each as wall time and slurmctld's CPU
# Prints a table and writes JSON (default ./bench-scale.json).
#
# SLURM_PREFIX=P runs the Slurm installed in P (scripts/build-slurm.sh) instead of Debian's: its
# daemons and commands, and the cli backend's (SLURM_BIN_DIR=P/bin for scale_bench); --build
# must then name a build against that release (cmake -DSlurm_ROOT=P).
#
# --cluster-only sets the cluster up, prints its SLURM_CONF and waits (until Ctrl-C or SIGTERM)
# without measuring: for profiling the exporter by hand (heaptrack, perf) against the same data.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nodes=10000 jobs=50000 slurmd=4 partitions=4 runs=20 cli_runs=5 rpc_seconds=60 leak_polls=1000
json=$PWD/bench-scale.json build=$root/build keep=0 cluster_only=0
while (($#)); do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --slurmd) slurmd=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --cli-runs) cli_runs=$2; shift 2 ;;
    --rpc-seconds) rpc_seconds=$2; shift 2 ;;
    --leak-polls) leak_polls=$2; shift 2 ;;
    --json) json=$(realpath -m "$2"); shift 2 ;;
    --build) build=$(realpath "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    --cluster-only) cluster_only=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-scale: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in nodes jobs slurmd partitions runs cli_runs rpc_seconds leak_polls; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-scale: --${v//_/-} needs a number" >&2; exit 2; }
done
((slurmd >= 1 && nodes >= slurmd + partitions && partitions >= 1)) ||
  { echo "bench-scale: need --slurmd >= 1 and --nodes >= slurmd + partitions" >&2; exit 2; }
((runs >= 2 && cli_runs >= 1)) || { echo "bench-scale: --runs >= 2, --cli-runs >= 1" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench-scale: run as root (slurmctld, munge, users)" >&2; exit 1; }
slurm_bin=/usr/bin
if [[ -n ${SLURM_PREFIX:-} ]]; then
  [[ -x $SLURM_PREFIX/sbin/slurmctld && -x $SLURM_PREFIX/bin/sinfo ]] ||
    { echo "bench-scale: SLURM_PREFIX=$SLURM_PREFIX has no sbin/slurmctld and bin/sinfo" >&2; exit 2; }
  slurm_bin=$SLURM_PREFIX/bin
  export PATH="$SLURM_PREFIX/sbin:$SLURM_PREFIX/bin:$PATH" SLURM_BIN_DIR=$slurm_bin
fi
# The release as a number (22.05 -> 2205; slurmctld -V needs no slurm.conf): section 8 needs 25.11+.
slurm_rel=$(slurmctld -V | sed -E 's/^slurm(-wlm)? ([0-9]+)\.([0-9]+).*/\2\3/')
[[ $slurm_rel =~ ^[0-9]{4}$ ]] || { echo "bench-scale: cannot read slurmctld -V" >&2; exit 1; }
exporter=$build/prometheus-slurm-exporter
bench=$build/test/bench/scale_bench
[[ -x $exporter && -x $bench ]] ||
  { echo "bench-scale: build first: cmake --build $build --target prometheus-slurm-exporter scale_bench" >&2; exit 1; }

port_base=${SLURM_TEST_PORT_BASE:-28817}
http_port=$((port_base + 90))
dir=$(mktemp -d /tmp/bench-scale.XXXXXX)
chmod 0755 "$dir"
res=$dir/results
mkdir -p "$res" "$dir/state" "$dir/log" "$dir/run"
export SLURM_CONF=$dir/slurm.conf LC_ALL=C SLURM_TIME_FORMAT=standard
note() { echo "bench-scale: $(date -u +%H:%M:%S) $*" >&2; }

pids=()
cleanup() {
  local p f
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # The running jobs first (slurmstepd outlives slurmd), while slurmctld can still cancel them;
  # then any process of this cluster's job scripts that is left, by pid.
  if [[ -f $dir/run/slurmctld.pid ]]; then
    scancel -p live 2>/dev/null || true
    for _ in $(seq 10); do [[ -z $(squeue -h -p live 2>/dev/null) ]] && break; sleep 1; done
  fi
  for f in /proc/[0-9]*/cmdline; do
    if grep -qF "$dir/spool/" "$f" 2>/dev/null; then
      p=${f#/proc/}
      p=${p%/cmdline}
      kill $(cat "/proc/$p/task/"*/children 2>/dev/null) "$p" 2>/dev/null || true
    fi
  done
  [[ -f $dir/run/slurmctld.pid ]] && kill "$(cat "$dir/run/slurmctld.pid")" 2>/dev/null || true
  for p in "$dir"/run/slurmd-*.pid; do [[ -f $p ]] && kill "$(cat "$p")" 2>/dev/null || true; done
  sleep 1
  # The jobs' own processes (`sleep 3600`) outlive slurmstepd, orphaned to init: found by this
  # cluster's SLURM_CONF and a SLURM_JOB_ID in their environment (this script and its helpers
  # carry the SLURM_CONF but no job id).
  for f in /proc/[0-9]*/environ; do
    if tr '\0' '\n' 2>/dev/null <"$f" | grep -qxF "SLURM_CONF=$SLURM_CONF" &&
      tr '\0' '\n' 2>/dev/null <"$f" | grep -q '^SLURM_JOB_ID='; then
      p=${f#/proc/}
      p=${p%/environ}
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
  # Stopped before the report: keep the raw figures next to the JSON.
  if ((!cluster_only)) && [[ ! -s $json && -d $res ]]; then
    cp -r "$res" "${json%.json}-raw" && note "partial results in ${json%.json}-raw"
  fi
  if ((keep)); then note "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---------------------------------------------------------------- cluster
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  note "starting munged"
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
users=(benchu1 benchu2 benchu3 benchu4)
for u in "${users[@]}"; do "$root/scripts/slurm-cluster.sh" ensure-user "$u"; done

configured=$((nodes - slurmd))
per_part=$(((configured + partitions - 1) / partitions))
{
  cat <<EOF
# Written by scripts/bench-scale.sh: $nodes nodes ($slurmd with slurmd), $jobs jobs.
ClusterName=benchscale
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$port_base
SlurmdPort=$((port_base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=error
SlurmdDebug=error
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
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=300
MaxJobCount=$((jobs * 2 + 1000))
MaxArraySize=1001
EOF
  # Slurm 25.11 added slurmctld's own metrics endpoint (section 8); older releases reject the key.
  if ((slurm_rel >= 2511)); then echo "MetricsType=metrics/openmetrics"; fi
  for ((i = 1; i <= slurmd; i++)); do
    echo "NodeName=bn$i NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((port_base + 1 + i)) CPUs=8 RealMemory=16000 State=UNKNOWN"
  done
  # Configured only: nothing listens on SlurmdPort, so pings fail at once.
  echo "NodeName=bn[$((slurmd + 1))-$nodes] NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=64 RealMemory=256000 State=UNKNOWN"
  echo "PartitionName=live Nodes=bn[1-$slurmd] Default=YES MaxTime=INFINITE State=UP"
  for ((p = 1; p <= partitions; p++)); do
    lo=$((slurmd + 1 + (p - 1) * per_part)) hi=$((slurmd + p * per_part))
    ((hi > nodes)) && hi=$nodes
    ((lo > hi)) && continue
    echo "PartitionName=p$p Nodes=bn[$lo-$hi] MaxTime=$((p * 1440)) State=UP"
  done
  echo "PartitionName=all Nodes=bn[1-$nodes] MaxTime=INFINITE State=UP"
} >"$SLURM_CONF"
for ((i = 1; i <= slurmd; i++)); do mkdir -p "$dir/spool/bn$i"; done

note "starting slurmctld with $nodes nodes in $dir"
slurmctld -f "$SLURM_CONF" -c -i
for ((i = 1; i <= slurmd; i++)); do slurmd -f "$SLURM_CONF" -N "bn$i"; done
for _ in $(seq 120); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
scontrol ping | grep -q UP || { echo "bench-scale: slurmctld did not come up" >&2; exit 1; }

part_list=$(seq -s, -f 'p%g' 1 "$partitions")
note "submitting $jobs jobs (slurm_submit_batch_job)"
"$bench" submit --jobs "$jobs" --partitions "$part_list" --users "$(IFS=,; echo "${users[*]}")" \
  --accounts physics,chemistry,biology --live-partition live --running "$slurmd" >"$res/submit.json"
cat "$res/submit.json" >&2
for _ in $(seq 60); do
  (($(squeue -h -t R | wc -l) >= slurmd)) && break
  sleep 1
done
# Give the node states a moment to settle (unknown* may turn down* after SlurmdTimeout; many
# stay unknown* for good), so that polls see a quiet cluster.
note "waiting (at most 30 s) for the configured-only nodes to settle"
for _ in $(seq 15); do
  [[ -z $(sinfo -h -t unknown -o %D) ]] && break
  sleep 2
done
squeue_lines=$(squeue -h -r | wc -l)
node_lines=$(scontrol -a -o show node | grep -c '^NodeName=')
note "cluster: $node_lines nodes, $squeue_lines squeue -r lines"
if ((cluster_only)); then
  note "cluster ready: export SLURM_CONF=$SLURM_CONF (stop: Ctrl-C, or kill $$)"
  while :; do sleep 3600 & wait $!; done
fi

# ---------------------------------------------------------------- 1-3: polls
note "1: RPC floor ($runs runs)"
"$bench" floor --runs "$runs" >"$res/floor.json"
note "2-3: libslurm polls ($runs full, 200 unchanged)"
"$bench" poll --backend libslurm --runs "$runs" --unchanged-runs 200 >"$res/poll_libslurm.json"
note "2: cli polls ($cli_runs) and the commands alone"
"$bench" poll --backend cli --runs "$cli_runs" --unchanged-runs "$cli_runs" >"$res/poll_cli.json"
"$bench" cli-commands --runs "$cli_runs" >"$res/cli_commands.json"
note "6: squeue / sinfo peak RSS"
"$bench" maxrss -- "$slurm_bin/squeue" -h -r -a >"$res/squeue_rss.json"
"$bench" maxrss -- "$slurm_bin/sinfo" -h -N -a >"$res/sinfo_rss.json"

# ---------------------------------------------------------------- exporter process
rss() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
start_exporter() {  # poll limit (s) -> sets epid
  "$exporter" --web.listen-address=127.0.0.1:$http_port --slurm.poll-limit="$1" \
    --slurm.conf="$SLURM_CONF" --web.log-level=error &
  epid=$!
  pids+=("$epid")
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$http_port/" && return 0
    sleep 0.1
  done
  echo "bench-scale: the exporter did not start" >&2
  exit 1
}
stop_exporter() { kill "$epid"; wait "$epid" 2>/dev/null || true; }

note "4/6: warm-snapshot scrapes and RSS"
start_exporter 3600
sleep 1
rss_idle=$(rss "$epid" VmRSS)
"$bench" http --port $http_port --clients 1 --requests 1 >/dev/null
rss_first=$(rss "$epid" VmRSS)
"$bench" http --port $http_port --clients 1 --requests 1000 >"$res/http_1.json"
"$bench" http --port $http_port --clients 1 --requests 1000 --gzip >"$res/http_1_gzip.json"
"$bench" http --port $http_port --clients 50 --requests 100 >"$res/http_50.json"
"$bench" http --port $http_port --clients 50 --requests 100 --gzip >"$res/http_50_gzip.json"
sleep 1
rss_steady=$(rss "$epid" VmRSS)
hwm_warm=$(rss "$epid" VmHWM)
echo "{\"idle\": $rss_idle, \"after_first_poll\": $rss_first, \"steady\": $rss_steady, \"hwm_warm\": $hwm_warm}" >"$res/rss.txt"
stop_exporter

note "5: responsiveness during a full poll; 6: RSS over $leak_polls polls"
start_exporter 0
"$bench" inflight --port $http_port --probes 5 >"$res/inflight.json"
: >"$res/leak.txt"
blocks=$(((leak_polls + 19) / 20))
for ((b = 1; b <= blocks; b++)); do
  "$bench" touch >/dev/null
  "$bench" http --port $http_port --clients 1 --requests 20 >/dev/null
  echo "$((b * 20)) $(rss "$epid" VmRSS) $(rss "$epid" VmHWM)" >>"$res/leak.txt"
done
stop_exporter

# ---------------------------------------------------------------- 7: RPC load
rpc_run() {  # scrapers -> JSON line with the RPC counts sdiag saw
  local n=$1 s
  start_exporter 10
  sdiag -r >/dev/null
  local t0=$SECONDS
  local scrapers=()
  for ((s = 0; s < n; s++)); do
    (
      # Prometheus spreads targets over the interval: scraper s starts s*15/n s late.
      sleep "$(awk -v s="$s" -v n="$n" 'BEGIN {printf "%.2f", s * 15 / n}')"
      while ((SECONDS - t0 < rpc_seconds)); do
        curl -s -o /dev/null -m 20 "http://127.0.0.1:$http_port/metrics"
        sleep 15
      done
    ) &
    scrapers+=($!)
  done
  sleep "$rpc_seconds"
  kill "${scrapers[@]}" 2>/dev/null || true
  wait "${scrapers[@]}" 2>/dev/null || true
  sdiag >"$res/sdiag_$n.txt"
  stop_exporter
}
note "7: sdiag RPC counts, 1 scraper, ${rpc_seconds}s"
rpc_run 1
note "7: sdiag RPC counts, 10 scrapers, ${rpc_seconds}s"
rpc_run 10

# ---------------------------------------------------------------- 8: Slurm's own endpoint
# slurmctld's CPU (utime + stime) around N reads of each of its /metrics/<path> endpoints, and
# around N polls of ours: full ones (a touch, then a scrape of an exporter whose poll limit is 0)
# less N touches alone, and unchanged ones (scrapes only). One python process reads, so no
# process start is in the figures.
endpoint_reads=20
if ((slurm_rel >= 2511)); then
  note "8: slurmctld's own endpoint against our poll ($endpoint_reads reads each)"
  ctld_pid=$(cat "$dir/run/slurmctld.pid")
  measure() {  # label, then what to do $endpoint_reads times (URLs, commands) -> a JSON line
    python3 - "$ctld_pid" "$1" "$endpoint_reads" "${@:2}" <<'PY'
import json, os, subprocess, sys, time, urllib.request
pid, label, n, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
tick = os.sysconf("SC_CLK_TCK")
def ctld_cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
size, walls = 0, []
c0 = ctld_cpu()
for _ in range(n):
    t = time.perf_counter()
    for part in cmd:
        if part.startswith("http"):
            with urllib.request.urlopen(part, timeout=120) as r:
                size = len(r.read())
        else:
            subprocess.run(part.split(), check=True, stdout=subprocess.DEVNULL)
    walls.append(time.perf_counter() - t)
cpu = (ctld_cpu() - c0) / n
walls.sort()
print(json.dumps({"label": label, "wall_ms": walls[len(walls) // 2] * 1000,
                  "ctld_cpu_ms": cpu * 1000, "bytes": size}))
PY
  }
  : >"$res/endpoint.txt"
  for path in nodes jobs partitions scheduler jobs-users-accts; do
    measure "slurm /metrics/$path" "http://127.0.0.1:$port_base/metrics/$path" >>"$res/endpoint.txt"
  done
  for backend in libslurm cli; do
    "$exporter" --web.listen-address=127.0.0.1:$http_port --slurm.poll-limit=0 \
      --slurm.conf="$SLURM_CONF" --web.log-level=error --backend=$backend \
      --slurm.bin-dir="$slurm_bin" &
    epid=$!
    pids+=("$epid")
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$http_port/" && break; sleep 0.1; done
    curl -s -o /dev/null "http://127.0.0.1:$http_port/metrics"
    measure "touch alone ($backend run)" "$bench touch" >>"$res/endpoint.txt"
    measure "ours $backend, full poll + touch" "$bench touch" "http://127.0.0.1:$http_port/metrics" \
      >>"$res/endpoint.txt"
    measure "ours $backend, unchanged poll" "http://127.0.0.1:$http_port/metrics" >>"$res/endpoint.txt"
    stop_exporter
  done
  cat "$res/endpoint.txt" >&2
fi

# ---------------------------------------------------------------- report
cat >"$res/env.json" <<EOF
{"nodes": $node_lines, "configured_nodes": $nodes, "jobs_submitted": $jobs,
 "squeue_lines": $squeue_lines, "slurmd_nodes": $slurmd, "partitions": $partitions,
 "runs": $runs, "cli_runs": $cli_runs, "rpc_seconds": $rpc_seconds,
 "rss_kib": {"idle": $rss_idle, "after_first_poll": $rss_first, "steady": $rss_steady,
             "hwm_warm": $hwm_warm},
 "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "uptime": "$(uptime | sed 's/^ *//')",
 "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') x $(nproc)",
 "mem_total_kib": $(awk '/MemTotal/ {print $2}' /proc/meminfo),
 "slurm": "$(sinfo --version)", "revision": "$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"}
EOF
python3 - "$res" "$json" <<'PY'
import json, re, sys
from pathlib import Path
res, out = Path(sys.argv[1]), Path(sys.argv[2])
j = {p.stem: json.loads(p.read_text()) for p in res.glob("*.json")}
def sdiag(path):
    counts, section = {}, False
    for line in Path(path).read_text().splitlines():
        if line.startswith("Remote Procedure Call statistics by message type"):
            section = True
            continue
        if section and line.startswith("Remote Procedure Call statistics by user"):
            break
        m = re.match(r"\s+(\S+)\s+\(\s*\d+\)\s+count:(\d+)", line)
        if section and m:
            counts[m.group(1)] = int(m.group(2))
    # The bench's own `sdiag -r` and final `sdiag` are not the exporter's (its scheduler
    # collector's REQUEST_STATS_INFO are).
    counts.pop("REQUEST_RESET_STATS", None)
    if counts.get("REQUEST_STATS_INFO"):
        counts["REQUEST_STATS_INFO"] -= 1
    return counts
env = j["env"]
minutes = env["rpc_seconds"] / 60
rpc = {}
for n in (1, 10):
    c = sdiag(res / f"sdiag_{n}.txt")
    polls = c.get("REQUEST_JOB_INFO", 0)
    rpc[str(n)] = {"counts": c, "total_per_minute": sum(c.values()) / minutes,
                   "polls_per_minute": polls / minutes,
                   "rpcs_per_poll": sum(c.values()) / polls if polls else None}
leak = [list(map(int, l.split())) for l in (res / "leak.txt").read_text().splitlines() if l.strip()]
fl, pl, pc, cc = j["floor"], j["poll_libslurm"], j["poll_cli"], j["cli_commands"]
report = {"env": env, "submit": j["submit"], "floor": fl, "poll_libslurm": pl, "poll_cli": pc,
          "cli_commands": cc, "http": {k: j[k] for k in ("http_1", "http_1_gzip", "http_50", "http_50_gzip")},
          "inflight": j["inflight"], "squeue_rss": j["squeue_rss"], "sinfo_rss": j["sinfo_rss"],
          "rss_over_polls": leak, "rpc": rpc}
report["ratios"] = {
    "libslurm_full_poll_to_floor_median": pl["wall"]["median"] / pl["floor"]["wall"]["median"],
    "libslurm_full_poll_to_floor_p99": pl["wall"]["p99"] / pl["floor"]["wall"]["p99"],
    "libslurm_full_poll_to_floor_per_run_median": pl["ratio_to_floor"]["median"],
    "cli_poll_to_commands_median": pc["wall"]["median"] / cc["wall"]["median"],
    "cli_full_poll_to_libslurm_full_poll_median": pc["wall"]["median"] / pl["wall"]["median"],
}
out.write_text(json.dumps(report, indent=1) + "\n")
MiB = 1024
rows = []
def row(what, value, target, ok):
    rows.append((what, value, target, "ok" if ok is True else ("MISSED" if ok is False else "-")))
ms = lambda s: f"{s['median']:.1f} / {s['p99']:.1f} ms"
row("1 RPC floor: the 7 RPCs of a poll, alone (median / p99)", ms(fl["wall"]) + f", CPU {ms(fl['cpu'])}", "-", None)
row("1 RPC floor, right after each poll", ms(pl["floor"]["wall"]) + f", CPU {ms(pl['floor']['cpu'])}", "-", None)
r = report["ratios"]["libslurm_full_poll_to_floor_median"]
rr = report["ratios"]["libslurm_full_poll_to_floor_per_run_median"]
row("2 full poll, libslurm, wall", ms(pl["wall"]) + f" ({r:.2f}x floor; per run {rr:.2f}x)", "<= 1.15x floor", r <= 1.15)
row("2 full poll, libslurm, CPU", ms(pl["cpu"]), "-", None)
r = report["ratios"]["cli_poll_to_commands_median"]
rl = pc["wall"]["median"] / pl["wall"]["median"]
row("2 full poll, cli, wall", ms(pc["wall"]) + f" ({r:.2f}x its commands one after another; {rl:.2f}x libslurm's)", "<= 3x libslurm's", rl <= 3)
row("2 full poll, cli, CPU (incl. commands)", ms(pc["cpu"]), "<= 500 ms", pc["cpu"]["median"] <= 500)
row("2 cli commands alone, one after another (sum)", ms(cc["wall"]) + f", CPU {ms(cc['cpu'])}", "-", None)
for c in cc["commands"]:
    row(f"2   {'' if c['in_poll'] else 'candidate, not run: '}{c['name']}", ms(c["wall"]) + f", CPU {ms(c['cpu'])}",
        "<= 10 s (--slurm.cli-timeout)" if c["in_poll"] else "-", c["wall"]["p99"] <= 10000 if c["in_poll"] else None)
row("3 unchanged poll, libslurm", ms(pl["unchanged_wall"]) + f", CPU {ms(pl['unchanged_cpu'])}", "<= 5 ms", pl["unchanged_wall"]["p99"] <= 5)
row("3 unchanged floor (the same RPCs, loads unchanged)", ms(pl["unchanged_floor"]["wall"]), "-", None)
for k, label, target in (("http_1", "1 client", 5), ("http_1_gzip", "1 client, gzip", 5),
                         ("http_50", "50 clients", 50), ("http_50_gzip", "50 clients, gzip", 50)):
    h = j[k]
    row(f"4 /metrics warm, {label} ({h['body_bytes']} B body)", ms(h["latency"]) + f", {h['per_second']:.0f}/s",
        f"p99 <= {target} ms", h["latency"]["p99"] <= target and h["errors"] == 0)
inf = j["inflight"]
row("5 `/` during a full poll", ms(inf["landing_during_poll"]), "not blocked", None)
row("5 /metrics arriving mid-poll (joins it)", ms(inf["metrics_joining_poll"]) + f"; the poll's scrape {ms(inf['poll_scrape'])}", "-", None)
rk = env["rss_kib"]
row("6 exporter RSS idle", f"{rk['idle']/MiB:.1f} MiB", "<= 16 MB", rk["idle"] <= 16 * 1000)
row("6 exporter RSS after first poll / steady", f"{rk['after_first_poll']/MiB:.1f} / {rk['steady']/MiB:.1f} MiB", "<= 48 MB steady", rk["steady"] <= 48 * 1000)
sq = j["squeue_rss"]["maxrss_kib"]
row("6 exporter peak (VmHWM) vs squeue -r peak", f"{rk['hwm_warm']/MiB:.1f} vs {sq/MiB:.1f} MiB", "<= squeue's", rk["hwm_warm"] <= sq)
row("6 in-process poll peak (scale_bench poll VmHWM)", f"{pl['hwm_kib']/MiB:.1f} MiB", "-", None)
if leak:
    first, last = leak[0], leak[-1]
    grow = last[1] - first[1]
    row(f"6 RSS over {last[0]} polls (first -> last)", f"{first[1]/MiB:.1f} -> {last[1]/MiB:.1f} MiB, peak {last[2]/MiB:.1f}", "no growth", grow <= 2 * MiB)
row("6 sinfo -N peak RSS", f"{j['sinfo_rss']['maxrss_kib']/MiB:.1f} MiB", "-", None)
r1, r10 = rpc["1"], rpc["10"]
row("7 RPCs/min, 1 scraper / 10 scrapers (15 s)", f"{r1['total_per_minute']:.1f} / {r10['total_per_minute']:.1f}", "-", None)
row("7 polls/min, 1 / 10 scrapers", f"{r1['polls_per_minute']:.1f} / {r10['polls_per_minute']:.1f}", "<= 6 (one per 10 s window)", r10["polls_per_minute"] <= 60 / 10 + 0.01 * 60)
row("7 RPCs per poll, 1 / 10 scrapers", f"{r1['rpcs_per_poll'] or 0:.1f} / {r10['rpcs_per_poll'] or 0:.1f}", "equal", r1["rpcs_per_poll"] == r10["rpcs_per_poll"])
print(f"\n{env['nodes']} nodes, {env['squeue_lines']} squeue -r lines ({env['jobs_submitted']} jobs submitted), "
      f"{env['slurm']}, {env['cpu']}, {env['date']}\nload: {env['uptime']}\n")
w = max(len(r[0]) for r in rows); v = max(len(r[1]) for r in rows); t = max(len(r[2]) for r in rows)
print(f"| {'what'.ljust(w)} | {'measured'.ljust(v)} | {'target'.ljust(t)} | |")
print(f"| {'-'*w} | {'-'*v} | {'-'*t} | --- |")
for a, b, c, d in rows:
    print(f"| {a.ljust(w)} | {b.ljust(v)} | {c.ljust(t)} | {d} |")
print(f"\nJSON: {out}")
PY
