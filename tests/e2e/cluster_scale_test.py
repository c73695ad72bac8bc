"""Three `reportd serve` nodes on one real PostgreSQL 15, many schedules over
many orgs firing every minute (DESIGN.md §4.10): every occurrence of the
minutes watched is claimed once, runs and is sent once (Message-IDs unique;
a second copy could only come from RFC 1047's window, which the test
reports); and the work spreads over every node: each node claims its own
share of the schedules first (a hash of the schedule's id over the live
nodes) and the others' only after a short grace, so each of the three runs
at least 15% of the runs (a third when no node is late).

Its size is REPORTD_SCALE, SCHEDULES/ORGS/MINUTES: 40/4/2 in the suite
(about 3 minutes); bench/cluster-scale.sh runs 200/20/5 and prints the
figures (REPORTD_CLUSTER_REPORT names a JSON file to write them to)."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from cluster_nodes import Nodes  # noqa: E402
from reportd_env import wait_until  # noqa: E402


class ClusterScaleTest(Nodes):
    def test_every_occurrence_is_sent_once_and_every_node_works(self):
        schedules, orgs, minutes = (int(x) for x in os.environ.get("REPORTD_SCALE", "40/4/2").split("/"))
        began = time.time()
        self.boot(nodes=3, orgs=orgs, connect=orgs,
                  config='[limits]\nmax_concurrent_runs = 16\nscratch_max_bytes = 16777216\n[defaults]\nmin_interval = "1s"')
        for i in range(schedules):
            self.add(f"s{i:03d}", 1 + i % orgs, "* * * * *", to=f"r{i:03d}@example.com")
        # The minutes watched: from the first whole minute after every node
        # knew every schedule.
        wait_until(lambda: all(self.count(d, b"event=schedules.reload") for d in self.nodes), timeout=120,
                   what="every node to know the schedules")
        first = (int(time.time()) // 60 + 1) * 60
        last = first + 60 * (minutes - 1)
        time.sleep(max(0, last + 5 - time.time()))
        # Every occurrence of the last minute claimed, then every run finished.
        wanted = f"nominal_s BETWEEN {first} AND {last}"
        wait_until(lambda: int(self.sql(f"SELECT count(*) FROM runs WHERE {wanted}")[0][0]) >= schedules * minutes,
                   timeout=120, what="every occurrence claimed")
        wait_until(lambda: not self.sql(f"SELECT 1 FROM runs WHERE {wanted} AND state IN "
                                        "('pending', 'running', 'delivering')"),
                   timeout=300, what="every run to finish")
        for d in self.nodes:
            self.assertEqual(d.stop(), 0)

        runs = self.sql(f"SELECT schedule_id, nominal_s, state, lease_node, finished_at_ms - nominal_s * 1000 "
                        f"FROM runs WHERE {wanted}")
        per_occurrence = {}
        for sched, nominal, _, _, _ in runs:
            per_occurrence[(sched, nominal)] = per_occurrence.get((sched, nominal), 0) + 1
        by_node = {}
        for r in runs:
            by_node[r[3]] = by_node.get(r[3], 0) + 1
        messages = self.messages()
        ids = {}
        for m in messages:
            ids[m["Message-ID"]] = ids.get(m["Message-ID"], 0) + 1
        sent = self.sql(f"SELECT d.message_id FROM deliveries d JOIN runs r ON r.id = d.run_id "
                        f"WHERE r.{wanted} AND d.state = 'sent'")
        lateness = sorted(int(r[4]) / 1000 for r in runs)
        figures = {"schedules": schedules, "orgs": orgs, "minutes": minutes, "nodes": 3,
                   "occurrences": len(per_occurrence), "expected": schedules * minutes,
                   "runs": len(runs), "states": sorted({r[2] for r in runs}),
                   "runs_by_node": sorted(by_node.values()),
                   "sent_rows": len(sent), "messages_received": sum(ids.get(m[0], 0) for m in sent),
                   "duplicates_rfc1047": sum(ids.get(m[0], 0) - 1 for m in sent if ids.get(m[0], 0) > 1),
                   "finish_after_nominal_s_p50": lateness[len(lateness) // 2] if lateness else None,
                   "finish_after_nominal_s_max": lateness[-1] if lateness else None,
                   "seconds": round(time.time() - began)}
        print("SCALE " + json.dumps(figures), file=sys.stderr, flush=True)
        if os.environ.get("REPORTD_CLUSTER_REPORT"):
            with open(os.environ["REPORTD_CLUSTER_REPORT"], "w") as f:
                json.dump(figures, f, indent=1)

        self.assertEqual(len(per_occurrence), schedules * minutes, figures)
        self.assertEqual(max(per_occurrence.values()), 1, figures)
        self.assertEqual(figures["states"], ["succeeded"], figures)
        self.assertEqual(len(sent), schedules * minutes, figures)
        # Each sent row's mail arrived; a second copy only in RFC 1047's
        # window (no node is killed here, so none is expected).
        self.assertTrue(all(ids.get(m[0], 0) >= 1 for m in sent), figures)
        self.assertEqual(figures["duplicates_rfc1047"], 0, figures)
        # Spread: every node ran a fair share (tolerant: a node late past the
        # grace on a loaded machine leaves some of its share to the others).
        self.assertEqual(len(by_node), 3, figures)
        self.assertGreaterEqual(min(by_node.values()), 0.15 * len(runs), figures)


if __name__ == "__main__":
    unittest.main()
