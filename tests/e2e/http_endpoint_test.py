"""reportd's HTTP endpoint end to end: the real daemon with [http] listen,
the Salesforce simulator and an SMTP sink. /metrics is parsed by the
Prometheus text-format parser (python3-prometheus-client), /healthz goes
503 with a reason while the store cannot be written, and
`reportd connections add NAME --authorize` completes the OAuth web-server
flow with PKCE against the simulator, with the callback served by the
running daemon or by the command itself. The test plays the browser: an
HTTP client that follows the authorize redirect to the callback."""
import errno
import json
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import (REPORTD, Sandbox, files_containing, on_a_free_port, start_sim, start_sink,  # noqa: E402
                         stop, wait_until)

# The simulator's refresh tokens and authorization codes start like Salesforce's.
REFRESH_PREFIX = b"5Aep861"
CODE_PREFIX = b"aPrx"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url, context=None, follow=True):
    """(status, headers, body) of a GET; HTTP errors are answers too."""
    handlers = [urllib.request.HTTPSHandler(context=context)] if context else []
    if not follow:
        handlers.append(NoRedirect())
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=30) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8")


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(fams, family, sample, **labels):
    for s in fams[family].samples:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


class Daemon:
    def __init__(self, box, config, log_path):
        self.box, self.config, self.log_path = box, config, log_path
        self.runtime_dir = tempfile.mkdtemp(prefix="reportd-run-", dir="/dev/shm")
        self.proc = None
        self.env = {}

    def start(self):
        env = dict(os.environ, RUNTIME_DIRECTORY=self.runtime_dir, **self.env)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([REPORTD, "--state-dir", self.box.state, "--key-file", self.box.key,
                                          "--config", self.config, "serve"], stdout=subprocess.DEVNULL,
                                         stderr=log, env=env)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"reportd serve exited {self.proc.returncode}")
            return b"event=serve.ready" in self.log()

        wait_until(ready, timeout=120, what="reportd serve to be ready", interval=0.05)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read()

    def http_port(self):
        """The port of the daemon's last event=http.listen: [http] listen asks
        for port 0, so nothing else can take it between choosing and binding."""
        ports = re.findall(rb"event=http\.listen listen=127\.0\.0\.1:(\d+)", self.log())
        return int(ports[-1]) if ports else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            stop(self.proc)
        import shutil
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        return self.proc.returncode if self.proc else None


