"""The SMTP sink of tests/lib/smtp_sink.py (aiosmtpd, each message to
DIR/NNNN.eml) with a larger DATA limit: aiosmtpd's default of 32 MiB, which it
announces as SIZE, is below a 1,000,000-row CSV attachment.

usage: /usr/bin/python3 large_sink.py --dir DIR --max-bytes N   (prints its port)
"""
import argparse
import os
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
from aiosmtpd.controller import Controller  # noqa: E402
from smtp_sink import Store  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--max-bytes", type=int, required=True)
    args = ap.parse_args()
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    controller = Controller(Store(args.dir), hostname="127.0.0.1", port=port, data_size_limit=args.max_bytes)
    controller.start()
    print(port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
