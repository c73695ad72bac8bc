"""Three `reportd serve` nodes on one real PostgreSQL 15, many schedules over
many orgs firing every minute (DESIGN.md §4.10): every occurrence of the
minutes watched is claimed once, runs and is sent once (Message-IDs unique;
a second copy could only come from RFC 1047's window, which the test
reports); and the work spreads over every node: each node claims its own
share of the schedules first (a hash of the schedule's id over the live
nodes) and the others' only after a short grace, so each of the three runs
at least 15% of the runs (a third when no node is late). With the default
limits (scratch_max_bytes 512 MiB, scratch_budget_bytes 1 GiB) the shared
scratch budget lets more than 2 runs go at once across the nodes (each
holds a first step of 16 MiB and takes more only as its scratch grows), and
what the runs going on every node hold, sampled as they run, never passes
the budget.

Its size is REPORTD_SCALE, SCHEDULES/ORGS/MINUTES: 40/4/2 in the suite
(about 3 minutes); bench/cluster-scale.sh runs 200/20/5 and prints the
figures (REPORTD_CLUSTER_REPORT names a JSON file to write them to)."""
import json
import os
import sys
import threading
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
                  config='[limits]\nmax_concurrent_runs = 16\n[defaults]\nmin_interval = "1s"')
        for i in range(schedules):
            self.add(f"s{i:03d}", 1 + i % orgs, "* * * * *", to=f"r{i:03d}@example.com")
        # The minutes watched: from the first whole minute after every node
        # knew every schedule.
        wait_until(lambda: all(self.count(d, b"event=schedules.reload") for d in self.nodes), timeout=120,
                   what="every node to know the schedules")
        first = (int(time.time()) // 60 + 1) * 60
        last = first + 60 * (minutes - 1)
        held = []  # (runs going, scratch budget they hold), sampled
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                row = self.sql("SELECT count(*), coalesce(sum(scratch_reserved), 0) FROM runs "
                               "WHERE state IN ('running', 'delivering')")
                held.append((int(row[0][0]), int(row[0][1])))
                sampling.wait(0.2)
        sampler = threading.Thread(target=sample)
        sampler.start()
        wanted = f"nominal_s BETWEEN {first} AND {last}"
        try:
            time.sleep(max(0, last + 5 - time.time()))
            # Every occurrence of the last minute claimed, then every run finished.
            wait_until(lambda: int(self.sql(f"SELECT count(*) FROM runs WHERE {wanted}")[0][0])
                       >= schedules * minutes, timeout=120, what="every occurrence claimed")
            wait_until(lambda: not self.sql(f"SELECT 1 FROM runs WHERE {wanted} AND state IN "
                                            "('pending', 'running', 'delivering')"),
                       timeout=300, what="every run to finish")
        finally:
            sampling.set()
            sampler.join()
        for d in self.nodes:
            self.assertEqual(d.stop(), 0)

        runs = self.sql(f"SELECT schedule_id, nominal_s, state, lease_node, finished_at_ms - nominal_s * 1000 "
                        f"FROM runs WHERE {wanted}")
        # The most runs going at once across the nodes, by their recorded
        # start and end (a start at the instant of an end does not overlap).
        edges = sorted(e for r in self.sql(f"SELECT started_at_ms, finished_at_ms FROM runs WHERE {wanted}")
                       for e in ((int(r[0]), 1), (int(r[1]), -1)))  # -1 sorts first
        going = at_once = 0
        for _, step in edges:
            going += step
            at_once = max(at_once, going)
        left_held = self.sql(f"SELECT count(*) FROM runs WHERE {wanted} AND scratch_reserved <> 0")
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
                   "runs_at_once_max": at_once,
                   "sampled_running_max": max((h[0] for h in held), default=0),
                   "sampled_scratch_held_max_mib": max((h[1] for h in held), default=0) / 2**20,
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
        # The default limits no longer let only 2 runs go at once across the
        # nodes (1 GiB / 512 MiB, before the steps); what they hold stays
        # within the budget while they run, and goes back when they end.
        self.assertGreater(at_once, 2, figures)
        self.assertTrue(held and max(h[1] for h in held) > 0, figures)
        self.assertLessEqual(max(h[1] for h in held), 1 << 30, figures)
        self.assertEqual(int(left_held[0][0]), 0, figures)


if __name__ == "__main__":
    unittest.main()
