"""Tests of reportd-sfsim itself, through HTTPS with its generated CA."""
import base64
import csv
import hashlib
import hmac
import io
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import Sim  # noqa: E402

V = "/services/data/v62.0"
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class ContractTest(unittest.TestCase):
    def test_url_line_ca_org_json_and_clean_exit(self):
        sim = Sim()
        try:
            self.assertRegex(sim.base, r"^https://127\.0\.0\.1:\d+$")
            for key in ("login_url", "instance_url", "client_id", "client_secret", "refresh_token",
                        "username", "org_id", "access_token", "api_version"):
                self.assertIn(key, sim.org)
            self.assertEqual(sim.org["login_url"], sim.base)
            self.assertEqual(sim.org["instance_url"], sim.base)
            self.assertRegex(sim.org["org_id"], r"^00D[0-9A-Za-z]{15}$")
            self.assertRegex(sim.org["access_token"], r"^(00D\w{12,15})![.\w]*$")
            # Hostname verification against the generated CA, both names.
            for host in ("127.0.0.1", "localhost"):
                status, _, body = sim.get("/services/data/", host=host, auth=False)
                self.assertEqual(status, 200)
                self.assertEqual(body[-1]["version"], "62.0")
            # A foreign name must fail verification.
            with self.assertRaises(ssl.SSLCertVerificationError):
                with socket.create_connection(("127.0.0.1", sim.port)) as s:
                    sim.ctx.wrap_socket(s, server_hostname="example.com")
        finally:
            self.assertEqual(sim.stop(), 0)

    def test_help_lists_fault_flags(self):
        from simlib import sim_binary
        out = subprocess.run([sim_binary(), "--help"], capture_output=True, text=True, check=True).stdout
        for flag in ("--rows-account", "--session-expires-after", "--rotate-refresh-token",
                     "--invalid-grant", "--limit-exceeded-after", "--html-503-every", "--slow-ms",
                     "--cut-body-every", "--invalid-locator", "--marker", "--page-size"):
            self.assertIn(flag, out)
        bad = subprocess.run([sim_binary(), "--bogus"], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)


class OAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def refresh(self, sim, rt, **extra):
        fields = {"grant_type": "refresh_token", "refresh_token": rt, "client_id": sim.org["client_id"]}
        fields.update(extra)
        return sim.form("/services/oauth2/token", fields)

    def test_refresh_grant_shape_and_use(self):
        sim = self.sim
        status, hdrs, body = self.refresh(sim, sim.org["refresh_token"], client_secret=sim.org["client_secret"])
        self.assertEqual(status, 200, body)
        self.assertNotIn("refresh_token", body)
        self.assertNotIn("expires_in", body)
        self.assertRegex(body["issued_at"], r"^\d{13}$")
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["instance_url"], sim.base)
        want = base64.b64encode(hmac.new(sim.org["client_secret"].encode(),
                                         (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()).decode()
        self.assertEqual(body["signature"], want)
        status, _, lim = sim.get(V + "/limits", headers={"Authorization": "Bearer " + body["access_token"]})
        self.assertEqual(status, 200)

    def test_token_errors(self):
        sim = self.sim
        status, _, body = self.refresh(sim, sim.org["refresh_token"], client_id="nope")
        self.assertEqual((status, body["error"]), (400, "invalid_client_id"))
        status, _, body = self.refresh(sim, "bogus")
        self.assertEqual((status, body["error"], body["error_description"]),
                         (400, "invalid_grant", "expired access/refresh token"))
        status, _, body = sim.form("/services/oauth2/token", {"grant_type": "foo", "client_id": sim.org["client_id"]})
        self.assertEqual(body["error"], "unsupported_grant_type")
        status, _, body = self.refresh(sim, sim.org["refresh_token"], client_secret="wrong")
        self.assertEqual(body["error"], "invalid_client")

    def test_pkce_web_server_flow(self):
        sim = self.sim
        verifier = base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        q = urllib.parse.urlencode({"response_type": "code", "client_id": sim.org["client_id"],
                                    "redirect_uri": sim.org["redirect_uri"], "state": "st/1 x",
                                    "code_challenge": challenge, "code_challenge_method": "S256",
                                    "scope": "api refresh_token"})
        status, hdrs, _ = sim.get("/services/oauth2/authorize?" + q, auth=False)
        self.assertEqual(status, 302)
        loc = urllib.parse.urlparse(hdrs["location"])
        self.assertTrue(hdrs["location"].startswith(sim.org["redirect_uri"] + "?"))
        params = dict(urllib.parse.parse_qsl(loc.query))
        self.assertEqual(params["state"], "st/1 x")
        base = {"grant_type": "authorization_code", "code": params["code"], "client_id": sim.org["client_id"],
                "redirect_uri": sim.org["redirect_uri"]}
        status, _, body = sim.form("/services/oauth2/token", dict(base, code_verifier=verifier))
        self.assertEqual(status, 200, body)
        self.assertIn("refresh_token", body)
        # The new refresh token works; the code is single-use.
        self.assertEqual(self.refresh(sim, body["refresh_token"])[0], 200)
        status, _, body = sim.form("/services/oauth2/token", dict(base, code_verifier=verifier))
        self.assertEqual(body["error"], "invalid_grant")
        # Wrong verifier on a fresh code.
        status, hdrs, _ = sim.get("/services/oauth2/authorize?" + q, auth=False)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(hdrs["location"]).query))["code"]
        status, _, body = sim.form("/services/oauth2/token", dict(base, code=code, code_verifier="wrong"))
        self.assertEqual((status, body["error"]), (400, "invalid_request"))

    def jwt(self, claims, key=None):
        sim = self.sim
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
        signing_input = enc(json.dumps({"alg": "RS256"}).encode()) + "." + enc(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key or sim.org["jwt_key_file"]],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        return signing_input + "." + enc(sig)

    def test_jwt_bearer(self):
        sim = self.sim
        claims = {"iss": sim.org["client_id"], "sub": sim.org["username"],
                  "aud": "https://login.salesforce.com", "exp": int(time.time()) + 180}
        grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
        status, _, body = sim.form("/services/oauth2/token", {"grant_type": grant, "assertion": self.jwt(claims)})
        self.assertEqual(status, 200, body)
        self.assertNotIn("refresh_token", body)
        status, _, body = sim.form("/services/oauth2/token",
                                   {"grant_type": grant, "assertion": self.jwt(dict(claims, aud="https://x.example"))})
        self.assertEqual(body["error_description"], "audience is invalid")
        status, _, body = sim.form("/services/oauth2/token",
                                   {"grant_type": grant, "assertion": self.jwt(dict(claims, exp=1000))})
        self.assertEqual(body["error"], "invalid_grant")
        other = os.path.join(sim.dir, "other.pem")
        subprocess.run(["openssl", "genrsa", "-out", other, "2048"], capture_output=True, check=True)
        status, _, body = sim.form("/services/oauth2/token",
                                   {"grant_type": grant, "assertion": self.jwt(claims, key=other)})
        self.assertEqual((status, body["error"]), (400, "invalid_grant"))

    def test_password_userinfo_identity_revoke(self):
        sim = self.sim
        status, _, body = sim.form("/services/oauth2/token", {
            "grant_type": "password", "client_id": sim.org["client_id"],
            "client_secret": sim.org["client_secret"], "username": sim.org["username"],
            "password": sim.org["password"]})
        self.assertEqual(status, 200, body)
        tok = {"Authorization": "Bearer " + body["access_token"]}
        status, _, info = sim.get("/services/oauth2/userinfo", headers=tok)
        self.assertEqual((info["user_id"], info["organization_id"]), (sim.org["user_id"], sim.org["org_id"]))
        idpath = urllib.parse.urlparse(body["id"]).path
        status, _, ident = sim.get(idpath + "?format=json&oauth_token=" + body["access_token"], auth=False)
        self.assertEqual((status, ident["username"]), (200, sim.org["username"]))
        status, _, _ = sim.form("/services/oauth2/revoke", {"token": body["access_token"]})
        self.assertEqual(status, 200)
        status, _, err = sim.get(V + "/limits", headers=tok)
        self.assertEqual((status, err[0]["errorCode"]), (401, "INVALID_SESSION_ID"))
        self.assertEqual(sim.form("/services/oauth2/revoke", {"token": "nope"})[0], 400)


