#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs, from Debian's packages, everything needed to build the exporter, run it against a
# local throwaway Slurm cluster and run the whole test suite. Idempotent; needs root.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config git libslurm-dev libboost-dev libfmt-dev catch2
  libssl-dev libyaml-cpp-dev libcrypt-dev zlib1g-dev
  # a local Slurm cluster
  munge slurmctld slurmd slurm-client
  # tests
  prometheus locales python3 python3-pytest python3-prometheus-client curl ca-certificates
  openssl apache2-utils
  # the Debian package (scripts/build-deb.sh) and its test
  debhelper fakeroot lintian man-db python3-yaml
  # the failover test's backup slurmctld (ip netns, veth)
  iproute2
)
# The libFuzzer targets (scripts/fuzz.sh, and scripts/test.sh unless SLURM_EXPORTER_FUZZ=0).
if [[ ${SLURM_EXPORTER_FUZZ:-1} == 1 ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages (${missing[*]}); run as root" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
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
