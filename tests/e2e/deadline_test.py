"""The run deadline end to end: the real `reportd serve`, two Salesforce
simulators (two orgs) and a real SMTP server (aiosmtpd).

One org answers every API call after a minute (`--slow-ms`); with
`[limits] run_deadline = "10s"` its run is cancelled mid-request and ends
`failed` with code `deadline` within the deadline plus 5 s, while the other
org's schedule runs and mails as usual.
"""
import os
import sqlite3
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from reportd_env import start_sim  # noqa: E402
from serve_case import MARKER, ServeCase  # noqa: E402

SOQL = "SELECT Id, Name FROM Account"
DEADLINE_S = 10


class DeadlineTest(ServeCase):
    def boot_two_orgs(self):
        # The second org first: both simulators' CAs go into one ca_file.
        other, self.other = start_sim(os.path.join(self.root, "sim-other"), "--rows-account", "40",
                                      "--marker", MARKER + "-OTHER")
        self.procs.append(other)
        bundle = os.path.join(self.root, "ca-bundle.pem")
        self.boot("--slow-ms", "60000",
                  config_extra=f'[limits]\nrun_deadline = "{DEADLINE_S}s"\nfailures_before_pause = 0\n')
        with open(bundle, "w") as out:
            for ca in (self.org["ca_file"], self.other["ca_file"]):
                with open(ca) as f:
                    out.write(f.read())
        with open(self.config) as f:
            text = f.read().replace(self.org["ca_file"], bundle)
        with open(self.config, "w") as f:
            f.write(text)
        self.rd("connections", "add", "other", "--login-url", self.other["login_url"], "--client-id",
                self.other["client_id"], "--refresh-token-stdin", stdin=self.other["refresh_token"] + "\n")

    def add_schedule(self, name, connection):
        self.rd("schedules", "add", name, "--connection", connection, "--cron", "*/20 * * * * *",
                "--min-interval", "1s", "--soql", SOQL, "--format", "csv", "--to", f"{name}@example.com")

    def times(self, run_id):
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        try:
            return db.execute("SELECT started_at_ms, finished_at_ms FROM runs WHERE id = ?",
                              (run_id,)).fetchone()
        finally:
            db.close()

    def test_a_very_slow_org_fails_by_the_deadline_and_the_other_org_runs(self):
        self.boot_two_orgs()
        self.add_schedule("slow", "demo")
        self.add_schedule("quick", "other")
        self.daemon.start()

        def ended(name):
            return [r for r in self.runs() if r["schedule"] == name and r["state"] in ("succeeded", "failed")]

        slow = self.wait_for(lambda: ended("slow"), timeout=DEADLINE_S + 60, what="the slow org's run to end")[0]
        quick = self.wait_for(lambda: ended("quick"), what="the other org's run to end")[0]
        self.assertEqual(self.daemon.stop(), 0)

        self.assertEqual(slow["state"], "failed")
        self.assertEqual(slow["error_code"], "deadline")
        self.assertIn("passed while fetching", slow["reason"])
        started, finished = self.times(slow["id"])
        took = (finished - started) / 1000
        self.assertGreaterEqual(took, DEADLINE_S - 1, took)
        self.assertLessEqual(took, DEADLINE_S + 5, took)
        self.assertEqual(quick["state"], "succeeded")
        self.assertEqual(quick["rows"], 40)
        mailed = " ".join(m["To"] for m in self.messages())
        self.assertIn("quick@example.com", mailed)
        self.assertNotIn("slow@example.com", mailed)


if __name__ == "__main__":
    unittest.main()
