"""Tenant isolation end to end (issue #12): the real `reportd serve`, TWO
Salesforce simulators (two orgs, each planting its own marker in its data),
a real SMTP server and the real SQLite file.

- Offboarding tenant A and onboarding tenant B while the daemon runs, under
  the same connection name and with ids that SQLite would hand out again
  without AUTOINCREMENT, and then A again: each tenant's mail holds only its
  own marker, its sync reads only its own schedule records, and a removed
  tenant's records are never PATCHed after the daemon noticed the removal.
- A token of org B given to a connection of org A, by `connections add`, by
  `connections reauth` and by a refresh-token rotation: refused, the
  connection marked `org-mismatch` (connections list, runs, /metrics), no
  request to B's data endpoints, the operator told (log at error priority,
  and a notice mail)."""
import json
import os
import re
import socket
import sqlite3
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import start_sim, start_sink  # noqa: E402
from serve_case import Daemon, ServeCase  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync_test import Org, soql_record  # noqa: E402

# Random per test process, like serve_case.MARKER: no copy of this source can match.
SUFFIX = os.urandom(6).hex().upper()
MARKER_A = "QQX7-TENANT-A-" + SUFFIX
MARKER_B = "QQX7-TENANT-B-" + SUFFIX
MARKER_C = "QQX7-TENANT-C-" + SUFFIX
OPERATOR = "ops@operator.example"
QUERY = "SELECT Id, Name, Description FROM Account"


