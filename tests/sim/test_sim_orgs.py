"""reportd-sfsim --orgs N: many orgs in one process (issue #14). Each org is
its own origin (a loopback address of its own), with its own OAuth client,
tokens, ids and marker; a token or client of one org is refused by another.
--latency-ms delays every call, and only the caller's connection."""
import concurrent.futures
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import Sim  # noqa: E402

MARKER = "QQX7-ORGS-" + os.urandom(4).hex().upper()
LATENCY_MS = 200


class OrgsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--orgs", "30", "--latency-ms", str(LATENCY_MS), "--rows-account", "12",
                      "--marker", MARKER)
        with open(os.path.join(cls.sim.dir, "orgs.json")) as f:
            cls.orgs = json.load(f)["orgs"]

    @classmethod
    def tearDownClass(cls):
        assert cls.sim.stop() == 0

    def call(self, org, method, path, body=None, headers=None):
        host = urllib.parse.urlsplit(org["login_url"]).hostname
        conn = http.client.HTTPSConnection(host, self.sim.port, context=self.sim.ctx, timeout=60)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, json.loads(data) if data else None

    def token(self, org, client=None):
        client = client or org
        body = urllib.parse.urlencode({"grant_type": "refresh_token", "client_id": client["client_id"],
                                       "refresh_token": org["refresh_token"]})
        return self.call(org, "POST", "/services/oauth2/token", body,
                         {"Content-Type": "application/x-www-form-urlencoded"})

    def query(self, org, access, soql="SELECT Id, Name FROM Account"):
        return self.call(org, "GET", "/services/data/v62.0/query?q=" + urllib.parse.quote(soql),
                         headers={"Authorization": "Bearer " + access})

    def test_orgs_json_names_distinct_origins_clients_and_orgs(self):
        self.assertEqual(len(self.orgs), 30)
        for key in ("login_url", "client_id", "client_secret", "refresh_token", "org_id", "username"):
            self.assertEqual(len({o[key] for o in self.orgs}), 30, key)
        with open(os.path.join(self.sim.dir, "orgs.json"), "rb") as f:
            self.assertNotIn(MARKER.encode(), f.read())
        # org.json is org 1's, so single-org tooling still finds an org.
        self.assertEqual(self.sim.org["org_id"], self.orgs[0]["org_id"])

    def test_each_org_serves_only_its_own_tokens_and_data(self):
        a, b = self.orgs[2], self.orgs[17]
        status, ta = self.token(a)
        self.assertEqual(status, 200, ta)
        self.assertEqual(ta["instance_url"], a["login_url"])
        self.assertIn("/" + a["org_id"] + "/", ta["id"])
        status, page = self.query(a, ta["access_token"])
        self.assertEqual(status, 200, page)
        names = " ".join(r["Name"] for r in page["records"])
        self.assertIn(MARKER + "-3-", names)
        self.assertNotIn(MARKER + "-18-", names)
        # Org A's token at org B, org A's client at org B: refused.
        status, body = self.query(b, ta["access_token"])
        self.assertEqual(status, 401, body)
        status, body = self.token(b, client=a)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"], "invalid_client_id")
        status, tb = self.token(b)
        self.assertEqual(status, 200, tb)
        status, page = self.query(b, tb["access_token"])
        names = " ".join(r["Name"] for r in page["records"])
        self.assertIn(MARKER + "-18-", names)
        self.assertNotIn(MARKER + "-3-", names)

    def test_latency_holds_only_the_callers_connection(self):
        org = self.orgs[5]
        _, t = self.token(org)
        started = time.monotonic()
        self.query(org, t["access_token"])
        one = time.monotonic() - started
        self.assertGreaterEqual(one, LATENCY_MS / 1000)
        # 20 calls at once across 10 orgs finish in far less than 20 latencies.
        tokens = {o["number"]: self.token(o)[1]["access_token"] for o in self.orgs[10:20]}
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(20) as ex:
            got = list(ex.map(lambda i: self.query(self.orgs[10 + i % 10], tokens[11 + i % 10])[0], range(20)))
        self.assertEqual(got, [200] * 20)
        self.assertLess(time.monotonic() - started, 20 * LATENCY_MS / 1000 / 2)

    def test_hooks_are_per_org(self):
        org = self.orgs[25]
        _, t = self.token(org)
        self.query(org, t["access_token"])
        status, stats = self.call(org, "GET", "/__sim/stats")
        self.assertEqual(status, 200)
        self.assertEqual(stats["api_calls"], 1)
        status, stats = self.call(self.orgs[26], "GET", "/__sim/stats")
        self.assertEqual(stats["api_calls"], 0)

    def test_idle_kept_alive_connections_cost_no_cpu(self):
        # A client with one kept-alive connection per org leaves most of them
        # idle; waiting for their next request must not poll (keep_alive.cpp:
        # cpp-httplib's own wait woke each idle connection about 90 times a
        # second, about 0.1 s of CPU a second for 100 connections here).
        conns = []
        try:
            for i in range(100):
                org = self.orgs[i % 30]
                conn = http.client.HTTPSConnection(urllib.parse.urlsplit(org["login_url"]).hostname,
                                                   self.sim.port, context=self.sim.ctx, timeout=60)
                conn.request("GET", "/__sim/stats")
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
                conns.append(conn)
            time.sleep(0.2)
            before = cpu_s(self.sim.proc.pid)
            time.sleep(3)
            idle = cpu_s(self.sim.proc.pid) - before
            # Still served on the same connections after the idle wait.
            for conn in conns[:5]:
                conn.request("GET", "/__sim/stats")
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
        finally:
            for conn in conns:
                conn.close()
        self.assertLess(idle, 0.1, f"{idle:.2f} s of CPU in 3 s with 100 idle kept-alive connections")

    def test_listen_backlog_takes_a_burst_of_connections(self):
        # cpp-httplib listens with a backlog of 5; a client opening 100
        # connections at once had SYNs dropped and waited 1 s for each
        # retransmission. The simulator raises it to somaxconn (main.cpp).
        if shutil.which("ss") is None:
            self.skipTest("ss (iproute2) not installed")
        out = subprocess.run(["ss", "-ltnH", f"sport = :{self.sim.port}"], capture_output=True, text=True,
                             check=True).stdout.split()
        # State Recv-Q Send-Q Local Peer: for a listening socket Send-Q is the backlog.
        self.assertGreaterEqual(int(out[2]), 128, out)


def cpu_s(pid):
    """user + system CPU seconds of a process (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    unittest.main()
