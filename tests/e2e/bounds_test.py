"""Bounded runs end to end: the real `reportd serve`, two Salesforce
simulators (two orgs) and a real SMTP server (aiosmtpd).

- XLSX over a large object with a small per-run byte cap: the run fails
  `too-large` while the scratch (memfds and the XLSX writer's temp files,
  measured from outside through /proc/PID/fd, and the daemon's own
  high-water mark on /metrics) stays under the cap plus far less than one
  page of rows; three such runs at once, on two orgs, stay under the global
  scratch budget together.
- A looping nextRecordsUrl: the run ends at once with `paging-loop` and a
  clear reason; the other org's schedule keeps running on time and mailing.
- Pages past what limits.max_rows_per_run allows end the run `too-large`.
"""
import json
import os
import socket
import sys
import threading
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from reportd_env import start_sim, start_sink  # noqa: E402
from serve_case import MARKER, Daemon, ServeCase  # noqa: E402

BIG_SOQL = ("SELECT Id, Name, Description, Industry, Type, AnnualRevenue, NumberOfEmployees, Phone, "
            "Website, BillingCity, LastActivityDate FROM Account")
SMALL_SOQL = "SELECT Id, Name FROM Account"
CAP = 2 << 20      # limits.scratch_max_bytes
BUDGET = 5 << 20   # limits.scratch_budget_bytes: two runs' caps fit, three do not
# One REST page is 2,000 records; of BIG_SOQL's ~250-byte rows that is about
# 500 KB of sheet XML. Enforcement looks every 64 KiB (plus stdio's buffer
# and CSV's 64 KiB), so the overshoot allowed here is well under a page.
SLACK = 256 << 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScratchWatch:
    """Samples, from outside the daemon, the bytes its scratch holds: every
    memfd named reportd-scratch and every file it has open under a run
    directory of the scratch tmpdir (the XLSX writer's unlinked temp files)."""

    def __init__(self, pid, tmpdir):
        self.pid, self.prefix = pid, os.path.join(tmpdir, "reportd-run-")
        self.high = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def readable(self):
        try:
            os.listdir(f"/proc/{self.pid}/fd")
            return True
        except OSError:  # the daemon is not dumpable: only root may look
            return False

    def now(self):
        total = 0
        base = f"/proc/{self.pid}/fd"
        for fd in os.listdir(base):
            try:
                link = os.readlink(f"{base}/{fd}")
                if link.startswith("/memfd:reportd-scratch") or link.startswith(self.prefix):
                    total += os.stat(f"{base}/{fd}").st_size
            except OSError:
                pass
        return total

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.high = max(self.high, self.now())
                self.samples += 1
            except OSError:
                return
            time.sleep(0.002)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class BoundsTest(ServeCase):
    def boot_two(self, alpha_flags=(), beta_flags=(), limits=""):
        """Two orgs: alpha (a large Account table) and beta (a small one)."""
        sim_a, self.alpha = start_sim(os.path.join(self.root, "sim-a"), "--marker", MARKER,
                                      "--rows-account", "40000", *alpha_flags)
        self.procs.append(sim_a)
        sim_b, self.beta = start_sim(os.path.join(self.root, "sim-b"), "--marker", MARKER,
                                     "--rows-account", "300", *beta_flags)
        self.procs.append(sim_b)
        sink, smtp_port = start_sink(self.mail)
        self.procs.append(sink)
        # One trust file for both simulators' CAs.
        cas = os.path.join(self.root, "cas.pem")
        with open(cas, "w") as out:
            for org in (self.alpha, self.beta):
                with open(org["ca_file"]) as f:
                    out.write(f.read())
        self.http_port = free_port()
        self.config = os.path.join(self.root, "reportd.toml")
        with open(self.config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{cas}"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\ntls = "none"\n'
                    f'from = "reports@example.com"\n'
                    f'[http]\nlisten = "127.0.0.1:{self.http_port}"\n'
                    f'[sync]\ninterval_minutes = 600\n'
                    f'[limits]\nfailures_before_pause = 0\n{limits}'
                    f'[connections.alpha]\nallowed_domains = ["example.com"]\n'
                    f'[connections.beta]\nallowed_domains = ["example.com"]\n')
        for name, org in (("alpha", self.alpha), ("beta", self.beta)):
            self.rd("connections", "add", name, "--login-url", org["login_url"], "--client-id",
                    org["client_id"], "--refresh-token-stdin", stdin=org["refresh_token"] + "\n")
        env_scratch = os.environ.pop("REPORTD_SCRATCH_DIR", None)  # the test's runtime dir is the scratch
        self.addCleanup(lambda: env_scratch and os.environ.__setitem__("REPORTD_SCRATCH_DIR", env_scratch))
        self.daemon = Daemon(self.box, self.config, self.runtime_dir, os.path.join(self.root, "reportd.log"))

    def add(self, name, connection, cron, soql, formats):
        self.rd("schedules", "add", name, "--connection", connection, "--cron", cron,
                "--min-interval", "1s", "--soql", soql, "--format", formats,
                "--to", f"{name}@example.com")

    def runs_of(self, name):
        return sorted((r for r in self.runs() if r["schedule"] == name and
                       r["state"] in ("succeeded", "failed", "skipped")), key=lambda r: r["id"])

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=10) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line.startswith("reportd_scratch_"):
                name, value = line.split()
                out[name] = float(value)
        return out

    def stop_daemon(self):
        self.assertEqual(self.daemon.stop(), 0)
        log = self.log()
        self.assertNotIn(b"runtime error:", log)
        self.assertNotIn(b"AddressSanitizer", log)
        self.assertNotIn(MARKER.encode(), log)
        return log

    def watch(self):
        w = ScratchWatch(self.daemon.proc.pid, self.runtime_dir)
        return w if w.readable() else None

    def assert_too_large(self, run):
        self.assertEqual(run["state"], "failed", run)
        self.assertEqual(run["error_code"], "too-large", run)
        self.assertIn("limits.scratch_", run["reason"])  # names the cap and how to raise it
        self.assertIn("raise", run["reason"])
        self.assertEqual(run["attempt"], 1, "a cap error is never retried")

    def test_xlsx_over_the_byte_cap_fails_too_large_with_the_scratch_under_the_cap(self):
        # The XLSX writer compresses rows as they arrive (all 40,000 come to
        # about 2.5 MB), so its cap is half the CSV tests' to stop it early.
        cap = CAP // 2
        self.boot_two(limits=f"scratch_max_bytes = {cap}\nscratch_budget_bytes = {BUDGET}\n")
        self.add("big", "alpha", "*/30 * * * * *", BIG_SOQL, "xlsx")
        self.daemon.start()
        watch = self.watch()
        if watch:
            with watch:
                run = self.wait_for(lambda: (self.runs_of("big") or [None])[0], timeout=120,
                                    what="the XLSX run")
        else:
            run = self.wait_for(lambda: (self.runs_of("big") or [None])[0], timeout=120, what="the XLSX run")
        m = self.metrics()
        self.stop_daemon()

        self.assert_too_large(run)
        self.assertIn("limits.scratch_max_bytes", run["reason"])
        self.assertIn("xlsx", run["reason"])
        # Stopped while the rows arrived, a few pages in, not after all 20 pages.
        pages_more = self.sim_stats(self.alpha)["endpoints"].get("query.more", 0)
        self.assertLess(pages_more, 12)
        self.assertLess(run["rows"], 40000)
        self.assertLessEqual(m["reportd_scratch_high_water_bytes"], cap + SLACK, m)
        self.assertGreater(m["reportd_scratch_high_water_bytes"], cap // 2, m)
        self.assertEqual(m["reportd_scratch_bytes"], 0, "the failed run gave its scratch back")
        self.assertEqual(m["reportd_scratch_budget_bytes"], BUDGET)
        if watch:
            self.assertGreater(watch.samples, 10)
            self.assertLessEqual(watch.high, cap + SLACK, f"scratch high-water {watch.high}")
            self.assertGreater(watch.high, cap // 2, "the watch saw the temp file grow")
        self.assertEqual(self.messages(), [])
        print(f"\none run: cap {CAP}, daemon high-water {m['reportd_scratch_high_water_bytes']:.0f}, "
              f"watched {watch.high if watch else None} in {watch.samples if watch else 0} samples",
              file=sys.stderr)

    def sim_stats(self, org):
        import http.client
        import ssl
        url = urllib.parse.urlparse(org["instance_url"])
        conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=30,
                                           context=ssl.create_default_context(cafile=org["ca_file"]))
        try:
            conn.request("GET", "/__sim/stats")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def test_three_xlsx_runs_at_once_on_two_orgs_stay_under_the_global_budget(self):
        # A budget of one and a quarter caps: three runs growing together meet
        # it at well under a cap each; on a loaded machine, where they start
        # seconds apart, two overlapping runs still meet it before either
        # meets its own cap.
        budget = CAP * 5 // 4
        self.boot_two(beta_flags=("--rows-account", "40000"),
                      limits=f"scratch_max_bytes = {CAP}\nscratch_budget_bytes = {budget}\n")
        # The same second: all three run at once.
        self.add("big1", "alpha", "*/30 * * * * *", BIG_SOQL, "xlsx")
        self.add("big2", "alpha", "*/30 * * * * *", BIG_SOQL, "xlsx")
        self.add("big3", "beta", "*/30 * * * * *", BIG_SOQL, "xlsx")
        self.daemon.start()
        names = ("big1", "big2", "big3")

        def all_ended():
            firsts = [self.runs_of(n) for n in names]
            return [f[0] for f in firsts] if all(firsts) else None
        watch = self.watch()
        if watch:
            with watch:
                runs = self.wait_for(all_ended, timeout=180, what="three XLSX runs")
        else:
            runs = self.wait_for(all_ended, timeout=180, what="three XLSX runs")
        m = self.metrics()
        self.stop_daemon()

        for r in runs:
            self.assert_too_large(r)
        overlapped = max(r["started_at"] for r in runs) < min(r["finished_at"] for r in runs)
        self.assertTrue(overlapped, runs)
        self.assertLessEqual(m["reportd_scratch_high_water_bytes"], budget, m)
        self.assertGreater(m["reportd_scratch_high_water_bytes"], CAP, "more than one run held scratch")
        self.assertEqual(m["reportd_scratch_bytes"], 0)
        # At least one run met the budget before its own cap, and said so.
        self.assertTrue(any("limits.scratch_budget_bytes" in r["reason"] for r in runs), runs)
        if watch:
            self.assertLessEqual(watch.high, budget + 3 * SLACK, f"scratch high-water {watch.high}")
        print(f"\nthree runs: budget {budget}, daemon high-water {m['reportd_scratch_high_water_bytes']:.0f}, "
              f"watched {watch.high if watch else None}", file=sys.stderr)

    def test_a_looping_next_records_url_ends_the_run_and_the_other_org_keeps_its_schedule(self):
        self.boot_two(alpha_flags=("--loop-locator",))
        self.add("looping", "alpha", "*/20 * * * * *", SMALL_SOQL, "csv")
        self.add("steady", "beta", "*/2 * * * * *", SMALL_SOQL, "csv")
        self.daemon.start()
        looped = self.wait_for(lambda: (self.runs_of("looping") or [None])[0], timeout=60,
                               what="the looping run")
        # beta keeps its every-2-seconds schedule while and after alpha loops.
        def succeeded():
            return [r for r in self.runs_of("steady") if r["state"] == "succeeded"]
        self.wait_for(lambda: len(succeeded()) >= 6, timeout=90, what="six steady runs")
        self.stop_daemon()

        self.assertEqual(looped["state"], "failed", looped)
        self.assertEqual(looped["error_code"], "paging-loop", looped)
        self.assertIn("nextRecordsUrl", looped["reason"])
        self.assertIn("would never end", looped["reason"])
        self.assertEqual(looped["attempt"], 1, "a loop is never retried")
        self.assertLessEqual(looped["rows"], 4000)
        # Two pages, then the repeated URL: no third data request.
        self.assertEqual(self.sim_stats(self.alpha)["endpoints"].get("query.more", 0), 1)
        steady = self.runs_of("steady")
        for r in steady:
            # On a loaded machine a run may outlast two seconds: the next
            # occurrence is then skipped for overlap, as for any schedule.
            if r["state"] == "skipped":
                self.assertIn("overlap", r["reason"], r)
            else:
                self.assertEqual((r["state"], r["rows"]), ("succeeded", 300), r)
        to = [str(m["To"]) for m in self.messages()]
        self.assertGreaterEqual(sum("steady@example.com" in t for t in to), 6)
        self.assertFalse(any("looping@example.com" in t for t in to), to)

    def test_pages_past_the_row_cap_end_the_run_too_large(self):
        # 100-record pages (under Salesforce's 200 minimum, as a misbehaving
        # server might send): the page cap of a 1,000-row run is 7 pages.
        self.boot_two(alpha_flags=("--page-size", "100"),
                      limits="max_rows_per_run = 1000\n")
        self.add("paged", "alpha", "*/20 * * * * *", SMALL_SOQL, "csv")
        self.add("small", "beta", "*/20 * * * * *", SMALL_SOQL, "csv")
        self.daemon.start()
        run = self.wait_for(lambda: (self.runs_of("paged") or [None])[0], timeout=60, what="the paged run")
        small = self.wait_for(lambda: (self.runs_of("small") or [None])[0], timeout=60, what="beta's run")
        self.stop_daemon()

        self.assertEqual(run["error_code"], "too-large", run)
        self.assertIn("pages", run["reason"])
        self.assertIn("limits.max_rows_per_run", run["reason"])
        # Six queryMore calls per run: the seventh page ends it. Alpha's
        # schedule fires every 20 s, so a slow beta run lets a second one in.
        paged_runs = len([r for r in self.runs() if r["schedule"] == "paged"])
        more = self.sim_stats(self.alpha)["endpoints"].get("query.more", 0)
        self.assertGreaterEqual(more, 6)
        self.assertLessEqual(more, 6 * paged_runs, f"{paged_runs} paged runs")
        self.assertEqual(small["state"], "succeeded", small)  # 300 rows: under the cap


if __name__ == "__main__":
    unittest.main(verbosity=2)
