#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sets up everything and runs the whole test suite: unit tests and the integration tests, which
# start a real Slurm cluster (munge, slurmctld, 5 slurmd on loopback) in a temp dir.
# Usage: scripts/test.sh [extra ctest args]     (BUILD_DIR defaults to build-test)
# The test build is an AddressSanitizer + UndefinedBehaviorSanitizer build (LeakSanitizer checks
# every exporter and unit-test process at exit): one build, one suite run, every test under the
# sanitizers. SLURM_EXPORTER_SANITIZE=0 gives a plain build instead. SLURM_EXPORTER_FUZZ=0 skips
# the short libFuzzer run (a second, clang build). SLURM_EXPORTER_ARM64=0 skips the arm64 package
# (cross-built, its unit tests under qemu, then test_arm64's qemu differential run).
# Other Slurm releases: the libslurm backend is compiled against the headers of every release in
# SLURM_SRC_DIR (scripts/check-slurm-headers.sh, seconds), and unless SLURM_EXPORTER_NEW_SLURM=0
# the integration subset of scripts/test-slurm-release.sh runs against a live Slurm
# $SLURM_EXPORTER_NEW_SLURM_VERSION (default 26.05.3) after the suite: built once per machine by
# scripts/build-slurm.sh in the background while the suite runs, reused while /opt/slurm/<v> exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-test}

"$root/scripts/install-deps.sh"

# Formatting is part of the contract (Google style, .clang-format).
# install-deps.sh installs clang-format: a missing one fails, it never skips the check.
command -v clang-format >/dev/null || { echo "test.sh: clang-format is missing" >&2; exit 1; }
mapfile -t sources < <(cd "$root" && git ls-files '*.cpp' '*.hpp' 2>/dev/null || true)
if ((${#sources[@]})); then
  (cd "$root" && clang-format --dry-run --Werror "${sources[@]}")
fi

# The libslurm backend against every release's headers (22.05 … 26.05): a removed API or a moved
# field fails here in seconds, before any build.
"$root/scripts/check-slurm-headers.sh" "$build-slurm-headers"

sanitize=OFF
[[ ${SLURM_EXPORTER_SANITIZE:-1} == 1 ]] && sanitize=ON
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_WERROR=ON \
  -DSLURM_EXPORTER_SANITIZE=$sanitize >/dev/null
cmake --build "$build" -j"$(nproc)"

# More builds run in the background, niced, while the suite runs (the integration tests
# mostly wait on Slurm, so the CPU is free): the short libFuzzer run (a second, clang+ASan build)
# unless SLURM_EXPORTER_FUZZ=0, the Debian package that test_deb_package installs, and the arm64
# package (whose build runs its unit tests under qemu) that test_arm64 runs under qemu, unless
# SLURM_EXPORTER_ARM64=0. With extra ctest arguments everything runs in sequence instead, as
# before (without the arm64 package).
fuzz() {
  local fuzz_build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
  cmake -S "$root" -B "$fuzz_build" -DCMAKE_CXX_COMPILER=clang++ -DSLURM_EXPORTER_FUZZ=ON \
    -DSLURM_EXPORTER_TESTS=OFF >/dev/null
  cmake --build "$fuzz_build" -j"$(nproc)" --target router_fuzz cli_parse_fuzz controller_parse_fuzz \
    accounting_parse_fuzz web_config_fuzz trace_fuzz
  ctest --test-dir "$fuzz_build" -L fuzz --output-on-failure
}

if (($#)); then
  [[ ${SLURM_EXPORTER_FUZZ:-1} == 1 ]] && fuzz
  cd "$build"
  exec ctest --output-on-failure "$@"
fi

deb_out="$build/deb"
rm -rf "$deb_out" "$build/deb-amd64.path" "$build/deb-arm64.path"
arm64=${SLURM_EXPORTER_ARM64:-1}
new_slurm=${SLURM_EXPORTER_NEW_SLURM:-1}
[[ $new_slurm == 1 ]] && new_slurm=${SLURM_EXPORTER_NEW_SLURM_VERSION:-26.05.3}
if [[ $new_slurm != 0 && ! -f ${SLURM_SRC_DIR:-/work/shared/slurm-src}/slurm-$new_slurm.tar.xz &&
  ! -f /opt/slurm/$new_slurm/.build-slurm-done ]]; then
  echo "test.sh: no Slurm $new_slurm source or build: its live subset is skipped" >&2
  new_slurm=0
fi
background_log="$build/background.log"
# The background builds run in a process group of their own (job control on for this one job):
# on exit or interruption the cleanup ends the whole group (cmake, the compilers, qemu,
# dpkg-buildpackage), not only the subshell, so nothing is left building after Ctrl-C.
set -m
(
  set -e
  renice -n 10 -p "$BASHPID" >/dev/null 2>&1 || true  # the suite's processes come first
  if [[ ${SLURM_EXPORTER_FUZZ:-1} == 1 ]]; then fuzz; fi
  OUT_DIR="$deb_out" bash "$root/scripts/build-deb.sh" | tee "$build/deb-amd64.path"
  if [[ $arm64 == 1 ]]; then
    OUT_DIR="$deb_out" bash "$root/scripts/build-deb.sh" --arch arm64 | tee "$build/deb-arm64.path"
  fi
  if [[ $new_slurm != 0 ]]; then
    # Slurm itself, then the exporter against it (test-slurm-release.sh finds both built).
    "$root/scripts/build-slurm.sh" "$new_slurm"
    BUILD_DIR="$build-slurm-$new_slurm" "$root/scripts/test-slurm-release.sh" --build-only \
      "$new_slurm"
  fi
) >"$background_log" 2>&1 &
background=$!
set +m
cleanup() {
  kill -TERM -- "-$background" 2>/dev/null || true
  wait "$background" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

cd "$build"
status=0
# -j: the unit tests (a process each, ~0.3 s of sanitizer start-up and exit) run side by side;
# the integration tests are RUN_SERIAL, so no other test runs beside one.
ctest --output-on-failure -j"$(nproc)" -E '^integration: test_(deb_package|arm64)$' || status=$?

echo "== background: fuzz run and Debian package builds (log: $background_log)"
if wait "$background"; then
  grep -E '^(Total Test time|[0-9]+% tests passed)|tests passed|build-deb:' "$background_log" || true
  DEB_PACKAGE="$(<"$build/deb-amd64.path")" \
    ctest --output-on-failure -R '^integration: test_deb_package$' || status=$?
  if [[ $arm64 == 1 ]]; then
    ARM64_DEB="$(<"$build/deb-arm64.path")" \
      ctest --output-on-failure -R '^integration: test_arm64$' || status=$?
  fi
  if [[ $new_slurm != 0 ]]; then
    echo "== the integration subset against a live Slurm $new_slurm"
    # The suite's 22.05 exporter is the old libslurm whose "version mismatch" line is checked.
    BUILD_DIR="$build-slurm-$new_slurm" EXPORTER_BIN_OLD="$build/prometheus-slurm-exporter" \
      "$root/scripts/test-slurm-release.sh" "$new_slurm" || status=$?
  fi
else
  tail -n 80 "$background_log"
  echo "test.sh: the fuzz run or the package build failed" >&2
  status=1
fi
trap - EXIT INT TERM HUP
if ((status)); then
  echo "test.sh: FAILED (see above)" >&2
else
  echo "test.sh: every test passed (unit, integration, fuzz, packages)"
fi
exit "$status"
