#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: unit tests and the integration tests, which
# start a real Slurm cluster (munge, slurmctld, 5 slurmd on loopback) in a temp dir.
# Usage: scripts/test.sh [extra ctest args]     (BUILD_DIR defaults to build-test)
# The test build is an AddressSanitizer + UndefinedBehaviorSanitizer build (LeakSanitizer checks
# every exporter and unit-test process at exit): one build, one suite run, every test under the
# sanitizers. SLURM_EXPORTER_SANITIZE=0 gives a plain build instead. SLURM_EXPORTER_FUZZ=0 skips
# the short libFuzzer run (a second, clang build).
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

sanitize=OFF
[[ ${SLURM_EXPORTER_SANITIZE:-1} == 1 ]] && sanitize=ON
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_WERROR=ON \
  -DSLURM_EXPORTER_SANITIZE=$sanitize >/dev/null
cmake --build "$build" -j"$(nproc)"

# The short libFuzzer run (a second, clang+ASan build) unless SLURM_EXPORTER_FUZZ=0.
if [[ ${SLURM_EXPORTER_FUZZ:-1} == 1 ]]; then
  fuzz_build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
  cmake -S "$root" -B "$fuzz_build" -DCMAKE_CXX_COMPILER=clang++ -DSLURM_EXPORTER_FUZZ=ON \
    -DSLURM_EXPORTER_TESTS=OFF >/dev/null
  cmake --build "$fuzz_build" -j"$(nproc)" --target router_fuzz cli_parse_fuzz web_config_fuzz
  ctest --test-dir "$fuzz_build" -L fuzz --output-on-failure
fi

cd "$build"
exec ctest --output-on-failure "$@"
