"""The fixture of the end-to-end tests: the real `reportd serve`, the
Salesforce simulator and a real SMTP server (aiosmtpd), in a sandbox."""
import email
import json
import os
import shutil
import signal
import sys
import sqlite3
import subprocess
import tempfile
import time
import unittest

from reportd_env import CLI_TIMEOUT_S, REPORTD, Sandbox, start_sim, start_sink, stop, wait_until

# Planted by the simulator in record values. Random per test process, so no
# file that merely holds this source (a checkout copied under /tmp, say)
# can match when the tests search the disk for it.
MARKER = "QQX7-CUSTOMER-MARKER-" + os.urandom(6).hex().upper()


class Daemon:
    def __init__(self, box, config, runtime_dir, log_path):
        self.box, self.config, self.runtime_dir, self.log_path = box, config, runtime_dir, log_path
        self.proc = None

    def spawn(self):
        """Starts reportd serve without waiting for it; returns how many
        serve.ready lines the log held before."""
        env = dict(os.environ, RUNTIME_DIRECTORY=self.runtime_dir, **self.env)
        readies = 0
        if os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                readies = f.read().count(b"event=serve.ready")
        log = open(self.log_path, "ab")
        self.spawned_at = time.time()  # wall clock, as the sink's times.tsv
        self.proc = subprocess.Popen([REPORTD, "--state-dir", self.box.state, "--key-file", self.box.key,
                                      "--config", self.config, "serve"], stdout=subprocess.DEVNULL,
                                     stderr=log, env=env)
        log.close()
        return readies

    def start(self):
        readies = self.spawn()

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"reportd serve exited {self.proc.returncode}")
            with open(self.log_path, "rb") as f:
                return f.read().count(b"event=serve.ready") > readies

        # Generous: the ASan build on a loaded machine starts slowly. Tests
        # count what the daemon did from here on, never how fast it got here.
        wait_until(ready, timeout=max(120, 2 * CLI_TIMEOUT_S), what="reportd serve to be ready", interval=0.05)
        self.starts += 1

    starts = 0
    env = {}  # added to the daemon's environment

    def kill9(self):
        """SIGKILL; returns its wall-clock time."""
        at = time.time()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        return at

    def stop(self):
        if self.proc and self.proc.poll() is None:
            stop(self.proc)
        code = self.proc.returncode if self.proc else None
        if code not in (0, None, -signal.SIGKILL):
            # The sandbox (and its log) goes with the test: say why here.
            with open(self.log_path, "rb") as f:
                tail = f.read()[-6000:].decode("utf-8", "replace")
            sys.stderr.write(f"reportd serve exited {code}; the end of its log:\n{tail}\n")
        return code


class ServeCase(unittest.TestCase):
    """setUp makes a sandbox; boot() starts the simulator, the sink and a
    connection; self.daemon.start() starts reportd serve."""
    def setUp(self):
        self.box = Sandbox()
        self.box.generate_key()
        self.root = self.box.root
        self.runtime_dir = tempfile.mkdtemp(prefix="reportd-run-", dir="/dev/shm")
        self.mail = tempfile.mkdtemp(prefix="reportd-mail-", dir="/dev/shm")
        self.procs = []

    def tearDown(self):
        if getattr(self, "daemon", None) and self.daemon.proc and self.daemon.proc.poll() is None:
            self.daemon.proc.kill()
            self.daemon.proc.wait()
        for p in self.procs:
            stop(p)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        shutil.rmtree(self.mail, ignore_errors=True)
        self.box.cleanup()

    def boot(self, *sim_flags, accounts=300, config_extra=""):
        sim, self.org = start_sim(os.path.join(self.root, "sim"), "--rows-account", str(accounts),
                                  "--marker", MARKER, *sim_flags)
        self.procs.append(sim)
        sink, port = start_sink(self.mail)
        self.procs.append(sink)
        self.write_config(self.org["ca_file"], port, config_extra)
        self.rd("connections", "add", "demo", "--login-url", self.org["login_url"], "--client-id",
                self.org["client_id"], "--refresh-token-stdin", stdin=self.org["refresh_token"] + "\n")
        self.daemon = Daemon(self.box, self.config, self.runtime_dir, os.path.join(self.root, "reportd.log"))

    def write_config(self, ca_file, smtp_port, extra=""):
        """self.config: the simulator's CA, the sink on smtp_port, then `extra`."""
        self.config = os.path.join(self.root, "reportd.toml")
        with open(self.config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{ca_file}"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\ntls = "none"\n'
                    f'from = "reports@example.com"\n' + extra)

    def set_jwt(self, connection="demo", org=None):
        """Gives the connection the org's JWT bearer key pair, so that synced
        schedules can run as their owners (issue #16)."""
        org = org or self.org
        return self.rd("connections", "set", connection, "--jwt-consumer-key", org["client_id"],
                       "--jwt-key-file", org["jwt_key_file"], "--jwt-cert-file", org["jwt_cert_file"])

    def log(self):
        with open(self.daemon.log_path, "rb") as f:
            return f.read()

    def rd(self, *args, stdin=None, check=True):
        return self.box.run("--config", self.config, *args, stdin=stdin, check=check)

    def runs(self):
        return json.loads(self.rd("runs", "--output", "json").stdout.replace("\n", "") or "[]")

    def all_runs(self):
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        try:
            return db.execute("SELECT schedule_id, nominal_s, state, rows, disposed_at_ms FROM runs").fetchall()
        finally:
            db.close()

    def ledger_states(self):
        """{Message-ID: state} of every mail delivery in the ledger."""
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"), timeout=30)
        try:
            return dict(db.execute("SELECT message_id, state FROM deliveries WHERE channel = 'smtp'").fetchall())
        finally:
            db.close()

    def messages(self):
        out = []
        for name in sorted(os.listdir(self.mail)):
            if name.endswith(".eml"):
                with open(os.path.join(self.mail, name), "rb") as f:
                    out.append(email.message_from_binary_file(f))
        return out

    def boot_kill_load(self):
        """boot(), then the kill loop's load: two schedules every 2 s, three
        recipients each, CSV, XLSX and HTML of 300 accounts with a
        Description. Runs failing under this much load must not pause a
        schedule and end the occurrences the kill test counts: no automatic
        pause."""
        self.boot("--slow-ms", "150", "--page-size", "100",
                  config_extra="[limits]\nfailures_before_pause = 0\n")
        for name in ("one", "two"):
            self.rd("schedules", "add", name, "--connection", "demo", "--cron", "*/2 * * * * *",
                    "--min-interval", "1s", "--soql", "SELECT Id, Name, Description FROM Account",
                    "--format", "csv,xlsx,html",
                    "--to", f"{name}-a@example.com,{name}-b@example.com,{name}-c@example.com")

    def wait_for(self, predicate, timeout=180, what="condition"):
        return wait_until(predicate, timeout=timeout, what=what)

    def reloads(self):
        """How often the daemon brought its scheduler up to date with the store."""
        with open(self.daemon.log_path, "rb") as f:
            return f.read().count(b"event=schedules.reload")

    def wait_for_heartbeat_after(self, ms):
        """Waits until the daemon records a heartbeat taken at wall-clock time
        `ms` or later: its event loop was running then, so every timer due
        before it (the scheduler's too) has fired."""
        def beat():
            db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"), timeout=30)
            try:
                row = db.execute("SELECT heartbeat_at_ms FROM daemon_state").fetchone()
            finally:
                db.close()
            return row and row[0] >= ms
        self.wait_for(beat, what=f"a heartbeat after {ms}")
