#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Debian package prometheus-slurm-exporter_<version>_<arch>.deb with Debian's own
# tooling (dpkg-buildpackage + debhelper + the CMake build) and checks it with lintian.
#
# Usage: scripts/build-deb.sh [--arch arm64]
#   (as any user with the build dependencies installed; scripts/install-deps.sh installs them)
#   --arch arm64  cross-builds the arm64 package on an amd64 machine with Debian's cross compiler
#                 (crossbuild-essential-arm64) and a sysroot of Debian's arm64 packages
#                 (scripts/arm64-sysroot.sh, cached); the unit tests are built too and run under
#                 qemu-aarch64-static (DEB_BUILD_OPTIONS=nocheck skips them).
# Environment: OUT_DIR (default build-deb/ in the checkout) receives the .deb, lintian.txt
#              (lintian-<arch>.txt for a cross build) and build.log (build-<arch>.log);
#              JOBS (default: nproc) parallel compile jobs; LINTIAN=0 skips lintian;
#              ARM64_SYSROOT: see scripts/arm64-sysroot.sh.
#
# The top level of the repository has no debian/ directory: the packaging lives in deb/debian
# and is copied, with the source tree, into a scratch directory under OUT_DIR that is built
# there, so the checkout stays untouched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT_DIR:-$root/build-deb}
jobs=${JOBS:-$(nproc)}

die() {
  echo "build-deb: $*" >&2
  exit 1
}

command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage not found (apt-get install dpkg-dev debhelper)"
build_arch=$(dpkg --print-architecture)
arch=$build_arch
while (($#)); do
  case $1 in
    --arch) (($# >= 2)) || die "--arch needs a value"; arch=$2; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    *) die "unknown argument '$1' (usage: scripts/build-deb.sh [--arch arm64])" ;;
  esac
done
suffix=
cross=()
if [[ $arch != "$build_arch" ]]; then
  [[ $arch == arm64 && $build_arch == amd64 ]] ||
    die "cross-building is set up for arm64 on amd64 only (not $arch on $build_arch)"
  command -v aarch64-linux-gnu-g++ >/dev/null ||
    die "aarch64-linux-gnu-g++ not found (run scripts/install-deps.sh as root)"
  if [[ " ${DEB_BUILD_OPTIONS:-} " != *" nocheck "* ]]; then
    command -v qemu-aarch64-static >/dev/null ||
      die "qemu-aarch64-static not found for the unit tests (run scripts/install-deps.sh as root)"
  fi
  SLURM_EXPORTER_SYSROOT=$(ARM64_SYSROOT_OFFLINE=1 "$root/scripts/arm64-sysroot.sh") || die "no arm64 sysroot"
  export SLURM_EXPORTER_SYSROOT
  suffix=-$arch
  # The build dependencies are in the sysroot, not installed as :arm64, so dpkg-checkbuilddeps
  # (which the native build runs) cannot see them: -d.
  cross=(-a "$arch" -d)
  # The unit tests run through qemu (the toolchain file's emulator): tell debhelper so.
  export DEB_BUILD_OPTIONS="crossbuildcanrunhostbinaries ${DEB_BUILD_OPTIONS:-}"
  export CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++
fi
version=$(sed -n 's/^project([^)]*VERSION \([0-9][0-9.]*\).*/\1/p' "$root/CMakeLists.txt" | head -n1)
[[ -n $version ]] || die "no 'project(... VERSION x.y.z ...)' in CMakeLists.txt"

mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch="$out/src$suffix"
tree="$scratch/prometheus-slurm-exporter-$version"
rm -rf "$scratch"
mkdir -p "$tree"

# The source tree: the files git knows (committed or not, minus ignored ones such as build
# directories); outside a checkout, everything except build directories.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  revision=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$tree"
else
  revision=unknown
  (cd "$root" && tar --exclude='./build*' --exclude='./.git' -cf - .) | tar -xf - -C "$tree"
fi
cp -a "$root/deb/debian" "$tree/debian"
echo "$revision" >"$tree/debian/revision"

# deb/debian/changelog is committed, as in any Debian source package; its newest version must be
# the one in CMakeLists.txt, so a release bumps both.
changelog_version=$(dpkg-parsechangelog -l "$root/deb/debian/changelog" -S Version)
[[ $changelog_version == "$version" ]] ||
  die "deb/debian/changelog is at $changelog_version but CMakeLists.txt at $version: add a changelog entry"

log="$out/build$suffix.log"
started=$SECONDS
(
  cd "$tree"
  if ((${#cross[@]} == 0)); then
    dpkg-checkbuilddeps || die "missing build dependencies (run scripts/install-deps.sh as root)"
  fi
  DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc --no-sign -rfakeroot "${cross[@]}"
) >"$log" 2>&1 || {
  tail -n 60 "$log" >&2
  die "dpkg-buildpackage failed (full log: $log)"
}
echo "build-deb: $arch package built in $((SECONDS - started)) s" >&2
# A cross build ran the unit tests under qemu: ctest's summary, for the caller's log.
if ((${#cross[@]})); then
  grep -E '^(Total Test time|[0-9]+% tests passed)' "$log" |
    sed "s/^/build-deb: $arch unit tests (qemu): /" >&2 || true
fi

deb="prometheus-slurm-exporter_${version}_${arch}.deb"
[[ -f $scratch/$deb ]] || die "dpkg-buildpackage did not produce $deb"
mv -f "$scratch/$deb" "$out/$deb"
rm -f "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes

if [[ ${LINTIAN:-1} != 0 ]]; then
  # Skipped only when asked (LINTIAN=0), never because lintian is missing.
  command -v lintian >/dev/null || die "lintian is missing (scripts/install-deps.sh installs it; LINTIAN=0 skips it)"
  # lintian refuses to run as root without this; its tags are written next to the package.
  tags="$out/lintian$suffix.txt"
  lintian --allow-root --info --fail-on error,warning "$out/$deb" >"$tags" 2>&1 || {
    cat "$tags" >&2
    die "lintian reports errors or warnings (see $tags)"
  }
  echo "build-deb: lintian: $(grep -c '^[EWIP]:' "$tags" || true) tags, no errors or warnings" >&2
fi
echo "$out/$deb"
