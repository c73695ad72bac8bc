"""`--when changed` end to end: the real reportd binary (`schedules add/set/
show`, `run --now`, `runs`), TWO Salesforce simulators (two orgs), a real SMTP
server and the real SQLite file.

One schedule per org sends only when its rows changed: the first run of each
sends, a second run on the same data is recorded skipped/unchanged and sends
nothing; one value changed in org A's data makes A's next run send again
while B's stays skipped. The values (planted markers) reach the mail but
never the SQLite file or its WAL: the store keeps a keyed hash only."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import files_containing  # noqa: E402
from serve_case import ServeCase  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tenants_test  # noqa: E402 (the module: its TestCase would run here too)
from tenants_test import content  # noqa: E402

# Random per test process: no copy of this source can match.
SUFFIX = os.urandom(6).hex().upper()
MARKER = {"a": "QQX7-WHEN-A-" + SUFFIX, "b": "QQX7-WHEN-B-" + SUFFIX}
# The data each schedule reads: records of a written (not generated) object,
# so a test can change one value. Inactive, so no sync would take them up.
QUERY = "SELECT Id, Name, Body__c FROM Reportd_Schedule__c WHERE Name = 'when-data'"


class WhenChangedTest(ServeCase):
    # Two simulators, the sink and a config trusting both, as for the tenant tests.
    start_org = tenants_test.TenantsTest.start_org
    boot_orgs = tenants_test.TenantsTest.boot_orgs
    add = tenants_test.TenantsTest.add
    mail_to = tenants_test.TenantsTest.mail_to

    def run_now(self, name):
        """`reportd run NAME --now` in a second no earlier run of it claimed
        (occurrences are keyed by the second)."""
        last = self.last_second.get(name, 0)
        self.wait_for(lambda: int(time.time()) > last, timeout=5, what="the next second")
        out = self.rd("run", name, "--now").stdout
        self.last_second[name] = int(time.time())
        return out

    def outcomes(self, name):
        runs = json.loads(self.rd("runs", "--schedule", name, "--output", "json").stdout)
        return sorted((r["id"], r["state"], r["reason"]) for r in runs)

    def test_two_orgs_send_once_and_again_only_where_a_value_changed(self):
        self.boot_orgs(("a", 0, MARKER["a"] + "-ACCOUNTS"), ("b", 1, MARKER["b"] + "-ACCOUNTS"))
        for name, org in self.orgs.items():
            self.add("org-" + name, org)
        self.last_second = {}
        records = {}
        for name, org in self.orgs.items():
            records[name] = org.create(Name="when-data", Active__c=False, Body__c=MARKER[name] + "-ONE")
            self.rd("schedules", "add", "when-" + name, "--connection", "org-" + name, "--cron",
                    "0 7 * * *", "--soql", QUERY, "--format", "csv", "--to", "r@" + name + ".example",
                    *(["--when", "changed"] if name == "a" else []))
        # B is made `changed` by `schedules set`; show and list say so.
        self.assertIn("send_when: always", self.rd("schedules", "show", "when-b").stdout)
        self.rd("schedules", "set", "when-b", "--when", "changed")
        for name in ("a", "b"):
            self.assertIn("send_when: changed", self.rd("schedules", "show", "when-" + name).stdout)
        listed = json.loads(self.rd("schedules", "list", "--output", "json").stdout)
        self.assertEqual({s["name"]: s["send_when"] for s in listed},
                         {"when-a": "changed", "when-b": "changed"})
        bad = self.rd("schedules", "set", "when-b", "--when", "sometimes", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("use always or changed", bad.stderr)

        # First run of each sends; the second, on the same data, does not.
        for name in ("a", "b"):
            self.assertIn("succeeded", self.run_now("when-" + name))
        for name in ("a", "b"):
            self.assertIn("unchanged", self.run_now("when-" + name))
            self.assertEqual([o[1:] for o in self.outcomes("when-" + name)],
                             [("succeeded", ""), ("skipped", "unchanged")])
            mails = self.mail_to("r@" + name + ".example")
            self.assertEqual(len(mails), 1)
            self.assertIn((MARKER[name] + "-ONE").encode(), content(mails[0]))

        # One value changes in org A: A sends again, B stays skipped.
        self.orgs["a"].update(records["a"], Body__c=MARKER["a"] + "-TWO")
        self.assertIn("succeeded", self.run_now("when-a"))
        self.assertIn("unchanged", self.run_now("when-b"))
        self.assertEqual([o[1:] for o in self.outcomes("when-a")],
                         [("succeeded", ""), ("skipped", "unchanged"), ("succeeded", "")])
        self.assertEqual([o[1:] for o in self.outcomes("when-b")],
                         [("succeeded", ""), ("skipped", "unchanged"), ("skipped", "unchanged")])
        a_mails = self.mail_to("r@a.example")
        self.assertEqual(len(a_mails), 2)
        self.assertIn((MARKER["a"] + "-TWO").encode(), content(a_mails[1]))
        self.assertEqual(len(self.mail_to("r@b.example")), 1)

        # The store holds hashes, never the values: not in reportd.db nor its WAL.
        names = os.listdir(self.box.state)
        self.assertIn("reportd.db", names)
        for marker in MARKER.values():
            self.assertEqual(files_containing(self.box.state, marker.encode()), [], names)


if __name__ == "__main__":
    import unittest
    unittest.main()
