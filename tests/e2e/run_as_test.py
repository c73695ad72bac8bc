"""Reports run as the person who owns them (issue #16), end to end: the real
reportd binary, TWO Salesforce simulators (two orgs, each its own users, key
pair and marker), a real SMTP server and the real SQLite file.

- Two users of one org who own different records get different CSVs from the
  same query; each CSV is exactly the simulator's own answer for that user
  (the admin asking for that owner's rows), markers included, and the other
  org's marker is nowhere. `runs show` and `schedules show` say who it ran as.
- A deactivated user fails the run with a reason that names the user and the
  fix; the connection stays usable (not needs-reauth), nothing is mailed.
- A synced schedule set to run as the integration user is refused, written
  back onto its record, until the operator allows it for that org.
- A burst to three recipients, two users of the org who own different
  records and one who is no user: each user gets the simulator's own answer
  for them, the third is refused with the reason in the ledger.
- A user whom field-level security hides a queried field from fails with a
  reason naming the user, the field and the fix.
- The same for a report column: the Reports API leaves it out for that user,
  reportd notices and fails; another user of the org, and the other org's,
  get the column.
- A dry run of a burst writes each recipient's copy under its own name.
- An org whose object lacks Burst__c (and Next_Fires__c) syncs without it and
  warns, beside an org that has it and bursts.
- `reportd serve`: runs that keep failing for access send the owner and the
  operator one notice per kind of failure, not one per run."""
import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import start_sim, start_sink  # noqa: E402
from serve_case import Daemon, ServeCase  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync_test import OBJ, Org, soql_record  # noqa: E402


def next_second():
    """Waits into the next wall-clock second: `run --now` claims the occurrence
    of its second, so a second run of one schedule within the same second is
    refused ("claimed this very second"), which a refusal that returns at
    once on an idle machine makes likely."""
    time.sleep(1.02 - time.time() % 1)


SUFFIX = os.urandom(6).hex().upper()
MARKER_A = "QQX7-RUNAS-A-" + SUFFIX
MARKER_B = "QQX7-RUNAS-B-" + SUFFIX
QUERY = "SELECT Id, Name, Description FROM Account"
V = "/services/data/v62.0"


def user(org, n):
    return "user%d@org%d.reportd-sim.example" % (n, org)


