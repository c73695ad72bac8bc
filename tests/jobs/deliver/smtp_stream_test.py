"""Streaming delivery. A 100 MiB attachment, held in a scratch memfd as the
daemon holds a rendered report, goes through the real aiosmtpd sink
(tests/lib/smtp_sink.py): it arrives byte-identical, and the sender's peak
RSS during the send (VmHWM, reset just before it) stays a few MB above its
RSS before it, no more than for a 10 MiB attachment, instead of growing by
twice the message as when the message was built whole and copied for
dot-stuffing. A message of many chunks also arrives intact over STARTTLS +
AUTH."""
import binascii
import email
import email.policy
import os
import ssl
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from smtp_support import Pki, run_driver, status_of, lines_with  # noqa: E402
from reportd_env import on_a_free_port, stop, wait_until  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

SINK = os.path.join(os.path.dirname(__file__), "..", "..", "lib", "smtp_sink.py")
# Peak growth allowed while sending: the chunk buffers (about 300 KB), TLS and
# Asio state, and the sanitizers' bookkeeping of them (about 7 MB under ASan).
# Building the message whole would add about 2 x 143 MB here.
BOUND_MB = 16
# ...and how much more a 100 MiB attachment may cost than a 10 MiB one.
SLACK_MB = 3


def driver_env():
    """ASan parks freed blocks in a quarantine of up to 256 MB, which would
    measure the sanitizer rather than the sender: turn it off for the driver."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(o for o in (env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=0") if o)
    return env
USER, PASSWORD = "reportd", "s3cret p@ss"


def parse(out):
    att = lines_with(out, "ATTACHMENT")[0]
    msg = lines_with(out, "MESSAGE")[0]
    mem = lines_with(out, "MEM")[0]
    return {"att_bytes": int(att[1]), "crc": int(att[2]), "msg_bytes": int(msg[1]), "wire_bytes": int(msg[2]),
            "rss_before_kb": int(mem[1]), "peak_kb": int(mem[2])}


def attachment_of(raw):
    """The base64 payload of the big.csv part, decoded, without parsing the whole message."""
    start = raw.index(b'filename="big.csv"')
    body = raw.index(b"\r\n\r\n", start) + 4
    end = raw.index(b"\r\n--=_reportd_mixed_", body)
    return binascii.a2b_base64(raw[body:end])


def growth_mb(r):
    return (r["peak_kb"] - r["rss_before_kb"]) / 1024


class StreamedSend(unittest.TestCase):
    def test_100_mib_attachment_streams_through_the_sink_in_bounded_memory(self):
        with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
            mail_dir = os.path.join(tmp, "mail")
            port_file = os.path.join(tmp, "port")
            sink = subprocess.Popen(["/usr/bin/python3", SINK, "--dir", mail_dir, "--port-file", port_file,
                                     "--max-bytes", str(300 << 20)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            runs = {}
            try:
                wait_until(lambda: os.path.exists(port_file), timeout=120, what="the sink to start",
                           interval=0.05)
                with open(port_file) as f:
                    port = int(f.read())
                for mb in (10, 100):
                    out = run_driver("bigsend", "--host", "127.0.0.1", "--port", port, "--tls", "none",
                                     "--mb", mb, "--to", "bench@example.com",
                                     # the sink parses 140 MB after the final dot: slow on a loaded machine
                                     "--timeout", 120, timeout=600, env=driver_env())
                    self.assertEqual(status_of(out), "STATUS ok", out)
                    runs[mb] = parse(out)
                    print(f"\nstreamed {runs[mb]['msg_bytes'] / 1e6:.1f} MB ({mb} MiB attached): RSS before "
                          f"{runs[mb]['rss_before_kb'] / 1024:.1f} MB, peak {runs[mb]['peak_kb'] / 1024:.1f} MB, "
                          f"growth {growth_mb(runs[mb]):.1f} MB", file=sys.stderr)
            finally:
                stop(sink)
            r = runs[100]
            self.assertEqual(r["att_bytes"], 100 << 20)
            self.assertLess(growth_mb(r), BOUND_MB, out)
            self.assertLess(growth_mb(r), growth_mb(runs[10]) + SLACK_MB, runs)

            names = sorted(n for n in os.listdir(mail_dir) if n.endswith(".eml"))
            self.assertEqual(len(names), 2)
            with open(os.path.join(mail_dir, names[-1]), "rb") as f:
                raw = f.read()
            self.assertEqual(len(raw), r["msg_bytes"])
            self.assertLessEqual(max(len(line) for line in raw.split(b"\r\n")), 998)
            data = attachment_of(raw)
            self.assertEqual(len(data), r["att_bytes"])
            self.assertEqual(zlib.crc32(data), r["crc"])
            # The text part's dot lines were stuffed on the wire and unstuffed by the server.
            self.assertIn(b"\r\n.a line with a dot\r\n.\r\n", raw)


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content)
        return "250 OK queued"


class StreamedOverTls(unittest.TestCase):
    def test_a_message_of_many_chunks_arrives_intact_over_starttls_and_auth(self):
        pki = Pki()
        sink = Sink()
        with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
            pwfile = os.path.join(tmp, "pw")
            with open(pwfile, "w") as f:
                f.write(PASSWORD + "\n")
            os.chmod(pwfile, 0o600)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(pki.cert, pki.key)

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and \
                    auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
                return AuthResult(success=ok, handled=False)

            def start(port):
                c = Controller(sink, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                               authenticator=authenticator, auth_required=True, auth_require_tls=True,
                               data_size_limit=64 << 20, ready_timeout=30)
                c.start()
                return c, port

            controller, port = on_a_free_port(start)
            try:
                out = run_driver("bigsend", "--port", port, "--tls", "starttls", "--ca", pki.ca, "--user", USER,
                                 "--pwfile", pwfile, "--mb", 6, "--to", "alice@example.org", timeout=300,
                                 env=driver_env())
            finally:
                controller.stop()
                pki.close()
        self.assertEqual(status_of(out), "STATUS ok", out)
        r = parse(out)
        self.assertEqual(len(sink.messages), 1)
        raw = sink.messages[0]
        self.assertEqual(len(raw), r["msg_bytes"])
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        self.assertEqual(body, "See attached.\n.a line with a dot\n.\n")
        files = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
        self.assertEqual(list(files), ["big.csv"])
        self.assertEqual(len(files["big.csv"]), 6 << 20)
        self.assertEqual(zlib.crc32(files["big.csv"]), r["crc"])


if __name__ == "__main__":
    unittest.main()
