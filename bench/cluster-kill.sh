#!/bin/sh
# Several nodes on one PostgreSQL, longer than the suite's e2e_cluster:
# tests/e2e/cluster_test.py with more SIGKILLs (default 10; the suite kills
# twice) before the SIGSTOP/SIGCONT of a node past its lease. Three `reportd
# serve` nodes, a real PostgreSQL 15 started by the test, two simulated
# orgs and the aiosmtpd sink; schedules fire every 3 s. It prints a CLUSTER
# line (JSON: occurrences, lost, duplicates with their RFC 1047 copies,
# take-over finish times, late writes after the wake, runs by node) and
# writes it to $REPORTD_CLUSTER_REPORT (default build/dev/cluster-kill.json).
#
#   bench/cluster-kill.sh [KILLS] [SEED]     (default 10, 20261205)
#
# Uses build/dev (build it first: cmake --build --preset dev --target reportd
# reportd-sfsim); runs niced.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
export REPORTD_SOURCE_DIR="$here"
export REPORTD_BUILD_DIR="${REPORTD_BUILD_DIR:-$here/build/dev}"
export REPORTD_CLUSTER_KILLS="${1:-10}"
export REPORTD_KILL_SEED="${2:-20261205}"
export REPORTD_CLUSTER_REPORT="${REPORTD_CLUSTER_REPORT:-$REPORTD_BUILD_DIR/cluster-kill.json}"
export PYTHONDONTWRITEBYTECODE=1
for bin in reportd reportd-sfsim; do
  [ -x "$REPORTD_BUILD_DIR/$bin" ] || { echo "cluster-kill: $REPORTD_BUILD_DIR/$bin is missing; build it first" >&2; exit 2; }
done
exec nice -n 10 /usr/bin/python3 "$here/tests/e2e/cluster_test.py"
