#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The full release matrix (CI runs only 26.05.3's subset): scripts/test-slurm-release.sh for the
# installed Slurm (Debian's 22.05) and for every release in SLURM_SRC_DIR (default
# /work/shared/slurm-src: slurm-<version>.tar.xz; each built once into /opt/slurm/<version> by
# scripts/build-slurm.sh, about 4-7 min per release here the first time), then one line per
# release: its result and times.
#
#   scripts/test-slurm-matrix.sh [TEST_FILE…|all]     (as root)
#
# TEST_FILE… as for test-slurm-release.sh (default: its subset; `all`: every integration file
# but the package ones). The 22.05 exporter (build-slurm-system) is also EXPORTER_BIN_OLD for the
# newer releases, so test_slurm_versions checks its "version mismatch" line on 24.11 and newer.
# Each release's cluster runs under `flock -o /tmp/se-cluster.lock` (one cluster at a time), the
# lock held only while that release is tested. Exit status: 1 when any release failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src_dir=${SLURM_SRC_DIR:-/work/shared/slurm-src}
lock=${SLURM_CLUSTER_LOCK:-/tmp/se-cluster.lock}

versions=(system)
shopt -s nullglob
for tarball in "$src_dir"/slurm-*.tar.xz; do
  v=$(basename "$tarball" .tar.xz)
  versions+=("${v#slurm-}")
done
mapfile -t sorted < <(printf '%s\n' "${versions[@]:1}" | sort -V)
versions=(system "${sorted[@]}")

summary=()
status=0
for v in "${versions[@]}"; do
  echo "== Slurm $v"
  # Slurm and the exporter are built outside the lock; only the tests hold it.
  "$root/scripts/test-slurm-release.sh" --build-only "$v"
  t=$SECONDS
  rc=0
  env EXPORTER_BIN_OLD="$root/build-slurm-system/prometheus-slurm-exporter" \
    flock -o "$lock" "$root/scripts/test-slurm-release.sh" "$v" "$@" || rc=$?
  summary+=("$(printf '%-9s %-6s %4d s' "$v" "$([[ $rc == 0 ]] && echo passed || echo FAILED)" \
    $((SECONDS - t)))")
  ((rc == 0)) || status=1
done
echo "== test-slurm-matrix: release, result, wall time of its tests (with the lock wait)"
printf '%s\n' "${summary[@]}"
exit "$status"
