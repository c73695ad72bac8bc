"""A real SMTP server (aiosmtpd from Debian) with STARTTLS and AUTH: messages
arrive, Python's email package parses them, attachments decode byte-identical
to what was rendered, and non-ASCII subjects, long lines and lines starting
with "." survive."""
import email
import email.policy
import io
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from reportd_env import on_a_free_port  # noqa: E402
from smtp_support import Pki, run_driver, status_of, lines_with  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402
import openpyxl  # noqa: E402

USER, PASSWORD = "reportd", "s3cret p@ss"
SUBJECT = "Résumé ☃ 日本 — weekly pipeline, with a subject long enough to need folding"
TEXT = ("Header line\n"
        ".starts with a dot\n"
        "..two dots\n"
        ".\n"
        "x" * 2000 + "\n"
        "ünïcødé line\n"
        "last line without newline")


class Sink:
    def __init__(self):
        self.messages = []
        self.auth = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK queued"


class RealServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()

    @classmethod
    def tearDownClass(cls):
        cls.pki.close()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(dir="/dev/shm")
        self.pwfile = os.path.join(self.tmp.name, "pw")
        with open(self.pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(self.pwfile, 0o600)
        self.sink = Sink()
        self.controller = None

    def tearDown(self):
        if self.controller:
            self.controller.stop()
        self.tmp.cleanup()

    def start(self, exclude=(), implicit=False):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.pki.cert, self.pki.key)

        def authenticator(server, session, envelope, mechanism, auth_data):
            self.sink.auth.append(mechanism)
            ok = isinstance(auth_data, LoginPassword) and \
                auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
            return AuthResult(success=ok, handled=False)

        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=True,
                      auth_exclude_mechanism=list(exclude), ready_timeout=30)
        if implicit:
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls.
            kwargs["auth_require_tls"] = False
            kwargs.update(ssl_context=ctx, server_hostname="localhost")
        else:
            kwargs.update(tls_context=ctx, require_starttls=True)
        return self.listen(**kwargs)

    def listen(self, **kwargs):
        """Starts aiosmtpd on a free port (another if it was taken meanwhile); returns the port."""
        def start(port):
            c = Controller(self.sink, hostname="127.0.0.1", port=port, **kwargs)
            c.start()
            self.controller = c
            return port
        return on_a_free_port(start)

    def send(self, port, tls="starttls", rows=200, to=("alice@example.org",)):
        textfile = os.path.join(self.tmp.name, "text")
        with open(textfile, "w", encoding="utf-8") as f:
            f.write(TEXT)
        args = ["--port", port, "--tls", tls, "--ca", self.pki.ca, "--user", USER, "--pwfile", self.pwfile,
                "--subject", SUBJECT, "--text-file", textfile, "--rows", rows, "--out", self.tmp.name]
        for t in to:
            args += ["--to", t]
        return run_driver("send", *args)

    def check_message(self, raw):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(str(msg["Subject"]), SUBJECT)
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        alt = next(p for p in msg.iter_parts() if p.get_content_type() == "multipart/alternative")
        self.assertEqual([p.get_content_type() for p in alt.iter_parts()], ["text/plain", "text/html"])
        body = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        self.assertEqual(body, TEXT)
        for line in raw.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)
        files = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
        self.assertEqual(sorted(files), ["report.csv", "report.xlsx"])
        for name, data in files.items():
            with open(os.path.join(self.tmp.name, name), "rb") as f:
                self.assertEqual(data, f.read(), name)
        wb = openpyxl.load_workbook(io.BytesIO(files["report.xlsx"]), read_only=True)
        self.assertEqual(len(list(wb["Opportunities"].iter_rows())), 201)
        return msg

    def test_starttls_auth_plain_message_arrives_intact(self):
        port = self.start()
        out = self.send(port, to=("alice@example.org", "bob@example.net"))
        self.assertEqual(status_of(out), "STATUS ok", out)
        self.assertEqual(len(lines_with(out, "RCPT")), 2)
        self.assertEqual(self.sink.auth, ["PLAIN"])
        self.assertEqual(len(self.sink.messages), 1)
        mail_from, rcpts, raw = self.sink.messages[0]
        self.assertEqual(mail_from, "reports@example.com")
        self.assertEqual(rcpts, ["alice@example.org", "bob@example.net"])
        self.check_message(raw)

    def test_auth_login_when_plain_is_not_offered(self):
        port = self.start(exclude=("PLAIN",))
        out = self.send(port, rows=5)
        self.assertEqual(status_of(out), "STATUS ok", out)
        self.assertEqual(self.sink.auth, ["LOGIN"])
        self.assertEqual(len(self.sink.messages), 1)

    def test_implicit_tls(self):
        port = self.start(implicit=True)
        out = self.send(port, tls="implicit", rows=5)
        self.assertEqual(status_of(out), "STATUS ok", out)
        self.assertEqual(len(self.sink.messages), 1)

    def test_plain_relay_on_loopback_with_tls_none(self):
        port = self.listen(ready_timeout=30)
        out = run_driver("send", "--host", "127.0.0.1", "--port", port, "--tls", "none", "--rows", 5,
                         "--to", "alice@example.org")
        self.assertEqual(status_of(out), "STATUS ok", out)
        self.assertEqual(len(self.sink.messages), 1)

    def test_tls_none_to_a_remote_host_is_refused(self):
        out = run_driver("send", "--host", "smtp.example.com", "--port", 25, "--tls", "none", "--rows", 1,
                         "--to", "alice@example.org")
        self.assertIn("loopback", status_of(out))

    def test_without_ca_file_the_system_cas_are_read_from_their_hashed_directory(self):
        """No smtp.ca_file: the relay's chain is checked against the system's
        CAs, read by subject from their hashed directory (SSL_CERT_DIR here,
        /etc/ssl/certs by default). A directory holding the relay's CA lets
        the mail through; one holding only another CA refuses the relay."""
        port = self.start()
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        dirs = {}
        for name, ca in (("trusted", self.pki.ca), ("other", os.path.join(self.pki.dir.name, "rogue.crt"))):
            d = dirs[name] = os.path.join(self.tmp.name, name)
            os.mkdir(d)
            shutil.copy(ca, d)
            subprocess.run(["openssl", "rehash", d], check=True, capture_output=True)
        args = ["--port", port, "--tls", "starttls", "--user", USER, "--pwfile", self.pwfile, "--rows", 5,
                "--to", "alice@example.org"]
        out = run_driver("send", *args, env=dict(env, SSL_CERT_DIR=dirs["trusted"]))
        self.assertEqual(status_of(out), "STATUS ok", out)
        self.assertEqual(len(self.sink.messages), 1)
        out = run_driver("send", *args, env=dict(env, SSL_CERT_DIR=dirs["other"]))
        self.assertIn("TLS handshake", status_of(out), out)
        self.assertEqual(len(self.sink.messages), 1)

    def test_wrong_password_is_an_auth_error(self):
        port = self.start()
        with open(self.pwfile, "w") as f:
            f.write("wrong\n")
        out = self.send(port, rows=5)
        self.assertTrue(status_of(out).startswith("STATUS auth smtp-535"), out)
        self.assertEqual(self.sink.messages, [])

    def test_mail_test_sends_sample_csv_and_xlsx(self):
        port = self.start()
        out = run_driver("mailtest", "--port", port, "--ca", self.pki.ca, "--user", USER,
                         "--pwfile", self.pwfile, "--to", "ops@example.org")
        self.assertEqual(status_of(out), "STATUS ok", out)
        msg = email.message_from_bytes(self.sink.messages[0][2], policy=email.policy.default)
        self.assertEqual(str(msg["Subject"]), "reportd mail test")
        files = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
        self.assertEqual(sorted(files), ["report.csv", "sample.xlsx"])
        self.assertEqual(len(files["report.csv"].decode("utf-8").splitlines()) > 20, True)
        wb = openpyxl.load_workbook(io.BytesIO(files["sample.xlsx"]), read_only=True)
        self.assertEqual(len(list(wb["Sample"].iter_rows())), 21)


if __name__ == "__main__":
    unittest.main()
