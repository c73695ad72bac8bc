"""The sd_notify protocol as systemd sees it (Type=notify, WatchdogSec=):
the real daemon talks to a NOTIFY_SOCKET this test holds. READY=1 after
start-up, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 with
MONOTONIC_USEC then READY=1 on SIGHUP, STATUS= saying why a reload failed,
STOPPING=1 on SIGTERM."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import REPORTD, Sandbox, stop  # noqa: E402


class NotifyTest(unittest.TestCase):
    def setUp(self):
        self.box = Sandbox()
        self.box.generate_key()
        self.sock_path = os.path.join(tempfile.mkdtemp(prefix="reportd-notify-"), "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(0.1)
        self.config = os.path.join(self.box.root, "reportd.toml")
        with open(self.config, "w") as f:
            f.write("[limits]\nmax_concurrent_runs = 4\n")
        self.messages = []  # (monotonic time, {key: value})

    def tearDown(self):
        self.sock.close()
        self.box.cleanup()

    def pump(self, seconds, until=None):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            fields = dict(line.split("=", 1) for line in data.splitlines() if "=" in line)
            self.messages.append((time.monotonic(), fields))
            if until and until(fields):
                return fields
        if until:
            raise AssertionError(f"no such notification; got {[m for _, m in self.messages[-5:]]}")

    def test_the_daemon_speaks_the_notify_protocol(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.sock_path, WATCHDOG_USEC="2000000")
        env.pop("WATCHDOG_PID", None)
        proc = subprocess.Popen([REPORTD, "--state-dir", self.box.state, "--key-file", self.box.key,
                                 "--config", self.config, "serve"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready = self.pump(120, until=lambda m: m.get("READY") == "1")
            self.assertIn("running", ready.get("STATUS", ""))

            # WATCHDOG=1 every 1 s (half of WATCHDOG_USEC), from the event loop.
            # systemd acts only on a gap of the whole WATCHDOG_USEC; the half
            # left over is the slack a busy machine's scheduler may take.
            start = len(self.messages)
            self.pump(5)
            pings = [t for t, m in self.messages[start:] if m.get("WATCHDOG") == "1"]
            self.assertGreaterEqual(len(pings), 4)
            gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
            self.assertAlmostEqual(gaps[len(gaps) // 2], 1.0, delta=0.25)
            self.assertLess(gaps[-1], 2.0)

            # A stopped process sends nothing: systemd's watchdog would fire.
            proc.send_signal(signal.SIGSTOP)
            start = len(self.messages)
            self.pump(1.5)
            self.assertEqual([m for _, m in self.messages[start:]], [])
            proc.send_signal(signal.SIGCONT)
            self.pump(60, until=lambda m: m.get("WATCHDOG") == "1")

            # SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1.
            before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            proc.send_signal(signal.SIGHUP)
            reloading = self.pump(60, until=lambda m: m.get("RELOADING") == "1")
            after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            self.assertTrue(before <= int(reloading["MONOTONIC_USEC"]) <= after)
            self.pump(60, until=lambda m: m.get("READY") == "1")

            # A broken config on SIGHUP: the old one stays, STATUS= says why.
            with open(self.config, "w") as f:
                f.write("[limits]\nmax_concurrent_runs = 0\n")
            proc.send_signal(signal.SIGHUP)
            failed = self.pump(60, until=lambda m: "reload failed" in m.get("STATUS", ""))
            self.assertIn("max_concurrent_runs", failed["STATUS"])
            self.assertIn("kept the previous config", failed["STATUS"])

            proc.send_signal(signal.SIGTERM)
            self.pump(60, until=lambda m: m.get("STOPPING") == "1")
            self.assertEqual(proc.wait(timeout=70), 0)
        finally:
            stop(proc)


if __name__ == "__main__":
    unittest.main(verbosity=2)
