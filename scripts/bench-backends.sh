#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints how long one poll takes with each backend against a running cluster: the median over N
# polls (poll limit 0: every scrape polls) of the exporter's own node + job load times
# (slurm_node_scrape_duration + slurm_job_scrape_duration, ms). Collector durations are not summed:
# the node-based collectors share one load and each reports it.
# Usage: SLURM_CONF=… scripts/bench-backends.sh [polls]     (needs a built build/ and curl)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${EXPORTER_BIN:-$root/build/prometheus-slurm-exporter}
polls=${1:-20}
: "${SLURM_CONF:?set SLURM_CONF to the slurm.conf of the cluster}"

measure() {
  local backend=$1 port=$2
  "$bin" --backend="$backend" --web.listen-address=127.0.0.1:"$port" --slurm.poll-limit=0 \
    --slurm.conf="$SLURM_CONF" --web.log-level=error &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/metrics" >/dev/null && break; sleep 0.1; done
  for _ in $(seq "$polls"); do
    curl -sf "http://127.0.0.1:$port/metrics" |
      awk '/^slurm_(node|job)_scrape_duration / {s += $2} END {printf "%.6f\n", s / 1000}'
  done | sort -n | awk -v b="$backend" '{v[NR]=$1} END {
      printf "%-9s polls=%d median=%.2f ms min=%.2f ms max=%.2f ms\n", b, NR, v[int((NR+1)/2)]*1000, v[1]*1000, v[NR]*1000}'
}

echo "nodes: $(sinfo -h -N -o %N | sort -u | wc -l), jobs (squeue -r): $(squeue -h -r | wc -l)"
measure libslurm 19192
measure cli 19193
