"""Recipients are checked where mail leaves, end to end: the real `reportd
serve` and CLI, two Salesforce simulators (two orgs, two connections, each
allowed only its own domain), a real SMTP server and the real SQLite file.
- A synced record naming another org's domain, or synced from a connection
  with no allowed domains, is refused with a customer-readable reason written
  back onto the record; nothing is mailed for it.
- Narrowing a connection's list (`connections set`) pauses the schedules that
  no longer pass, with the reason; a run anyway (`run --now`) records the
  foreign recipient as refused in the ledger, mails only the allowed one, and
  writes back a customer-safe text; the next sync marks the record Invalid.
- Operator detail (a config path planted with a marker) stays in `runs show`
  and never reaches Last_Error__c."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import Sandbox, start_sim, start_sink  # noqa: E402
from serve_case import Daemon, ServeCase  # noqa: E402
from sync_test import Org, soql_record  # noqa: E402

OPERATOR_MARKER = "RELAY-MARKER-" + os.urandom(4).hex().upper()


class RecipientsTest(ServeCase):
    def boot_two(self, acme_domains="acme.example", globex_domains=None, config_extra=""):
        """Org A (connection acme) and org B (connection globex), one sink."""
        sim_a, self.org_a = start_sim(os.path.join(self.root, "sim-a"), "--rows-account", "20")
        sim_b, self.org_b = start_sim(os.path.join(self.root, "sim-b"), "--rows-account", "20")
        sink, self.port = start_sink(self.mail)
        self.procs += [sim_a, sim_b, sink]
        self.bundle = os.path.join(self.root, "ca-bundle.pem")
        with open(self.bundle, "w") as out:
            for org in (self.org_a, self.org_b):
                with open(org["ca_file"]) as f:
                    out.write(f.read())
        self.config = self.write_config("reportd.toml", config_extra)
        for name, org, domains in (("acme", self.org_a, acme_domains), ("globex", self.org_b, globex_domains)):
            args = ["connections", "add", name, "--login-url", org["login_url"], "--client-id",
                    org["client_id"], "--refresh-token-stdin"]
            if domains:
                args += ["--allowed-domains", domains]
            self.rd(*args, stdin=org["refresh_token"] + "\n")
            self.set_jwt(name, org)  # synced schedules run as their record owners (issue #16)
        self.a, self.b = Org(self.org_a), Org(self.org_b)
        self.daemon = Daemon(self.box, self.config, self.runtime_dir, os.path.join(self.root, "reportd.log"))

    def write_config(self, name, extra="", smtp_extra="", defaults=""):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            f.write(f'[salesforce]\nca_file = "{self.bundle}"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {self.port}\ntls = "none"\n'
                    f'from = "reports@reportd.example"\n{smtp_extra}'
                    f'[defaults]\nmin_interval = "1s"\n{defaults}[sync]\ninterval_minutes = 60\n' + extra)
        return path

    def delivered(self):
        """(message file, recipient) for every message the sink accepted."""
        idx = os.path.join(self.mail, "index.tsv")
        if not os.path.exists(idx):
            return []
        with open(idx) as f:
            return [tuple(line.rstrip("\n").split("\t")[::2]) for line in f if line.strip()]

    def recipients_mailed(self):
        return sorted(r for _, r in self.delivered())

    def show(self, name):
        return json.loads(self.rd("schedules", "show", name, "--output", "json").stdout)

    def run_show(self, run_id):
        return json.loads(self.rd("runs", "show", str(run_id), "--output", "json").stdout)

    def last_run(self, schedule):
        runs = [r for r in self.runs() if r["schedule"] == schedule]
        return max(runs, key=lambda r: r["id"])

    # --- tests

    def test_a_foreign_recipient_and_an_empty_list_are_refused_and_written_back(self):
        self.boot_two(acme_domains="acme.example", globex_domains=None)
        # Org A's record names org B's domain; org B's connection has no list.
        foreign = self.a.create(**soql_record("Leaky", "*/2 * * * * *",
                                              Recipients__c="boss@acme.example; spy@globex.example"))
        unlisted = self.b.create(**soql_record("Unlisted", "*/2 * * * * *",
                                               Recipients__c="boss@globex.example"))
        self.daemon.start()
        try:
            self.wait_for(lambda: self.a.get(foreign)["Last_Status__c"] == "Invalid"
                          and self.b.get(unlisted)["Last_Status__c"] == "Invalid",
                          what="both records marked Invalid by the start-up sync")
            names = {s["name"] for s in json.loads(self.rd("schedules", "list", "--output", "json").stdout)}
        finally:
            self.assertEqual(self.daemon.stop(), 0)
        self.assertNotIn("acme/Leaky", names)
        self.assertNotIn("globex/Unlisted", names)
        err = self.a.get(foreign)["Last_Error__c"]
        self.assertIn("Recipients__c", err)
        self.assertIn("spy@globex.example", err)
        self.assertIn("outside those allowed for this connection (acme.example)", err)
        err = self.b.get(unlisted)["Last_Error__c"]
        self.assertIn("no recipient domains are allowed for this org yet", err)
        self.assertIn("ask your reportd operator", err)
        self.assertNotIn("reportd connections", err)  # the operator's command is not the customer's
        self.assertEqual(self.delivered(), [])

        # The operator allows org B's domain in [defaults]: the next sync of
        # org B schedules the record (it has no list of its own).
        self.config = self.write_config("reportd.toml", defaults='allowed_domains = ["globex.example"]\n')
        self.rd("sync", "globex", "--full")
        self.assertEqual(self.show("globex/Unlisted")["recipients"], "boss@globex.example")
        self.assertEqual(self.b.get(unlisted)["Last_Status__c"], "Scheduled")
        # The default is for connections without a list: org A's foreign
        # recipient is still refused.
        self.rd("sync", "acme", "--full")
        self.assertEqual(self.a.get(foreign)["Last_Status__c"], "Invalid")

    def test_narrowing_pauses_refuses_at_send_time_and_writes_back_a_safe_reason(self):
        self.boot_two(acme_domains="acme.example, partner.example", globex_domains="globex.example")
        rid = self.a.create(**soql_record("Shared", "0 7 * * *",
                                          Recipients__c="boss@acme.example, ann@partner.example"))
        self.rd("sync", "acme")
        self.assertEqual(self.a.get(rid)["Last_Status__c"], "Scheduled")
        self.rd("schedules", "add", "local", "--connection", "acme", "--cron", "0 7 * * *",
                "--soql", "SELECT Id, Name FROM Account", "--to", "boss@acme.example ann@partner.example",
                "--body", "Hello <team>")
        # Org B's list never allows org A's partner.
        p = self.rd("schedules", "add", "cross", "--connection", "globex", "--cron", "0 7 * * *",
                    "--soql", "SELECT Id FROM Account", "--to", "ann@partner.example", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("outside those allowed for this connection (globex.example)", p.stderr)

        # While the list allows both, a run mails both, with the body above the summary.
        self.rd("run", "local", "--now")
        self.assertEqual(self.recipients_mailed(), ["ann@partner.example", "boss@acme.example"])
        msg = self.messages()[0]
        def body(kind):
            part = next(p for p in msg.walk() if p.get_content_type() == kind)
            return part.get_payload(decode=True).decode("utf-8")
        text = body("text/plain")
        self.assertLess(text.index("Hello <team>"), text.index("Run at"))
        html = body("text/html")
        self.assertIn("Hello &lt;team&gt;", html)

        # The daemon runs while the operator narrows the list.
        self.daemon.start()
        try:
            out = self.rd("connections", "set", "acme", "--allowed-domains", "ACME.example").stdout
        finally:
            self.assertEqual(self.daemon.stop(), 0)
        self.assertIn("allowed domains acme.example (were acme.example, partner.example)", out)
        self.assertIn("paused local: allowed domains changed: recipient ann@partner.example refused", out)
        self.assertIn("paused acme/Shared:", out)
        for name in ("local", "acme/Shared"):
            s = self.show(name)
            self.assertTrue(s["paused"], name)
            self.assertIn("ann@partner.example", s["pause_reason"])
            self.assertIn("(acme.example)", s["pause_reason"])
        self.assertIn("ann@partner.example", self.rd("schedules", "list").stdout)
        conns = json.loads(self.rd("connections", "list", "--output", "json").stdout)
        self.assertEqual({c["name"]: c["allowed_domains"] for c in conns},
                         {"acme": ["acme.example"], "globex": ["globex.example"]})

        # Run anyway: where the mail leaves, ann is refused and recorded so.
        before = len(self.delivered())
        p = self.rd("run", "acme/Shared", "--now", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("1 of 2 recipients refused, not sent", p.stdout)
        self.assertIn("status written back", p.stdout)
        new = [r for _, r in self.delivered()[before:]]
        self.assertEqual(new, ["boss@acme.example"])
        run = self.last_run("acme/Shared")
        self.assertEqual((run["state"], run["error_code"]), ("failed", "recipient-not-allowed"))
        ledger = {d["recipient"]: d for d in self.run_show(run["id"])["deliveries"]}
        self.assertEqual(ledger["boss@acme.example"]["state"], "sent")
        self.assertEqual(ledger["ann@partner.example"]["state"], "refused")
        self.assertIn("outside those allowed", ledger["ann@partner.example"]["error"])
        rec = self.a.get(rid)
        self.assertEqual(rec["Last_Status__c"], "Failed")
        self.assertTrue(rec["Last_Error__c"].startswith("A recipient in Recipients__c is outside the e-mail "
                                                        "domains this org may send to"), rec["Last_Error__c"])
        self.assertTrue(rec["Last_Error__c"].endswith("(code recipient-not-allowed)"))

        # The next sync re-reads every record (the cursor was reset): the
        # record is marked Invalid with the reason, and its schedule goes.
        self.rd("sync", "acme")
        rec = self.a.get(rid)
        self.assertEqual(rec["Last_Status__c"], "Invalid")
        self.assertIn("ann@partner.example", rec["Last_Error__c"])
        self.assertNotIn("acme/Shared", {s["name"] for s in json.loads(
            self.rd("schedules", "list", "--output", "json").stdout)})
        self.assertNotIn("ann@partner.example", [r for _, r in self.delivered()[before:]])

    def test_operator_detail_stays_in_runs_show_and_never_reaches_the_record(self):
        self.boot_two(acme_domains="acme.example", globex_domains="globex.example")
        rid = self.a.create(**soql_record("Weekly", "0 7 * * *", Recipients__c="boss@acme.example"))
        self.rd("sync", "acme")
        # A relay whose password file is missing: the error names its path.
        missing = os.path.join(self.root, OPERATOR_MARKER + ".pw")
        broken = self.write_config("broken.toml",
                                   smtp_extra=f'username = "relay-user"\npassword_file = "{missing}"\n')
        p = self.box.run("--config", broken, "run", "acme/Weekly", "--now", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(OPERATOR_MARKER, p.stdout)
        run = self.last_run("acme/Weekly")
        self.assertIn(OPERATOR_MARKER, self.run_show(run["id"])["reason"])
        rec = self.a.get(rid)
        self.assertEqual(rec["Last_Status__c"], "Failed")
        self.assertNotIn(OPERATOR_MARKER, json.dumps(rec))
        self.assertNotIn("password_file", rec["Last_Error__c"])
        self.assertIn("Your reportd operator has the details (run %d)" % run["id"], rec["Last_Error__c"])
        self.assertEqual(self.delivered(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
