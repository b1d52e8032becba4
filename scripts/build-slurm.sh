#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Configures, builds and installs one Slurm release from its source tarball into a prefix: the
# daemons (slurmctld, slurmd), the commands (sinfo, squeue, scontrol, sdiag, sbatch, …), libslurm and
# the headers, i.e. what scripts/slurm-cluster.sh (SLURM_PREFIX=) and a build of the exporter against
# that release need, and slurmdbd with its MariaDB storage plugin (accounting_storage/mysql) for the
# accounting cluster (SLURM_TEST_ACCOUNTING=1). No slurmrestd, no PMIx.
#
#   scripts/build-slurm.sh VERSION|TARBALL [PREFIX]
#
# VERSION (e.g. 26.05.3) takes $SLURM_SRC_DIR/slurm-VERSION.tar.xz (default SLURM_SRC_DIR:
# /work/shared/slurm-src); a TARBALL path (slurm-VERSION.tar.{xz,bz2,gz}) is used as given.
# PREFIX defaults to /opt/slurm/VERSION. Once installed, PREFIX/.build-slurm-done holds the version
# and a second call with the same version returns at once (delete PREFIX to rebuild); a prefix
# built before the MariaDB plugin was part of the build (no accounting_storage_mysql.so) is rebuilt.
# Nothing is downloaded. Needs Debian's libmunge-dev, libhttp-parser-dev, libjson-c-dev and
# libmariadb-dev (scripts/install-deps.sh installs them): without http-parser slurmctld serves
# no HTTP (no 25.11+ metrics endpoint); with http-parser but without json-c 25.11+ slurmctld dies at
# start (serializer_required: could not find plugin for application/json).
# Time on this 2-core machine (niced, shared): about 3-6 minutes per release (see README,
# "Slurm releases"). The build runs `make -j$SLURM_BUILD_JOBS` (default 2).
set -euo pipefail

readonly PROG=build-slurm.sh
die() {
  echo "$PROG: error: $*" >&2
  exit 1
}
note() { echo "$PROG: $*" >&2; }

[[ $# -ge 1 && $# -le 2 ]] || {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

src_dir=${SLURM_SRC_DIR:-/work/shared/slurm-src}
arg=$1
if [[ -f $arg ]]; then
  tarball=$(readlink -f "$arg")
  base=$(basename "$tarball")
  version=${base#slurm-}
  version=${version%.tar.*}
else
  version=$arg
  tarball=$src_dir/slurm-$version.tar.xz
  [[ -f $tarball ]] || die "no tarball $tarball (give a TARBALL path or set SLURM_SRC_DIR)"
fi
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "cannot read a Slurm version from '$arg'"
prefix=${2:-/opt/slurm/$version}
marker=$prefix/.build-slurm-done

mysql_plugin=$prefix/lib/slurm/accounting_storage_mysql.so
if [[ -f $marker && $(<"$marker") == "$version" ]]; then
  if [[ -f $mysql_plugin ]]; then
    note "Slurm $version is already installed in $prefix"
    exit 0
  fi
  note "Slurm $version in $prefix has no $(basename "$mysql_plugin") (built before the accounting" \
    "cluster needed it): rebuilding"
fi
for h in munge.h http_parser.h json-c/json.h mariadb/mysql.h; do
  [[ -f /usr/include/$h ]] || die "/usr/include/$h is missing (apt-get install libmunge-dev" \
    "libhttp-parser-dev libjson-c-dev libmariadb-dev)"
done

work=$(mktemp -d "${TMPDIR:-/var/tmp}/build-slurm-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS
note "unpacking $tarball"
tar -xf "$tarball" -C "$work"
srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
[[ -x $srcdir/configure ]] || die "$tarball has no configure script"

cd "$srcdir"
note "configuring Slurm $version for $prefix"
t=$SECONDS
# --enable-multiple-slurmd: several slurmd on one host (the test cluster). --sysconfdir inside the
# prefix so the release never reads /etc/slurm (the cluster script passes -f / SLURM_CONF anyway).
# --with-mysql_config: configure fails instead of silently leaving out the MariaDB plugin.
./configure --prefix="$prefix" --sysconfdir="$prefix/etc" \
  --enable-multiple-slurmd --with-munge=/usr --with-mysql_config=/usr/bin \
  --with-libhttp-parser=/usr --with-json=/usr --with-yaml=/usr \
  --disable-slurmrestd --without-pmix --without-hdf5 --without-rrdtool --without-ucx \
  --without-nvml --without-rsmi --without-lua --disable-debug \
  >"$work/configure.log" 2>&1 || {
  tail -n 30 "$work/configure.log" >&2
  die "configure failed (log above)"
}
configure_s=$((SECONDS - t))
t=$SECONDS
note "building (make -j${SLURM_BUILD_JOBS:-2})"
make -j"${SLURM_BUILD_JOBS:-2}" >"$work/make.log" 2>&1 || {
  tail -n 40 "$work/make.log" >&2
  die "make failed (log above)"
}
make_s=$((SECONDS - t))
t=$SECONDS
rm -rf "$prefix"
make install >"$work/install.log" 2>&1 || {
  tail -n 30 "$work/install.log" >&2
  die "make install failed (log above)"
}
install_s=$((SECONDS - t))
[[ -f $mysql_plugin ]] || die "the build installed no $mysql_plugin (configure.log: $(grep -i \
  'mysql' "$work/configure.log" | tail -n 3 | tr '\n' ' '))"
echo "$version" >"$marker"
note "Slurm $version installed in $prefix in $((SECONDS - start)) s" \
  "(configure ${configure_s} s, make ${make_s} s, install ${install_s} s)"