class RotationAndGrantFaultTest(unittest.TestCase):
    def test_rotation_invalidates_old_refresh_token(self):
        with Sim("--rotate-refresh-token") as sim:
            f = {"grant_type": "refresh_token", "client_id": sim.org["client_id"]}
            status, _, body = sim.form("/services/oauth2/token", dict(f, refresh_token=sim.org["refresh_token"]))
            self.assertEqual(status, 200)
            new = body["refresh_token"]
            self.assertNotEqual(new, sim.org["refresh_token"])
            status, _, body = sim.form("/services/oauth2/token", dict(f, refresh_token=sim.org["refresh_token"]))
            self.assertEqual((status, body["error"]), (400, "invalid_grant"))
            status, _, body = sim.form("/services/oauth2/token", dict(f, refresh_token=new))
            self.assertEqual(status, 200)

    def test_invalid_grant_flag_and_runtime_switch(self):
        with Sim("--invalid-grant") as sim:
            f = {"grant_type": "refresh_token", "client_id": sim.org["client_id"],
                 "refresh_token": sim.org["refresh_token"]}
            status, _, body = sim.form("/services/oauth2/token", f)
            self.assertEqual((status, body["error"]), (400, "invalid_grant"))
            sim.faults(invalid_grant=False)
            self.assertEqual(sim.form("/services/oauth2/token", f)[0], 200)


class QueryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--rows-account", "4500", "--rows-contact", "3000", "--rows-opportunity", "2500",
                      "--marker", "ZQX-MARKER-7")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_paging_with_cursor(self):
        pages = self.sim.query_all_pages("SELECT Id, Name FROM Account")
        self.assertEqual([len(p["records"]) for p in pages], [2000, 2000, 500])
        self.assertTrue(all(p["totalSize"] == 4500 for p in pages))
        self.assertRegex(pages[0]["nextRecordsUrl"], r"^/services/data/v62\.0/query/[0-9A-Za-z]{18}-2000$")
        ids = [r["Id"] for p in pages for r in p["records"]]
        self.assertEqual(len(set(ids)), 4500)
        self.assertNotIn("nextRecordsUrl", pages[-1])
        self.assertEqual(list(pages[0]["records"][0].keys()), ["attributes", "Id", "Name"])
        # The locator is self-sufficient and also valid under /queryAll/.
        loc = pages[0]["nextRecordsUrl"].rsplit("/", 1)[1]
        status, _, again = self.sim.get(V + "/queryAll/" + loc)
        self.assertEqual(again["records"][0]["Id"], pages[1]["records"][0]["Id"])

    def test_query_all_includes_deleted(self):
        pages = self.sim.query_all_pages("SELECT Id, IsDeleted FROM Account", kind="queryAll")
        recs = [r for p in pages for r in p["records"]]
        self.assertEqual(len(recs), 4590)
        self.assertEqual(sum(r["IsDeleted"] for r in recs), 90)
        self.assertIn("/query/", pages[0]["nextRecordsUrl"])

    def test_batch_size_header(self):
        pages = self.sim.query_all_pages("SELECT Id FROM Contact",
                                         headers={"Sforce-Query-Options": "batchSize=500"})
        self.assertEqual(len(pages), 6)
        self.assertEqual(len(pages[0]["records"]), 500)

    def test_relationships_nulls_and_canonical_names(self):
        pages = self.sim.query_all_pages("select id, account.name, ACCOUNT.OWNER.NAME, lastname FROM contact")
        recs = [r for p in pages for r in p["records"]]
        self.assertEqual(list(recs[0].keys()), ["attributes", "Id", "Account", "LastName"])
        with_parent = [r for r in recs if r["Account"] is not None]
        null_parent = [r for r in recs if r["Account"] is None]
        self.assertTrue(with_parent and null_parent)
        acct = with_parent[0]["Account"]
        self.assertEqual(acct["attributes"]["type"], "Account")
        self.assertEqual(list(acct.keys()), ["attributes", "Name", "Owner"])
        self.assertEqual(acct["Owner"]["attributes"]["type"], "User")
        self.assertIsInstance(acct["Owner"]["Name"], str)

    def test_types_and_awkward_values(self):
        pages = self.sim.query_all_pages(
            "SELECT Id, Name, Amount, Probability, CloseDate, CreatedDate, IsWon, Description, "
            "Owner.Name, Account.Name FROM Opportunity")
        recs = [r for p in pages for r in p["records"]]
        self.assertTrue(all(DATETIME.match(r["CreatedDate"]) for r in recs))
        self.assertTrue(all(DATE.match(r["CloseDate"]) for r in recs))
        self.assertTrue(all(isinstance(r["IsWon"], bool) for r in recs))
        self.assertTrue(any(r["Amount"] is None for r in recs))
        self.assertTrue(any(isinstance(r["Amount"], float) for r in recs))
        descs = [r["Description"] for r in recs if r["Description"]]
        self.assertTrue(any("\n" in d for d in descs) and any('"' in d for d in descs))
        self.assertTrue(any("," in d for d in descs))
        self.assertTrue(any(any(ord(c) > 127 for c in r["Name"]) for r in recs))
        self.assertTrue(any(r["Account"] is None for r in recs))

    def test_marker_planted_every_fifth_row(self):
        recs = self.sim.query_all_pages("SELECT Name, Description FROM Account LIMIT 10")[0]["records"]
        self.assertIn("ZQX-MARKER-7", recs[0]["Name"])
        self.assertIn("ZQX-MARKER-7", recs[5]["Description"])
        self.assertNotIn("ZQX-MARKER-7", recs[1]["Name"])

    def test_count_where_limit(self):
        s = self.sim
        self.assertEqual(s.get(s.query_path("SELECT COUNT() FROM Account"))[2]["totalSize"], 4500)
        agg = s.get(s.query_path("SELECT COUNT(Id) FROM Contact"))[2]
        self.assertEqual(agg["records"][0]["expr0"], 3000)
        first = s.get(s.query_path("SELECT Id, Name FROM Account LIMIT 3"))[2]
        self.assertEqual((first["totalSize"], len(first["records"]), first["done"]), (3, 3, True))
        one = first["records"][1]
        by_id = s.get(s.query_path("SELECT Name FROM Account WHERE Id = '%s'" % one["Id"]))[2]
        self.assertEqual(by_id["records"][0]["Name"], one["Name"])
        by_name = s.get(s.query_path("SELECT Id FROM Account WHERE Name = '%s'"
                                     % one["Name"].replace("'", "\\'")))[2]
        self.assertEqual(by_name["records"][0]["Id"], one["Id"])
        deleted = s.get(s.query_path("SELECT Id FROM Account WHERE IsDeleted = true", "queryAll"))[2]
        self.assertEqual(deleted["totalSize"], 90)
        like = s.get(s.query_path("SELECT Id FROM Account WHERE Name LIKE 'Acme%' AND IsDeleted = false"))[2]
        self.assertGreater(like["totalSize"], 0)
        empty = s.get(s.query_path("SELECT Id FROM Account WHERE Name = 'no such'"))[2]
        self.assertEqual(empty, {"totalSize": 0, "done": True, "records": []})

    def test_filtered_paging_matches_unpaged(self):
        s = self.sim
        soql = "SELECT Id FROM Contact WHERE AccountId != null"
        pages = s.query_all_pages(soql, headers={"Sforce-Query-Options": "batchSize=200"})
        ids = [r["Id"] for p in pages for r in p["records"]]
        self.assertEqual(len(ids), pages[0]["totalSize"])
        self.assertEqual(len(set(ids)), len(ids))
        # Re-reading a middle page (no resume hint) gives the same rows.
        loc = pages[3]["nextRecordsUrl"]
        again = s.get(loc)[2]
        self.assertEqual(again["records"], pages[4]["records"])

    def test_query_errors(self):
        s = self.sim
        status, _, body = s.get(s.query_path("SELECT Naem FROM Account"))
        self.assertEqual((status, body[0]["errorCode"]), (400, "INVALID_FIELD"))
        self.assertIn("\nSELECT Naem FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Naem'",
                      body[0]["message"])
        status, _, body = s.get(s.query_path("SELECT FROM Account"))
        self.assertEqual(body[0]["errorCode"], "MALFORMED_QUERY")
        status, _, body = s.get(s.query_path("SELECT Id FROM Contact123"))
        self.assertEqual(body[0]["errorCode"], "INVALID_TYPE")
        status, _, body = s.get(s.query_path("SELECT Id, Foo.Name FROM Contact"))
        self.assertEqual(body[0]["errorCode"], "INVALID_FIELD")
        status, _, body = s.get(V + "/query")
        self.assertEqual((status, body[0]["errorCode"]), (400, "MALFORMED_QUERY"))
        status, _, body = s.get(V + "/query/01gXXXXXXXXXXXXXXX-2000")
        self.assertEqual((status, body[0]["errorCode"]), (400, "INVALID_QUERY_LOCATOR"))

    def test_columns_for_sf_cli(self):
        body = self.sim.get(self.sim.query_path("SELECT Id, Name, Account.Name FROM Contact") + "&columns=true")[2]
        cols = body["columnMetadata"]
        self.assertEqual([c["columnName"] for c in cols], ["Id", "Name", "Account"])
        self.assertEqual(cols[2]["joinColumns"][0]["displayName"], "Account.Name")

    def test_discovery_describe_limits(self):
        s = self.sim
        status, hdrs, _ = s.get("/services/data/", auth=False)
        self.assertNotIn("sforce-limit-info", hdrs)
        status, hdrs, root = s.get(V + "/")
        self.assertTrue(root["identity"].endswith("/id/%s/%s" % (s.org["org_id"], s.org["user_id"])))
        self.assertRegex(hdrs["sforce-limit-info"], r"^api-usage=\d+/100000$")
        names = [o["name"] for o in s.get(V + "/sobjects/")[2]["sobjects"]]
        for n in ("Account", "Contact", "Opportunity", "ContentVersion", "Reportd_Schedule__c"):
            self.assertIn(n, names)
        d = s.get(V + "/sobjects/Opportunity/describe")[2]
        types = {f["name"]: f["type"] for f in d["fields"]}
        self.assertEqual((types["Amount"], types["CloseDate"], types["CreatedDate"], types["IsWon"]),
                         ("currency", "date", "datetime", "boolean"))
        self.assertEqual(s.get(V + "/sobjects/Nope/describe")[0], 404)
        lim = s.get(V + "/limits")[2]
        self.assertEqual(lim["DailyApiRequests"]["Max"], 100000)
        user = s.get(V + "/sobjects/User/" + s.org["user_id"])[2]
        self.assertEqual(user["Username"], s.org["username"])

    def test_gzip(self):
        s = self.sim
        status, hdrs, body = s.get(s.query_path("SELECT Id, Name FROM Account"),
                                   headers={"Accept-Encoding": "gzip"})
        self.assertEqual(hdrs.get("content-encoding"), "gzip")
        self.assertEqual(len(body["records"]), 2000)


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
            before = rss_kb(sim.proc.pid)
            first = sim.get(sim.query_path("SELECT Id, Name, Owner.Name FROM Account"))[2]
            self.assertEqual(first["totalSize"], 1000000)
            cursor = first["nextRecordsUrl"].rsplit("-", 1)[0]
            last = sim.get(cursor + "-998000")[2]
            self.assertTrue(last["done"])
            self.assertEqual(len(last["records"]), 2000)
            # Bulk: stream 200,000 rows.
            job = sim.request("POST", V + "/jobs/query", body={"operation": "query",
                                                                "query": "SELECT Id, Name FROM Account"})[2]
            for _ in range(2):
                sim.get(V + "/jobs/query/" + job["id"])
            status, hdrs, data = sim.get(V + "/jobs/query/%s/results?maxRecords=200000" % job["id"], raw=True)
            self.assertEqual(data.count(b"\n"), 200001)
            self.assertNotEqual(hdrs["sforce-locator"], "null")
            grown_mb = (rss_kb(sim.proc.pid) - before) / 1024
            self.assertLess(grown_mb, 64, "simulator RSS grew by %.1f MB" % grown_mb)


if __name__ == "__main__":
    unittest.main(verbosity=2)
