#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes (or reuses) the arm64 sysroot the cross build links against and qemu runs from: Debian's
# own arm64 packages of the build dependencies, unpacked with `apt-get download` + `dpkg-deb -x`.
# libslurm-dev, libslurm38 and libyaml-cpp-dev are not Multi-Arch: same, so they cannot be
# installed as :arm64 beside the amd64 ones the native build and the test cluster need.
#
# Usage: scripts/arm64-sysroot.sh        prints the sysroot's path on stdout
# Needs: the arm64 architecture in dpkg and its package lists (scripts/install-deps.sh adds them,
#        as root); any user can then run this script.
# Environment: ARM64_SYSROOT (default /var/cache/prometheus-slurm-exporter/arm64-sysroot, or
#              build-arm64-sysroot/ in the checkout when that is not writable);
#              ARM64_SYSROOT_OFFLINE=1 fails instead of downloading (scripts/build-deb.sh sets it:
#              builds download nothing; scripts/install-deps.sh fills the cache at setup time).
#
# Layout:  $ARM64_SYSROOT/debs/    the downloaded .debs (the cache: a rerun downloads nothing)
#          $ARM64_SYSROOT/root/    every package unpacked: headers, libraries, CMake configs;
#                                  the compiler's search paths and qemu's -L
#          $ARM64_SYSROOT/pkgs/P/  each runtime library package P unpacked with its DEBIAN/
#                                  control files (dpkg-deb -R), so dpkg-shlibdeps -l finds its
#                                  symbols/shlibs file and writes arm64 Depends
# The versions are the candidates of apt's arm64 lists; the unpacked tree is rebuilt only when
# that set of .debs changes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

die() {
  echo "arm64-sysroot: $*" >&2
  exit 1
}

# Headers and link-time libraries (the Build-Depends, for arm64).
build_packages=(
  libslurm-dev libfmt-dev libyaml-cpp-dev libssl-dev libboost1.74-dev libcrypt-dev zlib1g-dev
  catch2
)
# Architecture: all headers (apt has no :arm64 candidate for them): fetched as they are.
indep_packages=(nlohmann-json3-dev)
# The shared libraries the exporter links (dpkg-shlibdeps reads their symbols files) and what
# they need at run time under qemu.
runtime_packages=(
  libslurm38 libfmt9 libyaml-cpp0.7 libssl3 libcrypt1 zlib1g libc6 libstdc++6 libgcc-s1
)
# Only for running under qemu against a cluster: libslurm dlopens its plugins (auth/munge,
# select/cons_tres, ...) from /usr/lib/aarch64-linux-gnu/slurm-wlm, and auth_munge needs libmunge.
plugin_packages=(slurm-wlm-basic-plugins libmunge2)

default_sysroot=/var/cache/prometheus-slurm-exporter/arm64-sysroot
if [[ -z ${ARM64_SYSROOT:-} ]]; then
  if mkdir -p "$default_sysroot" 2>/dev/null && [[ -w $default_sysroot ]]; then
    ARM64_SYSROOT=$default_sysroot
  else
    ARM64_SYSROOT=$root/build-arm64-sysroot
  fi
fi
mkdir -p "$ARM64_SYSROOT/debs"
sysroot=$(cd "$ARM64_SYSROOT" && pwd)

dpkg --print-foreign-architectures | grep -qx arm64 ||
  die "dpkg does not know the arm64 architecture: run scripts/install-deps.sh as root"

# The .debs apt would fetch now (name, version and checksum come from its arm64 lists).
arch_packages=("${build_packages[@]}" "${runtime_packages[@]}" "${plugin_packages[@]}")
all=("${arch_packages[@]}" "${indep_packages[@]}")
wanted=("${arch_packages[@]/%/:arm64}" "${indep_packages[@]}")
uris=$(apt-get download --print-uris "${wanted[@]}" 2>&1) ||
  die "apt has no arm64 lists for: ${all[*]} (run scripts/install-deps.sh as root): $uris"
