#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Compiles the libslurm backend (src/slurm/libslurm_backend.cpp, the only code that includes
# <slurm/slurm.h>) against the public headers of every Slurm release in SLURM_SRC_DIR (default
# /work/shared/slurm-src: slurm-<version>.tar.xz) besides the installed one (Debian's 22.05), with
# the project's warnings as errors. Headers only: nothing of Slurm is built, so this is fast enough
# for CI (about 10 s per release here). It catches a removed API, a changed type or a moved field;
# whether the result also runs is for the live suite (scripts/build-slurm.sh, SLURM_PREFIX).
#
#   scripts/check-slurm-headers.sh [BUILD_DIR]      (default: build-headers)
#
# Each release's slurm/*.h are unpacked once into BUILD_DIR/slurm-headers/<version>/slurm/, with
# slurm_version.h made from slurm_version.h.in as configure would. Then the CMake target
# slurm_headers_check runs `g++ -fsyntax-only` once per release (SLURM_EXPORTER_SLURM_HEADER_DIRS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-headers}
src_dir=${SLURM_SRC_DIR:-/work/shared/slurm-src}

dirs=()
shopt -s nullglob
for tarball in "$src_dir"/slurm-*.tar.xz "$src_dir"/slurm-*.tar.bz2 "$src_dir"/slurm-*.tar.gz; do
  base=$(basename "$tarball")
  version=${base#slurm-}
  version=${version%.tar.*}
  [[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || continue
  out=$build/slurm-headers/$version
  if [[ ! -f $out/slurm/slurm_version.h ]]; then
    rm -rf "$out" && mkdir -p "$out/slurm"
    tar -xf "$tarball" -C "$out/slurm" --strip-components=2 --wildcards \
      '*/slurm/slurm.h' '*/slurm/slurm_errno.h' '*/slurm/slurmdb.h' '*/slurm/slurm_version.h.in'
    number=$(printf '0x%02x%02x%02x' "$((10#${BASH_REMATCH[1]}))" "$((10#${BASH_REMATCH[2]}))" \
      "$((10#${BASH_REMATCH[3]}))")
    sed "s/^#undef SLURM_VERSION_NUMBER/#define SLURM_VERSION_NUMBER $number/" \
      "$out/slurm/slurm_version.h.in" >"$out/slurm/slurm_version.h"
    grep -q "define SLURM_VERSION_NUMBER $number" "$out/slurm/slurm_version.h" ||
      { echo "check-slurm-headers: no SLURM_VERSION_NUMBER in $tarball" >&2; exit 1; }
  fi
  dirs+=("$out")
done
if ((${#dirs[@]} == 0)); then
  echo "check-slurm-headers: no slurm-<version>.tar.xz in $src_dir: only the installed Slurm" >&2
fi

# The installed release (Debian's 22.05) first: the ordinary build compiles against it too.
list=system
for d in "${dirs[@]}"; do list+=";$d"; done
cmake -S "$root" -B "$build" -DSLURM_EXPORTER_TESTS=OFF -DSLURM_EXPORTER_WERROR=ON \
  "-DSLURM_EXPORTER_SLURM_HEADER_DIRS=$list" >/dev/null
start=$SECONDS
cmake --build "$build" --target slurm_headers_check -j"${JOBS:-2}"
echo "check-slurm-headers: the libslurm backend compiles against Slurm's headers of the" \
  "installed release and ${#dirs[@]} more ($((SECONDS - start)) s)"
