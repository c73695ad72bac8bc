"""The fixture of the tests with several `reportd serve` nodes on one real
PostgreSQL 15 (tests/e2e/cluster_shared_test.py, cluster_scale_test.py):
the simulators, the aiosmtpd sink, one config that every node shares, and
a CLI with a state directory of its own (no node hears of its changes
through the wake socket)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from pg_server import PgServer
from reportd_env import Sandbox, start_sim, start_sink, stop, wait_until
from serve_case import Daemon, ServeCase


class Nodes(unittest.TestCase):
    """setUp starts PostgreSQL; boot() the simulators, the sink and the nodes."""

    def setUp(self):
        self.pg = PgServer()
        self.pg.start()
        self.root = tempfile.mkdtemp(prefix="reportd-scale-")
        self.mail = tempfile.mkdtemp(prefix="reportd-mail-", dir="/dev/shm")
        self.procs, self.nodes, self.boxes, self.dirs = [], [], [], [self.root, self.mail]
        self.cli = self.sandbox()
        self.cli.generate_key()

    def tearDown(self):
        for n in self.nodes:
            if n.proc and n.proc.poll() is None:
                n.proc.kill()
                n.proc.wait()
        for p in self.procs:
            stop(p)
        if os.environ.get("REPORTD_KEEP"):
            print("kept", self.root, file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", *self.dirs])
        self.pg.stop()
        for b in self.boxes:
            b.cleanup()

    def sandbox(self):
        b = Sandbox()
        if self.boxes:
            b.key = self.boxes[0].key
        self.boxes.append(b)
        return b

    def sql(self, text):
        return [line.split("|") for line in self.pg.psql(text, db="reportd").splitlines() if line]

    def boot(self, nodes, orgs, config="", sim_flags=(), connect=None):
        """Starts `orgs` simulators (connected as org1..orgN, the first
        `connect` of them now), the sink and `nodes` nodes."""
        self.orgs = []
        for number in range(1, orgs + 1):
            proc, org = start_sim(os.path.join(self.root, f"sim{number}"), "--org-number", str(number),
                                  "--rows-account", "20", *sim_flags)
            self.procs.append(proc)
            self.orgs.append(org)
        sink, port = start_sink(self.mail)
        self.procs.append(sink)
        trusted = os.path.join(self.root, "trusted.pem")
        with open(trusted, "w") as out:
            for o in self.orgs:
                with open(o["ca_file"]) as f:
                    out.write(f.read())
        self.config = os.path.join(self.root, "reportd.toml")
        with open(self.config, "w") as f:
            f.write(f'[store]\nurl = "{self.pg.socket_url()}"\n{config}\n'
                    f'[salesforce]\nca_file = "{trusted}"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
                    'from = "reports@example.com"\n[http]\nlisten = "127.0.0.1:0"\n')
        for number in range(1, (orgs if connect is None else connect) + 1):
            self.connect(number)
        for i in range(nodes):
            runtime = tempfile.mkdtemp(prefix="reportd-run-", dir="/dev/shm")
            self.dirs.append(runtime)
            d = Daemon(self.sandbox(), self.config, runtime, os.path.join(self.root, f"node{i}.log"))
            self.nodes.append(d)
            d.spawn()
        wait_until(lambda: all(self.count(d, b"event=serve.ready") for d in self.nodes), timeout=120,
                   what="every node ready")

    def connect(self, number):
        org = self.orgs[number - 1]
        self.cli.run("--config", self.config, "connections", "add", f"org{number}", "--login-url",
                     org["login_url"], "--client-id", org["client_id"], "--refresh-token-stdin",
                     stdin=org["refresh_token"] + "\n")

    def add(self, name, org, cron, to="a@example.com"):
        self.cli.run("--config", self.config, "schedules", "add", name, "--connection", f"org{org}",
                     "--cron", cron, "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account",
                     "--format", "csv", "--to", to)

    def count(self, d, what):
        with open(d.log_path, "rb") as f:
            return f.read().count(what)

    def sim_requests(self, number):
        """The API requests the simulator of org `number` served."""
        import http.client
        import ssl
        org = self.orgs[number - 1]
        ctx = ssl.create_default_context(cafile=org["ca_file"])
        conn = http.client.HTTPSConnection("127.0.0.1", int(org["instance_url"].rsplit(":", 1)[1]),
                                           context=ctx, timeout=30)
        conn.request("GET", "/__sim/requests", headers={"Authorization": "Bearer " + org["access_token"]})
        out = json.loads(conn.getresponse().read())
        conn.close()
        return out

    messages = ServeCase.messages  # every mail the sink received, in order
