"""Failure notices and automatic pause, end to end: the real daemon, the
simulator and aiosmtpd. A schedule that keeps failing is paused with the
reason in `schedules list` and one notice reaches its owner and the
operator; a revoked grant mails one re-auth notice, and `connections reauth`
brings the connection back."""
import email.utils
import json
import os
import sys
import time
import unittest
import urllib.request
import ssl

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from serve_case import ServeCase  # noqa: E402

NOTICES = '[limits]\nfailures_before_pause = 2\n[notices]\noperator = "ops@example.com"\n'


class NoticesTest(ServeCase):
    def notices(self):
        return [m for m in self.messages() if m["Subject"].startswith("reportd: ")]

    @staticmethod
    def text_of(message):
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode()
        raise AssertionError("no text/plain part")

    def sim_faults(self, **faults):
        ctx = ssl.create_default_context(cafile=self.org["ca_file"])
        req = urllib.request.Request(self.org["instance_url"] + "/__sim/faults", method="POST",
                                     data=json.dumps(faults).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.load(r)

    def schedule(self, name):
        return json.loads(self.rd("schedules", "show", name, "--output", "json").stdout)

    def test_a_schedule_failing_n_times_in_a_row_is_paused_and_its_owner_told(self):
        self.boot(config_extra=NOTICES)
        # The schedule is added once the daemon is ready, so every occurrence
        # counted here fell due while it was running: one added before a slow
        # start-up would also have (correctly) missed ones from before.
        self.daemon.start()
        try:
            self.rd("schedules", "add", "broken", "--connection", "demo", "--cron", "*/2 * * * * *",
                    "--min-interval", "1s", "--soql", "SELECT Id, No_Such_Field__c FROM Account",
                    "--to", "a@example.com", "--owner", "owner@example.com")
            self.wait_for(lambda: self.schedule("broken")["paused"], what="the automatic pause")
            runs_when_paused = self.runs()
            failed_when_paused = len([r for r in runs_when_paused if r["state"] == "failed"])
            # The failing run ends once its notice is sent; occurrences due
            # until then are skipped for overlap or, when the loaded machine
            # woke the scheduler late, missed: never started, not run late.
            self.wait_for(self.notices, what="the pause notice")
            told_ms = int(time.time() * 1000)
            # Two more due times pass with the daemon's loop alive after them:
            # nothing runs, nobody is mailed again.
            self.wait_for_heartbeat_after(told_ms + 4000)
            failed_later = len([r for r in self.runs() if r["state"] == "failed"])
        finally:
            self.assertEqual(self.daemon.stop(), 0)
        self.assertEqual(failed_when_paused, 2, runs_when_paused)
        self.assertEqual(failed_later, 2)
        # An occurrence claimed just before the pause reached the scheduler
        # ends as cancelled, without a query; nothing runs after that.
        told = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(told_ms / 1000 + 1))
        never_started = ("overlap:", "missed: not run in time")
        late = [r for r in self.runs() if r["state"] != "failed" and not (
            r["state"] in ("skipped", "missed") and r["reason"].startswith(never_started) and r["nominal"] <= told)]
        self.assertLessEqual(len(late), 1, late)
        self.assertTrue(all(r["state"] == "cancelled" and "paused" in r["reason"] for r in late), late)
        s = self.schedule("broken")
        self.assertIn("paused automatically after 2 failed runs in a row", s["pause_reason"])
        self.assertIn("INVALID_FIELD", s["pause_reason"])
        listed = self.rd("schedules", "list").stdout
        self.assertIn("paused automatically", listed)
        notices = self.notices()
        self.assertEqual(len(notices), 1, [m["Subject"] for m in notices])
        n = notices[0]
        self.assertEqual(n["Subject"], 'reportd: schedule "broken" paused after 2 failed runs')
        self.assertEqual(sorted(a for _, a in email.utils.getaddresses([n["To"]])),
                         ["ops@example.com", "owner@example.com"])
        body = self.text_of(n)
        self.assertIn("INVALID_FIELD", body)
        self.assertIn('reportd schedules resume "broken"', body)
        # The report itself never went out.
        self.assertFalse([m for m in self.messages() if "a@example.com" in m["To"]])

    def test_a_revoked_grant_mails_one_notice_and_reauth_brings_the_connection_back(self):
        self.boot(config_extra=NOTICES.replace("failures_before_pause = 2", "failures_before_pause = 0"))
        self.rd("schedules", "add", "accounts", "--connection", "demo", "--cron", "*/2 * * * * *",
                "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account",
                "--to", "a@example.com", "--owner", "owner@example.com")
        self.sim_faults(invalid_grant=True)
        self.daemon.start()
        try:
            self.wait_for(lambda: len([r for r in self.runs() if r["state"] == "failed"]) >= 3,
                          what="three failed runs")
            conns = json.loads(self.rd("connections", "list", "--output", "json").stdout)
            self.assertEqual(conns[0]["status"], "needs-reauth")
            self.assertEqual(len(self.notices()), 1)
            n = self.notices()[0]
            self.assertEqual(n["Subject"], 'reportd: connection "demo" needs re-authorization')
            self.assertIn("reportd connections reauth", self.text_of(n))

            # The administrator reconnects: runs succeed again without a restart.
            self.sim_faults(invalid_grant=False)
            out = self.rd("connections", "reauth", "demo", "--refresh-token-stdin",
                          stdin=self.org["refresh_token"] + "\n").stdout
            self.assertIn("re-authorized connection demo", out)
            self.wait_for(lambda: [m for m in self.messages() if "a@example.com" in m["To"]],
                          what="a report after re-authorization")
        finally:
            self.assertEqual(self.daemon.stop(), 0)
        conns = json.loads(self.rd("connections", "list", "--output", "json").stdout)
        self.assertEqual(conns[0]["status"], "ok")
        self.assertEqual(len(self.notices()), 1)


if __name__ == "__main__":
    unittest.main()
