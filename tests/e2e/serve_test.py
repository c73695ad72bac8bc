"""reportd serve end to end: the real binary, the Salesforce simulator and a
real SMTP server (aiosmtpd). Schedules fire, mail arrives, runs survive
SIGKILL without losing an occurrence or repeating a delivery, and record
values planted as markers never reach the disk or the logs."""
import csv
import io
import json
import os
import random
import signal
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from duplicate_audit import audit, phases, windows as window_figures  # noqa: E402
from reportd_env import CLI_TIMEOUT_S, files_containing  # noqa: E402
from serve_case import MARKER, ServeCase  # noqa: E402


class ServeTest(ServeCase):
    def test_a_schedule_fires_and_the_email_arrives_with_its_attachments(self):
        self.boot()
        self.rd("schedules", "add", "accounts", "--connection", "demo", "--cron", "*/3 * * * * *",
                "--min-interval", "1s", "--soql", "SELECT Id, Name, AnnualRevenue FROM Account",
                "--format", "csv,xlsx", "--to", "a@example.com,b@example.com")
        self.daemon.start()
        try:
            # Right after serve.ready, before a second heartbeat: already "running".
            self.assertRegex(self.rd("status").stdout, r"daemon:\s+running \(pid %d," % self.daemon.proc.pid)
            msgs = self.wait_for(lambda: len(self.messages()) >= 2 and self.messages(), what="two messages")
        finally:
            self.assertEqual(self.daemon.stop(), 0)
        m = msgs[0]
        names = {p.get_filename(): p.get_payload(decode=True) for p in m.walk() if p.get_filename()}
        self.assertEqual(set(names), {"accounts.csv", "accounts.xlsx"})
        rows = list(csv.reader(io.StringIO(names["accounts.csv"].decode("utf-8"))))
        self.assertEqual(rows[0], ["Id", "Name", "AnnualRevenue"])
        self.assertEqual(len(rows) - 1, 300)
        self.assertTrue(names["accounts.xlsx"].startswith(b"PK"))
        done = [r for r in self.runs() if r["state"] == "succeeded"]
        self.assertTrue(done)
        self.assertEqual(done[-1]["rows"], 300)
        self.assertGreater(done[-1]["bytes"], 0)
        self.assertNotEqual(done[-1]["disposed_at"], "-")
        show = json.loads(self.rd("runs", "show", str(done[-1]["id"]), "--output", "json").stdout)
        self.assertEqual(sorted(d["recipient"] for d in show["deliveries"]), ["a@example.com", "b@example.com"])
        self.assertTrue(all(d["state"] == "sent" for d in show["deliveries"]))

    def test_kills_lose_no_occurrence_repeat_no_delivery_and_leave_no_marker(self):
        """SIGKILL at random moments (starting up, recovering, idle, fetching,
        rendering, mid-SMTP), REPORTD_KILLS times (30 here; bench/kill-loop.sh
        runs 200), while two schedules fire every 2 s to 3 recipients each."""
        kills_wanted = int(os.environ.get("REPORTD_KILLS", "30"))
        self.boot_kill_load()
        rng = random.Random(int(os.environ.get("REPORTD_KILL_SEED", "20261129")))
        kills = mid_run_kills = startup_kills = 0
        instances = []  # (spawned, killed, ledger states right after the kill): duplicate_audit
        began = time.time()
        self.daemon.start()
        for _ in range(kills_wanted):
            if kills and rng.random() < 0.15:
                # While it starts up and recovers, before serve.ready.
                self.daemon.spawn()
                time.sleep(rng.uniform(0.0, 0.6))
                startup_kills += 1
            else:
                if kills:
                    self.daemon.start()
                time.sleep(rng.uniform(0.0, 6.0))
            mid_run_kills += any(r[2] in ("running", "delivering") for r in self.all_runs())
            spawned = self.daemon.spawned_at
            instances.append((spawned, self.daemon.kill9(), self.ledger_states()))
            kills += 1
        self.daemon.start()
        instances.append((self.daemon.spawned_at, None, {}))
        # Stop new occurrences, let recovery and the runs in flight finish,
        # then stop cleanly.
        for name in ("one", "two"):
            self.rd("schedules", "pause", name)
        self.wait_for(lambda: not any(r[2] in ("pending", "running", "delivering") for r in self.all_runs()),
                      timeout=max(240, 4 * CLI_TIMEOUT_S), what="every run to finish")
        self.assertEqual(self.daemon.stop(), 0)
        self.assertEqual(kills, kills_wanted)
        self.assertGreaterEqual(mid_run_kills, kills // 10)

        runs = self.all_runs()
        # No occurrence lost: every even second between the first and the last
        # claimed occurrence of each schedule has a run row, in a final state.
        lost = 0
        for sched in {r[0] for r in runs}:
            seconds = sorted(r[1] for r in runs if r[0] == sched)
            lost += len(set(range(seconds[0], seconds[-1] + 1, 2)) - set(seconds))
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        claimed_twice = db.execute("SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY schedule_id, nominal_s "
                                   "HAVING count(*) > 1)").fetchone()[0]
        started_cancelled = db.execute(
            "SELECT count(*) FROM runs WHERE state = 'cancelled' AND started_at_ms != 0").fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        # Recipients whose dot went out twice unconfirmed: failed, not sent a third time.
        stopped = db.execute("SELECT count(*) FROM deliveries "
                             "WHERE error = 'smtp-unknown-outcome-twice'").fetchone()[0]
        db.close()
        # Each Message-ID (occurrence x recipient) arrives once; a kill
        # between the relay's 250 and the ledger's commit makes a second copy
        # (RFC 1047), never a third.
        ids = {}
        for m in self.messages():
            ids[m["Message-ID"]] = ids.get(m["Message-ID"], 0) + 1
        duplicates = sum(v - 1 for v in ids.values())
        windows = sorted(int(us) for line in self.log().splitlines() if b"event=mail.sent " in line
                         for us in line.split(b"commit_us=")[1].split()[0].split(b","))
        pct = lambda q: windows[min(len(windows) - 1, int(q * len(windows)))] if windows else -1  # noqa: E731
        figures = {"kills": kills, "mid_run_kills": mid_run_kills, "startup_kills": startup_kills,
                   "seconds": round(time.time() - began), "occurrences": len(runs), "lost": lost,
                   "claimed_twice": claimed_twice, "messages": sum(ids.values()), "message_ids": len(ids),
                   "duplicates": duplicates, "max_copies": max(ids.values()) if ids else 0,
                   "integrity": integrity, "commit_window_us_p50": pct(0.50), "commit_window_us_p99": pct(0.99),
                   "commit_window_us_max": windows[-1] if windows else -1, "commit_windows": len(windows)}
        # Where each extra copy came from: the kill's moment against the
        # sink's 250 and the ledger's state after it (tests/lib/duplicate_audit.py).
        extra = audit(instances, os.path.join(self.mail, "times.tsv"))
        figures["where"] = {w: sum(1 for e in extra if e["where"] == w)
                            for w in ("dot-250", "250-commit", "after-commit", "no-kill")}
        # Each delivery's window, timed, and what uniform kills would make of it.
        figures["windows"] = window_figures(self.log(), os.path.join(self.mail, "times.tsv"), instances)
        # The relay's part (dot -> stored) split: the socket, aiosmtpd's parse, the sink's store.
        figures["windows"]["relay_phases"] = phases(self.log(), os.path.join(self.mail, "phases.tsv"))
        figures["not_sent_a_third_time"] = stopped
        print("KILL-LOOP " + json.dumps(figures), file=sys.stderr, flush=True)
        for e in extra:
            print("KILL-LOOP duplicate " + json.dumps(e), file=sys.stderr, flush=True)
        if os.environ.get("REPORTD_KILL_LOOP_REPORT"):
            with open(os.environ["REPORTD_KILL_LOOP_REPORT"], "w") as f:
                json.dump(dict(figures, duplicates_seen=extra), f, indent=1)

        self.assertEqual(lost, 0, "occurrences lost")
        self.assertEqual(claimed_twice, 0)
        # Pausing at the end cancels occurrences claimed but not yet started;
        # a run interrupted by a kill is finished, never cancelled.
        self.assertTrue(all(r[2] in ("succeeded", "failed", "skipped", "missed", "cancelled") for r in runs),
                        {r[2] for r in runs})
        self.assertEqual(started_cancelled, 0)
        self.assertTrue(all(r[4] > 0 for r in runs if r[2] in ("succeeded", "failed")), "disposed_at")
        self.assertEqual(integrity, "ok")

        # The markers were delivered (so they were really in the data) ...
        self.assertTrue(any(MARKER.encode() in m.as_bytes() for m in self.messages()))
        # ... and are nowhere else: state dir (database, WAL), runtime dir,
        # /tmp, the daemon's log.
        for where in (self.box.state, self.runtime_dir, "/tmp"):
            hits = [h for h in files_containing(where, MARKER.encode()) if not h.startswith(self.mail)]
            self.assertEqual(hits, [], where)
        with open(self.daemon.log_path, "rb") as f:
            self.assertNotIn(MARKER.encode(), f.read())

        self.assertTrue(ids)
        self.assertLessEqual(duplicates, kills, figures)
        # Every extra copy came from a kill inside the window, never from a
        # `sent` already committed or a daemon sending twice on its own.
        self.assertEqual(figures["where"]["after-commit"] + figures["where"]["no-kill"], 0, extra)
        # Issue #18's bar: at most one duplicate per 30 kills (3x fewer than
        # the 15 per 150 first seen) and never a third copy. Met by the
        # release build once Nagle and the store's fsyncs were out of the
        # window (README, "Reliability"); 30 kills are too few to judge it,
        # so only bench/kill-loop.sh applies it
        # (REPORTD_KILLS_PER_DUPLICATE=30); the suite reports the figures.
        per_duplicate = int(os.environ.get("REPORTD_KILLS_PER_DUPLICATE", "0"))
        if per_duplicate:
            self.assertLessEqual(duplicates, kills // per_duplicate, figures)
            self.assertLessEqual(max(ids.values()), 2, figures)

    def test_runs_leave_no_memfd_descriptor_or_memory_behind(self):
        """The suite's short soak (bench/soak.sh runs 30 minutes): a schedule
        every 2 s; between runs, after 3 runs and after 15 more, the daemon
        holds no memfd, no more descriptors than before and, once warm, no
        more memory (RSS within 5%)."""
        self.boot()
        # ASan keeps freed blocks in a 256 MB quarantine, which alone would
        # grow RSS run after run; a small one lets a leak show.
        self.daemon.env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"}
        self.rd("schedules", "add", "accounts", "--connection", "demo", "--cron", "*/2 * * * * *",
                "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account",
                "--format", "csv,xlsx", "--to", "a@example.com")
        self.daemon.start()
        pid = self.daemon.proc.pid

        def between_runs():
            """Pauses the schedule, waits until no run is in flight, returns
            (RSS KiB, descriptor targets), and resumes it."""
            reloads = self.reloads()
            self.rd("schedules", "pause", "accounts")
            # The daemon takes the pause (woken by the CLI, else at its next
            # heartbeat): nothing is claimed after that.
            self.wait_for(lambda: self.reloads() > reloads, what="the daemon to reload the paused schedule")
            self.wait_for(lambda: not any(r[2] in ("pending", "running", "delivering") for r in self.all_runs()),
                          what="runs to finish")
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            with open(f"/proc/{pid}/status") as f:
                rss = int(next(line.split()[1] for line in f if line.startswith("VmRSS:")))
            self.rd("schedules", "resume", "accounts")
            return rss, links

        try:
            self.wait_for(lambda: len(self.messages()) >= 3, what="three messages")
            rss0, fds0 = between_runs()
            self.wait_for(lambda: len(self.messages()) >= 18, what="fifteen more messages")
            rss1, fds1 = between_runs()
        finally:
            self.daemon.stop()
        print(f"SHORT-SOAK RSS {rss0} -> {rss1} KiB ({(rss1 - rss0) * 100.0 / rss0:+.1f}%), "
              f"fds {len(fds0)} -> {len(fds1)}", file=sys.stderr, flush=True)
        self.assertEqual([l for l in fds0 + fds1 if "memfd:" in l], [])
        # Sockets come and go with the keep-alive pool; nothing else may grow.
        self.assertLessEqual(len(fds1), len(fds0) + 4, (fds0, fds1))
        self.assertEqual(sorted(l for l in fds1 if not l.startswith("socket:")),
                         sorted(l for l in fds0 if not l.startswith("socket:")))
        self.assertLess((rss1 - rss0) * 100.0 / rss0, 5.0, (rss0, rss1))

    def test_connections_test_and_mail_test_check_the_real_services(self):
        self.boot()
        out = self.rd("connections", "test", "demo").stdout
        self.assertIn("connection demo: ok", out)
        out = self.rd("mail", "test", "--to", "ops@example.com").stdout
        self.assertIn("sent a test message", out)
        msgs = self.wait_for(lambda: self.messages(), what="the test message")
        names = sorted(p.get_filename() for p in msgs[0].walk() if p.get_filename())
        self.assertEqual(len(names), 2)
        self.assertTrue(any(n.endswith(".csv") for n in names) and any(n.endswith(".xlsx") for n in names))
        p = self.rd("connections", "test", "nope", check=False)
        self.assertIn('no connection named "nope"', p.stderr)
        # The connected app's consumer secret is unsealed for each token
        # request and sent: the right one works, a wrong one is refused.
        for name, secret in (("withsecret", self.org["client_secret"]), ("wrongsecret", "not-it")):
            path = os.path.join(self.root, name + ".secret")
            with open(path, "w") as f:
                f.write(secret + "\n")
            os.chmod(path, 0o600)
            self.rd("connections", "add", name, "--login-url", self.org["login_url"], "--client-id",
                    self.org["client_id"], "--client-secret-file", path, "--refresh-token-stdin",
                    stdin=self.org["refresh_token"] + "\n")
        self.assertIn("connection withsecret: ok", self.rd("connections", "test", "withsecret").stdout)
        p = self.rd("connections", "test", "wrongsecret", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("invalid_client", p.stderr)
        self.assertNotIn("not-it", p.stderr + p.stdout)

    def test_sighup_with_a_broken_config_keeps_the_old_one_and_says_why(self):
        self.boot()
        self.daemon.start()
        with open(self.config) as f:
            good = f.read()
        with open(self.config, "a") as f:
            f.write("[limits]\nmax_runs_per_org = 0\n")
        self.daemon.proc.send_signal(signal.SIGHUP)
        log = self.wait_for(lambda: (lambda t: b"serve.reload_failed" in t and t)(self.log()),
                            what="reload_failed")
        self.assertIn(b"limits.max_runs_per_org: must be 1..1000, not 0", log)
        self.assertIn(b"kept the previous config", log)
        # Still working with the old config: a schedule added now delivers.
        with open(self.config, "w") as f:
            f.write(good)
        self.rd("schedules", "add", "after", "--connection", "demo", "--cron", "*/2 * * * * *",
                "--min-interval", "1s", "--soql", "SELECT Id FROM Account", "--to", "a@example.com")
        msgs = self.wait_for(lambda: self.messages(), what="a message after the failed reload")
        self.assertIsNone(self.daemon.proc.poll())
        self.assertIn("<reports@example.com>", msgs[0]["From"])
        # A good reload with a new [smtp] from: report mail sent afterwards
        # comes from it.
        with open(self.config, "w") as f:
            f.write(good.replace('from = "reports@example.com"', 'from = "changed@example.com"'))
        reloads = self.log().count(b"event=serve.reload ")
        self.daemon.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: self.log().count(b"event=serve.reload ") > reloads, what="serve.reload")
        self.wait_for(lambda: any("<changed@example.com>" in str(m["From"]) for m in self.messages()),
                      what="a report from the reloaded [smtp] from")
        self.assertIsNone(self.daemon.proc.poll())
        self.assertEqual(self.daemon.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
