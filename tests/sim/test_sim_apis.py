"""reportd-sfsim: Reports API, Bulk 2.0, writes and files, fault knobs, scale."""
import base64
import csv
import datetime
import io
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import Sim  # noqa: E402

V = "/services/data/v62.0"
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")


def wait_past(stamp):
    """Returns once the wall clock is in a later second than `stamp` (a
    SystemModstamp, which has whole seconds): a write now gets a later one."""
    after = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.000+0000").replace(
        tzinfo=datetime.timezone.utc).timestamp() + 1
    while time.time() < after:
        time.sleep(after - time.time())
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class ReportsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--rows-opportunity", "2500")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def run_report(self, key, details=True):
        rid = self.sim.org[key]
        status, _, body = self.sim.get(V + "/analytics/reports/%s?includeDetails=%s" % (rid, "true" if details else "false"))
        self.assertEqual(status, 200, body)
        return body

    def test_tabular(self):
        r = self.run_report("report_tabular")
        self.assertEqual(r["reportMetadata"]["reportFormat"], "TABULAR")
        self.assertFalse(r["allData"])
        rows = r["factMap"]["T!T"]["rows"]
        self.assertEqual(len(rows), 2000)
        cols = r["reportMetadata"]["detailColumns"]
        info = r["reportExtendedMetadata"]["detailColumnInfo"]
        self.assertEqual(info["AMOUNT"], {"dataType": "currency", "label": "Amount",
                                          "entityColumnName": "Opportunity.Amount"})
        self.assertEqual(len(rows[0]["dataCells"]), len(cols))
        amount = rows[0]["dataCells"][cols.index("AMOUNT")]
        self.assertTrue(amount["label"].startswith("$"))
        self.assertIn("amount", amount["value"])
        self.assertEqual(r["factMap"]["T!T"]["aggregates"][1]["value"], 2500)
        accts = [row["dataCells"][cols.index("ACCOUNT_NAME")] for row in rows]
        self.assertIn({"label": "-", "value": None}, accts)

    def test_summary_and_matrix(self):
        s = self.run_report("report_summary")
        groups = s["groupingsDown"]["groupings"]
        self.assertGreater(len(groups), 2)
        total = sum(s["factMap"]["%s!T" % g["key"]]["aggregates"][1]["value"] for g in groups)
        self.assertEqual(total, 2500)
        self.assertEqual(sum(len(s["factMap"]["%s!T" % g["key"]].get("rows", [])) for g in groups), 2000)
        self.assertNotIn("STAGE_NAME", s["reportMetadata"]["detailColumns"])
        m = self.run_report("report_matrix")
        across = m["groupingsAcross"]["groupings"]
        self.assertTrue(across and all(g["dateGranularity"] == "Year" for g in across))
        self.assertIn("0!0", m["factMap"])
        self.assertIn("T!0", m["factMap"])
        self.assertEqual(m["factMap"]["T!T"]["aggregates"][1]["value"], 2500)

    def test_async_instance(self):
        rid = self.sim.org["report_matrix"]
        base = V + "/analytics/reports/%s/instances" % rid
        status, _, inst = self.sim.request("POST", base + "?includeDetails=true")
        self.assertEqual((status, inst["status"], inst["completionDate"]), (200, "New", None))
        first = self.sim.get(base + "/" + inst["id"])[2]
        self.assertEqual(first["attributes"]["status"], "Running")
        self.assertNotIn("factMap", first)
        done = self.sim.get(base + "/" + inst["id"])[2]
        self.assertEqual((done["attributes"]["status"], done["attributes"]["type"]), ("Success", "ReportInstance"))
        self.assertEqual(done["reportMetadata"]["reportFormat"], "MATRIX")
        self.assertIn("rows", done["factMap"]["0!0"])
        self.assertEqual([i["id"] for i in self.sim.get(base)[2]], [inst["id"]])

    def test_without_details_and_unknown(self):
        r = self.run_report("report_summary", details=False)
        self.assertFalse(r["hasDetailRows"])
        self.assertTrue(all("rows" not in v for v in r["factMap"].values()))
        self.assertEqual(self.sim.get(V + "/analytics/reports/00O5g000000009ZAAA")[0], 404)
        self.assertEqual(len(self.sim.get(V + "/analytics/reports")[2]), 3)


class BulkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--rows-account", "2300")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def create(self, soql, **extra):
        body = {"operation": "query", "query": soql, "contentType": "CSV", "lineEnding": "LF"}
        body.update(extra)
        return self.sim.request("POST", V + "/jobs/query", body=body)

    def test_job_lifecycle_and_chunks(self):
        s = self.sim
        status, _, job = self.create("SELECT Id, Name, Description, AnnualRevenue, CreatedDate, Owner.Name FROM Account")
        self.assertEqual((status, job["state"], job["object"]), (200, "UploadComplete", "Account"))
        early = s.get(V + "/jobs/query/%s/results" % job["id"])
        self.assertEqual(early[0], 400)
        states = [s.get(V + "/jobs/query/" + job["id"])[2]["state"] for _ in range(3)]
        self.assertEqual(states, ["InProgress", "JobComplete", "JobComplete"])
        rows, locator, chunks = [], None, 0
        while True:
            q = "?maxRecords=1000" + ("&locator=" + locator if locator else "")
            status, hdrs, data = s.get(V + "/jobs/query/%s/results%s" % (job["id"], q), raw=True)
            self.assertEqual(status, 200)
            self.assertTrue(hdrs["content-type"].startswith("text/csv"))
            chunk = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
            self.assertEqual(chunk[0], ["Id", "Name", "Description", "AnnualRevenue", "CreatedDate", "Owner.Name"])
            self.assertEqual(int(hdrs["sforce-numberofrecords"]), len(chunk) - 1)
            rows += chunk[1:]
            chunks += 1
            locator = hdrs["sforce-locator"]
            if locator == "null":
                break
        self.assertEqual((len(rows), chunks), (2300, 3))
        self.assertEqual(len({r[0] for r in rows}), 2300)
        self.assertTrue(any(r[2] == "" for r in rows))
        self.assertTrue(any("\n" in r[2] for r in rows))
        self.assertRegex(rows[0][4], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
        self.assertEqual(s.request("DELETE", V + "/jobs/query/" + job["id"])[0], 204)

    def test_errors_delimiter_gzip_and_version(self):
        s = self.sim
        self.assertEqual(self.create("SELECT COUNT() FROM Account")[0], 400)
        self.assertEqual(self.create("SELECT Nope FROM Account")[2][0]["errorCode"], "INVALID_FIELD")
        status, _, job = self.create("SELECT Id, Name FROM Account LIMIT 5", columnDelimiter="PIPE")
        for _ in range(2):
            s.get(V + "/jobs/query/" + job["id"])
        status, hdrs, data = s.get(V + "/jobs/query/%s/results" % job["id"], raw=True,
                                   headers={"Accept-Encoding": "gzip"})
        self.assertEqual(hdrs.get("content-encoding"), "gzip")
        lines = data.decode().splitlines()
        self.assertEqual((lines[0], len(lines)), ('"Id"|"Name"', 6))
        self.assertEqual(hdrs["sforce-locator"], "null")
        self.assertEqual(s.get("/services/data/v61.0/jobs/query/%s/results" % job["id"])[0], 409)
        aborted = s.request("PATCH", V + "/jobs/query/" + job["id"], body={"state": "Aborted"})[2]
        self.assertEqual(aborted["state"], "Aborted")


class WritesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_content_version_multipart_and_query_back(self):
        s = self.sim
        acct = s.get(s.query_path("SELECT Id FROM Account LIMIT 1"))[2]["records"][0]["Id"]
        payload = bytes(range(256)) * 40
        boundary = "----sfsimBoundary"
        meta = json.dumps({"Title": "q3.xlsx", "PathOnClient": "q3.xlsx", "FirstPublishLocationId": acct})
        body = ("--%s\r\nContent-Disposition: form-data; name=\"VersionData\"; filename=\"q3.xlsx\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode() + payload + \
               ("\r\n--%s\r\nContent-Disposition: form-data; name=\"entity_content\"\r\n"
                "Content-Type: application/json\r\n\r\n%s\r\n--%s--\r\n" % (boundary, meta, boundary)).encode()
        status, _, res = s.request("POST", V + "/sobjects/ContentVersion", body=body,
                                   headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
        self.assertEqual(status, 201, res)
        self.assertEqual((res["success"], res["errors"]), (True, []))
        self.assertTrue(res["id"].startswith("068"))
        q = s.get(s.query_path("SELECT ContentDocumentId, ContentSize FROM ContentVersion WHERE Id = '%s'" % res["id"]))[2]
        doc = q["records"][0]["ContentDocumentId"]
        self.assertTrue(doc.startswith("069"))
        self.assertEqual(q["records"][0]["ContentSize"], len(payload))
        links = s.get(s.query_path("SELECT LinkedEntityId FROM ContentDocumentLink WHERE ContentDocumentId = '%s'" % doc))[2]
        self.assertEqual(links["records"][0]["LinkedEntityId"], acct)
        status, _, blob = s.get(V + "/sobjects/ContentVersion/%s/VersionData" % res["id"], raw=True)
        self.assertEqual(blob, payload)

    def test_content_version_json_base64_and_errors(self):
        s = self.sim
        status, _, res = s.request("POST", V + "/sobjects/ContentVersion", body={
            "Title": "a", "PathOnClient": "a.csv", "VersionData": base64.b64encode(b"x,y\n1,2\n").decode()})
        self.assertEqual(status, 201, res)
        status, _, err = s.request("POST", V + "/sobjects/ContentVersion", body={"Title": "a"})
        self.assertEqual((status, err[0]["errorCode"]), (400, "REQUIRED_FIELD_MISSING"))
        status, _, err = s.request("POST", V + "/sobjects/ContentVersion", body={
            "PathOnClient": "a", "VersionData": "eA==", "FirstPublishLocationId": "001000000000000AAA"})
        self.assertEqual(err[0]["errorCode"], "INVALID_CROSS_REFERENCE_KEY")

    def test_schedule_patch_and_create(self):
        s = self.sim
        sid = s.org["schedule_ids"][0]
        status, _, body = s.request("PATCH", V + "/sobjects/Reportd_Schedule__c/" + sid,
                                    body={"Last_Status__c": "ok", "Last_Run__c": "2026-01-01T07:00:00.000+0000"})
        self.assertEqual((status, body), (204, b""))
        rec = s.get(s.query_path("SELECT Name, Last_Status__c FROM Reportd_Schedule__c WHERE Id = '%s'" % sid))[2]
        self.assertEqual(rec["records"][0]["Last_Status__c"], "ok")
        status, _, err = s.request("PATCH", V + "/sobjects/Reportd_Schedule__c/" + sid, body={"Bogus": 1})
        self.assertEqual((status, err[0]["errorCode"], err[0]["fields"]), (400, "INVALID_FIELD", ["Bogus"]))
        self.assertEqual(s.request("PATCH", V + "/sobjects/Reportd_Schedule__c/a015g0000000099AAA",
                                   body={"Name": "x"})[0], 404)
        status, _, res = s.request("POST", V + "/sobjects/Reportd_Schedule__c/", body={"Name": "new"})
        self.assertEqual((status, res["success"]), (201, True))


class ScheduleObjectTest(unittest.TestCase):
    """Reportd_Schedule__c as reportd's schedule sync uses it: incremental by
    SystemModstamp, deletions through queryAll, the owner's e-mail."""

    FIELDS = ("Id, Name, Active__c, Cron__c, Time_Zone__c, Source_Type__c, Query__c, Report_Id__c, "
              "Formats__c, Recipients__c, Subject__c, Body__c, Send_When_Empty__c, Minimum_Rows__c, "
              "Files_Target_Id__c, Last_Status__c, Last_Error__c, Owner.Email, SystemModstamp, IsDeleted")

    def setUp(self):
        self.sim = Sim()

    def tearDown(self):
        self.sim.stop()

    def records(self, where="", kind="query"):
        soql = "SELECT %s FROM Reportd_Schedule__c %s ORDER BY SystemModstamp" % (self.FIELDS, where)
        return [r for p in self.sim.query_all_pages(soql, kind) for r in p["records"]]

    def create(self, **fields):
        status, _, res = self.sim.request("POST", V + "/sobjects/Reportd_Schedule__c", body=fields)
        self.assertEqual(status, 201, res)
        return res["id"]

    def test_seeded_records_are_complete_and_owned_by_the_api_user(self):
        recs = self.records()
        self.assertEqual([r["Id"] for r in recs], self.sim.org["schedule_ids"])
        r = recs[0]
        self.assertEqual((r["Active__c"], r["Source_Type__c"], r["Formats__c"], r["Send_When_Empty__c"]),
                         (True, "SOQL", "CSV;XLSX", False))
        self.assertEqual(r["Owner"]["Email"], "user0@example.com")
        self.assertRegex(r["SystemModstamp"], DATETIME)
        self.assertIsNone(r["Minimum_Rows__c"])
        d = self.sim.get(V + "/sobjects/Reportd_Schedule__c/describe")[2]
        types = {f["name"]: (f["type"], f["length"]) for f in d["fields"]}
        self.assertEqual(types["Formats__c"], ("multipicklist", 4099))
        self.assertEqual(types["Last_Status__c"], ("string", 40))
        self.assertEqual(types["SystemModstamp"][0], "datetime")
        self.assertTrue(d["deletable"])

    def test_create_update_delete_move_systemmodstamp_and_querall_sees_deletions(self):
        rid = self.create(Name="Ångström 北京 📈", Cron__c="0 8 * * *", Active__c=True,
                          Recipients__c="a@example.com;\nb@example.com", Minimum_Rows__c=5)
        first = [r for r in self.records() if r["Id"] == rid][0]
        self.assertEqual((first["Name"], first["Minimum_Rows__c"], first["IsDeleted"]),
                         ("Ångström 北京 📈", 5, False))
        self.assertFalse(first["Send_When_Empty__c"])  # a checkbox is never null
        stamp = first["SystemModstamp"]
        wait_past(stamp)
        self.assertEqual(self.sim.request("PATCH", V + "/sobjects/Reportd_Schedule__c/" + rid,
                                          body={"Cron__c": "0 9 * * *"})[0], 204)
        recs = self.records()
        self.assertEqual(recs[-1]["Id"], rid)  # ORDER BY SystemModstamp: the changed one last
        self.assertGreater(recs[-1]["SystemModstamp"], stamp)
        changed = self.records("WHERE SystemModstamp > %s" % stamp.replace(".000+0000", "Z"))
        self.assertEqual([r["Id"] for r in changed], [rid])
        same = self.records("WHERE SystemModstamp >= %sZ" % recs[-1]["SystemModstamp"][:19])
        self.assertEqual([r["Id"] for r in same], [rid])
        desc = self.sim.query_all_pages("SELECT Id FROM Reportd_Schedule__c ORDER BY SystemModstamp DESC, Name")
        self.assertEqual(desc[0]["records"][0]["Id"], rid)

        wait_past(recs[-1]["SystemModstamp"])
        status, _, body = self.sim.request("DELETE", V + "/sobjects/Reportd_Schedule__c/" + rid)
        self.assertEqual((status, body), (204, b""))
        self.assertNotIn(rid, [r["Id"] for r in self.records()])
        gone = [r for r in self.records(kind="queryAll") if r["Id"] == rid][0]
        self.assertTrue(gone["IsDeleted"])
        self.assertGreater(gone["SystemModstamp"], recs[-1]["SystemModstamp"])
        self.assertEqual(len(self.records("WHERE IsDeleted = true", "queryAll")), 1)
        for method, body in (("PATCH", {"Name": "x"}), ("DELETE", None), ("GET", None)):
            status, _, err = self.sim.request(method, V + "/sobjects/Reportd_Schedule__c/" + rid, body=body)
            self.assertEqual((status, err[0]["errorCode"]), (404, "ENTITY_IS_DELETED"), method)
        self.assertEqual(self.sim.request("DELETE", V + "/sobjects/Reportd_Schedule__c/a015g00000000zzAAA")[0], 404)

    def test_writes_are_checked_against_the_fields(self):
        rid = self.sim.org["schedule_ids"][0]
        path = V + "/sobjects/Reportd_Schedule__c/" + rid
        status, _, err = self.sim.request("PATCH", path, body={"Last_Status__c": "x" * 41})
        self.assertEqual((status, err[0]["errorCode"], err[0]["fields"]), (400, "STRING_TOO_LONG", ["Last_Status__c"]))
        self.assertEqual(self.sim.request("PATCH", path, body={"Last_Status__c": "é" * 40})[0], 204)
        status, _, err = self.sim.request("PATCH", path, body={"Unknown_Field__c": 1})
        self.assertEqual((status, err[0]["errorCode"]), (400, "INVALID_FIELD"))
        status, _, err = self.sim.request("PATCH", path, body={"SystemModstamp": "2020-01-01T00:00:00Z"})
        self.assertEqual(err[0]["errorCode"], "INVALID_FIELD_FOR_INSERT_UPDATE")
        status, _, _ = self.sim.request("PATCH", path, body={
            "Last_Run__c": "2026-01-01T07:00:00.000Z", "Last_Status__c": "Succeeded", "Last_Row_Count__c": 12,
            "Last_Error__c": None, "Next_Run__c": "2026-01-08T07:00:00.000Z"})
        self.assertEqual(status, 204)
        r = self.sim.get(path)[2]
        self.assertEqual((r["Last_Status__c"], r["Last_Row_Count__c"], r["Last_Error__c"]), ("Succeeded", 12, None))


class FaultsTest(unittest.TestCase):
    def test_session_expiry_counts_calls(self):
        with Sim("--session-expires-after", "3") as sim:
            statuses = [sim.get(V + "/limits")[0] for _ in range(5)]
            self.assertEqual(statuses, [200, 200, 200, 401, 401])
            body = sim.get(V + "/limits")[2]
            self.assertEqual(body, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
            f = {"grant_type": "refresh_token", "client_id": sim.org["client_id"],
                 "refresh_token": sim.org["refresh_token"]}
            sim.token = sim.form("/services/oauth2/token", f)[2]["access_token"]
            self.assertEqual(sim.get(V + "/limits")[0], 200)

    def test_limit_exceeded_and_header(self):
        with Sim("--limit-exceeded-after", "2") as sim:
            r = [sim.get(V + "/limits") for _ in range(3)]
            self.assertEqual([x[0] for x in r], [200, 200, 403])
            self.assertEqual(r[2][2][0]["errorCode"], "REQUEST_LIMIT_EXCEEDED")
            self.assertEqual(r[1][1]["sforce-limit-info"], "api-usage=2/2")

    def test_html_503_every_and_after(self):
        with Sim("--html-503-every", "2") as sim:
            r = [sim.get(V + "/limits", raw=True) for _ in range(4)]
            self.assertEqual([x[0] for x in r], [200, 503, 200, 503])
            self.assertTrue(r[1][1]["content-type"].startswith("text/html"))
            self.assertIn(b"<html>", r[1][2])
            sim.faults(html_503_every=0, html_503_after=1, reset_counters=True)
            self.assertEqual([sim.get(V + "/limits")[0] for _ in range(3)], [200, 503, 503])

    def test_cut_body(self):
        import http.client
        with Sim("--cut-body-every", "2") as sim:
            self.assertEqual(sim.get(sim.query_path("SELECT Id, Name FROM Account"))[0], 200)
            with self.assertRaises(http.client.IncompleteRead):
                sim.get(sim.query_path("SELECT Id, Name FROM Account"))
            self.assertEqual(sim.get(sim.query_path("SELECT Id FROM Account"))[0], 200)
            self.assertEqual(sim.stats()["endpoints"]["fault.cut_body"], 1)

    def test_invalid_locator_slow_and_runtime_faults(self):
        with Sim("--invalid-locator", "--rows-account", "2100") as sim:
            first = sim.get(sim.query_path("SELECT Id FROM Account"))[2]
            status, _, err = sim.get(first["nextRecordsUrl"])
            self.assertEqual((status, err[0]["errorCode"]), (400, "INVALID_QUERY_LOCATOR"))
            sim.faults(invalid_locator=False, slow_ms=300)
            t = time.monotonic()
            self.assertEqual(sim.get(first["nextRecordsUrl"])[0], 200)
            self.assertGreaterEqual(time.monotonic() - t, 0.3)
            self.assertEqual(sim.get("/__sim/faults", auth=False)[2]["slow_ms"], 300)
            self.assertEqual(sim.faults(bogus=1)[0], 400)
            st = sim.stats()
            self.assertEqual(st["endpoints"]["query"], 1)
            self.assertEqual(st["endpoints"]["query.more"], 2)
            log = sim.get("/__sim/requests", auth=False)[2]
            self.assertIn({"method": "GET", "path": V + "/query", "status": 200}, log)
            sim.faults(expire_sessions=True)
            self.assertEqual(sim.get(V + "/limits")[0], 401)


class ScaleTest(unittest.TestCase):
    def test_million_rows_are_generated_not_stored(self):
        # Under ASan freed memory sits in quarantine; keep it small so RSS
        # reflects what the simulator actually holds.
        asan = {"ASAN_OPTIONS": "quarantine_size_mb=8:thread_local_quarantine_size_kb=256"}
        with Sim("--rows-account", "1000000", env=asan) as sim:
            first = sim.get(sim.query_path("SELECT Id, Name, Owner.Name FROM Account"))[2]
            self.assertEqual(first["totalSize"], 1000000)
            cursor = first["nextRecordsUrl"].rsplit("-", 1)[0]
            job = sim.request("POST", V + "/jobs/query", body={"operation": "query",
                                                                "query": "SELECT Id, Name FROM Account"})[2]
            for _ in range(2):
                sim.get(V + "/jobs/query/" + job["id"])

            def work(bulk_rows):
                last = sim.get(cursor + "-998000")[2]
                self.assertTrue(last["done"])
                self.assertEqual(len(last["records"]), 2000)
                status, hdrs, data = sim.get(V + "/jobs/query/%s/results?maxRecords=%d" % (job["id"], bulk_rows),
                                             raw=True)
                self.assertEqual(data.count(b"\n"), bulk_rows + 1)
                self.assertNotEqual(hdrs["sforce-locator"], "null")

            # Warm up (allocator pools, sanitizer shadow), then stream ten times more:
            # what the simulator holds must not grow with the rows served.
            work(20000)
            before = rss_kb(sim.proc.pid)
            work(200000)
            work(200000)
            grown_mb = (rss_kb(sim.proc.pid) - before) / 1024
            self.assertLess(grown_mb, 32, "simulator RSS grew by %.1f MB" % grown_mb)


if __name__ == "__main__":
    unittest.main(verbosity=2)
