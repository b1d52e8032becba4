#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: unit tests and the integration tests, which
# start a real Slurm cluster (munge, slurmctld, 5 slurmd on loopback) in a temp dir.
# Usage: scripts/test.sh [extra ctest args]     (BUILD_DIR defaults to build-test)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-test}

"$root/scripts/install-deps.sh"

# Formatting is part of the contract (Google style, .clang-format).
if command -v clang-format >/dev/null; then
  mapfile -t sources < <(cd "$root" && git ls-files '*.cpp' '*.hpp' 2>/dev/null || true)
  if ((${#sources[@]})); then
    (cd "$root" && clang-format --dry-run --Werror "${sources[@]}")
  fi
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

# SLURM_EXPORTER_FUZZ=1: also a short libFuzzer run (a second, clang+ASan build; ~3 min more).
if [[ ${SLURM_EXPORTER_FUZZ:-0} == 1 ]]; then
  fuzz_build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
  cmake -S "$root" -B "$fuzz_build" -DCMAKE_CXX_COMPILER=clang++ -DSLURM_EXPORTER_FUZZ=ON \
    -DSLURM_EXPORTER_TESTS=OFF >/dev/null
  cmake --build "$fuzz_build" -j"$(nproc)"
  ctest --test-dir "$fuzz_build" -L fuzz --output-on-failure
fi

cd "$build"
exec ctest --output-on-failure "$@"