class EndpointTest(unittest.TestCase):
    def setUp(self):
        self.box = Sandbox()
        self.box.generate_key()
        self.root = self.box.root
        self.mail = tempfile.mkdtemp(prefix="reportd-mail-", dir="/dev/shm")
        self.procs = []
        self.daemon = None

    def tearDown(self):
        if self.daemon:
            self.daemon.stop()
        for p in self.procs:
            stop(p)
            for pipe in (p.stdout, p.stderr):
                if pipe:
                    pipe.close()
        import shutil
        shutil.rmtree(self.mail, ignore_errors=True)
        self.box.cleanup()

    def boot(self, listen_port=None, smtp=True, sim_flags=()):
        """listen_port 0: the daemon's endpoint on a port of its choosing (Daemon.http_port)."""
        sim, self.org = start_sim(os.path.join(self.root, "sim"), "--rows-account", "300", *sim_flags)
        self.procs.append(sim)
        self.tls = ssl.create_default_context(cafile=self.org["ca_file"])
        self.config = os.path.join(self.root, "reportd.toml")
        text = f'[salesforce]\nca_file = "{self.org["ca_file"]}"\n'
        if smtp:
            sink, port = start_sink(self.mail)
            self.procs.append(sink)
            text += (f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
                     f'from = "reports@example.com"\n')
        if listen_port is not None:
            text += f'[http]\nlisten = "127.0.0.1:{listen_port}"\n'
        with open(self.config, "w") as f:
            f.write(text)
        self.daemon = Daemon(self.box, self.config, os.path.join(self.root, "reportd.log"))

    def add_demo_schedule(self, name, cron, connect=True):
        """Connects "demo" to the simulator's org (unless connect=False) and adds a CSV schedule on it."""
        if connect:
            self.add_demo_connection()
        self.rd("schedules", "add", name, "--connection", "demo", "--cron", cron,
                "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account", "--format", "csv",
                "--to", "ops@example.com")

    def add_demo_connection(self):
        self.rd("connections", "add", "demo", "--login-url", self.org["login_url"], "--client-id",
                self.org["client_id"], "--refresh-token-stdin", stdin=self.org["refresh_token"] + "\n")

    def rd(self, *args, stdin=None, check=True):
        return self.box.run("--config", self.config, *args, stdin=stdin, check=check)

    def wait_for(self, predicate, timeout=180, what="condition"):
        return wait_until(predicate, timeout=timeout, what=what, interval=0.2)

    def db_bytes(self):
        out = b""
        for name in os.listdir(self.box.state):
            path = os.path.join(self.box.state, name)
            if not os.path.isfile(path):
                continue  # the daemon's wake.sock holds no bytes
            with open(path, "rb") as f:
                out += f.read()
        return out

    # --- /metrics and /healthz

    def test_metrics_parse_and_move_and_healthz_reports_a_store_it_cannot_write(self):
        self.boot(listen_port=0)
        self.add_demo_connection()
        self.daemon.start()
        port = self.daemon.http_port()
        self.assertTrue(port, self.daemon.log())
        base = f"http://127.0.0.1:{port}"

        status, _, body = self.wait_for(lambda: (lambda r: r if r[0] == 200 else None)(get(base + "/healthz")),
                                        timeout=60, what="/healthz 200")
        self.assertTrue(body.startswith("ok: "), body)

        status, headers, text = get(base + "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        first = families(text)
        # Added after the first scrape (and the daemon woken by the CLI): no
        # run can have finished before it, however the start-up went.
        self.add_demo_schedule("accounts", "*/3 * * * * *", connect=False)

        def succeeded():
            fams = families(get(base + "/metrics")[2])
            n = value(fams, "reportd_runs", "reportd_runs_total", state="succeeded")
            # The per-connection families are sampled at the heartbeat: one
            # taken between the token request and the first API answer has
            # the token count but no usage yet, so wait for both.
            tokens = value(fams, "reportd_token_refreshes", "reportd_token_refreshes_total", connection="demo")
            usage = value(fams, "reportd_salesforce_api_usage", "reportd_salesforce_api_usage", connection="demo")
            return fams if n and n >= 2 and tokens and usage else None

        fams = self.wait_for(succeeded, what="two succeeded runs in /metrics")
        types = {name: f.type for name, f in fams.items()}
        self.assertEqual(types, {
            "reportd_build_info": "gauge",
            "reportd_runs": "counter",
            "reportd_runs_active": "gauge",
            "reportd_scratch_bytes": "gauge",
            "reportd_scratch_high_water_bytes": "gauge",
            "reportd_scratch_budget_bytes": "gauge",
            "reportd_run_duration_seconds": "histogram",
            "reportd_scheduler_lag_seconds": "histogram",
            "reportd_run_rows": "counter",
            "reportd_run_bytes": "counter",
            "reportd_deliveries": "counter",
            "reportd_token_refreshes": "counter",
            "reportd_token_refresh_failures": "counter",
            "reportd_salesforce_api_usage": "gauge",
            "reportd_salesforce_api_limit": "gauge",
            "reportd_user_token_requests": "counter",
            "reportd_user_token_failures": "counter",
            "reportd_user_tokens_cached": "gauge",
            "reportd_node_leases_held": "gauge",
            "reportd_cluster_node_runs_held": "gauge",
            "reportd_cluster_node_heartbeat_age_seconds": "gauge",
            "reportd_schedules": "gauge",
            "reportd_connections": "gauge",
        })
        version = self.rd("version").stdout.split()[-1]
        self.assertEqual(value(fams, "reportd_build_info", "reportd_build_info", version=version), 1)
        # Counts moved between the first scrape and this one.
        self.assertEqual(value(first, "reportd_runs", "reportd_runs_total", state="succeeded"), 0)
        runs = value(fams, "reportd_runs", "reportd_runs_total", state="succeeded")
        self.assertGreaterEqual(runs, 2)
        finished = sum(s.value for s in fams["reportd_runs"].samples)
        durations = value(fams, "reportd_run_duration_seconds", "reportd_run_duration_seconds_count")
        self.assertGreaterEqual(durations, runs)
        self.assertLessEqual(durations, finished)
        self.assertEqual(value(fams, "reportd_run_duration_seconds", "reportd_run_duration_seconds_bucket",
                               le="+Inf"), durations)
        self.assertGreater(value(fams, "reportd_run_duration_seconds", "reportd_run_duration_seconds_sum"), 0)
        self.assertGreaterEqual(value(fams, "reportd_scheduler_lag_seconds", "reportd_scheduler_lag_seconds_count"),
                                runs)
        self.assertGreaterEqual(value(fams, "reportd_run_rows", "reportd_run_rows_total"), 300 * runs)
        self.assertGreater(value(fams, "reportd_run_bytes", "reportd_run_bytes_total"), 0)
        self.assertGreaterEqual(value(fams, "reportd_deliveries", "reportd_deliveries_total",
                                      channel="smtp", result="sent"), runs)
        self.assertEqual(value(fams, "reportd_deliveries", "reportd_deliveries_total",
                               channel="smtp", result="failed"), 0)
        self.assertGreaterEqual(value(fams, "reportd_token_refreshes", "reportd_token_refreshes_total",
                                      connection="demo"), 1)
        self.assertEqual(value(fams, "reportd_token_refresh_failures", "reportd_token_refresh_failures_total",
                               connection="demo"), 0)
        self.assertGreater(value(fams, "reportd_salesforce_api_usage", "reportd_salesforce_api_usage",
                                 connection="demo"), 0)
        self.assertGreater(value(fams, "reportd_salesforce_api_limit", "reportd_salesforce_api_limit",
                                 connection="demo"), 0)
        # The local schedule, and any the daemon synced from the org's schedule records.
        active = value(fams, "reportd_schedules", "reportd_schedules", state="active")
        paused = value(fams, "reportd_schedules", "reportd_schedules", state="paused")
        self.assertGreaterEqual(active, 1)
        self.assertEqual(value(fams, "reportd_connections", "reportd_connections", status="ok"), 1)
        # Counters only grow.
        later = self.wait_for(lambda: (lambda f: f if value(f, "reportd_runs", "reportd_runs_total",
                                                            state="succeeded") > runs else None)(
            families(get(base + "/metrics")[2])), what="another run")
        self.assertGreaterEqual(value(later, "reportd_run_rows", "reportd_run_rows_total"),
                                value(fams, "reportd_run_rows", "reportd_run_rows_total"))
        self.assertNotIn(self.org["refresh_token"], get(base + "/metrics")[2])

        # Schedules by state follow a pause.
        self.rd("schedules", "pause", "accounts")
        self.wait_for(lambda: value(families(get(base + "/metrics")[2]), "reportd_schedules",
                                    "reportd_schedules", state="paused") == paused + 1, timeout=120,
                      what="paused gauge")

        # Nothing else is served, and there are no control operations.
        self.assertEqual(get(base + "/")[0], 404)
        self.assertEqual(get(base + "/schedules/accounts/pause")[0], 404)

        # The store cannot be written while another process holds its write
        # lock: the heartbeat's write fails and /healthz says so.
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"), timeout=30, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            status, _, body = self.wait_for(
                lambda: (lambda r: r if r[0] == 503 else None)(get(base + "/healthz")),
                timeout=120, what="/healthz 503")
            self.assertIn("store write failed", body)
            self.assertIn("locked", body)
            # The endpoint itself keeps answering.
            self.assertEqual(get(base + "/metrics")[0], 200)
        finally:
            db.execute("ROLLBACK")
            db.close()
        status, _, body = self.wait_for(lambda: (lambda r: r if r[0] == 200 else None)(get(base + "/healthz")),
                                        timeout=120, what="/healthz back to 200")
        self.assertEqual(self.daemon.stop(), 0)

    def test_missed_and_overlap_skipped_occurrences_count_in_runs_total_once(self):
        # Slow API answers: a run takes seconds, so a schedule firing every
        # second overlaps itself and the scheduler records skips.
        self.boot(listen_port=0, sim_flags=("--slow-ms", "1200"))
        self.add_demo_schedule("busy", "* * * * * *")
        self.daemon.start()
        base = f"http://127.0.0.1:{self.daemon.http_port()}"
        self.wait_for(lambda: (value(families(get(base + "/metrics")[2]), "reportd_runs", "reportd_runs_total",
                                     state="skipped") or 0) >= 2, what="skipped runs in /metrics")
        # Down for a few seconds: at the restart, all but the latest missed
        # occurrence are recorded as missed.
        self.assertEqual(self.daemon.stop(), 0)
        time.sleep(3)
        restarted_ms = int(time.time() * 1000)
        self.daemon = Daemon(self.box, self.config, os.path.join(self.root, "reportd-2.log"))
        self.daemon.start()
        base = f"http://127.0.0.1:{self.daemon.http_port()}"
        self.wait_for(lambda: (value(families(get(base + "/metrics")[2]), "reportd_runs", "reportd_runs_total",
                                     state="skipped") or 0) >= 2, what="skips after the restart")
        self.rd("schedules", "pause", "busy")

        def db_counts():
            db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"), timeout=30)
            try:
                return dict(db.execute("SELECT state, count(*) FROM runs WHERE claimed_at_ms >= ? "
                                       "AND state IN ('succeeded', 'failed', 'skipped', 'missed', 'cancelled') "
                                       "GROUP BY state", (restarted_ms,)).fetchall())
            finally:
                db.close()

        def settled():
            fams = families(get(base + "/metrics")[2])
            if value(fams, "reportd_runs_active", "reportd_runs_active") != 0:
                return None
            counted = {s.labels["state"]: int(s.value) for s in fams["reportd_runs"].samples
                       if s.name == "reportd_runs_total" and s.value}
            rows = db_counts()
            return (counted, rows) if counted == rows else None

        # Every final row this process claimed is counted once, whoever
        # finalised it (the scheduler: missed, skipped; the pipeline: the rest).
        counted, rows = self.wait_for(settled, what="metrics to match the store")
        self.assertGreaterEqual(counted.get("missed", 0), 1, counted)
        self.assertGreaterEqual(counted.get("skipped", 0), 2, counted)
        self.assertGreaterEqual(counted.get("succeeded", 0), 1, counted)
        self.assertEqual(self.daemon.stop(), 0)

    # --- SIGHUP and [http] listen

    def write_listen(self, port):
        with open(self.config) as f:
            text = re.sub(r'listen = "127\.0\.0\.1:\d+"', f'listen = "127.0.0.1:{port}"', f.read())
        with open(self.config, "w") as f:
            f.write(text)

    def reload(self):
        before = self.daemon.log().count(b"event=serve.reload ")
        self.daemon.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: self.daemon.log().count(b"event=serve.reload ") > before, timeout=120,
                      what="serve.reload")

    def test_sighup_moves_the_endpoint_to_a_changed_listen_and_keeps_it_when_the_new_one_is_taken(self):
        self.boot(listen_port=0, smtp=False)
        notify_path = os.path.join(self.root, "notify.sock")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.setblocking(False)
        self.addCleanup(notify.close)
        self.daemon.env = {"NOTIFY_SOCKET": notify_path}
        self.daemon.start()
        old_port = self.daemon.http_port()

        def healthz(port):
            try:
                return get(f"http://127.0.0.1:{port}/healthz")[0]
            except OSError:
                return None

        def refused(port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                return False
            except OSError:
                return True

        def rebind_failures():
            return self.daemon.log().count(b"event=http.rebind_failed")

        def move_to(port):
            # A port free a moment ago; if something took it meanwhile, the
            # daemon says so and on_a_free_port tries another.
            failures = rebind_failures()
            self.write_listen(port)
            self.reload()
            listening = f"event=http.listen listen=127.0.0.1:{port}".encode()
            self.wait_for(lambda: listening in self.daemon.log() or rebind_failures() > failures,
                          what="the rebind")
            if listening not in self.daemon.log():
                raise OSError(errno.EADDRINUSE, f"port {port} was taken meanwhile")
            return port

        self.wait_for(lambda: healthz(old_port) == 200, timeout=60, what="/healthz on the first port")
        # A changed address: the new one answers, the old one is closed.
        new_port = on_a_free_port(move_to)
        self.wait_for(lambda: healthz(new_port) == 200, timeout=60, what="/healthz on the new port")
        self.wait_for(lambda: refused(old_port), timeout=60, what="the old port closed")
        self.assertIn(f"event=http.listen listen=127.0.0.1:{new_port}".encode(), self.daemon.log())
        self.assertEqual(get(f"http://127.0.0.1:{new_port}/metrics")[0], 200)

        # An unchanged address is not rebound.
        listens = self.daemon.log().count(b"event=http.listen ")
        self.reload()
        self.assertEqual(self.daemon.log().count(b"event=http.listen "), listens)
        self.assertEqual(healthz(new_port), 200)

        # A taken address: the endpoint stays where it was and says why.
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            other.listen(1)
            taken = other.getsockname()[1]
            while True:  # drop what start-up and the earlier reloads said
                try:
                    notify.recv(4096)
                except BlockingIOError:
                    break
            failures = rebind_failures()
            self.write_listen(taken)
            self.reload()
            self.wait_for(lambda: rebind_failures() > failures, timeout=60, what="http.rebind_failed")
            self.assertEqual(healthz(new_port), 200)
            line = [l for l in self.daemon.log().splitlines() if b"event=http.rebind_failed" in l][-1]
            self.assertIn(f"127.0.0.1:{taken}".encode(), line)
            self.assertIn(b"in use", line)

            def status_line():
                try:
                    msg = notify.recv(4096).decode()
                except BlockingIOError:
                    return None
                return msg if "STATUS=" in msg and "listen" in msg else None

            status = self.wait_for(status_line, timeout=60, what="STATUS= from the failed rebind")
            self.assertIn(f"[http] listen 127.0.0.1:{taken} failed, kept the previous listener", status)
        self.assertEqual(self.daemon.stop(), 0)

    # --- connections add --authorize

    def authorize(self, name, redirect_port, *extra, secret=None, reauth=False):
        """Starts `connections add|reauth NAME --authorize`; returns (process,
        authorize URL, what it printed, redirect port). redirect_port None: the
        command serves the callback itself, on a port that was free (another
        one when something took it before the command could bind it)."""
        if redirect_port is not None:
            return self.start_authorize(name, redirect_port, *extra, secret=secret, reauth=reauth)
        return on_a_free_port(lambda port: self.start_authorize(name, port, *extra, secret=secret, reauth=reauth,
                                                                own_port=True))

    def start_authorize(self, name, redirect_port, *extra, secret=None, reauth=False, own_port=False):
        args = [REPORTD, "--state-dir", self.box.state, "--key-file", self.box.key, "--config", self.config]
        if reauth:
            args += ["connections", "reauth", name, "--authorize"]
        else:
            args += ["connections", "add", name, "--authorize", "--login-url", self.org["login_url"],
                     "--client-id", self.org["client_id"]]
        args += ["--redirect-uri", f"http://127.0.0.1:{redirect_port}/oauth/callback", *extra]
        if secret is not None:
            args.append("--client-secret-stdin")
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.procs.append(proc)
        proc.stdin.write((secret + "\n") if secret is not None else "")
        proc.stdin.close()
        proc.stdin = None  # communicate() must not flush it again
        lines = []
        url = None
        while True:
            line = proc.stdout.readline()
            if not line:
                err = proc.stderr.read()
                if own_port and "no reportd daemon answers there" in err:
                    raise OSError(errno.EADDRINUSE, f"port {redirect_port} was taken meanwhile")
                raise AssertionError(f"no authorize URL; stdout {lines!r}, stderr {err!r}")
            lines.append(line)
            m = re.search(r"(https://\S+/services/oauth2/authorize\?\S+)", line)
            if m:
                url = m.group(1)
            if "Waiting up to" in line:
                break
        if own_port and "received by this command" not in "".join(lines):
            stop(proc)  # another test's daemon took the port meanwhile
            raise OSError(errno.EADDRINUSE, f"port {redirect_port} was taken meanwhile")
        return proc, url, "".join(lines), redirect_port

    def browser(self, authorize_url, **extra_query):
        """Follows the authorize redirect like a browser; returns the callback URL and its answer."""
        if extra_query:
            authorize_url += "&" + urllib.parse.urlencode(extra_query)
        status, headers, _ = get(authorize_url, context=self.tls, follow=False)
        self.assertEqual(status, 302)
        callback = headers["Location"]
        return callback, get(callback)

    def check_connected(self, name, proc, page):
        status, _, body = page
        self.assertEqual(status, 200, body)
        self.assertIn("Connected", body)
        self.assertIn("You can close this tab", body)
        self.assertNotIn("5Aep", body)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        self.assertRegex(out, rf"connected {name}: org {self.org['org_id']}, instance {re.escape(self.org['instance_url'])}")
        conns = {c["name"]: c for c in json.loads(self.rd("connections", "list", "--output", "json").stdout)}
        self.assertEqual(conns[name]["org_id"], self.org["org_id"])
        self.assertEqual(conns[name]["instance_url"], self.org["instance_url"])
        self.assertEqual(conns[name]["status"], "ok")
        # The connection works: its sealed refresh token refreshes.
        test = self.rd("connections", "test", name)
        self.assertIn("ok (token refreshed, query answered", test.stdout)
        # No token or code in clear on disk; the pending row kept nothing.
        self.assertNotIn(REFRESH_PREFIX, self.db_bytes())
        self.assertNotIn(CODE_PREFIX, self.db_bytes())
        self.assertEqual(files_containing(self.box.state, REFRESH_PREFIX), [])
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        try:
            sealed, = db.execute("SELECT refresh_token FROM connections WHERE name = ?", (name,)).fetchone()
            self.assertGreater(len(sealed), 29 + 16)
            self.assertEqual(sealed[0], 1)  # vault record version
            rows = db.execute("SELECT outcome, length(sealed_secrets) FROM pending_authorizations "
                              "WHERE name = ?", (name,)).fetchall()
            self.assertEqual(rows, [("ok", 0)])
        finally:
            db.close()

    def test_authorize_with_the_daemon_serving_the_callback(self):
        self.boot(listen_port=0, smtp=False)
        self.daemon.start()
        port = self.daemon.http_port()
        proc, url, out, _ = self.authorize("acme", port, secret=self.org["client_secret"])
        self.assertIn(f"received by the running reportd daemon on 127.0.0.1:{port}", out)
        q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        self.assertEqual(q["code_challenge_method"], ["S256"])
        self.assertEqual(len(q["code_challenge"][0]), 43)
        self.assertEqual(q["redirect_uri"], [f"http://127.0.0.1:{port}/oauth/callback"])
        self.assertNotIn("code_verifier", url)

        # A forged callback with an unknown state is refused and stores nothing.
        status, _, body = get(f"http://127.0.0.1:{port}/oauth/callback?state=forged&code=aPrxFAKE")
        self.assertEqual(status, 400)
        self.assertIn("unknown, has expired or was already used", body)
        self.assertIsNone(proc.poll())  # still waiting for the real one

        callback, page = self.browser(url)
        self.assertTrue(callback.startswith(f"http://127.0.0.1:{port}/oauth/callback?code="))
        self.check_connected("acme", proc, page)
        # Replaying the same callback is refused: the state was used.
        status, _, body = get(callback)
        self.assertEqual(status, 400)
        self.assertIn("already used", body)
        log = self.daemon.log()
        self.assertIn(b"event=oauth.connected connection=acme org=" + self.org["org_id"].encode(), log)
        self.assertIn(b"event=oauth.refused", log)
        self.assertNotIn(REFRESH_PREFIX, log)
        self.assertNotIn(CODE_PREFIX, log)
        self.assertNotIn(self.org["client_secret"].encode(), log)
        self.assertEqual(self.daemon.stop(), 0)

    def test_authorize_with_the_command_serving_the_callback(self):
        self.boot(smtp=False)
        proc, url, out, port = self.authorize("solo", None)
        self.assertIn(f"received by this command, listening on 127.0.0.1:{port}", out)
        status, _, body = get(f"http://127.0.0.1:{port}/oauth/callback?state=wrong&code=x")
        self.assertEqual(status, 400)
        self.assertIn("nothing was stored", body)
        self.assertEqual(get(f"http://127.0.0.1:{port}/metrics")[0], 404)  # only the callback here
        callback, page = self.browser(url)
        self.check_connected("solo", proc, page)
        # The command has finished: nobody listens there any more.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        # The name is taken now; the error points at reauth.
        p = self.rd("connections", "add", "solo", "--authorize", "--login-url", self.org["login_url"],
                    "--client-id", self.org["client_id"], "--redirect-uri",
                    f"http://127.0.0.1:{port}/oauth/callback", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("connections reauth solo --authorize", p.stderr)

    def test_reauth_with_authorize_replaces_the_token_of_a_needs_reauth_connection(self):
        self.boot(smtp=False)
        self.rd("connections", "add", "demo", "--login-url", self.org["login_url"], "--client-id",
                self.org["client_id"], "--refresh-token-stdin", stdin="5Aep861revoked-elsewhere\n")
        db_path = os.path.join(self.box.state, "reportd.db")
        db = sqlite3.connect(db_path)
        try:
            db.execute("UPDATE connections SET status = 'needs-reauth', status_reason = 'invalid_grant'")
            db.commit()
            old, = db.execute("SELECT refresh_token FROM connections WHERE name = 'demo'").fetchone()
        finally:
            db.close()
        self.assertNotEqual(self.rd("connections", "test", "demo", check=False).returncode, 0)
        proc, url, out, port = self.authorize("demo", None, reauth=True)
        self.assertIn(f"received by this command, listening on 127.0.0.1:{port}", out)
        _, page = self.browser(url)
        self.assertEqual(page[0], 200, page[2])
        self.assertIn("re-authorized demo", page[2])
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("re-authorized demo: org ", out)
        conns = {c["name"]: c for c in json.loads(self.rd("connections", "list", "--output", "json").stdout)}
        self.assertEqual(conns["demo"]["status"], "ok")
        self.assertEqual(conns["demo"]["instance_url"], self.org["instance_url"])
        self.assertIn("ok (token refreshed", self.rd("connections", "test", "demo").stdout)
        db = sqlite3.connect(db_path)
        try:
            new, = db.execute("SELECT refresh_token FROM connections WHERE name = 'demo'").fetchone()
        finally:
            db.close()
        self.assertNotEqual(old, new)
        self.assertNotIn(REFRESH_PREFIX, self.db_bytes())

    def test_authorize_denied_or_abandoned_stores_nothing(self):
        self.boot(smtp=False)
        proc, url, _, _ = self.authorize("denied", None)
        _, page = self.browser(url, sim_deny="1")
        self.assertEqual(page[0], 400)
        self.assertIn("access_denied", page[2])
        out, err = proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("access_denied", err)
        proc, url, _, _ = self.authorize("late", None, "--timeout", "10s")
        out, err = proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("no callback arrived within", err)
        conns = json.loads(self.rd("connections", "list", "--output", "json").stdout)
        self.assertEqual(conns, [])
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        try:
            rows = db.execute("SELECT name, outcome, length(sealed_secrets) FROM pending_authorizations "
                              "ORDER BY name").fetchall()
        finally:
            db.close()
        self.assertEqual(len(rows), 2)
        self.assertEqual([(r[0], r[2]) for r in rows], [("denied", 0), ("late", 0)])
        self.assertIn("access_denied", rows[0][1])
        self.assertEqual(rows[1][1], "expired")

    def test_authorize_refuses_a_redirect_uri_it_cannot_serve(self):
        self.boot(smtp=False)
        p = self.rd("connections", "add", "x", "--authorize", "--login-url", self.org["login_url"],
                    "--client-id", self.org["client_id"], "--redirect-uri", "http://10.1.2.3:8400/oauth/callback",
                    check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("plain http is only for a loopback host", p.stderr)
        p = self.rd("connections", "add", "x", "--authorize", "--login-url", self.org["login_url"],
                    "--client-id", self.org["client_id"], "--redirect-uri", "http://127.0.0.1:8400/callback",
                    check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/oauth/callback", p.stderr)
        # A port held by something that is not reportd.
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            other.listen(1)
            port = other.getsockname()[1]
            p = self.rd("connections", "add", "x", "--authorize", "--login-url", self.org["login_url"],
                        "--client-id", self.org["client_id"], "--redirect-uri",
                        f"http://127.0.0.1:{port}/oauth/callback", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no reportd daemon answers there", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
