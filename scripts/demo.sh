#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sets up everything, starts a throwaway local Slurm cluster (munge, slurmctld, 5 slurmd on
# loopback, state in a temp dir), submits a few jobs, and runs the exporter in the foreground on
# http://127.0.0.1:9092/metrics. Ctrl-C stops the exporter and tears the cluster down.
# Extra arguments go to the exporter, e.g. scripts/demo.sh --web.log-level=debug
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
listen=${DEMO_LISTEN:-127.0.0.1:9092}

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target prometheus-slurm-exporter

dir=$(mktemp -d /tmp/slurm-exporter-demo.XXXXXX)
cleanup() { "$root/scripts/slurm-cluster.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$root/scripts/slurm-cluster.sh" start "$dir" >/dev/null
export SLURM_CONF=$dir/slurm.conf

# Something to look at: running, pending and array jobs in two partitions and accounts.
submit() { sbatch --quiet --output=/dev/null --chdir=/tmp "$@" >/dev/null; }
submit -p debug -c 2 --mem=1000 --account=physics --wrap 'sleep 3600'
submit -p batch -c 4 --mem=2000 --account=chem --wrap 'sleep 3600'
submit -p debug -c 4 --mem=500 --array=1-4 --account=physics --wrap 'sleep 3600'
submit -p debug,batch -c 8 --mem=1000 --hold --wrap 'sleep 3600'

echo "demo: Slurm cluster in $dir (SLURM_CONF=$SLURM_CONF)" >&2
echo "demo: metrics at http://$listen/metrics — Ctrl-C to stop" >&2
"$build/prometheus-slurm-exporter" --web.listen-address="$listen" --slurm.conf="$SLURM_CONF" "$@"
