"""Several `reportd serve` nodes on one real PostgreSQL 15 (DESIGN.md §4.10):
three nodes, two simulated orgs, the aiosmtpd sink, schedules firing every
3 s. Nodes are killed with SIGKILL in the middle of runs (their runs are
taken over and finished by the others within the lease time and one run),
and one node is paused with SIGSTOP past its lease, then woken: it commits
nothing more for the runs it held and sends nothing once it woke (a mail
the relay took just before the pause, whose `sent` row the node could not
commit, is sent again by the node that took over: RFC 1047's window, with
the same Message-ID; the test reports these).
Every write to runs and deliveries is audited by a trigger that records the
writer's application_name (each node's URL names it), so "commits nothing"
is read from the database, not from the node's log.

REPORTD_CLUSTER_KILLS (default 2) kills; bench/cluster-kill.sh runs more."""
import email
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import duplicate_audit  # noqa: E402
from cluster_nodes import Nodes  # noqa: E402
from reportd_env import start_sim, start_sink, wait_until  # noqa: E402
from serve_case import Daemon  # noqa: E402

LEASE_S = 8
FINAL = ("succeeded", "failed", "skipped", "missed", "cancelled")

AUDIT = """
CREATE TABLE IF NOT EXISTS audit (at timestamptz NOT NULL DEFAULT clock_timestamp(),
  app text NOT NULL, tbl text NOT NULL, run_id bigint NOT NULL);
CREATE OR REPLACE FUNCTION audit_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit (app, tbl, run_id) VALUES (current_setting('application_name'), 'runs', NEW.id);
  RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION audit_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit (app, tbl, run_id)
    VALUES (current_setting('application_name'), 'deliveries', NEW.run_id);
  RETURN NEW;
END $$;
GRANT INSERT ON audit TO reportd;
CREATE TRIGGER runs_audit AFTER INSERT OR UPDATE OF state, reason, attempt, finished_at_ms,
  rows, bytes ON runs FOR EACH ROW EXECUTE FUNCTION audit_run();
CREATE TRIGGER deliveries_audit AFTER INSERT OR UPDATE ON deliveries
  FOR EACH ROW EXECUTE FUNCTION audit_delivery();
CREATE OR REPLACE FUNCTION audit_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.lease_node IS DISTINCT FROM OLD.lease_node OR NEW.lease_epoch <> OLD.lease_epoch THEN
    INSERT INTO audit (app, tbl, run_id) VALUES (current_setting('application_name'), 'lease', NEW.id);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER lease_audit AFTER UPDATE OF lease_node, lease_epoch ON runs
  FOR EACH ROW EXECUTE FUNCTION audit_lease();
"""


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClusterCase(Nodes):
    """Three nodes on one PostgreSQL, and what to read from them (no test here:
    cluster_outage_test.py shares it). The fixture (PostgreSQL, directories,
    sandboxes, sql()) is tests/lib/cluster_nodes.py's; boot() is its own:
    one config per node, each naming itself to the database."""

    def setUp(self):
        super().setUp()
        self.key_box = self.cli

    def tearDown(self):
        for n in self.nodes:
            if n.proc and n.proc.poll() is None:
                n.proc.send_signal(signal.SIGCONT)
        if os.environ.get("REPORTD_KEEP"):
            subprocess.run(["cp", os.path.join(self.pg.root, "log"), self.root])
            with open(os.path.join(self.root, "db.txt"), "w") as f:
                f.write(self.pg.psql("SELECT * FROM nodes; SELECT id, schedule_id, nominal_s, state, "
                                     "lease_node, lease_epoch, lease_expires_ms, claimed_at_ms, started_at_ms, "
                                     "finished_at_ms FROM runs ORDER BY id; SELECT * FROM audit ORDER BY at",
                                     db="reportd"))
        super().tearDown()

    def boot(self, node_count=3):
        orgs = []
        for number in (1, 2):
            proc, org = start_sim(os.path.join(self.root, f"sim{number}"), "--org-number", str(number),
                                  "--rows-account", "300", "--slow-ms", "150", "--page-size", "100")
            self.procs.append(proc)
            orgs.append(org)
        sink, port = start_sink(self.mail)
        self.procs.append(sink)
        trusted = os.path.join(self.root, "trusted.pem")
        with open(trusted, "w") as out:
            for o in orgs:
                with open(o["ca_file"]) as f:
                    out.write(f.read())
        self.http_port = free_port()
        self.configs = []
        for i in range(node_count):
            cfg = os.path.join(self.root, f"node{i}.toml")
            with open(cfg, "w") as f:
                f.write(f'[store]\nurl = "{self.pg.socket_url()}&application_name=node{i}&options=-c%20idle_in_transaction_session_timeout%3D3000"\n'
                        f'lease_seconds = {LEASE_S}\n'
                        f'[salesforce]\nca_file = "{trusted}"\n'
                        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
                        'from = "reports@example.com"\n'
                        '[defaults]\nmin_interval = "1s"\n[sync]\ninterval_minutes = 60\n'
                        '[limits]\nfailures_before_pause = 0\nscratch_max_bytes = 16777216\n')
                f.write(f'[http]\nlisten = "127.0.0.1:{self.http_port if i == 0 else 0}"\n')
            self.configs.append(cfg)
        cli = self.key_box
        for number, org in zip((1, 2), orgs):
            cli.run("--config", self.configs[0], "connections", "add", f"org{number}", "--login-url",
                    org["login_url"], "--client-id", org["client_id"], "--refresh-token-stdin",
                    stdin=org["refresh_token"] + "\n")
            for s in ("a", "b"):
                cli.run("--config", self.configs[0], "schedules", "add", f"o{number}{s}",
                        "--connection", f"org{number}", "--cron", "*/3 * * * * *",
                        "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account",
                        "--format", "csv", "--to", f"{s}1@example.com,{s}2@example.com")
        self.pg.psql(AUDIT, db="reportd")
        for i in range(node_count):
            b = self.sandbox() if i else cli
            runtime = tempfile.mkdtemp(prefix="reportd-run-", dir="/dev/shm")
            self.dirs.append(runtime)
            d = Daemon(b, self.configs[i], runtime, os.path.join(self.root, f"node{i}.log"))
            self.nodes.append(d)
            d.spawn()
        for d in self.nodes:
            d.start_wait = time.time()
        wait_until(lambda: all(self.logged(d, b"event=serve.ready") for d in self.nodes), timeout=120,
                   what="every node ready")

    def logged(self, d, what):
        with open(d.log_path, "rb") as f:
            return what in f.read()

    def held_running(self, d):
        """Runs in progress whose lease names node `d` (by its pid)."""
        return [int(r[0]) for r in self.sql(
            f"SELECT r.id FROM runs r JOIN nodes n ON n.id = r.lease_node WHERE n.pid = {d.proc.pid} "
            "AND r.state IN ('running', 'delivering')")]

    def wait_holding(self, d, timeout=20):
        return wait_until(lambda: self.held_running(d), timeout=timeout, what="a node mid-run",
                          interval=0.05)

    def run_states(self, ids):
        rows = self.sql("SELECT id, state, finished_at_ms FROM runs WHERE id IN (%s)" % ",".join(map(str, ids)))
        return {int(r[0]): (r[1], int(r[2])) for r in rows}

    def last_execution(self, run_id, killed_at):
        """[seconds from `killed_at` to the start of the run's last execution
        (the first write of the node that finished it, after the kill), how
        long that execution took], from the audit table."""
        writes = [(r[0], float(r[1])) for r in self.sql(
            f"SELECT app, extract(epoch FROM at) FROM audit WHERE tbl = 'runs' AND run_id = {run_id} "
            "ORDER BY at")]
        last_app = writes[-1][0]
        start = min(at for app, at in writes if app == last_app and at >= killed_at)
        return [round(start - killed_at, 1), round(writes[-1][1] - start, 1)]

    def timeline(self, run_id, killed_at, expiry):
        """[expiry, take-over, start, finish] of run `run_id` in seconds
        after `killed_at`, and the finishing execution's length (None where
        the audit table has no such write)."""
        writes = [(r[0], r[1], float(r[2])) for r in self.sql(
            f"SELECT app, tbl, extract(epoch FROM at) FROM audit WHERE run_id = {run_id} "
            f"AND tbl IN ('runs', 'lease') AND at >= to_timestamp({killed_at}) ORDER BY at")]
        lease = [at for app, tbl, at in writes if tbl == "lease"]
        runs = [(app, at) for app, tbl, at in writes if tbl == "runs"]
        rel = lambda t: None if t is None else round(t - killed_at, 1)  # noqa: E731
        taken = lease[-1] if lease else None
        start = min((at for app, at in runs if app == runs[-1][0] and (taken is None or at >= taken)),
                    default=None) if runs else None
        finish = runs[-1][1] if runs else None
        return [rel(expiry), rel(taken), rel(start), rel(finish),
                None if start is None or finish is None else round(finish - start, 1)]

    def ledger(self, run_ids):
        """{Message-ID: delivery state} of the runs `run_ids`, now."""
        return {r[0]: r[1] for r in self.sql(
            "SELECT message_id, state FROM deliveries WHERE run_id IN (%s)" % ",".join(map(str, run_ids or [0])))}

    def duplicate_places(self, interrupts):
        """Where each extra copy of a Message-ID came from, as
        tests/lib/duplicate_audit.py says for one node: the kill or pause
        that interrupted the copy's run nearest to when the sink stored the
        copy before it. "dot-250": it came before the sink stored that copy
        (the dot was out); "250-commit": after, the ledger still `sending`
        (both RFC 1047's window); "after-commit": the ledger had `sent`
        (a bug); "no-interrupt": no kill or pause interrupted its run (a
        node slowed past its lease: its log says run.lease_lost). Returns
        ({place: count}, [[Message-ID, run, place, interrupt, interrupt
        minus stored ms]])."""
        times_tsv = os.path.join(self.mail, "times.tsv")
        stored = duplicate_audit.sink_times(times_tsv) if os.path.exists(times_tsv) else {}
        run_of = {r[0]: int(r[1]) for r in self.sql("SELECT message_id, run_id FROM deliveries")}
        rows, counts = [], {}
        for mid, times in sorted(stored.items()):
            for n in range(1, len(times)):
                run_id = run_of.get(mid)
                near = [i for i in interrupts if run_id in i[2] and i[0] <= times[n]]
                place, what, ms = "no-interrupt", None, None
                if near:
                    at, what, _, states = min(near, key=lambda i: abs(i[0] - times[n - 1]))
                    ms = round((at - times[n - 1]) * 1000, 1)
                    place = ("dot-250" if at < times[n - 1] else
                             "after-commit" if states.get(mid) == "sent" else "250-commit")
                counts[place] = counts.get(place, 0) + 1
                rows.append([mid, run_id, place, what, ms])
        return counts, rows

    def messages(self):
        """(arrival time, message) of every mail the sink received."""
        out = []
        for name in sorted(os.listdir(self.mail)):
            if name.endswith(".eml"):
                path = os.path.join(self.mail, name)
                with open(path, "rb") as f:
                    out.append((os.stat(path).st_mtime, email.message_from_binary_file(f)))
        return out

    def finish_and_tally(self):
        """Pauses every schedule, waits for the runs in flight, stops the
        nodes; returns (runs, occurrences lost, Message-ID counts, arrivals)."""
        for name in ("o1a", "o1b", "o2a", "o2b"):
            self.key_box.run("--config", self.configs[0], "schedules", "pause", name)
        wait_until(lambda: not self.sql("SELECT 1 FROM runs WHERE state IN ('pending','running','delivering')"),
                   timeout=120, what="every run to finish")
        for d in self.nodes:
            self.assertEqual(d.stop(), 0)
        runs = [(int(r[0]), int(r[1]), r[2]) for r in self.sql("SELECT schedule_id, nominal_s, state FROM runs")]
        lost = 0
        for sched in {r[0] for r in runs}:
            seconds = sorted(r[1] for r in runs if r[0] == sched)
            lost += len(set(range(seconds[0], seconds[-1] + 1, 3)) - set(seconds))
        ids, arrivals = {}, {}
        for at, m in self.messages():
            ids[m["Message-ID"]] = ids.get(m["Message-ID"], 0) + 1
            arrivals.setdefault(m["Message-ID"], []).append(at)
        return runs, lost, ids, arrivals


