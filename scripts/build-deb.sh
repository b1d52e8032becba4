#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Debian package prometheus-slurm-exporter_<version>_<arch>.deb with Debian's own
# tooling (dpkg-buildpackage + debhelper + the CMake build) and checks it with lintian.
#
# Usage: scripts/build-deb.sh            (as any user with the build dependencies installed;
#                                          scripts/install-deps.sh installs them)
# Environment: OUT_DIR (default build-deb/ in the checkout) receives the .deb and lintian.txt;
#              JOBS (default: nproc) parallel compile jobs; LINTIAN=0 skips lintian.
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
version=$(sed -n 's/^project([^)]*VERSION \([0-9][0-9.]*\).*/\1/p' "$root/CMakeLists.txt" | head -n1)
[[ -n $version ]] || die "no 'project(... VERSION x.y.z ...)' in CMakeLists.txt"

mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch="$out/src"
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

(
  cd "$tree"
  dpkg-checkbuilddeps || die "missing build dependencies (run scripts/install-deps.sh as root)"
  DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc --no-sign -rfakeroot
) >"$out/build.log" 2>&1 || {
  tail -n 60 "$out/build.log" >&2
  die "dpkg-buildpackage failed (full log: $out/build.log)"
}

arch=$(dpkg --print-architecture)
deb="prometheus-slurm-exporter_${version}_${arch}.deb"
[[ -f $scratch/$deb ]] || die "dpkg-buildpackage did not produce $deb"
mv -f "$scratch/$deb" "$out/$deb"
rm -f "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes

if [[ ${LINTIAN:-1} != 0 ]] && command -v lintian >/dev/null; then
  # lintian refuses to run as root without this; its tags are written next to the package.
  lintian --allow-root --info --fail-on error "$out/$deb" >"$out/lintian.txt" 2>&1 || {
    cat "$out/lintian.txt" >&2
    die "lintian reports errors (see $out/lintian.txt)"
  }
  echo "build-deb: lintian: $(grep -c '^[EWIP]:' "$out/lintian.txt" || true) tags, no errors" >&2
fi
echo "$out/$deb"
