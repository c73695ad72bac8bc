"""Several `reportd serve` nodes on one real PostgreSQL 15 sharing more than
runs (DESIGN.md §4.10, README "Several nodes on one PostgreSQL"):
- a schedule change made by the CLI reaches every node at once through
  LISTEN/NOTIFY, although the periodic check is set to 5 minutes, and still
  after the listening sessions are cut;
- each connection is synced by one node per round, whichever it is;
- [limits] max_runs_per_org holds across nodes: never more than one run of
  an org going at a time on all nodes together, while another org proceeds,
  although the org's schedules are claimed by several nodes."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from cluster_nodes import Nodes  # noqa: E402
from reportd_env import wait_until  # noqa: E402


class ClusterSharedTest(Nodes):
    def test_a_schedule_change_reaches_every_node_at_once(self):
        # The periodic check every 5 minutes: only NOTIFY can be this fast.
        self.boot(nodes=2, orgs=1, config="check_seconds = 300")
        wait_until(lambda: all(self.count(d, b"event=notify.listening") for d in self.nodes), timeout=60,
                   what="every node listening")
        delays = []

        def change(*args):
            before = [self.count(d, b"event=schedules.reload") for d in self.nodes]
            self.cli.run("--config", self.config, "schedules", *args)
            t0 = time.time()  # committed (a loaded machine's ASan CLI takes seconds to get there)
            for d, n in zip(self.nodes, before):
                wait_until(lambda: self.count(d, b"event=schedules.reload") > n, timeout=60,
                           what=f"node {d.log_path} to reload after {args[0]}", interval=0.02)
                delays.append(round(time.time() - t0, 2))

        for i in range(3):
            change("add", f"s{i}", "--connection", "org1", "--cron", "0 3 * * *", "--soql",
                   "SELECT Id FROM Account", "--format", "csv", "--to", "a@example.com")
        change("pause", "s0")
        change("remove", "s1")
        # Cut the listening sessions: each node listens again and hears the next change.
        self.pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
        wait_until(lambda: all(self.count(d, b"event=notify.listening") >= 2 for d in self.nodes),
                   timeout=60, what="every node listening again")
        change("resume", "s0")
        print("NOTIFY delays (s): " + json.dumps(delays), file=sys.stderr)
        # From the CLI's commit to each node's reload: about a second; the
        # bounds leave room for a loaded machine's ASan build, and stay far
        # below the 300 s periodic check.
        self.assertTrue(all(d < 15 for d in delays), delays)
        self.assertLess(sorted(delays)[len(delays) // 2], 5, delays)

    def test_each_connection_is_synced_by_one_node_per_round(self):
        # org2 is connected while the nodes run: both hear of it (NOTIFY) and
        # one of them syncs it.
        self.boot(nodes=2, orgs=2, config="check_seconds = 300\n[sync]\ninterval_minutes = 1",
                  connect=1)
        started = time.time()
        self.connect(2)

        def syncs(number):
            # No schedules here, so no runs: every query is a sync's (the
            # simulator logs paths without the query string).
            return [r for r in self.sim_requests(number) if "/query" in r["path"]]

        wait_until(lambda: syncs(2), timeout=60, what="org2's first sync")
        time.sleep(max(0, started + 80 - time.time()))  # a second round, one minute on
        counts = {n: len(syncs(n)) for n in (1, 2)}
        print("SYNCS " + json.dumps(counts), file=sys.stderr)
        self.assertEqual(counts, {1: 2, 2: 2})
        synced_by = [self.count(d, b"event=sync.done") for d in self.nodes]
        self.assertEqual(sum(synced_by), 4, synced_by)

    def test_the_per_org_cap_holds_across_nodes(self):
        self.boot(nodes=3, orgs=2, config="[limits]\nmax_runs_per_org = 1\nscratch_max_bytes = 16777216\n[defaults]\nmin_interval = \"1s\"",
                  sim_flags=("--slow-ms", "200"))
        for s in range(5):
            self.add(f"busy{s}", 1, "*/15 * * * * *")
        self.add("other", 2, "*/5 * * * * *")
        time.sleep(50)
        for name in [f"busy{s}" for s in range(5)] + ["other"]:
            self.cli.run("--config", self.config, "schedules", "pause", name)
        wait_until(lambda: not self.sql("SELECT 1 FROM runs WHERE state IN ('pending','running','delivering')"),
                   timeout=240, what="every run to finish")
        rows = self.sql("SELECT c.name, r.started_at_ms, r.finished_at_ms, r.state, r.lease_node FROM runs r "
                        "JOIN schedules s ON s.id = r.schedule_id JOIN connections c ON c.id = s.connection_id "
                        "WHERE r.started_at_ms > 0")

        def most_at_once(runs):
            edges = sorted([(int(a), 1) for _, a, _, _, _ in runs] + [(int(b), -1) for _, _, b, _, _ in runs])
            now = top = 0
            for _, step in edges:
                now += step
                top = max(top, now)
            return top

        busy = [r for r in rows if r[0] == "org1"]
        other = [r for r in rows if r[0] == "org2"]
        overlapping = sum(1 for o in other if any(int(b[1]) < int(o[2]) and int(o[1]) < int(b[2]) for b in busy))
        figures = {"org1_runs": len(busy), "org2_runs": len(other), "org1_at_once": most_at_once(busy),
                   "org2_runs_beside_org1": overlapping, "org1_nodes": len({r[4] for r in busy}),
                   "states": sorted({r[3] for r in rows})}
        print("CAPS " + json.dumps(figures), file=sys.stderr)
        self.assertGreaterEqual(len(busy), 6, figures)
        self.assertEqual(most_at_once(busy), 1, figures)
        self.assertGreaterEqual(overlapping, 1, figures)
        # The capped org's schedules are spread over the nodes (each node
        # claims its share first), yet one of its runs goes at a time.
        self.assertGreaterEqual(figures["org1_nodes"], 2, figures)
        self.assertEqual(figures["states"], ["succeeded"], figures)


if __name__ == "__main__":
    unittest.main()
