"""The database restarted under load (DESIGN.md §4.10, issue #15): two
`reportd serve` nodes on one real PostgreSQL 15, two simulated orgs, the
aiosmtpd sink, schedules firing every 3 s. PostgreSQL is stopped for about
10 s (longer than the 8 s lease), then started again on the same port.

While it is down, /healthz says unhealthy and why, and the log has the
outage at error priority; a node keeps no work it cannot commit (a run whose
write fails stops with no final row, and is resumed through the delivery
ledger once the database is back). After it, /healthz is healthy again by
itself; no occurrence is lost, every run ends, no recipient gets a third
copy (RFC 1047's window may make a second: a mail the relay took just before
the database went away, whose `sent` could not be recorded)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from cluster_test import FINAL, ClusterCase  # noqa: E402
from fault_case import healthz  # noqa: E402
from pg_server import BIN  # noqa: E402
from reportd_env import wait_until  # noqa: E402

OUTAGE_S = 10


class ClusterOutageTest(ClusterCase):
    def healthz(self):
        return healthz(self.http_port)

    def test_database_restart_is_ridden_out(self):
        began = time.time()
        self.boot(node_count=2)
        wait_until(lambda: len(self.sql("SELECT 1 FROM runs WHERE state = 'succeeded'")) >= 4,
                   timeout=90, what="a few runs done")
        self.wait_holding(self.nodes[0])
        self.assertEqual(self.healthz()[0], 200)

        # Stop PostgreSQL (its sessions are cut), keep it down, start it again.
        self.pg._pg(f"{BIN}/pg_ctl", "-D", self.pg.data, "-m", "fast", "-w", "stop")
        down_at = time.time()
        unhealthy = wait_until(lambda: (lambda h: h if h[0] != 200 else None)(self.healthz()),
                               timeout=OUTAGE_S, what="/healthz to report the outage", interval=0.2)
        seen_unhealthy_after = round(time.time() - down_at, 1)
        time.sleep(max(0.0, OUTAGE_S - (time.time() - down_at)))
        self.assertNotEqual(self.healthz()[0], 200)  # still down: still unhealthy
        self.pg._start_on(self.pg.port)
        up_at = time.time()
        wait_until(lambda: self.healthz()[0] == 200, timeout=60, what="/healthz healthy again",
                   interval=0.2)
        healthy_after = round(time.time() - up_at, 1)
        # Occurrences go on after the outage.
        resumed = wait_until(lambda: int(self.sql(
            "SELECT count(*) FROM runs WHERE state = 'succeeded' AND finished_at_ms > %d"
            % int(up_at * 1000))[0][0]), timeout=60, what="runs after the outage")
        time.sleep(3)

        runs, lost, ids, _ = self.finish_and_tally()
        duplicates = sum(v - 1 for v in ids.values())
        states = {}
        for r in runs:
            states[r[2]] = states.get(r[2], 0) + 1
        failed = self.sql("SELECT id, reason FROM runs WHERE state = 'failed'")
        logs = b""
        for d in self.nodes:
            with open(d.log_path, "rb") as f:
                logs += f.read()
        figures = {"seconds": round(time.time() - began), "outage_s": round(up_at - down_at, 1),
                   "unhealthy_after_s": seen_unhealthy_after, "healthy_after_s": healthy_after,
                   "healthz_during": unhealthy[1].strip(), "occurrences": len(runs), "states": states,
                   "lost": lost, "messages": sum(ids.values()), "duplicates": duplicates,
                   "max_copies": max(ids.values()) if ids else 0,
                   "failed_reasons": [f[1] for f in failed],
                   "runs_stopped": logs.count(b"event=run.lease_lost"),
                   "takeovers": logs.count(b"event=run.takeover")}
        print("CLUSTER-OUTAGE " + json.dumps(figures), file=sys.stderr, flush=True)
        if lost:
            # The sandbox goes with the test: keep what tells where they went
            # (run rows hold no record values).
            for row in self.sql("SELECT schedule_id, nominal_s, state, claimed_at_ms, reason FROM runs "
                                "ORDER BY schedule_id, nominal_s"):
                print("RUN", row, file=sys.stderr)
            print("OUTAGE down_at_ms=%d up_at_ms=%d" % (down_at * 1000, up_at * 1000), file=sys.stderr)
            for d in self.nodes:
                with open(d.log_path, "rb") as f:
                    for line in f.read().splitlines():
                        if b"sched" in line or b"claim" in line or b"store." in line:
                            print(os.path.basename(d.log_path), line.decode(errors="replace")[:300],
                                  file=sys.stderr)

        self.assertTrue(resumed)
        self.assertIn("store", unhealthy[1], figures)
        self.assertIn(b"<3>event=store.write_failed", logs, figures)
        self.assertIn(b"event=store.recovered", logs, figures)
        self.assertEqual(lost, 0, figures)
        self.assertTrue(all(r[2] in FINAL for r in runs), figures)
        # No run failed for the outage: a run that could not commit stopped
        # and was resumed.
        self.assertEqual(failed, [], figures)
        self.assertLessEqual(max(ids.values()), 2, figures)


if __name__ == "__main__":
    import unittest
    unittest.main()