class RunAsTest(ServeCase):
    def setUp(self):
        super().setUp()
        self.orgs = {}
        for name, number, marker in (("acme", 0, MARKER_A), ("globex", 1, MARKER_B)):
            proc, org = start_sim(os.path.join(self.root, "sim-" + name), "--org-number", str(number),
                                  "--rows-account", "120", "--marker", marker)
            self.procs.append(proc)
            self.orgs[name] = Org(org)
        sink, port = start_sink(self.mail)
        self.procs.append(sink)
        self.trusted = os.path.join(self.root, "trusted.pem")
        with open(self.trusted, "w") as out:
            for o in self.orgs.values():
                with open(o.org["ca_file"]) as f:
                    out.write(f.read())
        self.smtp_port = port
        self.write_config("")
        for name, o in self.orgs.items():
            self.rd("connections", "add", name, "--login-url", o.org["login_url"], "--client-id",
                    o.org["client_id"], "--refresh-token-stdin", stdin=o.org["refresh_token"] + "\n")
            self.set_jwt(name, o.org)

    def write_config(self, extra):
        self.config = os.path.join(self.root, "reportd.toml")
        with open(self.config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{self.trusted}"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {self.smtp_port}\ntls = "none"\n'
                    f'from = "reports@example.com"\n[defaults]\nmin_interval = "1s"\n'
                    '[connections.acme]\nallowed_domains = ["example.com"]\n' + extra +
                    '[connections.globex]\nallowed_domains = ["example.com"]\n')

    def add(self, name, connection, run_as, to):
        self.rd("schedules", "add", name, "--connection", connection, "--cron", "0 7 * * *",
                "--soql", QUERY, "--format", "csv", "--to", to, "--run-as", run_as)

    def sim_user(self, org, username, **kw):
        status, res = org.request("POST", "/__sim/users", dict(kw, username=username))
        self.assertEqual(status, 200, res)
        return {u["username"]: u for u in res}[username]

    def own_rows(self, org, owner_id):
        """The simulator's own answer for one owner, asked as the admin."""
        q = urllib.parse.quote(QUERY + " WHERE OwnerId = '%s'" % owner_id)
        status, res = org.request("GET", V + "/query?q=" + q)
        self.assertEqual(status, 200, res)
        self.assertTrue(res["done"])
        return sorted((r["Id"], " ".join(r[k] or "" for k in ("Name", "Description")))
                      for r in res["records"])

    def csv_of(self, recipient):
        return self.rows_of(self.attached_csv(recipient))

    def attached_csv(self, recipient):
        found = []
        for m in self.messages():
            if recipient not in m["To"]:
                continue
            for part in m.walk():
                if (part.get_filename() or "").endswith(".csv"):
                    found.append(part.get_payload(decode=True))
        self.assertEqual(len(found), 1, recipient)
        return found[0]

    def rows_of(self, data):
        header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        self.assertEqual(len(header), 3)  # Id, Name, Description (labels or names)
        return sorted((r[0], r[1] + " " + r[2]) for r in rows)

    def run_show(self, schedule):
        runs = json.loads(self.rd("runs", "--output", "json").stdout)
        mine = [r for r in runs if r["schedule"] == schedule]
        self.assertTrue(mine, schedule)
        return json.loads(self.rd("runs", "show", str(mine[0]["id"]), "--output", "json").stdout)

    def test_two_owners_get_their_own_rows_and_the_other_org_stays_apart(self):
        acme, globex = self.orgs["acme"], self.orgs["globex"]
        show = json.loads(self.rd("connections", "show", "acme", "--output", "json").stdout)
        printed = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                                  acme.org["jwt_cert_file"]], capture_output=True, text=True, check=True)
        self.assertEqual(show["jwt"]["cert_sha256"], printed.stdout.strip().split("=", 1)[1])
        self.assertEqual(show["jwt"]["consumer_key"], acme.org["client_id"])

        self.add("ann", "acme", user(0, 1), "ann@example.com")
        self.add("bob", "acme", user(0, 2), "bob@example.com")
        self.add("gina", "globex", user(1, 1), "gina@example.com")
        for s in ("ann", "bob", "gina"):
            out = self.rd("run", s, "--now").stdout
            self.assertIn("succeeded", out)

        ann, bob = self.csv_of("ann@example.com"), self.csv_of("bob@example.com")
        ann_id = self.sim_user(acme, user(0, 1))["id"]
        bob_id = self.sim_user(acme, user(0, 2))["id"]
        # Ids exactly; the text (a CSV cell may carry a formula guard) by its markers.
        self.assertEqual([i for i, _ in ann], [i for i, _ in self.own_rows(acme, ann_id)])
        self.assertEqual([i for i, _ in bob], [i for i, _ in self.own_rows(acme, bob_id)])
        self.assertTrue(ann and bob and not set(ann) & set(bob))
        everything = self.own_rows(acme, ann_id) + self.own_rows(acme, bob_id)
        self.assertLess(len(everything), 120)
        # The marker of each user's own rows, and never the other org's.
        for rows, owner in ((ann, ann_id), (bob, bob_id)):
            self.assertEqual([i for i, n in rows if MARKER_A in n],
                             [i for i, n in self.own_rows(acme, owner) if MARKER_A in n])
        self.assertTrue(any(MARKER_A in n for _, n in ann + bob))
        gina = self.csv_of("gina@example.com")
        gina_rows = self.own_rows(globex, self.sim_user(globex, user(1, 1))["id"])
        self.assertEqual([i for i, _ in gina], [i for i, _ in gina_rows])
        for rows in (ann, bob):
            self.assertFalse(any(MARKER_B in n for _, n in rows))
        self.assertFalse(any(MARKER_A in n for _, n in gina))

        self.assertEqual(self.run_show("ann")["ran_as"], user(0, 1))
        self.assertEqual(self.run_show("gina")["ran_as"], user(1, 1))
        shown = json.loads(self.rd("schedules", "show", "bob", "--output", "json").stdout)
        self.assertEqual((shown["run_as"], shown["last_ran_as"]), (user(0, 2), user(0, 2)))

    def test_a_deactivated_user_fails_with_the_named_reason_and_the_connection_stays_ok(self):
        acme = self.orgs["acme"]
        self.sim_user(acme, user(0, 3), state="inactive")
        self.add("carl", "acme", user(0, 3), "carl@example.com")
        p = self.rd("run", "carl", "--now", check=False)
        self.assertNotEqual(p.returncode, 0)
        run = self.run_show("carl")
        self.assertEqual(run["state"], "failed")
        self.assertEqual(run["error_code"], "run-as-inactive")
        self.assertIn(user(0, 3), run["reason"])
        self.assertIn("deactivated", run["reason"])
        self.assertEqual(run["ran_as"], user(0, 3))
        self.assertEqual(self.messages(), [])
        conns = {c["name"]: c for c in json.loads(self.rd("connections", "list", "--output", "json").stdout)}
        self.assertEqual(conns["acme"]["status"], "ok")
        # A synced schedule whose owner is that user: the reason is written back.
        rid = acme.create(**soql_record("Carls", Recipients__c="carls@example.com", Query__c=QUERY,
                                        OwnerId=self.sim_user(acme, user(0, 3))["id"]))
        self.rd("sync", "acme")
        self.assertNotEqual(self.rd("run", "acme/Carls", "--now", check=False).returncode, 0)
        self.assertEqual(self.run_show("acme/Carls")["error_code"], "run-as-inactive")
        written = acme.get(rid)
        self.assertEqual(written["Last_Status__c"], "Failed")
        self.assertIn(user(0, 3), written["Last_Error__c"])
        self.assertIn("deactivated", written["Last_Error__c"])
        self.assertEqual(self.messages(), [])
        # Not pre-authorized: its own reason, naming what the admin changes.
        self.sim_user(acme, user(0, 3), state="active", preauthorized=False)
        self.rd("run", "carl", "--now", check=False)
        runs = [r for r in json.loads(self.rd("runs", "--output", "json").stdout) if r["schedule"] == "carl"]
        self.assertEqual(runs[0]["error_code"], "run-as-not-preauthorized")
        self.assertIn("permission set", runs[0]["reason"])

    def test_integration_is_refused_for_a_synced_schedule_unless_the_operator_allows_it(self):
        acme = self.orgs["acme"]
        rid = acme.create(**soql_record("Wide", Run_As__c="Integration",
                                        Recipients__c="wide@example.com", Query__c=QUERY))
        self.rd("sync", "acme")
        self.rd("run", "acme/Wide", "--now", check=False)
        run = self.run_show("acme/Wide")
        self.assertEqual((run["state"], run["error_code"]), ("failed", "run-as-integration-refused"))
        self.assertIn("integration user", acme.get(rid)["Last_Error__c"])
        self.assertEqual(self.messages(), [])

        self.write_config("allow_integration = true\n")
        next_second()
        self.assertIn("succeeded", self.rd("run", "acme/Wide", "--now").stdout)
        self.assertEqual(self.run_show("acme/Wide")["ran_as"], "integration")
        # The whole org: the integration user is an admin.
        self.assertEqual(len(self.csv_of("wide@example.com")), 120)

        # Owner (the default): the record's owner, read by the sync.
        owned = acme.create(**soql_record("Mine", Recipients__c="mine@example.com", Query__c=QUERY,
                                          OwnerId=self.sim_user(acme, user(0, 4))["id"]))
        self.rd("sync", "acme")
        shown = json.loads(self.rd("schedules", "show", "acme/Mine", "--output", "json").stdout)
        self.assertEqual(shown["run_as"], "owner (%s)" % user(0, 4))
        self.assertIn("succeeded", self.rd("run", "acme/Mine", "--now").stdout)
        self.assertEqual([i for i, _ in self.csv_of("mine@example.com")],
                         [i for i, _ in self.own_rows(acme, self.sim_user(acme, user(0, 4))["id"])])
        self.assertTrue(owned)


