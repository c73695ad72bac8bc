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
#   bench/cluster-kill.sh [--settle] [KILLS] [SEED]     (default 10, 20261205)
#
# Without --settle the kills follow each other within seconds, so a run
# taken over is often killed again (or piles up with others on the node
# that takes them over, past its caps); with --settle each kill waits until
# the previous one's runs are finished, so every run is measured from the
# one kill that interrupted it. The report lists each taken-over run's
# timeline (lease expiry, take-over, start, finish after its last kill) and,
# for the runs past lease + one run, where the time went.
#
# Uses build/dev (build it first: cmake --build --preset dev --target reportd
# reportd-sfsim); runs niced.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
export REPORTD_SOURCE_DIR="$here"
export REPORTD_BUILD_DIR="${REPORTD_BUILD_DIR:-$here/build/dev}"
if [ "${1:-}" = --settle ]; then
  export REPORTD_KILL_SETTLE=1
  shift
fi
export REPORTD_CLUSTER_KILLS="${1:-10}"
export REPORTD_KILL_SEED="${2:-20261205}"
export REPORTD_CLUSTER_REPORT="${REPORTD_CLUSTER_REPORT:-$REPORTD_BUILD_DIR/cluster-kill.json}"
export PYTHONDONTWRITEBYTECODE=1
for bin in reportd reportd-sfsim; do
  [ -x "$REPORTD_BUILD_DIR/$bin" ] || { echo "cluster-kill: $REPORTD_BUILD_DIR/$bin is missing; build it first" >&2; exit 2; }
done
exec nice -n 10 /usr/bin/python3 "$here/tests/e2e/cluster_test.py"
