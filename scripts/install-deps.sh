#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs, from Debian's packages, everything needed to build the exporter, run it against a
# local throwaway Slurm cluster and run the whole test suite. Idempotent; needs root.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config git clang-format libslurm-dev libboost-dev libfmt-dev catch2
  libssl-dev libyaml-cpp-dev libcrypt-dev zlib1g-dev nlohmann-json3-dev
  # a local Slurm cluster
  munge slurmctld slurmd slurm-client
  # the accounting cluster (SLURM_TEST_ACCOUNTING=1; test_accounting*.py): slurmdbd on MariaDB.
  # The -core packages are mariadb-server's and mariadb-client's binaries (mariadbd,
  # mariadb-install-db, mariadb) without the system service: the cluster script starts its own
  # mariadbd in the cluster's dir.
  slurmdbd mariadb-server-core mariadb-client-core
  # tests
  prometheus locales python3 python3-pytest python3-prometheus-client curl ca-certificates
  openssl apache2-utils
  # the Debian package (scripts/build-deb.sh) and its test
  debhelper fakeroot lintian man-db python3-yaml
  # the failover test's backup slurmctld (ip netns, veth)
  iproute2
)
# Other Slurm releases built from source (scripts/build-slurm.sh; scripts/test.sh builds 26.05.3
# unless SLURM_EXPORTER_NEW_SLURM=0): munge's, http-parser's, json-c's and MariaDB's client headers
# (slurmdbd's accounting_storage/mysql for the accounting cluster).
if [[ ${SLURM_EXPORTER_NEW_SLURM:-1} != 0 ]]; then
  packages+=(libmunge-dev libhttp-parser-dev libjson-c-dev libmariadb-dev)
fi
# The libFuzzer targets (scripts/fuzz.sh, and scripts/test.sh unless SLURM_EXPORTER_FUZZ=0).
if [[ ${SLURM_EXPORTER_FUZZ:-1} == 1 ]]; then
  packages+=(clang libclang-rt-14-dev)
fi
# The arm64 package (scripts/build-deb.sh --arch arm64, and scripts/test.sh unless
# SLURM_EXPORTER_ARM64=0): Debian's cross compiler, qemu-user for its unit tests, and dpkg's arm64
# architecture, whose package lists give the arm64 .debs of the sysroot (scripts/arm64-sysroot.sh).
arm64=${SLURM_EXPORTER_ARM64:-1}
if [[ $arm64 == 1 ]]; then
  packages+=(crossbuild-essential-arm64 qemu-user-static)
fi
need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: $1; run as root" >&2
    exit 1
  fi
}
need_update=0
if [[ $arm64 == 1 ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  need_root "dpkg has no arm64 architecture yet (SLURM_EXPORTER_ARM64=0 skips the arm64 part)"
  dpkg --add-architecture arm64
  need_update=1
fi
if [[ $arm64 == 1 ]] && ! apt-cache show libslurm-dev:arm64 >/dev/null 2>&1; then
  need_update=1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})) || ((need_update)); then
  need_root "missing packages (${missing[*]:-none}) or package lists"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
fi
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's postinst scripts may start services where systemd runs; the scripts and tests start
# their own daemons in temp dirs and only need munged, which slurm-cluster.sh starts.

# The exposition tests prove number formatting ignores a locale that writes 2,5.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: the de_DE.UTF-8 locale is missing; run as root" >&2
    exit 1
  fi
  localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi

# The arm64 sysroot: downloaded here, at setup time, so the cross build itself stays offline
# (a second run finds its .debs cached and downloads nothing).
if [[ $arm64 == 1 ]]; then
  "$(dirname "$0")/arm64-sysroot.sh" >/dev/null
fi
