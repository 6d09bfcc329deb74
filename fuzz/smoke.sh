#!/bin/sh
# Runs every fuzz target for SECONDS (default 60) on its committed corpus, without adding to
# it; fails on the first crash (cargo fuzz exits non-zero). Run from the repository root.
# WARD_FUZZ_TOOLCHAIN picks the toolchain (default nightly: libFuzzer's instrumentation and
# the address sanitizer are unstable flags of rustc).
set -eu
seconds=${1:-60}
toolchain=${WARD_FUZZ_TOOLCHAIN:-nightly}
# Build every target at once first: they share their dependencies' build.
cargo "+$toolchain" fuzz build --fuzz-dir fuzz
for target in parse_format check syslog mud bundle nft_eval api; do
  echo "== fuzz $target for ${seconds}s"
  mkdir -p "fuzz/corpus/$target"
  # A scratch corpus first: new inputs are not written back to the committed one.
  scratch=$(mktemp -d)
  log=$(mktemp)
  if ! cargo "+$toolchain" fuzz run --fuzz-dir fuzz "$target" "$scratch" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log"
    echo "fuzz target $target failed: its input is in fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|cov:' "$log" | tail -n 5
  rm -rf "$scratch" "$log"
done
