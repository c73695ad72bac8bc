"""Schedules defined in Salesforce, end to end: the real reportd binary (the
daemon and `reportd sync`), the Salesforce simulator holding
Reportd_Schedule__c records, a real SMTP server and the real SQLite file.
Records are created, changed, switched off and deleted in the simulator and
reportd's schedules follow within one sync; bad records get their reason
written back once; a run's outcome is written back, except while the API
budget guard is on; a sync that finds nothing new costs one query."""
import datetime
import http.client
import json
import os
import shutil
import signal
import sqlite3
import ssl
import sys
import unittest
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import files_containing  # noqa: E402
from serve_case import MARKER, ServeCase  # noqa: E402
V = "/services/data/v62.0"
OBJ = V + "/sobjects/Reportd_Schedule__c"


class Org:
    """The simulator's REST API and test hooks, with the org's own token."""

    def __init__(self, org):
        self.org = org
        self.port = int(org["instance_url"].rsplit(":", 1)[1])
        self.ctx = ssl.create_default_context(cafile=org["ca_file"])

    def request(self, method, path, body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
        headers = {"Authorization": "Bearer " + self.org["access_token"]}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        return resp.status, (json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith("application/json") else raw)

    def create(self, **fields):
        status, res = self.request("POST", OBJ, fields)
        assert status == 201, res
        return res["id"]

    def update(self, rid, **fields):
        status, res = self.request("PATCH", OBJ + "/" + rid, fields)
        assert status == 204, res

    def delete(self, rid):
        status, res = self.request("DELETE", OBJ + "/" + rid)
        assert status == 204, res

    def get(self, rid):
        status, res = self.request("GET", OBJ + "/" + rid)
        assert status == 200, res
        return res

    def requests(self):
        return self.request("GET", "/__sim/requests")[1]

    def clear_requests(self):
        self.request("DELETE", "/__sim/requests")

    def api_requests(self):
        return [r for r in self.requests() if r["path"].lstrip("/").startswith("services/data/v")]

    def stats(self):
        return self.request("GET", "/__sim/stats")[1]

    def faults(self, **kw):
        return self.request("POST", "/__sim/faults", kw)


def soql_record(name, cron="0 7 * * *", **extra):
    fields = {"Name": name, "Active__c": True, "Cron__c": cron, "Time_Zone__c": "Europe/Berlin",
              "Source_Type__c": "SOQL", "Query__c": "SELECT Id, Name FROM Account",
              "Formats__c": "CSV", "Recipients__c": "a@example.com"}
    fields.update(extra)
    return fields


class SyncTest(ServeCase):
    def boot_org(self, *sim_flags, config_extra="", defaults=""):
        self.boot(*sim_flags, config_extra='[defaults]\nmin_interval = "1s"\n' + defaults +
                                           '[sync]\ninterval_minutes = 60\n'
                                           '[connections.demo]\nallowed_domains = ["example.com"]\n'
                                           + config_extra)
        # Synced schedules run as their record owners (issue #16).
        self.set_jwt()
        self.sf = Org(self.org)
        self.seeds = self.org["schedule_ids"]
        self.log_path = self.daemon.log_path

    def sync(self, *flags):
        return self.rd("sync", "demo", *flags).stdout

    def log(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def start_daemon(self):
        syncs = self.log().count("event=sync.done")
        self.daemon.start()
        self.wait_for(lambda: self.log().count("event=sync.done") > syncs, what="the start-up sync")

    def stop_daemon(self):
        # SIGTERM drains running runs (up to 60 s): wait longer than that.
        self.daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.proc.wait(timeout=90), 0)

    def wait_for(self, predicate, timeout=180, what="condition"):
        try:
            return super().wait_for(predicate, timeout, what)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.log()[-3000:]}") from None

    def schedules(self):
        return {s["name"]: s for s in json.loads(self.rd("schedules", "list", "--output", "json").stdout)}

    def db(self, sql, *args):
        con = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def reloads(self):
        return self.log().count("event=schedules.reload")

    # --- tests

    def test_records_created_changed_switched_off_and_deleted_follow_within_one_sync(self):
        self.boot_org()
        self.start_daemon()
        # The start-up sync took the two seeded records.
        names = self.schedules()
        self.assertIn("demo/Weekly pipeline", names)
        self.assertIn("demo/Monthly accounts", names)
        self.assertEqual(names["demo/Weekly pipeline"]["origin"], "salesforce")
        weekly = self.sf.get(self.seeds[0])
        self.assertEqual(weekly["Last_Status__c"], "Scheduled")
        self.assertRegex(weekly["Next_Run__c"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
        # The next five fires, in the schedule's zone (Europe/Berlin), the first the same instant.
        fires = weekly["Next_Fires__c"].replace("\r\n", "\n").split("\n")
        self.assertEqual(len(fires), 5, fires)
        for f in fires:
            self.assertRegex(f, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+0[12]:00$")
        first = datetime.datetime.fromisoformat(fires[0]).astimezone(datetime.timezone.utc)
        self.assertEqual(first.strftime("%Y-%m-%dT%H:%M:%S.000Z"), weekly["Next_Run__c"])
        self.assertEqual(self.db("SELECT owner_email, sf_record_id, tz FROM schedules WHERE name = ?",
                                 "demo/Weekly pipeline"), [("user0@example.com", self.seeds[0], "Europe/Berlin")])

        # The CLI leaves a synced schedule to Salesforce.
        p = self.rd("schedules", "remove", "demo/Monthly accounts", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("is defined in Salesforce (record %s)" % self.seeds[1], p.stderr)
        self.assertIn("demo/Monthly accounts", self.schedules())

        # Create.
        rid = self.sf.create(**soql_record("Hourly Ångström 📈", "0 * * * *",
                                            Recipients__c="a@example.com;\nb@example.com, c@example.com",
                                            Subject__c="Für Ångström", Body__c="Grüße\nreportd",
                                            Send_When_Empty__c=True, Minimum_Rows__c=2))
        reloads = self.reloads()
        out = self.sync()
        self.assertIn("1 added", out)
        name = "demo/Hourly Ångström 📈"
        show = json.loads(self.rd("schedules", "show", name, "--output", "json").stdout)
        self.assertEqual((show["cron"], show["tz"], show["source_kind"], show["formats"], show["recipients"],
                          show["subject"], show["send_when_empty"], show["min_rows"], show["sf_record_id"]),
                         ("0 * * * *", "Europe/Berlin", "soql", "csv", "a@example.com,b@example.com,c@example.com",
                          "Für Ångström", True, 2, rid))
        self.assertEqual(self.db("SELECT body FROM schedules WHERE name = ?", name), [("Grüße\nreportd",)])
        # The running daemon noticed (the store's data_version moved).
        self.wait_for(lambda: self.reloads() > reloads, what="the daemon's reload after create")
        self.assertEqual(self.sf.get(rid)["Last_Status__c"], "Scheduled")

        # Update.
        self.sf.update(rid, Cron__c="30 * * * *", Formats__c="CSV;XLSX")
        reloads = self.reloads()
        self.assertIn("1 changed", self.sync())
        show = json.loads(self.rd("schedules", "show", name, "--output", "json").stdout)
        self.assertEqual((show["cron"], show["formats"]), ("30 * * * *", "csv,xlsx"))
        self.wait_for(lambda: self.reloads() > reloads, what="the daemon's reload after update")

        # Rename.
        self.sf.update(rid, Name="Renamed")
        self.sync()
        self.assertIn("demo/Renamed", self.schedules())
        self.assertNotIn(name, self.schedules())

        # Switch off.
        self.sf.update(rid, Active__c=False)
        out = self.sync()
        self.assertIn("1 removed", out)
        self.assertNotIn("demo/Renamed", self.schedules())
        rec = self.sf.get(rid)
        self.assertEqual((rec["Last_Status__c"], rec["Next_Run__c"]), ("Paused", None))

        # Delete (to the recycle bin).
        reloads = self.reloads()
        self.sf.delete(self.seeds[1])
        out = self.sync()
        self.assertIn("1 removed", out)
        self.assertIn("1 deleted", out)
        self.assertNotIn("demo/Monthly accounts", self.schedules())
        self.wait_for(lambda: self.reloads() > reloads, what="the daemon's reload after delete")
        self.assertEqual(set(self.schedules()), {"demo/Weekly pipeline"})
        self.stop_daemon()
        # Every key the sync logs is allowlisted.
        sync_lines = [l for l in self.log().splitlines()
                      if "event=sync." in l or "event=schedule.invalid" in l or "event=writeback." in l]
        self.assertTrue(sync_lines)
        self.assertEqual([l for l in sync_lines if "[redacted]" in l], [])

    def test_bad_records_get_their_reason_written_back_once(self):
        self.boot_org()
        self.start_daemon()
        leak = self.sf.create(**soql_record("Leaky", Recipients__c="a@example.com; leak@evil.example"))
        cron = self.sf.create(**soql_record("Bad cron", "0 25 * * *"))
        empty = self.sf.create(Name="Empty", Active__c=True)
        self.sf.clear_requests()
        out = self.sync()
        self.assertIn("3 invalid", out)
        self.assertIn("invalid %s: Recipients__c: recipient leak@evil.example refused: its domain is "
                      "outside those allowed for this connection (example.com)" % leak, out)
        names = self.schedules()
        self.assertFalse(any(n.startswith("demo/Leaky") or n.startswith("demo/Bad cron") or n.startswith("demo/Empty")
                             for n in names))
        rec = self.sf.get(leak)
        self.assertEqual(rec["Last_Status__c"], "Invalid")
        self.assertEqual(rec["Last_Error__c"], 'Recipients__c: recipient leak@evil.example refused: its '
                                               'domain is outside those allowed for this connection '
                                               '(example.com)')
        self.assertIsNone(rec["Next_Run__c"])
        rec = self.sf.get(cron)
        self.assertEqual(rec["Last_Status__c"], "Invalid")
        self.assertTrue(rec["Last_Error__c"].startswith("Cron__c: hour field"), rec["Last_Error__c"])
        self.assertTrue(self.sf.get(empty)["Last_Error__c"].startswith("Cron__c: is empty"))
        patches = [r for r in self.sf.requests() if r["method"] == "PATCH"]
        self.assertEqual(len(patches), 3)

        # Reading back our own PATCHes writes nothing again.
        self.sf.clear_requests()
        self.sync()
        self.sync()
        self.assertEqual([r for r in self.sf.requests() if r["method"] == "PATCH"], [])

        # Fixed: scheduled, and the reason is cleared.
        self.sf.update(leak, Recipients__c="a@example.com; ok@example.com")
        self.assertIn("1 added", self.sync())
        rec = self.sf.get(leak)
        self.assertEqual((rec["Last_Status__c"], rec["Last_Error__c"]), ("Scheduled", None))
        self.assertIn("demo/Leaky", self.schedules())

        # Valid becomes invalid: the schedule goes.
        self.sf.update(leak, Formats__c="DOCX")
        self.assertIn("1 removed", self.sync())
        self.assertNotIn("demo/Leaky", self.schedules())
        self.assertEqual(self.sf.get(leak)["Last_Error__c"], 'Formats__c: "docx" is not a format; use csv, xlsx, pdf or html')
        self.stop_daemon()

    def test_an_unchanged_sync_costs_one_query(self):
        self.boot_org()
        self.sync()   # the first: every record; our statuses move them
        self.sync()   # reads our own statuses back, writes nothing
        self.sf.clear_requests()
        out = self.sync()
        calls = self.sf.api_requests()
        self.assertEqual(len(calls), 1, calls)
        self.assertEqual(calls[0]["method"], "GET")
        self.assertRegex(calls[0]["path"], r"^/services/data/v\d+\.\d/queryAll$")
        self.assertIn("0 added, 0 changed, 0 removed", out)
        state = self.db("SELECT modstamp, error FROM sync_state")
        self.assertRegex(state[0][0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(state[0][1], "")

        # The daemon's start-up sync: one query too.
        self.sf.clear_requests()
        self.start_daemon()
        calls = self.sf.api_requests()
        self.assertEqual([(c["method"], c["path"].rsplit("/", 1)[1]) for c in calls], [("GET", "queryAll")])
        self.stop_daemon()

        # --full reads everything again (still one query for a small org).
        self.sf.clear_requests()
        out = self.sync("--full")
        self.assertIn("(every record)", out)
        self.assertEqual(len(self.sf.api_requests()), 1)

    def written(self, rid, status):
        rec = self.sf.get(rid)
        return rec if rec["Last_Status__c"] == status else None

    def test_after_a_run_its_outcome_is_written_back_onto_the_record(self):
        self.boot_org()
        good = self.sf.create(**soql_record("Every 3 s", "*/3 * * * * *", Time_Zone__c="UTC"))
        bad = self.sf.create(**soql_record("Bad field", "*/3 * * * * *", Time_Zone__c="UTC",
                                           Query__c="SELECT Nope FROM Account"))
        self.start_daemon()
        self.assertIn("demo/Every 3 s", self.schedules())

        rec = self.wait_for(lambda: self.written(good, "Succeeded"), what="the write-back of a run")
        self.assertEqual(rec["Last_Row_Count__c"], 300)
        self.assertIsNone(rec["Last_Error__c"])
        self.assertRegex(rec["Last_Run__c"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
        self.assertRegex(rec["Next_Run__c"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
        self.assertGreater(rec["Next_Run__c"], rec["Last_Run__c"])
        self.assertTrue(os.listdir(self.mail))
        rec = self.wait_for(lambda: self.written(bad, "Failed"), what="the write-back of a failed run")
        self.assertIn("INVALID_FIELD", rec["Last_Error__c"])
        self.assertEqual(rec["Last_Row_Count__c"], 0)
        self.stop_daemon()

        # Record values (the marker in Account names) reached neither disk nor log.
        self.assertEqual(files_containing(self.box.state, MARKER.encode()), [])
        self.assertEqual(files_containing(self.runtime_dir, MARKER.encode()), [])
        self.assertNotIn(MARKER, self.log())

    def test_nothing_is_written_back_while_the_api_budget_guard_is_on(self):
        # The org has spent 95 of its 100 daily calls. Its runs wait for the
        # budget until their catch-up deadline (2 s here), are then recorded
        # missed, and each tries a write-back.
        self.boot_org("--api-max", "100", defaults='catchup = "2s"\n')
        rid = self.sf.create(**soql_record("Every 3 s", "*/3 * * * * *", Time_Zone__c="UTC"))
        for _ in range(94):
            self.assertEqual(self.sf.request("GET", V + "/limits")[0], 200)
        self.sf.clear_requests()
        self.start_daemon()
        # The start-up sync read the records (one query, usage now 96%) and
        # scheduled them, but leaves their statuses for later.
        self.assertIn("demo/Every 3 s", self.schedules())
        self.wait_for(lambda: self.log().count("event=writeback.skipped") >= 3, what="three skipped write-backs")
        self.stop_daemon()
        self.assertEqual([r for r in self.sf.requests() if r["method"] == "PATCH"], [])
        self.assertIsNone(self.sf.get(rid)["Last_Status__c"])
        self.assertIn("reason=api-budget", self.log())
        self.assertRegex(self.log(), r"event=sync.done .*held=3")
        self.assertIn("wait while the org's API usage is above the budget",
                      self.db("SELECT error FROM sync_state")[0][0])

    # --- invalid_grant, run --now, sync --all

    NOTICES = '[limits]\nfailures_before_pause = 0\n[notices]\noperator = "ops@example.com"\n'

    def token_requests(self):
        return [r for r in self.sf.requests() if r["path"].startswith("/services/oauth2/token")]

    def connection_status(self, name):
        conns = json.loads(self.rd("connections", "list", "--output", "json").stdout)
        return {c["name"]: c["status"] for c in conns}[name]

    def notices(self):
        return [m for m in self.messages() if m["Subject"].startswith("reportd: ")]

    def test_reportd_sync_on_a_revoked_grant_marks_the_connection_once_and_says_how_to_fix_it(self):
        self.boot_org(config_extra=self.NOTICES)
        self.sf.faults(invalid_grant=True)
        self.sf.clear_requests()
        p = self.rd("sync", "demo", check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("invalid_grant", p.stderr)
        self.assertIn("connection demo is now marked needs-reauth", p.stderr)
        self.assertIn("`reportd connections reauth demo --refresh-token-stdin < token-file "
                      "(or --authorize --redirect-uri URL)`", p.stderr)
        self.assertEqual(len(self.token_requests()), 1, self.sf.requests())
        self.assertEqual(self.sf.api_requests(), [])
        self.assertEqual(self.connection_status("demo"), "needs-reauth")
        self.assertIn("needs-reauth", self.db("SELECT error FROM sync_state")[0][0])
        # The run pipeline's notice path: one mail to the operator and the owners.
        notices = self.notices()
        self.assertEqual(len(notices), 1, [m["Subject"] for m in notices])
        self.assertEqual(notices[0]["Subject"], 'reportd: connection "demo" needs re-authorization')
        self.assertIn("ops@example.com", notices[0]["To"])
        body = [p.get_payload(decode=True).decode() for p in notices[0].walk()
                if p.get_content_type() == "text/plain"][0]
        self.assertIn("the sync of its schedule records", body)
        self.assertIn('reportd connections reauth "demo" --refresh-token-stdin', body)

        # Again: no token request, the same advice, no second notice.
        self.sf.clear_requests()
        p = self.rd("sync", "demo", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("connection demo needs re-authorization", p.stderr)
        self.assertIn("reportd connections reauth demo", p.stderr)
        p = self.rd("sync", "--all", check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skipped demo: connection demo needs re-authorization", p.stdout)
        self.assertEqual([r for r in self.sf.requests() if not r["path"].startswith("/__sim/")], [])
        self.assertEqual(len(self.notices()), 1)

        # Connected again: syncs work.
        self.sf.faults(invalid_grant=False)
        self.rd("connections", "reauth", "demo", "--refresh-token-stdin", stdin=self.org["refresh_token"] + "\n")
        self.assertIn("synced demo", self.sync())
        self.assertIn("demo/Weekly pipeline", self.schedules())

    def test_the_daemons_sync_marks_a_revoked_grant_once_and_then_leaves_the_connection_alone(self):
        self.boot_org(config_extra=self.NOTICES)
        self.rd("schedules", "add", "local", "--connection", "demo", "--cron", "*/2 * * * * *",
                "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account", "--to", "a@example.com")
        self.sf.faults(invalid_grant=True)
        self.sf.clear_requests()
        self.daemon.start()
        self.wait_for(lambda: "event=sync.failed" in self.log(), what="the start-up sync's failure")
        self.assertEqual(self.connection_status("demo"), "needs-reauth")
        self.assertIn("is now marked needs-reauth", self.log())
        # The local schedule's runs fail at once, without asking for a token.
        self.wait_for(lambda: len([r for r in self.runs() if r["state"] == "failed"]) >= 2,
                      what="two failed runs")
        self.wait_for(lambda: self.notices(), what="the re-auth notice")
        self.stop_daemon()
        self.assertEqual(len(self.token_requests()), 1, self.sf.requests())
        self.assertEqual(self.sf.api_requests(), [])
        self.assertEqual([m["Subject"] for m in self.notices()],
                         ['reportd: connection "demo" needs re-authorization'])
        self.assertEqual(self.log().count("event=sync.failed"), 1)

    def test_run_now_on_a_synced_schedule_writes_its_outcome_back_once(self):
        self.boot_org()
        rid = self.sf.create(**soql_record("Now"))
        self.sync()
        self.sync()  # reads our own "Scheduled" back
        self.sf.clear_requests()
        out = self.rd("run", "demo/Now", "--now").stdout
        self.assertIn("succeeded, 300 row(s)", out)
        self.assertIn("status written back to " + rid, out)
        patches = [r for r in self.sf.requests() if r["method"] == "PATCH"]
        self.assertEqual(len(patches), 1, patches)
        self.assertTrue(patches[0]["path"].endswith("/Reportd_Schedule__c/" + rid), patches)
        rec = self.sf.get(rid)
        self.assertEqual((rec["Last_Status__c"], rec["Last_Row_Count__c"], rec["Last_Error__c"]),
                         ("Succeeded", 300, None))
        self.assertRegex(rec["Next_Run__c"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")

        # A dry run tells the record nothing. Occurrences are keyed by the
        # second, so it waits for a second the run above cannot have claimed.
        after = int(time.time())
        self.wait_for(lambda: int(time.time()) > after, timeout=5, what="the next second")
        out_dir = os.path.join(self.root, "out")
        os.mkdir(out_dir)
        self.sf.clear_requests()
        out = self.rd("run", "demo/Now", "--now", "--dry-run", "--out", out_dir).stdout
        self.assertNotIn("written back", out)
        self.assertEqual([r for r in self.sf.requests() if r["method"] == "PATCH"], [])
        # Nor does a local schedule have a record to write to.
        self.rd("schedules", "add", "local", "--connection", "demo", "--cron", "0 7 * * *",
                "--soql", "SELECT Id, Name FROM Account", "--to", "a@example.com")
        self.sf.clear_requests()
        out = self.rd("run", "local", "--now").stdout
        self.assertNotIn("written back", out)
        self.assertEqual([r for r in self.sf.requests() if r["method"] == "PATCH"], [])
        shutil.rmtree(out_dir)
        self.assertEqual(files_containing(self.box.state, MARKER.encode()), [])

    def test_run_now_writes_nothing_back_while_the_api_budget_guard_is_on(self):
        self.boot_org("--api-max", "100")
        rid = self.sf.create(**soql_record("Now"))
        self.sync()
        before = self.sf.get(rid)
        self.assertEqual(before["Last_Status__c"], "Scheduled")
        for _ in range(88):  # then the run's own query takes the org past 90 of 100
            self.assertEqual(self.sf.request("GET", V + "/limits")[0], 200)
        self.sf.clear_requests()
        p = self.rd("run", "demo/Now", "--now")
        self.assertIn("succeeded", p.stdout)
        self.assertIn("status not written back to %s: the org's API usage is at or above "
                      "[limits] api_budget_percent (90%%)" % rid, p.stdout)
        self.assertEqual([r for r in self.sf.requests() if r["method"] == "PATCH"], [])
        self.assertEqual(self.sf.get(rid)["Last_Status__c"], "Scheduled")

    def test_sync_all_syncs_every_connection_not_needing_reauth_and_bad_arguments_say_what_to_do(self):
        self.boot_org()
        # A synced schedule needs allowed recipient domains on its connection.
        self.rd("connections", "add", "other", "--login-url", self.org["login_url"], "--client-id",
                self.org["client_id"], "--refresh-token-stdin", "--allowed-domains", "example.com",
                stdin=self.org["refresh_token"] + "\n")
        p = self.rd("sync", "--all")
        self.assertRegex(p.stdout, r"(?m)^synced demo \(every record\): 2 record\(s\) read")
        self.assertRegex(p.stdout, r"(?m)^synced other \(every record\): \d+ record\(s\) read")
        names = self.schedules()
        self.assertIn("demo/Weekly pipeline", names)
        self.assertIn("other/Weekly pipeline", names)

        # One connection needs re-authorization: the others are still synced.
        self.sf.faults(invalid_grant=True)
        self.assertEqual(self.rd("sync", "other", check=False).returncode, 1)
        self.sf.faults(invalid_grant=False)
        rid = self.sf.create(**soql_record("Added later"))
        p = self.rd("sync", "--all")
        self.assertRegex(p.stdout, r"(?m)^synced demo: \d+ record\(s\) read; schedules 1 added")
        self.assertIn("skipped other: connection other needs re-authorization", p.stdout)
        self.assertIn("`reportd connections reauth other --refresh-token-stdin", p.stdout)
        self.assertIn("demo/Added later", self.schedules())
        self.assertNotIn("other/Added later", self.schedules())
        self.assertTrue(rid)

        # Bad arguments name the mistake and the way out; nothing is synced.
        self.sf.clear_requests()
        for args, code, text in [
                ((), 2, "`reportd sync` needs the connection to sync, or --all for every connection; "
                        "`reportd connections list` shows the names"),
                (("demo", "--all"), 2, "`reportd sync` takes a CONNECTION or --all, not both"),
                (("demo", "other"), 2, "`reportd sync` takes one CONNECTION, got 2 (\"demo\", \"other\", ...); "
                                       "use --all to sync every connection"),
                (("nosuch",), 1, "no connection named \"nosuch\"; `reportd connections list` shows the names"),
                (("--all", "--now"), 2, "`reportd sync` does not take --now; see `reportd sync --help`")]:
            p = self.rd("sync", *args, check=False)
            self.assertEqual(p.returncode, code, (args, p.stderr))
            self.assertIn(text, p.stderr, args)
            self.assertEqual(p.stdout, "", args)
        self.assertEqual([r for r in self.sf.requests() if not r["path"].startswith("/__sim/")], [])
        self.assertIn("reportd sync CONNECTION|--all", self.rd("sync", "--help").stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