def content(m):
    """Every part of a message, decoded (attachments are base64 on the wire)."""
    return m.as_bytes() + b"".join(p.get_payload(decode=True) or b"" for p in m.walk()
                                   if not p.is_multipart())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TenantsTest(ServeCase):
    def start_org(self, name, number, marker, *flags):
        proc, org = start_sim(os.path.join(self.root, "sim-" + name), "--org-number", str(number),
                              "--rows-account", "40", "--marker", marker, *flags)
        self.procs.append(proc)
        return Org(org)

    def boot_orgs(self, *names):
        """Starts one simulator per (name, number, marker, flags...), the sink and the config."""
        self.orgs = {}
        for name, number, marker, *flags in names:
            self.orgs[name] = self.start_org(name, number, marker, *flags)
        sink, port = start_sink(self.mail)
        self.procs.append(sink)
        trusted = os.path.join(self.root, "trusted.pem")
        with open(trusted, "w") as out:
            for o in self.orgs.values():
                with open(o.org["ca_file"]) as f:
                    out.write(f.read())
        self.http_port = free_port()
        self.config = os.path.join(self.root, "reportd.toml")
        with open(self.config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{trusted}"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
                    f'from = "reports@operator.example"\n'
                    f'[http]\nlisten = "127.0.0.1:{self.http_port}"\n'
                    '[defaults]\nmin_interval = "1s"\n'
                    '[sync]\ninterval_minutes = 60\n'
                    '[limits]\nfailures_before_pause = 0\n'
                    f'[notices]\noperator = "{OPERATOR}"\n'
                    '[connections.tenant]\nallowed_domains = ["a.example", "b.example"]\n')
        self.daemon = Daemon(self.box, self.config, self.runtime_dir,
                             os.path.join(self.root, "reportd.log"))

    def log_text(self):
        with open(self.daemon.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def db(self, sql):
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def connection(self, name):
        for c in json.loads(self.rd("connections", "list", "--output", "json").stdout):
            if c["name"] == name:
                return c
        return None

    def add(self, name, org, *extra, token=None):
        out = self.rd("connections", "add", name, "--login-url", org.org["login_url"], "--client-id",
                      org.org["client_id"], "--refresh-token-stdin", *extra,
                      stdin=(token or org.org["refresh_token"]) + "\n").stdout
        # Synced schedules run as their record owners (issue #16).
        self.set_jwt(name, org.org)
        return out

    def schedule(self, name, connection, to):
        self.rd("schedules", "add", name, "--connection", connection, "--cron", "*/2 * * * * *",
                "--min-interval", "1s", "--soql", QUERY, "--format", "csv", "--to", to)

    def mail_to(self, address):
        return [m for m in self.messages() if address in (m["To"] or "")]

    def patches(self, org, since=0):
        return [r for r in org.requests()[since:] if r["method"] == "PATCH"]

    def data_requests(self, org):
        return org.api_requests()

    def token_requests(self, org):
        return [r for r in org.requests() if r["path"] == "/services/oauth2/token"]

    # --- offboarding and onboarding while serving

    def onboard(self, org, reader, marker):
        # The table is empty here (the previous tenant was removed): without
        # AUTOINCREMENT SQLite would hand out the removed tenant's ids again.
        self.assertEqual(self.db("SELECT count(*) FROM connections")[0][0], 0)
        out = self.add("tenant", org)
        self.assertIn("its first token pins its org", out)
        self.schedule("report", "tenant", reader)
        cid = self.db("SELECT id FROM connections WHERE name = 'tenant'")[0][0]
        # The daemon notices the new connection, syncs it at once, and its
        # synced schedule runs and writes its outcome back to this org.
        start = len(org.requests())
        self.wait_for(lambda: self.patches(org, start), timeout=90, what="a write-back to the new tenant")
        self.wait_for(lambda: any(marker.encode() in content(m) for m in self.mail_to(reader)),
                      timeout=60, what="the new tenant's report")
        synced = {r[0] for r in self.db("SELECT sf_record_id FROM schedules WHERE origin = 'salesforce'")}
        self.assertEqual(synced, {self.records[id(org)]})
        return cid

    def offboard(self, org):
        changed = self.log_text().count("event=connections.changed")
        self.rd("connections", "remove", "tenant")
        self.wait_for(lambda: self.log_text().count("event=connections.changed") > changed,
                      timeout=30, what="the daemon to drop the removed tenant's client")
        return len(org.requests())

    def test_offboarding_a_and_onboarding_b_while_serving_never_crosses_tenants(self):
        self.boot_orgs(("a", 1, MARKER_A), ("b", 2, MARKER_B))
        a, b = self.orgs["a"], self.orgs["b"]
        self.assertNotEqual(a.org["org_id"], b.org["org_id"])
        self.records = {}
        for org, reader in ((a, "synced@a.example"), (b, "synced@b.example")):
            self.records[id(org)] = org.create(**soql_record("Synced", cron="*/3 * * * * *",
                                                             Recipients__c=reader))
        self.daemon.start()
        try:
            first = self.onboard(a, "reader@a.example", MARKER_A)
            a_gone = self.offboard(a)
            second = self.onboard(b, "reader@b.example", MARKER_B)
            b_gone = self.offboard(b)
            a_back = len(a.requests())
            third = self.onboard(a, "reader@a.example", MARKER_A)
            time.sleep(3)  # a write-back of a late run would land now
        finally:
            self.assertEqual(self.daemon.stop(), 0)
        # Ids were never handed out twice: connections, schedules, runs.
        self.assertLess(first, second)
        self.assertLess(second, third)
        seq = dict(self.db("SELECT name, seq FROM sqlite_sequence"))
        self.assertEqual(seq["connections"], third)
        self.assertGreaterEqual(seq["schedules"], 6)  # two per tenant, three tenants
        # A removed tenant's records are never PATCHed after the daemon
        # noticed the removal: A's not until A is onboarded again, B's never.
        self.assertEqual([r for r in a.requests()[a_gone:a_back] if r["method"] == "PATCH"], [])
        self.assertEqual(self.patches(b, b_gone), [])
        self.assertTrue(self.patches(a, a_back))
        # Each tenant's mail holds its own marker only.
        b_mail = self.mail_to("@b.example")
        a_mail = self.mail_to("@a.example")
        self.assertTrue(b_mail and a_mail)
        for m in b_mail:
            self.assertNotIn(MARKER_A.encode(), content(m), m["Subject"])
        for m in a_mail:
            self.assertNotIn(MARKER_B.encode(), content(m), m["Subject"])
        self.assertTrue(any(MARKER_B.encode() in content(m) for m in b_mail))
        # Nothing was refused: each connection was pinned to its own org.
        self.assertNotIn("org-mismatch", self.log_text())

    # --- a token of org B given to a connection of org A

    def wait_mismatch(self, name):
        return self.wait_for(lambda: (self.connection(name) or {}).get("status") == "org-mismatch"
                             and self.connection(name), timeout=60, what=name + " marked org-mismatch")

    def notices(self):
        return [m for m in self.messages() if OPERATOR in (m["To"] or "")
                and "refused a token of another org" in (m["Subject"] or "")]

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=10) as r:
            return r.read().decode()

    def check_refused(self, name, org_a, org_b):
        c = self.wait_mismatch(name)
        reason = c["status_reason"]
        self.assertIn(org_b.org["org_id"], reason)
        self.assertIn(org_a.org["org_id"], reason)
        self.assertIn("nothing was fetched or sent", reason)
        self.assertIn("reportd connections reauth " + name, reason)
        self.assertEqual(c["org_id"], org_a.org["org_id"])  # the pin stays
        # The schedule's runs fail with the code, at once.
        self.wait_for(lambda: [r for r in self.runs() if r["schedule"] == name + "-report"
                               and r["error_code"] == "org-mismatch"], what=name + "'s refused run")

    def test_a_token_of_org_b_is_refused_by_add_reauth_and_rotation(self):
        self.boot_orgs(("a", 1, MARKER_A), ("b", 2, MARKER_B),
                       ("c", 3, MARKER_C, "--rotate-refresh-token", "--session-expires-after", "2"))
        a, b, c = self.orgs["a"], self.orgs["b"], self.orgs["c"]
        foreign = {"token_org_id": b.org["org_id"], "token_instance_url": b.org["instance_url"]}
        self.daemon.start()
        try:
            # By add: pinned to org A with --org-id, but the token is org B's.
            out = self.add("alpha", b, "--org-id", a.org["org_id"])
            self.assertIn("pinned to org " + a.org["org_id"], out)
            self.schedule("alpha-report", "alpha", "reader@a.example")
            self.check_refused("alpha", a, b)
            self.wait_for(lambda: len(self.notices()) >= 1, what="the operator's notice")
            self.assertIn("<3>event=connection.org_mismatch connection=alpha", self.log_text())
            self.assertEqual(self.data_requests(b), [])
            self.assertEqual(len(self.token_requests(b)), 1)  # asked once, never again

            # By reauth: beta works in org A, then gets a token org A's login
            # host answers as org B's (pointing at B's instance).
            self.add("beta", a)
            self.schedule("beta-report", "beta", "reader@a.example")
            self.wait_for(lambda: any(MARKER_A.encode() in content(m)
                                      for m in self.mail_to("reader@a.example")), what="beta's report")
            self.assertEqual(self.connection("beta")["org_id"], a.org["org_id"])  # pinned by its first token
            a.faults(**foreign)
            self.rd("connections", "reauth", "beta", "--refresh-token-stdin",
                    stdin=a.org["refresh_token"] + "\n")
            self.check_refused("beta", a, b)
            self.wait_for(lambda: len(self.notices()) >= 2, what="the second notice")

            # By rotation: gamma works in org C, whose access tokens expire
            # after two calls and whose refresh rotates the refresh token;
            # then a rotation hands out org B's token.
            self.add("gamma", c)
            self.schedule("gamma-report", "gamma", "reader@a.example")
            self.wait_for(lambda: len([m for m in self.mail_to("reader@a.example")
                                       if MARKER_C.encode() in content(m)]) >= 2, what="gamma's reports")
            c.faults(**foreign)
            self.check_refused("gamma", c, b)
            self.wait_for(lambda: len(self.notices()) >= 3, what="the third notice")
            self.assertEqual(self.data_requests(b), [])
            self.wait_for(lambda: re.search(r'reportd_connections\{status="org-mismatch"\} 3\b',
                                            self.metrics()), what="/metrics to count three org-mismatch")
        finally:
            self.assertEqual(self.daemon.stop(), 0)
        # Nothing of org B reached anyone.
        self.assertFalse(any(MARKER_B.encode() in content(m) for m in self.messages()))
        subjects = sorted(m["Subject"] for m in self.notices())
        self.assertEqual(subjects, sorted('reportd: connection "%s" refused a token of another org' % n
                                          for n in ("alpha", "beta", "gamma")))
        self.assertEqual(self.log_text().count("<3>event=connection.org_mismatch"), 3)


if __name__ == "__main__":
    import unittest
    unittest.main()