class ClusterTest(ClusterCase):
    def test_kills_and_a_pause_lose_nothing_and_send_nothing_twice(self):
        kills_wanted = int(os.environ.get("REPORTD_CLUSTER_KILLS", "2"))
        rng = random.Random(int(os.environ.get("REPORTD_KILL_SEED", "20261205")))
        # REPORTD_KILL_SETTLE=1: the next kill only once the killed node's
        # runs are finished (bench/cluster-kill.sh --settle); else kills
        # follow each other within seconds.
        settle = os.environ.get("REPORTD_KILL_SETTLE") == "1"
        began = time.time()
        self.boot()
        takeovers = []  # (kill time, runs it held, {run: its lease's expiry, s})
        pending_at_kill, pending_at = 0, {}  # pending_at: run -> pending at its last kill
        interrupts = []  # (time, "kill" or "pause", its runs, {Message-ID: ledger state then})
        for k in range(kills_wanted):
            victim = self.nodes[1 + k % 2]
            # Generous: on a loaded machine a node just restarted may own no
            # schedule for a while (the killed nodes count as live for three
            # heartbeats, so the schedules are shared among more nodes).
            held = self.wait_holding(victim, timeout=60)
            time.sleep(rng.uniform(0.0, 0.3))
            pid = victim.proc.pid
            killed_at = victim.kill9()
            # Its runs: every one it held a lease on at the kill, pending ones
            # (claimed, waiting for a slot) too, read once it is dead (its
            # leases stay as they are until they expire).
            rows = self.sql("SELECT r.id, r.lease_expires_ms, r.state FROM runs r JOIN nodes n "
                            f"ON n.id = r.lease_node WHERE n.pid = {pid} "
                            "AND r.state IN ('pending', 'running', 'delivering')")
            leased = {int(r[0]): int(r[1]) / 1000 for r in rows}
            pending_at_kill += sum(1 for r in rows if r[2] == "pending")
            # (a run pending at its last kill had never started: it waits for
            # the caps like any run; one running at an earlier kill is not)
            for r in rows:
                pending_at[int(r[0])] = r[2] == "pending"
            takeovers.append((killed_at, sorted(set(held) | set(leased)), leased))
            interrupts.append((killed_at, "kill", set(takeovers[-1][1]), self.ledger(takeovers[-1][1])))
            victim.start()
            if settle:
                # One kill at a time: its runs finished before the next kill,
                # so each is measured from the one kill that interrupted it.
                ids = takeovers[-1][1] or [0]
                wait_until(lambda: all(st[0] in FINAL for st in self.run_states(ids).values()),
                           timeout=LEASE_S + 60, what="the killed node's runs finished")

        # SIGSTOP node 0 mid-run past its lease, then SIGCONT.
        sleeper = self.nodes[0]
        self.wait_holding(sleeper)
        sleeper.proc.send_signal(signal.SIGSTOP)
        stopped_at = time.time()
        slept = [int(r[0]) for r in self.sql(
            f"SELECT r.id FROM runs r JOIN nodes n ON n.id = r.lease_node WHERE n.pid = {sleeper.proc.pid} "
            "AND r.state IN ('pending', 'running', 'delivering')")]
        interrupts.append((stopped_at, "pause", set(slept), self.ledger(slept)))
        wait_until(lambda: all(s[0] in FINAL for s in self.run_states(slept).values()),
                   timeout=LEASE_S + 60, what="the paused node's runs finished by the others")
        paused_for = time.time() - stopped_at
        woke = self.sql("SELECT clock_timestamp()")[0][0]
        woke_at = time.time()
        sleeper.proc.send_signal(signal.SIGCONT)
        wait_until(lambda: self.logged(sleeper, b"event=run.lease_lost"), timeout=60,
                   what="the woken node to notice its lost leases")

        # /metrics and status show every node.
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=30).read().decode()
        self.assertIn("reportd_cluster_node_runs_held{", metrics)
        self.assertIn("reportd_node_leases_held ", metrics)
        def live_nodes():
            status = self.key_box.run("--config", self.configs[0], "status", "--output", "json").stdout
            nodes = json.loads(status)["nodes"]
            return [n for n in nodes if n["state"] == "running"] if len(
                [n for n in nodes if n["state"] == "running"]) == 3 else None
        # The woken node's next heartbeat makes it "running" again.
        self.assertEqual(len(wait_until(live_nodes, timeout=30, what="three live nodes")), 3)

        # Stop new occurrences; let the runs in flight finish.
        runs, lost, ids, arrivals = self.finish_and_tally()
        duplicates = sum(v - 1 for v in ids.values())
        # Runs of killed nodes: finished by others within lease + one run.
        # Each run is measured from the last kill that interrupted it: a run
        # taken over by a node that is killed in turn (the kills follow each
        # other closely) waits for a second lease; those are counted apart.
        last_kill, kills_of, expiry_of = {}, {}, {}
        for at, held, leased in takeovers:
            for run_id in held:
                last_kill[run_id] = at
                kills_of[run_id] = kills_of.get(run_id, 0) + 1
                expiry_of[run_id] = leased.get(run_id)
        # A run taken over by the node then paused is interrupted again, by
        # the pause (measured below as the paused node's), not by a kill.
        takeover_s, before_kill, by_run, paused_again = [], 0, {}, 0
        for run_id, (state, finished_ms) in self.run_states(list(last_kill) or [0]).items():
            self.assertIn(state, FINAL)
            if run_id in slept:
                paused_again += 1
            elif finished_ms / 1000 < last_kill[run_id]:
                before_kill += 1  # finished between the look at its holder and the kill
            else:
                takeover_s.append(round(finished_ms / 1000 - last_kill[run_id], 1))
                by_run[run_id] = (takeover_s[-1], last_kill[run_id])
        takeover_s.sort()
        # The woken node wrote nothing for the runs it held once it woke.
        late = self.sql("SELECT tbl, run_id, at FROM audit WHERE app = 'node0' AND at > '%s' AND run_id IN (%s)"
                        % (woke, ",".join(map(str, slept or [0]))))
        slept_msgs = self.sql("SELECT message_id FROM deliveries WHERE run_id IN (%s)"
                              % ",".join(map(str, slept or [0])))
        slept_copies = [ids.get(m[0], 0) for m in slept_msgs]
        # A copy of a paused run's mail that arrived after SIGCONT could only
        # come from the woken node (the others finished those runs before).
        after_wake = sum(1 for m in slept_msgs for at in arrivals.get(m[0], []) if at > woke_at)
        by_node = self.sql("SELECT app, count(DISTINCT run_id) FROM audit WHERE tbl = 'runs' GROUP BY app")
        # "One run": the longest execution (start to final row) of a run
        # that no kill or pause interrupted, in this test, on this machine.
        # Printed beside its median. A take-over's own execution may take
        # longer (a loaded node): the timeline below shows it.
        first = sorted(int(r[0]) for r in self.sql(
            "SELECT finished_at_ms - started_at_ms FROM runs WHERE state = 'succeeded' "
            "AND started_at_ms > 0 AND attempt = 1"))
        longest = [[first[-1] if first else 0]]
        figures = {"seconds": round(time.time() - began), "kills": kills_wanted, "occurrences": len(runs),
                   "lost": lost, "messages": sum(ids.values()), "message_ids": len(ids),
                   "duplicates": duplicates, "max_copies": max(ids.values()) if ids else 0,
                   "takeover_finish_s": takeover_s,
                   "takeover_median_s": takeover_s[len(takeover_s) // 2] if takeover_s else None,
                   "runs_killed_twice_or_more": sum(1 for n in kills_of.values() if n > 1),
                   "runs_finished_before_the_kill": before_kill, "paused_s": round(paused_for, 1),
                   "taken_over_runs_paused_again": paused_again,
                   "paused_runs": len(slept), "paused_run_copies": slept_copies,
                   "late_writes_after_wake": len(late),
                   "paused_run_copies_after_wake": after_wake, "runs_by_node": dict((a, int(n)) for a, n in by_node),
                   "longest_run_s": round(int(longest[0][0]) / 1000, 1),
                   "median_run_s": round(first[len(first) // 2] / 1000, 1) if first else None,
                   "pending_at_kill": pending_at_kill}
        # The bar: finished within the lease time and one run.
        figures["within_lease_and_one_run"] = sum(
            1 for t in takeover_s if t <= LEASE_S + figures["longest_run_s"])
        # The same with the median uninterrupted run as "one run", to show
        # how much the bar leans on the longest.
        figures["within_lease_and_median_run"] = sum(
            1 for t in takeover_s if t <= LEASE_S + (figures["median_run_s"] or 0))
        # The others, to trace: run id, seconds after its last kill, that
        # kill's time (the audit table and the nodes' logs tell the rest).
        # Each run's take-over, in seconds after its last kill: its lease's
        # expiry, the take-over (the lease changed hands), the start of the
        # execution that finished it, the finish; and that execution's
        # length.
        figures["takeover_timeline"] = sorted(
            [run_id] + self.timeline(run_id, at, expiry_of.get(run_id)) for run_id, (t, at) in by_run.items())
        figures["takeover_past_bound"] = sorted(
            [run_id, t, round(at, 3)] + self.last_execution(run_id, at) for run_id, (t, at) in by_run.items()
            if t > LEASE_S + figures["longest_run_s"])
        # Where each of those lost its time (from the timeline): "timer"
        # (taken over more than half a second after its lease expired),
        # "queue" (started more than half a second after the take-over: the
        # caps, the node's own or the cluster's), "run" (its execution took
        # longer than one run); and "pending" when it was still pending (never
        # started: claimed, waiting for the caps) at its last kill.
        one = figures["longest_run_s"]
        figures["past_bound_causes"] = {
            str(row[0]): [c for c, late in (("timer", (row[2] or 0) - (row[1] or 0)),
                                             ("queue", (row[3] or 0) - (row[2] or 0)),
                                             ("run", (row[5] or 0) - one)) if late > 0.5 or (c == "run" and late > 0)]
            + (["pending"] if pending_at.get(row[0]) else [])
            for row in figures["takeover_timeline"] if row[4] is not None and row[4] > LEASE_S + one}
        figures["settle"] = settle
        # Claims two nodes deadlocked on (PostgreSQL breaks it after a second,
        # both nodes' store threads stuck meanwhile): none since they insert
        # in one order.
        with open(os.path.join(self.pg.root, "log"), errors="replace") as f:
            figures["pg_deadlocks"] = f.read().count("deadlock detected")
        figures["duplicates_by_place"], figures["duplicate_places"] = self.duplicate_places(interrupts)
        print("CLUSTER " + json.dumps(figures), file=sys.stderr, flush=True)
        if os.environ.get("REPORTD_CLUSTER_REPORT"):
            with open(os.environ["REPORTD_CLUSTER_REPORT"], "w") as f:
                json.dump(figures, f, indent=1)

        self.assertEqual(lost, 0, figures)
        self.assertTrue(all(r[2] in FINAL for r in runs))
        self.assertEqual(late, [], figures)
        self.assertTrue(slept, figures)
        # Nothing from the woken node. A second copy of a paused run's mail is
        # RFC 1047's window: the relay took it, then the node stopped (or lost
        # the lease) before the ledger's `sent` committed, and the node that
        # took over sent it again under the same Message-ID (reported above).
        self.assertEqual(after_wake, 0, figures)
        self.assertTrue(all(1 <= c <= 2 for c in slept_copies), figures)
        # RFC 1047: a kill between the relay's 250 and the ledger's commit
        # makes a second copy, never a third; at most one per kill.
        self.assertLessEqual(max(ids.values()), 2, figures)
        # None sent again once its `sent` was committed.
        self.assertNotIn("after-commit", figures["duplicates_by_place"], figures)
        # Each comes from a kill, the pause, or a node slowed past its lease by
        # the load (all logged as run.lease_lost or run.takeover).
        self.assertLessEqual(duplicates, 4 * (kills_wanted + 1), figures)
        # Lease time + one run: the lease expires, another node takes the run
        # over then (its timer; or its next heartbeat, a third of the lease
        # later, when that take-over failed), and it runs at once, beside any
        # run of its schedule going there. Asserted with a margin of a run
        # and 5 s for a loaded machine; the figures count those within the
        # bar (within_lease_and_one_run) and list the others.
        bound = LEASE_S + LEASE_S / 3 + 2 * figures["longest_run_s"] + 5
        self.assertTrue(all(s <= bound for s in takeover_s), figures)
        self.assertGreaterEqual(len([a for a, n in by_node if int(n) > 0]), 2, figures)


if __name__ == "__main__":
    unittest.main()
