#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proves the exporter on one Slurm release: builds that release (scripts/build-slurm.sh, once per
# machine: reused while /opt/slurm/VERSION exists), builds the exporter against its libslurm and
# headers, and runs integration tests against a live cluster of it (SLURM_PREFIX) with both
# backends (the cli backend runs that release's commands through --slurm.bin-dir).
#
#   scripts/test-slurm-release.sh [--build-only] VERSION [TEST_FILE…]
#
# VERSION `system` is the installed Slurm (Debian's 22.05 in /usr: nothing to build, the cluster
# runs /usr's daemons); scripts/test-slurm-matrix.sh runs this for every release.
# Default tests: the subset covering nodes, jobs, GPUs and the controller collectors, and both
# backends line for line (test_live_metrics, test_backends, test_gpus, test_controller_metrics,
# test_slurm_versions). `all` runs every integration test file but the package ones (deb, arm64).
# Environment: BUILD_DIR (default build-slurm-VERSION), EXPORTER_BIN_OLD (an exporter built
# against an older libslurm, for test_slurm_versions' mismatch check), PYTEST_ARGS.
# Run it as root (the tests start slurmctld/slurmd); other engineers' clusters: wrap it in
# `flock -o /tmp/se-cluster.lock`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_only=0
if [[ ${1:-} == --build-only ]]; then
  build_only=1
  shift
fi
[[ $# -ge 1 ]] || { sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
version=$1
shift
if [[ $version == system ]]; then
  prefix=${SLURM_PREFIX:-/usr}
else
  prefix=${SLURM_PREFIX:-/opt/slurm/$version}
fi
build=${BUILD_DIR:-$root/build-slurm-$version}

start=$SECONDS
[[ $version == system ]] || "$root/scripts/build-slurm.sh" "$version" "$prefix"
slurm_s=$((SECONDS - start))

t=$SECONDS
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_WERROR=ON \
  -DSLURM_EXPORTER_TESTS=ON "-DSlurm_ROOT=$prefix" "${launcher[@]}" >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target prometheus-slurm-exporter
exporter_s=$((SECONDS - t))
found=$(sed -n 's/^Slurm_INCLUDE_DIR:PATH=//p' "$build/CMakeCache.txt")
[[ $found == "$prefix/include" ]] ||
  { echo "test-slurm-release: CMake found Slurm's headers in $found, not $prefix/include" >&2; exit 1; }

if ((build_only)); then
  echo "test-slurm-release: Slurm $version: build ${slurm_s} s, exporter build ${exporter_s} s"
  exit 0
fi

tests=("$@")
per_file=0
if ((${#tests[@]} == 0)); then
  tests=(test_live_metrics test_backends test_gpus test_controller_metrics test_slurm_versions)
elif [[ ${tests[0]} == all ]]; then
  tests=()
  per_file=1
  for f in "$root"/test/integration/test_*.py; do
    name=$(basename "$f" .py)
    case $name in test_deb_package | test_arm64 | test_capture_fixtures) continue ;; esac
    tests+=("$name")
  done
fi
paths=()
for t in "${tests[@]}"; do paths+=("$root/test/integration/${t%.py}.py"); done

t=$SECONDS
status=0
# `all`: one pytest process per file, as ctest runs them, so each file gets its own cluster and
# workload (one process for every file shares one cluster, whose jobs and node states pile up
# between files). The default subset shares one cluster: its files are written for that, and it
# saves CI four cluster starts.
failed=()
groups=("${paths[*]}")
((per_file)) && groups=("${paths[@]}")
for group in "${groups[@]}"; do
  read -r -a path <<<"$group"
  (cd "$root/test/integration" &&
    env SLURM_PREFIX="$prefix" EXPORTER_BIN="$build/prometheus-slurm-exporter" PROJECT_ROOT="$root" \
      PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-} \
      "${path[@]}") || { status=1; failed+=("$(basename "${path[-1]}" .py)"); }
done
((${#failed[@]} == 0)) || echo "test-slurm-release: failed: ${failed[*]}"
echo "test-slurm-release: Slurm $version: build ${slurm_s} s (0 when reused), exporter build" \
  "${exporter_s} s, tests $((SECONDS - t)) s: $([[ $status == 0 ]] && echo passed || echo FAILED)"
exit "$status"
