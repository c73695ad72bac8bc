#!/usr/bin/env bash
# Builds reportd with the ASan+UBSan preset and runs the whole test suite.
# Usage: scripts/test.sh [PRESET]   (dev by default; tsan and release work too)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"

./scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