class BurstTest(RunAsTest):
    """Bursting, field-level security and the access notices, on the same
    two orgs as RunAsTest (whose tests it does not run again)."""
    test_two_owners_get_their_own_rows_and_the_other_org_stays_apart = None
    test_a_deactivated_user_fails_with_the_named_reason_and_the_connection_stays_ok = None
    test_integration_is_refused_for_a_synced_schedule_unless_the_operator_allows_it = None

    def test_a_burst_sends_each_user_their_own_rows_and_refuses_a_non_user(self):
        acme = self.orgs["acme"]
        # The generated users' addresses: user1@example.com is user 1 of each org.
        to = "user1@example.com,user2@example.com,user3@example.com,stranger@example.com"
        self.rd("schedules", "add", "team", "--connection", "acme", "--cron", "0 7 * * *",
                "--soql", QUERY, "--format", "csv", "--to", to, "--burst")
        p = self.rd("run", "team", "--now", check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)  # a refused recipient fails the run

        got = {}
        for n in (1, 2, 3):
            rows = self.csv_of("user%d@example.com" % n)
            own = self.own_rows(acme, self.sim_user(acme, user(0, n))["id"])
            self.assertEqual([i for i, _ in rows], [i for i, _ in own])
            self.assertEqual([i for i, t in rows if MARKER_A in t], [i for i, t in own if MARKER_A in t])
            self.assertFalse(any(MARKER_B in t for _, t in rows))
            got[n] = rows
        # Three different reports, one per user.
        self.assertTrue(got[1] and got[2] and got[3])
        self.assertFalse(set(got[1]) & set(got[2]) or set(got[1]) & set(got[3]) or set(got[2]) & set(got[3]))
        self.assertTrue(any(MARKER_A in t for _, t in got[1] + got[2] + got[3]))
        self.assertFalse([m for m in self.messages() if "stranger@example.com" in m["To"]])

        run = self.run_show("team")
        self.assertEqual((run["state"], run["error_code"], run["ran_as"]),
                         ("failed", "burst-not-a-user", "burst"))
        self.assertIn("stranger@example.com", run["reason"])
        ledger = {d["recipient"]: d for d in run["deliveries"]}
        self.assertEqual(set(ledger), set(to.split(",")))
        for n in (1, 2, 3):
            d = ledger["user%d@example.com" % n]
            self.assertEqual((d["state"], d["rows"], d["ran_as"]), ("sent", len(got[n]), user(0, n)))
        d = ledger["stranger@example.com"]
        self.assertEqual((d["state"], d["rows"], d["ran_as"]), ("refused", None, ""))
        self.assertIn("burst-not-a-user", d["error"])
        self.assertIn("stranger@example.com", d["error"])
        self.assertIn("remove", d["error"])
        self.assertEqual(run["rows"], len(got[1]) + len(got[2]) + len(got[3]))
        shown = json.loads(self.rd("schedules", "show", "team", "--output", "json").stdout)
        self.assertEqual((shown["burst"], shown["run_as"]), (True, "each recipient (burst)"))
        text = self.rd("runs", "show", str(run["id"])).stdout
        self.assertIn("user1@example.com: sent, %d rows as %s" % (len(got[1]), user(0, 1)), text)

    def assert_refused_field(self, schedule, who, field):
        """A run of `schedule` fails for `who`'s field-level security on `field`, naming both and the fix."""
        self.assertNotEqual(self.rd("run", schedule, "--now", check=False).returncode, 0)
        run = self.run_show(schedule)
        self.assertEqual((run["state"], run["error_code"]), ("failed", "run-as-field-access"))
        for says in (who, field, "permission set"):
            self.assertIn(says, run["reason"])
        self.assertEqual(self.messages(), [])

    def test_a_user_lacking_field_level_security_on_a_queried_field_fails_naming_it(self):
        acme = self.orgs["acme"]
        self.sim_user(acme, user(0, 5), hidden_fields=["Account.Description"])
        self.add("dana", "acme", user(0, 5), "dana@example.com")
        self.assert_refused_field("dana", user(0, 5), "Account.Description")
        # The field back: the same schedule runs.
        self.sim_user(acme, user(0, 5), hidden_fields=[])
        next_second()
        self.assertIn("succeeded", self.rd("run", "dana", "--now").stdout)

    def test_a_dry_run_of_a_burst_writes_each_recipients_copy_under_its_own_name(self):
        acme = self.orgs["acme"]
        self.rd("schedules", "add", "pair", "--connection", "acme", "--cron", "0 7 * * *", "--soql",
                QUERY, "--format", "csv", "--to", "user1@example.com,user2@example.com", "--burst")
        out = os.path.join(self.root, "out")
        os.mkdir(out)
        self.rd("run", "pair", "--now", "--dry-run", "--out", out)
        files = sorted(os.listdir(out))
        self.assertEqual(len(files), 2, files)
        for n in (1, 2):
            mine = [f for f in files if "-user%d@example.com." % n in f]
            self.assertEqual(len(mine), 1, files)
            with open(os.path.join(out, mine[0]), "rb") as f:
                rows = self.rows_of(f.read())
            own = self.own_rows(acme, self.sim_user(acme, user(0, n))["id"])
            self.assertEqual([i for i, _ in rows], [i for i, _ in own])
        self.assertEqual(self.messages(), [])

    def test_an_org_whose_object_lacks_burst_syncs_without_it_beside_one_that_has_it(self):
        acme, globex = self.orgs["acme"], self.orgs["globex"]
        # acme deployed the object before Burst__c and Next_Fires__c existed.
        lacks = ["Reportd_Schedule__c.Burst__c", "Reportd_Schedule__c.Next_Fires__c"]
        self.assertEqual(acme.faults(missing_fields=lacks)[0], 200)
        status, res = acme.request("POST", OBJ, soql_record("Nope", Burst__c=True))
        self.assertEqual((status, res[0]["errorCode"]), (400, "INVALID_FIELD"))
        plain = acme.create(**soql_record("Plain", Recipients__c="user1@example.com", Query__c=QUERY))
        globex.create(**soql_record("Team", Burst__c=True, Query__c=QUERY,
                                    Recipients__c="user1@example.com,user2@example.com"))
        acme.clear_requests()

        out = self.rd("sync", "acme").stdout
        self.assertIn("3 added", out)  # and the two each simulator starts with
        warned = [line for line in out.splitlines() if line.startswith("warning:")]
        self.assertEqual(len(warned), 1, out)
        for says in ("Burst__c", "none bursts", "deploy reportd's salesforce/"):
            self.assertIn(says, warned[0])
        reads = [r["status"] for r in acme.api_requests() if "queryAll" in r["path"]]
        self.assertEqual(reads, [400, 200])
        self.assertEqual(acme.get(plain)["Last_Status__c"], "Scheduled")  # written without Next_Fires__c
        self.assertIsNotNone(acme.get(plain)["Next_Run__c"])
        out = self.rd("sync", "globex").stdout
        self.assertIn("3 added", out)  # and the two each simulator starts with
        self.assertNotIn("warning", out)

        shown = json.loads(self.rd("schedules", "show", "acme/Plain", "--output", "json").stdout)
        self.assertFalse(shown["burst"])
        shown = json.loads(self.rd("schedules", "show", "globex/Team", "--output", "json").stdout)
        self.assertEqual((shown["burst"], shown["run_as"]), (True, "each recipient (burst)"))
        self.assertIn("succeeded", self.rd("run", "globex/Team", "--now").stdout)
        for n in (1, 2):
            own = self.own_rows(globex, self.sim_user(globex, user(1, n))["id"])
            self.assertEqual([i for i, _ in self.csv_of("user%d@example.com" % n)], [i for i, _ in own])

    def test_a_report_column_hidden_from_its_user_fails_naming_the_field(self):
        acme, globex = self.orgs["acme"], self.orgs["globex"]
        # The Reports API leaves the column out for user 5 of acme (no error);
        # user 4 of acme and user 5 of globex see it.
        self.sim_user(acme, user(0, 5), hidden_fields=["Opportunity.Description"])
        for name, connection, org, who in (("erin", "acme", acme, user(0, 5)), ("fay", "acme", acme, user(0, 4)),
                                           ("gus", "globex", globex, user(1, 5))):
            self.rd("schedules", "add", name, "--connection", connection, "--cron", "0 7 * * *", "--report",
                    org.org["report_tabular"], "--format", "csv", "--to", name + "@example.com", "--run-as", who)
        self.assert_refused_field("erin", user(0, 5), "Opportunity.Description")

        for name, org, who in (("fay", acme, user(0, 4)), ("gus", globex, user(1, 5))):
            self.assertIn("succeeded", self.rd("run", name, "--now").stdout)
            header, *rows = list(csv.reader(io.StringIO(self.attached_csv(name + "@example.com").decode("utf-8-sig"))))
            self.assertIn("Description", header)
            owner = self.sim_user(org, who)["id"]
            q = urllib.parse.quote("SELECT COUNT() FROM Opportunity WHERE OwnerId = '%s'" % owner)
            status, res = org.request("GET", V + "/query?q=" + q)
            self.assertEqual(status, 200, res)
            self.assertEqual(len(rows), min(res["totalSize"], 2000))
            self.assertTrue(rows)
        # The field back: the same schedule runs, with the column.
        self.sim_user(acme, user(0, 5), hidden_fields=[])
        self.assertIn("succeeded", self.rd("run", "erin", "--now").stdout)
        self.assertIn("Description", next(csv.reader(io.StringIO(
            self.attached_csv("erin@example.com").decode("utf-8-sig")))))

    def test_serve_sends_one_notice_per_kind_of_access_failure(self):
        acme = self.orgs["acme"]
        with open(self.config, "a") as f:
            f.write('[limits]\nfailures_before_pause = 0\n[notices]\noperator = "ops@example.com"\n')
        self.sim_user(acme, user(0, 3), state="inactive")
        self.rd("schedules", "add", "often", "--connection", "acme", "--cron", "*/2 * * * * *",
                "--min-interval", "1s", "--soql", QUERY, "--to", "often@example.com",
                "--run-as", user(0, 3), "--owner", "owner@example.com")
        self.daemon = Daemon(self.box, self.config, self.runtime_dir, os.path.join(self.root, "reportd.log"))
        self.daemon.start()

        def failed(code):
            return [r for r in self.runs() if r["schedule"] == "often" and r.get("error_code") == code]

        def notices():
            return [m for m in self.messages() if m["Subject"].startswith("reportd: ")]
        self.wait_for(lambda: len(failed("run-as-inactive")) >= 3, what="three inactive-user failures")
        self.sim_user(acme, user(0, 3), state="active", preauthorized=False)
        self.wait_for(lambda: len(failed("run-as-not-preauthorized")) >= 3, what="three not-approved failures")
        self.daemon.stop()
        subjects = sorted(m["Subject"] for m in notices())
        self.assertEqual(len(subjects), 2, subjects)
        self.assertIn("run-as-inactive", subjects[0])
        self.assertIn("run-as-not-preauthorized", subjects[1])
        for m in notices():
            self.assertIn("owner@example.com", m["To"])
            self.assertIn("ops@example.com", m["To"])
        self.assertFalse([m for m in self.messages() if "often@example.com" in m["To"]])


if __name__ == "__main__":
    import unittest
    unittest.main()
