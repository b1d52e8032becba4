#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer targets (clang, ASan+UBSan) and fuzzes each for a while, starting from the
# checked-in corpora in test/fuzz/corpus/<target>/. New interesting inputs land in
# $BUILD_DIR/corpus-<target>/ (copy the small ones into test/fuzz/corpus to keep them); a crash
# leaves crash-* / leak-* / timeout-* files in the current directory and a non-zero exit.
# Usage: scripts/fuzz.sh [seconds per target, default 600] [target ...]
#        (targets: router_fuzz cli_parse_fuzz controller_parse_fuzz accounting_parse_fuzz
#        web_config_fuzz trace_fuzz; BUILD_DIR defaults to build-fuzz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
seconds=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(router_fuzz cli_parse_fuzz controller_parse_fuzz accounting_parse_fuzz
  web_config_fuzz trace_fuzz)

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DSLURM_EXPORTER_FUZZ=ON \
  -DSLURM_EXPORTER_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus-$t"
  echo "fuzz.sh: $t for ${seconds}s" >&2
  "$build/test/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    "$build/corpus-$t" "$root/test/fuzz/corpus/$t"
done
