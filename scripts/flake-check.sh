#!/usr/bin/env bash
# Runs the whole test suite N times while stress-ng keeps the CPUs busy, and
# prints how often each test passed: a test that is not N of N is flaky.
#
# Usage: scripts/flake-check.sh N [PRESET]     (PRESET: dev, the default, or tsan/release)
#   FLAKE_LOAD="--cpu 2"   what stress-ng runs beside the suite
#   FLAKE_CTEST_ARGS="-R e2e_"   extra ctest arguments (a subset, more jobs, ...)
# Builds the preset once first. Exits 0 only when every test passed every time.
# Results: build/PRESET/flake-check/run-K.xml (JUnit) and run-K.log.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-}"
preset="${2:-dev}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/flake-check.sh N [PRESET]   (N: how many times to run the suite)" >&2
  exit 2
fi
load="${FLAKE_LOAD:---cpu 2}"
read -r -a ctest_args <<<"${FLAKE_CTEST_ARGS:-}"

./scripts/install-deps.sh
if ! command -v stress-ng >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends stress-ng >/dev/null
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"

out="$PWD/build/$preset/flake-check"
rm -rf "$out"
mkdir -p "$out"

# The load runs for the whole check and stops with this script, however it ends.
read -r -a load_args <<<"$load"
stress-ng "${load_args[@]}" --quiet &
load_pid=$!
trap 'kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true' EXIT

echo "flake-check: $runs run(s) of the $preset suite beside stress-ng $load"
for ((k = 1; k <= runs; k++)); do
  start=$(date +%s)
  status=passed
  ctest --preset "$preset" --output-junit "$out/run-$k.xml" "${ctest_args[@]}" >"$out/run-$k.log" 2>&1 ||
    status=failed
  echo "run $k of $runs: $status in $(($(date +%s) - start)) s ($(grep -E 'tests passed' "$out/run-$k.log" || echo 'no summary'))"
done

/usr/bin/python3 - "$out" "$runs" <<'EOF'
import glob
import os
import sys
import xml.etree.ElementTree as ET

out, runs = sys.argv[1], int(sys.argv[2])
passed, seen = {}, {}
for path in sorted(glob.glob(os.path.join(out, "run-*.xml"))):
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name")
        seen[name] = seen.get(name, 0) + 1
        ok = case.get("status") == "run" and case.find("failure") is None and case.find("error") is None
        passed[name] = passed.get(name, 0) + ok
width = max([len(n) for n in seen] + [4])
flaky = sorted(n for n in seen if passed[n] < runs)
print(f"\n{'test'.ljust(width)}  passed")
for name in sorted(seen, key=lambda n: (passed[n] == runs, n)):
    print(f"{name.ljust(width)}  {passed[name]}/{runs}")
if flaky:
    print(f"\n{len(flaky)} of {len(seen)} test(s) did not pass every time: {', '.join(flaky)}")
    print(f"their output: {out}/run-K.log")
    sys.exit(1)
print(f"\nall {len(seen)} tests passed {runs} of {runs} times")
EOF
