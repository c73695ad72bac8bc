#!/usr/bin/env bash
# Soak (issue 18): bench/faults/soak.py under ASan+UBSan (build/dev), then
# under TSan (build/tsan), each for MINUTES (default 30). Builds what it
# needs. Exit 0 when both runs pass (0 sanitizer reports, RSS growth under
# 5% from minute 10 to the end, fd count flat, integrity_check ok). Under
# TSan the RSS bar applies to the daemon's own part (the gross minus TSan's
# shadow, meta shadow and traces); under ASan to the gross minus the growth
# of ASan's StackDepot (the stacks its fast unwinder records, new ones every
# run), read from the live daemon with gdb every minute
# (bench/faults/asan_stats.py; without gdb the gross is judged). Both
# figures are printed. Each minute's RSS by address region (and ASan's
# stats) goes to build/PRESET/soak-regions.jsonl.
#   bench/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-30}"
status=0
for preset in dev tsan; do
  cmake --preset "$preset" >/dev/null
  nice cmake --build --preset "$preset" --target reportd reportd-sfsim io_fault_shim
  echo "== soak under $preset for $minutes min"
  /usr/bin/python3 bench/faults/soak.py --build "build/$preset" --minutes "$minutes" \
    --regions-out "build/$preset/soak-regions.jsonl" || status=1
done
exit $status
