"""A local SMTP sink on loopback that stores every message it accepts.

Used by the demo and the end-to-end tests: aiosmtpd (Debian) receives mail
and writes each message to DIR/NNNN.eml (mode 0600) plus one line per
recipient to DIR/index.tsv, and one line per message to DIR/times.tsv (the
wall-clock time it was stored, just before the 250 goes out, its Message-ID
and file: the kill tests line copies up with their kills), and one line per
message to DIR/phases.tsv, where the relay's part of the duplicate window
went: its Message-ID, when the bytes holding the final dot reached the
server (the last read before the handler), when the handler began (aiosmtpd
has parsed the body line by line and joined it), when the copy was stored,
and the message's size. Runs until SIGTERM.

usage: /usr/bin/python3 smtp_sink.py --dir DIR [--port N] [--port-file FILE] [--max-bytes N]
(--max-bytes: the DATA limit, announced as SIZE; default aiosmtpd's 32 MiB)
"""
import argparse
import os
import re
import signal
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from reportd_env import on_a_free_port


class Store:
    def __init__(self, directory):
        self.dir = directory
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        began = time.time()
        with self.lock:
            self.count += 1
            name = os.path.join(self.dir, f"{self.count:04d}.eml")
            content = envelope.original_content or envelope.content
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                # As a real MTA does before its 250 (Postfix syncs its queue
                # file); the tests' mail directory is a tmpfs, where it is cheap.
                f.flush()
                os.fsync(f.fileno())
            with open(os.path.join(self.dir, "index.tsv"), "a") as idx:
                for rcpt in envelope.rcpt_tos:
                    idx.write(f"{os.path.basename(name)}\t{envelope.mail_from}\t{rcpt}\n")
            head = content[:16384]  # the headers come first
            mid = re.search(rb"^Message-ID:[ \t]*(\S+)", head, re.M | re.I)
            stored = time.time()
            mid = mid.group(1).decode() if mid else "-"
            with open(os.path.join(self.dir, "times.tsv"), "a") as times:
                times.write(f"{stored:.6f}\t{mid}\t{os.path.basename(name)}\n")
            with open(os.path.join(self.dir, "phases.tsv"), "a") as phases:
                phases.write(f"{mid}\t{getattr(server, 'last_read', 0.0):.6f}\t{began:.6f}\t{stored:.6f}\t"
                             f"{len(content)}\n")
        return "250 OK"


class TimedSMTP(SMTP):
    """aiosmtpd's server, noting when bytes last arrived (phases.tsv)."""
    last_read = 0.0

    def data_received(self, data):
        self.last_read = time.time()
        super().data_received(data)


class TimedController(Controller):
    def factory(self):
        return TimedSMTP(self.handler, **self.SMTP_kwargs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--max-bytes", type=int, default=32 << 20)
    args = ap.parse_args()
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    store = Store(args.dir)

    def start(port):
        c = TimedController(store, hostname="127.0.0.1", port=port, data_size_limit=args.max_bytes,
                       ready_timeout=30)  # a loaded machine starts slowly
        c.start()
        return c

    # aiosmtpd needs a concrete port: without --port, one that is free, and
    # another if something takes it before aiosmtpd binds it.
    controller = start(args.port) if args.port else on_a_free_port(start)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(controller.port))
        os.rename(args.port_file + ".tmp", args.port_file)
    print(controller.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
