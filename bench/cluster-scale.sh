#!/bin/sh
# Several nodes on one PostgreSQL at the size of issue #15: three `reportd
# serve` nodes, a real PostgreSQL 15 started by the test, the aiosmtpd sink,
# and SCHEDULES schedules over ORGS simulated orgs firing every minute for
# MINUTES minutes (tests/e2e/cluster_scale_test.py; the suite's e2e_cluster_scale
# runs 40/4/2). It checks that every occurrence ran and was sent once and
# that every node took work, and prints a SCALE line (JSON: occurrences,
# runs by node, mails, RFC 1047 copies, finish time after the nominal
# minute p50/max) and writes it to $REPORTD_CLUSTER_REPORT (default
# build/dev/cluster-scale.json).
#
#   bench/cluster-scale.sh [SCHEDULES/ORGS/MINUTES]     (default 200/20/5)
#
# Uses build/dev (build it first: cmake --build --preset dev --target reportd
# reportd-sfsim); runs niced. Note the machine's load beside the figures.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
export REPORTD_SOURCE_DIR="$here"
export REPORTD_BUILD_DIR="${REPORTD_BUILD_DIR:-$here/build/dev}"
export REPORTD_SCALE="${1:-200/20/5}"
export REPORTD_CLUSTER_REPORT="${REPORTD_CLUSTER_REPORT:-$REPORTD_BUILD_DIR/cluster-scale.json}"
export PYTHONDONTWRITEBYTECODE=1
for bin in reportd reportd-sfsim; do
  [ -x "$REPORTD_BUILD_DIR/$bin" ] || { echo "cluster-scale: $REPORTD_BUILD_DIR/$bin is missing; build it first" >&2; exit 2; }
done
uptime >&2
status=0
nice -n 10 /usr/bin/python3 "$here/tests/e2e/cluster_scale_test.py" || status=$?
uptime >&2
exit $status