mapfile -t files < <(awk '/^'\''/ { print $2 }' <<<"$uris" | sort)
((${#files[@]} == ${#all[@]})) ||
  die "apt-get download --print-uris gave ${#files[@]} files for ${#all[@]} packages"

missing=()
for f in "${files[@]}"; do [[ -s $sysroot/debs/$f ]] || missing+=("$f"); done
if ((${#missing[@]})) && [[ ${ARM64_SYSROOT_OFFLINE:-0} == 1 ]]; then
  die "${#missing[@]} arm64 packages are not in $sysroot/debs yet (${missing[*]}):" \
    "run scripts/arm64-sysroot.sh (scripts/install-deps.sh does, as root) before building"
fi
if ((${#missing[@]})); then
  echo "arm64-sysroot: downloading ${#missing[@]} arm64 packages" >&2
  # apt-get download names its files like --print-uris does (as root it warns that it cannot
  # hand the download to its sandbox user _apt: harmless).
  (cd "$sysroot/debs" && apt-get download -qq "${wanted[@]}" >&2) ||
    die "apt-get download failed"
  for f in "${files[@]}"; do [[ -s $sysroot/debs/$f ]] || die "apt-get download did not write $f"; done
fi

stamp=$(printf '%s\n' "${files[@]}")
if [[ -f $sysroot/root/.packages && $(<"$sysroot/root/.packages") == "$stamp" ]]; then
  echo "$sysroot"
  exit 0
fi

echo "arm64-sysroot: unpacking ${#files[@]} packages into $sysroot" >&2
rm -rf "$sysroot/root" "$sysroot/pkgs"
mkdir -p "$sysroot/root" "$sysroot/pkgs"
for f in "${files[@]}"; do
  dpkg-deb -x "$sysroot/debs/$f" "$sysroot/root"
done
for p in "${runtime_packages[@]}"; do
  deb=
  for f in "${files[@]}"; do [[ $f == "${p}_"* ]] && deb=$f; done
  [[ -n $deb ]] || die "no .deb for $p"
  dpkg-deb -R "$sysroot/debs/$deb" "$sysroot/pkgs/$p"
done
# Debian 12 is merged-/usr: /lib is a link to usr/lib there, and the arm64 binaries' interpreter
# is /lib/ld-linux-aarch64.so.1. The packages still ship some files under /lib, so merge them.
for d in lib; do
  if [[ -d $sysroot/root/$d && ! -L $sysroot/root/$d ]]; then
    cp -a "$sysroot/root/$d/." "$sysroot/root/usr/$d/"
    rm -rf "${sysroot:?}/root/$d"
    ln -s "usr/$d" "$sysroot/root/$d"
  fi
done
# Absolute links (libz.so -> /lib/aarch64-linux-gnu/libz.so.1...) would point into the host:
# make them relative, inside the sysroot. slurm-wlm-basic-plugins' /etc/slurm would shadow the
# host's under qemu -L.
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$sysroot/root$target")" "$link"
done < <(find "$sysroot/root" -type l -lname '/*' -print0)
rm -rf "$sysroot/root/etc/slurm"

# Every library the build links, and the plugin libslurm loads first, must find what it needs
# inside the sysroot (the cross toolchain's libc is the same glibc).
libdir=$sysroot/root/usr/lib/aarch64-linux-gnu
for f in libslurm.so.38 libfmt.so.9 libyaml-cpp.so.0.7 libssl.so.3 libcrypto.so.3 libcrypt.so.1 \
  libz.so.1 libstdc++.so.6 libgcc_s.so.1 slurm-wlm/auth_munge.so slurm-wlm/select_cons_tres.so; do
  [[ -e $libdir/$f ]] || die "the sysroot has no $libdir/$f"
  while read -r needed; do
    [[ -e $libdir/$needed ]] || die "$f needs $needed, which is not in the sysroot"
  done < <(aarch64-linux-gnu-readelf -d "$libdir/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done

echo "$stamp" >"$sysroot/root/.packages"
echo "$sysroot"
