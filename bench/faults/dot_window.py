"""The duplicate window, timed without kills: the kill loop's load (two
schedules every 2 s, three recipients each, CSV, XLSX and HTML of 300
accounts, aiosmtpd as the relay) for --seconds, then each delivery's window
split where it went. From the daemon's mail.sent lines and the sink's
times.tsv and phases.tsv (tests/lib/smtp_sink.py), in microseconds,
p50/p99/max:

  to_relay_us   reportd wrote the final dot -> the relay read the bytes
                holding it (the socket: the body still queued ahead of the
                dot, Nagle, the relay's event loop getting to the socket)
  parse_us      -> aiosmtpd had split the body into lines and joined them
  store_us      -> the sink stored the copy (it answers 250 next)
  relay_us      the three above: the `dot-250` window
  read_wait_us, commit_us  the relay's 250 -> read -> `sent` durable
                (the `250-commit` window)

and the share of the run's time inside each window (see duplicate_audit).

    /usr/bin/python3 bench/faults/dot_window.py --build build/release --seconds 120
"""
import argparse
import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--report", help="also write the figures here (JSON)")
    args = ap.parse_args()
    os.environ["REPORTD_BUILD_DIR"] = os.path.abspath(args.build)
    os.environ.setdefault("REPORTD_SOURCE_DIR", ROOT)
    from duplicate_audit import phases, windows  # noqa: E402 (after the environment)
    from serve_case import ServeCase  # noqa: E402

    figures = {}

    class Window(ServeCase):
        def test_window(self):
            self.boot_kill_load()
            load = [os.getloadavg()[0]]
            self.daemon.start()
            began = self.daemon.spawned_at
            for _ in range(args.seconds // 10):
                time.sleep(10)
                load.append(os.getloadavg()[0])
            ended = time.time()
            self.assertEqual(self.daemon.stop(), 0)
            times = os.path.join(self.mail, "times.tsv")
            figures.update(windows(self.log(), times, [(began, ended, {})]))
            figures["phases"] = phases(self.log(), os.path.join(self.mail, "phases.tsv"))
            figures["load"] = [round(min(load), 1), round(max(load), 1)]
            figures["seconds"] = round(ended - began)

    result = unittest.TextTestRunner(verbosity=1).run(unittest.defaultTestLoader.loadTestsFromTestCase(Window))
    print(json.dumps(figures, indent=1))
    if args.report:
        with open(args.report, "w") as f:
            json.dump(figures, f, indent=1)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
