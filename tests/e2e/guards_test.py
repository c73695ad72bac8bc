"""reportd's guards end to end: the real binary, the Salesforce simulator and a
real SMTP server (aiosmtpd).

- invalid_grant: the connection becomes needs-reauth, its runs fail with that
  reason, and no later occurrence (nor a restarted daemon) asks the token
  endpoint again.
- the API-budget guard: once the org's Sforce-Limit-Info usage is above
  [limits] api_budget_percent, runs wait until their catch-up deadline, are
  then recorded missed with code api-budget, and make no data query.
- `reportd run NAME --now --dry-run --out DIR` writes the outputs into DIR and
  sends no mail.
"""
import csv
import http.client
import io
import json
import os
import shutil
import ssl
import sys
import tempfile
import unittest
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from reportd_env import files_containing  # noqa: E402
from serve_case import MARKER, ServeCase  # noqa: E402

SOQL = "SELECT Id, Name, AnnualRevenue FROM Account"


class SimHooks:
    """HTTPS requests to the simulator: its /__sim hooks and, with the org's
    access token, its API (as another integration in the same org would)."""

    def __init__(self, org):
        self.org = org
        url = urllib.parse.urlparse(org["instance_url"])
        self.host, self.port = url.hostname, url.port
        self.ctx = ssl.create_default_context(cafile=org["ca_file"])

    def request(self, method, path, auth=False):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        headers = {"Authorization": "Bearer " + self.org["access_token"]} if auth else {}
        try:
            conn.request(method, path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, json.loads(body) if body else None
        finally:
            conn.close()

    def endpoints(self):
        return self.request("GET", "/__sim/stats")[1]["endpoints"]

    def token_requests(self):
        return sum(1 for r in self.request("GET", "/__sim/requests")[1]
                   if r["path"] == "/services/oauth2/token")


class GuardsTest(ServeCase):
    def setUp(self):
        super().setUp()
        self.out = tempfile.mkdtemp(prefix="reportd-dry-")

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.out, ignore_errors=True)

    def boot(self, *sim_flags, config_extra=""):
        super().boot(*sim_flags, config_extra=config_extra)
        self.sim = SimHooks(self.org)

    def add_schedule(self, name, cron="*/2 * * * * *", formats="csv", extra=()):
        self.rd("schedules", "add", name, "--connection", "demo", "--cron", cron, "--min-interval", "1s",
                "--soql", SOQL, "--format", formats, "--to", f"{name}@example.com", *extra)

    def finished(self):
        """Runs that ran and ended (not those skipped because the previous one
        was still going), oldest first."""
        return sorted((r for r in self.runs() if r["state"] in ("succeeded", "failed")),
                      key=lambda r: r["id"])

    def connection(self):
        conns = json.loads(self.rd("connections", "list", "--output", "json").stdout)
        return next(c for c in conns if c["name"] == "demo")

    def delivered_to(self):
        index = os.path.join(self.mail, "index.tsv")
        if not os.path.exists(index):
            return []
        with open(index) as f:
            return [line.rstrip("\n").split("\t")[2] for line in f]

    def stop_daemon(self):
        self.assertEqual(self.daemon.stop(), 0)
        with open(self.daemon.log_path, "rb") as f:
            log = f.read()
        self.assertNotIn(b"runtime error:", log)
        self.assertNotIn(b"AddressSanitizer", log)
        self.assertNotIn(MARKER.encode(), log)
        return log

    def test_invalid_grant_marks_the_connection_needs_reauth_and_nothing_asks_for_a_token_again(self):
        # No auto-pause, so that every occurrence keeps running into the mark.
        self.boot("--invalid-grant", config_extra="[limits]\nfailures_before_pause = 0\n")
        self.add_schedule("one")
        self.add_schedule("two")
        self.daemon.start()
        self.wait_for(lambda: len(self.finished()) >= 5, what="five finished runs")
        self.stop_daemon()

        conn = self.connection()
        self.assertEqual(conn["status"], "needs-reauth")
        self.assertIn("invalid_grant", conn["status_reason"])
        runs = self.finished()
        self.assertTrue(all(r["state"] == "failed" for r in runs), runs)
        # The runs that met the revoked grant itself (the first occurrence's,
        # which may be one run or two sharing the client's one token request,
        # depending on catch-up) say invalid_grant; every run that started
        # after the mark fails at once on it without calling Salesforce. The
        # start-up schedule sync may meet the refusal first: then no run does,
        # and every run fails on the mark.
        codes = [r["error_code"] for r in sorted(runs, key=lambda r: (r["nominal"], r["id"]))]
        n_grant = codes.count("invalid_grant")
        self.assertEqual(codes[:n_grant], ["invalid_grant"] * n_grant, runs)
        self.assertLessEqual(n_grant, 2, runs)
        for r in runs:
            self.assertIn("needs re-authorization", r["reason"])
            if r["error_code"] == "invalid_grant":
                self.assertIn("invalid_grant", r["reason"])
        later = [r for r in runs if r["error_code"] != "invalid_grant"]
        self.assertGreaterEqual(len(later), 3)
        for r in later:
            self.assertEqual(r["error_code"], "needs-reauth", r)
            self.assertIn("reportd connections reauth demo", r["reason"])  # says how to fix it
        self.assertEqual({r["schedule"] for r in runs}, {"one", "two"})
        self.assertEqual(self.sim.token_requests(), 1)
        self.assertEqual(self.sim.endpoints().get("oauth.grant.refresh_token"), 1)
        self.assertEqual(self.sim.request("GET", "/__sim/stats")[1]["api_calls"], 0)

        # A restarted daemon (a new Salesforce client) keeps to the mark.
        before = len(runs)
        self.daemon.start()
        self.wait_for(lambda: len(self.finished()) >= before + 2, what="two more finished runs")
        self.stop_daemon()
        later = self.finished()[before:]
        self.assertTrue(all(r["error_code"] == "needs-reauth" for r in later), later)
        self.assertEqual(self.sim.token_requests(), 1)
        self.assertEqual(self.delivered_to(), [])

    def test_api_budget_guard_defers_runs_then_records_them_missed_and_makes_no_data_query(self):
        self.boot("--api-max", "100", config_extra="[limits]\napi_budget_percent = 90\nfailures_before_pause = 0\n")
        # Other integrations of the org have spent 95 of its 100 daily calls.
        for _ in range(95):
            status, _ = self.sim.request("GET", f"/services/data/v{self.org['api_version']}/limits", auth=True)
            self.assertEqual(status, 200)
        # A catch-up deadline of 2 s: a deferred run is missed 2 s after its time.
        self.add_schedule("budget", extra=("--catchup", "2s"))
        self.daemon.start()
        # The client learns the usage from Sforce-Limit-Info on its org's
        # responses, so at most the first run after a start may query.
        self.wait_for(lambda: sum(r["error_code"] == "api-budget" for r in self.runs()) >= 3,
                      what="three api-budget runs")
        queries_seen = self.sim.endpoints().get("query", 0)
        self.wait_for(lambda: sum(r["error_code"] == "api-budget" for r in self.runs()) >= 5,
                      what="five api-budget runs")
        self.stop_daemon()

        # Ran and ended, or deferred to the catch-up deadline and missed.
        runs = sorted((r for r in self.runs()
                       if r["state"] in ("succeeded", "failed") or r["error_code"] == "api-budget"),
                      key=lambda r: r["id"])
        guarded = [r for r in runs if r["error_code"] == "api-budget"]
        others = [r for r in runs if r["error_code"] != "api-budget"]
        self.assertLessEqual(len(others), 1, others)
        self.assertEqual(runs[-len(guarded):], guarded, "once guarded, every later run is guarded")
        for r in guarded:
            self.assertEqual(r["state"], "missed")
            self.assertEqual(r["rows"], 0)
            self.assertIn("of 100 daily API calls", r["reason"])
            self.assertIn("limit 90%", r["reason"])
        queries = self.sim.endpoints().get("query", 0)
        self.assertEqual(queries, queries_seen, "a guarded run made a data query")
        self.assertEqual(queries, len(others))
        self.assertEqual(self.sim.endpoints().get("query.more", 0), 0)
        self.assertEqual(len(self.delivered_to()), len([r for r in others if r["state"] == "succeeded"]))

    def test_run_now_dry_run_writes_the_outputs_into_out_and_sends_no_mail(self):
        self.dry_run_checks()

    def test_dry_run_into_a_tmpfs_links_its_outputs_there(self):
        # On a tmpfs the outputs are made in --out itself as unnamed files and
        # linked at the end; the same promises hold.
        shutil.rmtree(self.out, ignore_errors=True)
        self.out = tempfile.mkdtemp(prefix="reportd-dry-", dir="/dev/shm")
        self.dry_run_checks()

    def dry_run_checks(self):
        self.boot()
        self.add_schedule("accounts", cron="0 6 * * *", formats="csv,xlsx,html")
        p = self.rd("run", "accounts", "--now", "--dry-run", "--out", self.out)
        self.assertIn("succeeded, 300 row(s)", p.stdout)
        self.assertIn("nothing delivered", p.stdout)

        files = sorted(os.listdir(self.out))
        self.assertIn("accounts.csv", files)
        self.assertIn("accounts.xlsx", files)
        with open(os.path.join(self.out, "accounts.csv"), encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(io.StringIO(f.read())))
        self.assertEqual(rows[0], ["Id", "Name", "AnnualRevenue"])
        self.assertEqual(len(rows) - 1, 300)
        self.assertTrue(any(MARKER in cell for row in rows for cell in row), "real record values")
        with open(os.path.join(self.out, "accounts.xlsx"), "rb") as f:
            self.assertEqual(f.read(2), b"PK")

        run = self.runs()[-1]
        self.assertEqual((run["state"], run["rows"]), ("succeeded", 300))
        self.assertIn("dry run", run["reason"])
        self.assertNotEqual(run["disposed_at"], "-")
        show = json.loads(self.rd("runs", "show", str(run["id"]), "--output", "json").stdout)
        self.assertEqual(show["deliveries"], [])
        self.assertEqual(self.delivered_to(), [])
        self.assertEqual([n for n in os.listdir(self.mail) if n.endswith(".eml")], [])
        # The values went only where the operator asked.
        for where in (self.box.state, self.runtime_dir):
            self.assertEqual(files_containing(where, MARKER.encode()), [], where)

        # --out must name an existing directory; nothing is claimed otherwise.
        p = self.rd("run", "accounts", "--now", "--dry-run", "--out", os.path.join(self.out, "nope"),
                    check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("is not an existing directory", p.stderr)
        self.assertEqual(len(self.runs()), 1)

        # The files hold record values: only the operator reads them, and a
        # second run never writes over one, nor through a planted symlink.
        for name in files:
            self.assertEqual(os.stat(os.path.join(self.out, name)).st_mode & 0o777, 0o600, name)
        # Occurrences are keyed by the second: a second the first run cannot have claimed.
        after = int(time.time())
        self.wait_for(lambda: int(time.time()) > after, timeout=5, what="the next second")
        p = self.rd("run", "accounts", "--now", "--dry-run", "--out", self.out, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("File exists; remove it or choose another --out directory", p.stdout + p.stderr)
        self.assertEqual(sorted(os.listdir(self.out)), files, "a failed dry run left a file")
        for name in files:
            os.remove(os.path.join(self.out, name))
        target = os.path.join(self.box.root, "elsewhere.csv")
        os.symlink(target, os.path.join(self.out, "accounts.csv"))
        p = self.rd("run", "accounts", "--now", "--dry-run", "--out", self.out, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(target), "the dry run wrote through a symlink")
        self.assertEqual(os.listdir(self.out), ["accounts.csv"], "a failed dry run left a file")


if __name__ == "__main__":
    unittest.main(verbosity=2)
