"""reportd-sfsim: start-up contract, OAuth flows, REST query and describe."""
import base64
import hashlib
import hmac
import json
import os
import re
import socket
import ssl
import subprocess
import sys
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
        for name in os.listdir(self.sim.dir):  # the simulator never writes the marker
            with open(os.path.join(self.sim.dir, name), "rb") as f:
                self.assertNotIn(b"ZQX-MARKER-7", f.read(), name)
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
        self.assertEqual(s.get("/services/data/v99.0/limits")[2][0]["errorCode"], "NOT_FOUND")
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
