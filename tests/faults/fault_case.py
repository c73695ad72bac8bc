"""The fixture of the fault tests: ServeCase (the real `reportd serve`, the
Salesforce simulator, aiosmtpd) plus what faults need: extra environment for
the daemon (a preloaded shim, libfaketime), a NOTIFY_SOCKET the test holds,
/healthz, and the checks every fault test ends with."""
import os
import re
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from serve_case import Daemon, ServeCase  # noqa: E402,F401
from reportd_env import BUILD_DIR  # noqa: E402,F401

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
UNFINISHED = ("pending", "running", "delivering")


class EnvDaemon(Daemon):
    """A Daemon started with extra environment (LD_PRELOAD, FAKETIME...)."""

    def __init__(self, box, config, runtime_dir, log_path, env):
        super().__init__(box, config, runtime_dir, log_path)
        self.env = env

    def start(self):
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            super().start()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def http_port(self):
        ports = re.findall(rb"event=http\.listen listen=127\.0\.0\.1:(\d+)", self.log())
        return int(ports[-1]) if ports else None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read()


class Notify:
    """A NOTIFY_SOCKET the daemon talks to; keeps every message it sends."""

    def __init__(self):
        self.path = os.path.join(tempfile.mkdtemp(prefix="reportd-notify-"), "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536).decode(errors="replace")
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append(data)

    def statuses(self):
        with self.lock:
            return [line[len("STATUS="):] for m in self.messages for line in m.splitlines()
                    if line.startswith("STATUS=")]

    def close(self):
        self.closed = True
        self.thread.join()
        self.sock.close()


def healthz(port):
    """(status, body) of GET /healthz."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def db_rows(state, sql, args=()):
    db = sqlite3.connect(os.path.join(state, "reportd.db"), timeout=30)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


class FaultCase(ServeCase):
    """ServeCase whose daemon takes extra environment and a NOTIFY_SOCKET."""

    def setUp(self):
        super().setUp()
        self.notify = Notify()

    def tearDown(self):
        super().tearDown()
        self.notify.close()

    def make_daemon(self, env):
        env = dict(env, NOTIFY_SOCKET=self.notify.path)
        self.daemon = EnvDaemon(self.box, self.config, self.runtime_dir,
                                os.path.join(self.root, "reportd.log"), env)
        return self.daemon

    # Checks every fault test ends with.

    def assert_integrity(self):
        self.assertEqual(db_rows(self.box.state, "PRAGMA integrity_check"), [("ok",)])

    def assert_no_occurrence_lost(self, schedule_names, period_s):
        """Every occurrence of each schedule (one each `period_s` seconds)
        between its first and last row has a row: claimed and run, or
        recorded missed or skipped. None twice (the store's unique key)."""
        for name in schedule_names:
            rows = db_rows(self.box.state,
                           "SELECT r.nominal_s FROM runs r JOIN schedules s ON s.id = r.schedule_id "
                           "WHERE s.name = ? ORDER BY r.nominal_s", (name,))
            nominal = [r[0] for r in rows]
            self.assertGreater(len(nominal), 3, f"{name}: too few occurrences to judge")
            self.assertEqual(len(nominal), len(set(nominal)), f"{name}: an occurrence twice")
            expected = set(range(nominal[0], nominal[-1] + 1, period_s))
            self.assertEqual(sorted(expected - set(nominal)), [], f"{name}: occurrences lost")

    def wait_all_final(self, timeout=180):
        """Waits until no run is pending, running or delivering."""
        def final():
            rows = db_rows(self.box.state, "SELECT count(*) FROM runs WHERE state IN (?, ?, ?)",
                           UNFINISHED)
            return rows[0][0] == 0
        self.wait_for(final, timeout=timeout, what="every run to reach a final state")

    def assert_ledger_matches_mail(self):
        """A delivery marked sent really reached the relay (its Message-ID
        arrived), and a succeeded run has every delivery sent."""
        arrived = {m["Message-ID"] for m in self.messages()}
        sent = db_rows(self.box.state, "SELECT message_id FROM deliveries WHERE state = 'sent'")
        self.assertEqual([m for (m,) in sent if m not in arrived], [],
                         "a delivery marked sent that never arrived")
        half = db_rows(self.box.state,
                       "SELECT r.id FROM runs r JOIN deliveries d ON d.run_id = r.id "
                       "WHERE r.state = 'succeeded' AND d.state != 'sent'")
        self.assertEqual(half, [], "a succeeded run with a delivery not sent")
