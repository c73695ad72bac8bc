"""reportd-sfsim: users, the JWT bearer grant per user, the private
sharing model (query, Bulk and the Reports API) and field-level security
(issue #16). The signature is made by the openssl command line."""
import base64
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import Sim  # noqa: E402

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class UsersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--rows-account", "400", "--rows-opportunity", "300")

    @classmethod
    def tearDownClass(cls):
        assert cls.sim.stop() == 0

    def setUp(self):
        for u in self.users():  # every test starts from the defaults
            if u["username"] != self.sim.org["username"]:
                self.set_user(u["username"], state="inactive" if u["username"].startswith("user6@") else "active",
                              preauthorized=True, api_enabled=True, view_all=False, hidden_fields=[])

    def users(self):
        status, _, body = self.sim.get("/__sim/users", auth=False)
        self.assertEqual(status, 200)
        return body

    def set_user(self, username, **kw):
        status, _, body = self.sim.request("POST", "/__sim/users", body=dict(kw, username=username), auth=False)
        self.assertEqual(status, 200, body)

    def assertion(self, sub, key=None):
        sim = self.sim
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
        claims = {"iss": sim.org["client_id"], "sub": sub, "aud": sim.base, "exp": int(time.time()) + 180}
        signing_input = enc(b'{"alg":"RS256"}') + "." + enc(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key or sim.org["jwt_key_file"]],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        return signing_input + "." + enc(sig)

    def token_for(self, username):
        status, _, body = self.sim.form("/services/oauth2/token",
                                        {"grant_type": GRANT, "assertion": self.assertion(username)})
        return status, body

    def count(self, token, soql):
        status, _, body = self.sim.get(self.sim.query_path(soql), headers={"Authorization": "Bearer " + token})
        self.assertEqual(status, 200, body)
        return body["totalSize"]

    def test_users_are_listed_with_their_defaults(self):
        users = {u["username"]: u for u in self.users()}
        self.assertEqual(len(users), 8)
        admin = users[self.sim.org["username"]]
        self.assertTrue(admin["view_all"])
        self.assertEqual(users["user1@org0.reportd-sim.example"]["state"], "active")
        self.assertEqual(users["user6@org0.reportd-sim.example"]["state"], "inactive")

    def test_a_user_token_names_the_user_and_sees_only_own_records(self):
        status, body = self.token_for("user2@org0.reportd-sim.example")
        self.assertEqual(status, 200, body)
        self.assertNotIn("refresh_token", body)
        self.assertTrue(body["id"].endswith("/" + self.users()[2]["id"]))
        user2 = body["access_token"]
        uid = self.users()[2]["id"]
        own = self.count(user2, "SELECT Id FROM Account")
        # The simulator's own answer: the admin asking for that owner's rows.
        expected = self.count(self.sim.token, "SELECT Id FROM Account WHERE OwnerId = '%s'" % uid)
        everything = self.count(self.sim.token, "SELECT Id FROM Account")
        self.assertEqual(own, expected)
        self.assertTrue(0 < own < everything, (own, everything))
        # Users, and objects outside the sharing model, are not filtered.
        self.assertEqual(self.count(user2, "SELECT Id FROM User"), 8)
        # View All Data sees everything.
        self.set_user("user2@org0.reportd-sim.example", view_all=True)
        self.assertEqual(self.count(user2, "SELECT Id FROM Account"), everything)

    def test_bulk_results_follow_the_creators_sharing(self):
        status, body = self.token_for("user3@org0.reportd-sim.example")
        token = body["access_token"]
        h = {"Authorization": "Bearer " + token}
        status, _, job = self.sim.request("POST", "/services/data/v62.0/jobs/query",
                                          body={"operation": "query", "query": "SELECT Id FROM Opportunity"},
                                          headers=h)
        self.assertEqual(status, 200, job)
        for _ in range(5):
            _, _, info = self.sim.get("/services/data/v62.0/jobs/query/" + job["id"], headers=h)
            if info["state"] == "JobComplete":
                break
        _, _, csv = self.sim.get("/services/data/v62.0/jobs/query/%s/results" % job["id"], headers=h, raw=True)
        rows = csv.decode().strip().splitlines()[1:]
        uid = self.users()[3]["id"]
        self.assertEqual(len(rows), self.count(self.sim.token,
                                               "SELECT Id FROM Opportunity WHERE OwnerId = '%s'" % uid))

    def test_a_report_run_as_a_user_shows_only_their_opportunities(self):
        _, body = self.token_for("user2@org0.reportd-sim.example")
        h = {"Authorization": "Bearer " + body["access_token"]}
        _, _, reports = self.sim.get("/services/data/v62.0/analytics/reports")
        tabular = reports[0]["id"]
        path = "/services/data/v62.0/analytics/reports/%s?includeDetails=true" % tabular
        status, _, mine = self.sim.get(path, headers=h)
        self.assertEqual(status, 200, mine)
        rows = mine["factMap"]["T!T"]["rows"]
        ids = sorted(r["dataCells"][0]["value"] for r in rows)
        uid = self.users()[2]["id"]
        _, _, own = self.sim.get(self.sim.query_path(
            "SELECT Id FROM Opportunity WHERE OwnerId = '%s'" % uid))
        self.assertEqual(ids, sorted(r["Id"] for r in own["records"]))
        self.assertEqual(mine["factMap"]["T!T"]["aggregates"][1]["value"], len(ids))
        _, _, everything = self.sim.get(path)  # the admin: View All Data
        self.assertLess(len(ids), len(everything["factMap"]["T!T"]["rows"]))
        self.assertTrue(ids)

    def test_a_field_hidden_by_field_level_security_is_no_such_column(self):
        name = "user3@org0.reportd-sim.example"
        self.set_user(name, hidden_fields=["Account.Description"])
        self.assertEqual([u for u in self.users() if u["username"] == name][0]["hidden_fields"],
                         ["Account.Description"])
        token = self.token_for(name)[1]["access_token"]
        h = {"Authorization": "Bearer " + token}
        status, _, err = self.sim.get(self.sim.query_path("SELECT Id, Description FROM Account"), headers=h)
        self.assertEqual((status, err[0]["errorCode"]), (400, "INVALID_FIELD"))
        self.assertIn("No such column 'Description' on entity 'Account'", err[0]["message"])
        # Bulk refuses the job the same way; other fields and other users are fine.
        status, _, err = self.sim.request("POST", "/services/data/v62.0/jobs/query", headers=h,
                                          body={"operation": "query", "query": "SELECT Description FROM Account"})
        self.assertEqual((status, err[0]["errorCode"]), (400, "INVALID_FIELD"))
        self.assertGreater(self.count(token, "SELECT Id, Name FROM Account"), 0)
        self.assertGreater(self.count(self.sim.token, "SELECT Id, Description FROM Account"), 0)
        status, _, _ = self.sim.request("POST", "/__sim/users", auth=False,
                                        body={"username": name, "hidden_fields": ["Description"]})
        self.assertEqual(status, 400)

    def test_a_report_leaves_out_a_column_hidden_from_its_user_and_still_runs(self):
        name = "user3@org0.reportd-sim.example"
        self.set_user(name, hidden_fields=["Opportunity.Description", "Account.Name"])
        h = {"Authorization": "Bearer " + self.token_for(name)[1]["access_token"]}
        _, _, reports = self.sim.get("/services/data/v62.0/analytics/reports")
        base = "/services/data/v62.0/analytics/reports/" + reports[0]["id"]
        status, _, mine = self.sim.get(base + "?includeDetails=true", headers=h)
        self.assertEqual(status, 200, mine)
        _, _, admin = self.sim.get(base + "?includeDetails=true")
        theirs = mine["reportMetadata"]["detailColumns"]
        everything = admin["reportMetadata"]["detailColumns"]
        self.assertEqual([c for c in everything if c not in theirs], ["ACCOUNT_NAME", "DESCRIPTION"])
        self.assertNotIn("DESCRIPTION", mine["reportExtendedMetadata"]["detailColumnInfo"])
        self.assertEqual(len(mine["factMap"]["T!T"]["rows"][0]["dataCells"]), len(theirs))
        self.assertEqual(len(admin["factMap"]["T!T"]["rows"][0]["dataCells"]), len(everything))
        # The describe as that user says the same; as another user, every column.
        _, _, described = self.sim.get(base + "/describe", headers=h)
        self.assertEqual(described["reportMetadata"]["detailColumns"], theirs)
        other = {"Authorization": "Bearer " + self.token_for("user2@org0.reportd-sim.example")[1]["access_token"]}
        _, _, described = self.sim.get(base + "/describe", headers=other)
        self.assertEqual(described["reportMetadata"]["detailColumns"], everything)
        info = described["reportExtendedMetadata"]["detailColumnInfo"]["DESCRIPTION"]
        self.assertEqual(info["entityColumnName"], "Opportunity.Description")

    def test_an_org_lacking_a_field_answers_as_if_it_did_not_exist(self):
        lacks = ["Reportd_Schedule__c.Burst__c"]
        status, _, faults = self.sim.request("POST", "/__sim/faults", auth=False, body={"missing_fields": lacks})
        self.assertEqual((status, faults["missing_fields"]), (200, lacks))
        try:
            status, _, err = self.sim.get(self.sim.query_path("SELECT Id, Burst__c FROM Reportd_Schedule__c"))
            self.assertEqual((status, err[0]["errorCode"]), (400, "INVALID_FIELD"))
            self.assertIn("No such column 'Burst__c'", err[0]["message"])
            self.assertGreater(self.count(self.sim.token, "SELECT Id, Run_As__c FROM Reportd_Schedule__c"), 0)
            status, _, err = self.sim.request("POST", "/services/data/v62.0/sobjects/Reportd_Schedule__c",
                                              body={"Name": "x", "Burst__c": True})
            self.assertEqual((status, err[0]["errorCode"]), (400, "INVALID_FIELD"))
            status, _, _ = self.sim.request("POST", "/__sim/faults", auth=False, body={"missing_fields": ["Burst__c"]})
            self.assertEqual(status, 400)
        finally:
            self.sim.request("POST", "/__sim/faults", auth=False, body={"missing_fields": []})
        status, _, _ = self.sim.get(self.sim.query_path("SELECT Id, Burst__c FROM Reportd_Schedule__c"))
        self.assertEqual(status, 200)

    def test_salesforces_refusals_per_user_state(self):
        cases = [("user6@org0.reportd-sim.example", {}, "inactive user"),
                 ("user4@org0.reportd-sim.example", {"state": "frozen"}, "authentication failure"),
                 ("user5@org0.reportd-sim.example", {"preauthorized": False},
                  "user hasn't approved this consumer"),
                 ("nobody@example.com", None, "user hasn't approved this consumer")]
        for username, change, description in cases:
            if change:
                self.set_user(username, **change)
            status, body = self.token_for(username)
            self.assertEqual((status, body["error"], body["error_description"]),
                             (400, "invalid_grant", description), username)

    def test_no_api_access_gets_a_token_but_no_call_and_freezing_ends_sessions(self):
        name = "user7@org0.reportd-sim.example"
        self.set_user(name, api_enabled=False)
        status, body = self.token_for(name)
        self.assertEqual(status, 200, body)
        token = body["access_token"]
        status, _, err = self.sim.get(self.sim.query_path("SELECT Id FROM Account"),
                                      headers={"Authorization": "Bearer " + token})
        self.assertEqual((status, err[0]["errorCode"]), (403, "API_DISABLED_FOR_ORG"))
        self.set_user(name, api_enabled=True)
        self.assertGreater(self.count(token, "SELECT Id FROM Account"), 0)
        self.set_user(name, state="frozen")
        status, _, err = self.sim.get(self.sim.query_path("SELECT Id FROM Account"),
                                      headers={"Authorization": "Bearer " + token})
        self.assertEqual((status, err[0]["errorCode"]), (401, "INVALID_SESSION_ID"))

    def test_a_forged_assertion_learns_nothing_about_the_user(self):
        other = os.path.join(self.sim.dir, "forger.pem")
        subprocess.run(["openssl", "genrsa", "-out", other, "2048"], capture_output=True, check=True)
        status, _, body = self.sim.form("/services/oauth2/token", {
            "grant_type": GRANT, "assertion": self.assertion("user6@org0.reportd-sim.example", key=other)})
        self.assertEqual((status, body["error_description"]), (400, "invalid assertion"))

    def test_bad_user_settings_are_refused(self):
        status, _, body = self.sim.request("POST", "/__sim/users",
                                           body={"username": "nobody@example.com", "state": "active"},
                                           auth=False)
        self.assertEqual(status, 400)
        status, _, body = self.sim.request("POST", "/__sim/users",
                                           body={"username": "user1@org0.reportd-sim.example", "state": "gone"},
                                           auth=False)
        self.assertEqual(status, 400)


if __name__ == "__main__":
    unittest.main()
