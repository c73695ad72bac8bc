"""A scripted SMTP server (asyncio, STARTTLS with a test CA) drives the faults:
4xx then success; 5xx for one of three recipients; the connection dropped after
the final "." (at most one duplicate, same Message-ID); STARTTLS not offered;
bad certificates; bytes injected before the TLS handshake; a silent server;
several recipients over one connection (RSET between), each recorded sent in
the ledger before the next MAIL FROM and before QUIT; a connection that dies
at RSET is replaced."""
import asyncio
import email
import email.policy
import os
import sqlite3
import ssl
import tempfile
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from smtp_support import Pki, run_driver, status_of, lines_with  # noqa: E402


class Scripted:
    """Knobs: offer_starttls, cert/key, rcpt_codes {addr: [code per RCPT seen]},
    drop_after_dot {connection numbers}, inject_before_tls, silent,
    quit_hangs (QUIT is never answered), drop_at_rset {connection numbers},
    db (the driver's ledger file: its states are snapshot at each MAIL FROM
    and QUIT, in self.snapshots as (command, {recipient: state}))."""

    def __init__(self, cert, key, **knobs):
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(cert, key)
        self.offer_starttls = knobs.get("offer_starttls", True)
        self.rcpt_codes = {k: list(v) for k, v in knobs.get("rcpt_codes", {}).items()}
        self.drop_after_dot = knobs.get("drop_after_dot", set())
        self.inject = knobs.get("inject_before_tls", False)
        self.silent = knobs.get("silent", False)
        self.quit_hangs = knobs.get("quit_hangs", False)
        self.drop_at_rset = knobs.get("drop_at_rset", set())
        self.db = knobs.get("db")
        self.snapshots = []
        self.connections = 0
        self.commands = []
        self.messages = []  # (connection, rcpts, raw bytes)
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(
                asyncio.start_server(self.handle, "127.0.0.1", 0))
            self.port = self.server.sockets[0].getsockname()[1]
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()

    async def handle(self, reader, writer):
        self.connections += 1
        n = self.connections
        if self.silent:
            await asyncio.sleep(30)
            return
        writer.write(b"220 scripted ESMTP\r\n")
        tls, rcpts = False, []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                cmd = line.decode("ascii", "replace").rstrip("\r\n")
                up = cmd.upper()
                self.commands.append((n, cmd))
                if up.startswith("EHLO"):
                    caps = ["scripted", "PIPELINING", "SIZE 100000000", "8BITMIME"]
                    if self.offer_starttls and not tls:
                        caps.append("STARTTLS")
                    writer.write("".join(f"250-{c}\r\n" for c in caps[:-1]).encode() +
                                 f"250 {caps[-1]}\r\n".encode())
                elif up == "STARTTLS":
                    extra = b"250-injected\r\n250 AUTH PLAIN\r\n" if self.inject else b""
                    writer.write(b"220 go ahead\r\n" + extra)
                    await writer.drain()
                    await writer.start_tls(self.ctx)
                    tls = True
                elif up.startswith("MAIL FROM"):
                    self.snapshot("MAIL")
                    rcpts = []
                    writer.write(b"250 sender ok\r\n")
                elif up.startswith("RCPT TO"):
                    addr = cmd[cmd.index("<") + 1:cmd.index(">")]
                    codes = self.rcpt_codes.get(addr, [])
                    code = codes.pop(0) if codes else 250
                    if code == 250:
                        rcpts.append(addr)
                    writer.write(f"{code} recipient {code}\r\n".encode())
                elif up == "DATA":
                    writer.write(b"354 end with <CRLF>.<CRLF>\r\n")
                    await writer.drain()
                    data = []
                    while True:
                        dl = await reader.readline()
                        if dl == b".\r\n" or not dl:
                            break
                        data.append(dl[1:] if dl.startswith(b".") else dl)
                    self.messages.append((n, list(rcpts), b"".join(data)))
                    if n in self.drop_after_dot:
                        writer.transport.abort()
                        return
                    writer.write(b"250 queued\r\n")
                elif up == "RSET":
                    if n in self.drop_at_rset:
                        writer.transport.abort()
                        return
                    rcpts = []
                    writer.write(b"250 reset\r\n")
                elif up == "QUIT":
                    self.snapshot("QUIT")
                    if self.quit_hangs:
                        await asyncio.sleep(30)
                        return
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    writer.close()
                    return
                else:
                    writer.write(b"502 not implemented\r\n")
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            return


    def snapshot(self, command):
        if not self.db:
            return
        db = sqlite3.connect(self.db, timeout=10)
        try:
            states = dict(db.execute("SELECT recipient, state FROM deliveries").fetchall())
        finally:
            db.close()
        self.snapshots.append((command, states))


def message_id(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"]


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()

    @classmethod
    def tearDownClass(cls):
        cls.pki.close()

    def server(self, cert=None, key=None, **knobs):
        s = Scripted(cert or self.pki.cert, key or self.pki.key, **knobs)
        self.addCleanup(s.stop)
        return s

    def drive(self, mode, s, to, *extra):
        args = ["--port", s.port, "--tls", "starttls", "--ca", self.pki.ca, "--rows", 20, "--timeout", 10]
        for t in to:
            args += ["--to", t]
        return run_driver(mode, *args, *extra)

    def test_4xx_then_success_on_retry(self):
        s = self.server(rcpt_codes={"alice@example.org": [451]})
        out = self.drive("deliver", s, ["alice@example.org"], "--attempts", 2)
        attempts = lines_with(out, "ATTEMPT")
        self.assertEqual(attempts[0][2:4], ["STATUS", "transient"], out)
        self.assertEqual(attempts[0][4], "smtp-451")
        self.assertEqual(attempts[1][2:4], ["STATUS", "ok"], out)
        self.assertEqual([m[1] for m in s.messages], [["alice@example.org"]])
        ledger = lines_with(out, "LEDGER")
        self.assertEqual([(l[2], l[3]) for l in ledger], [("alice@example.org", "sent")])

    def test_5xx_for_one_of_three_recipients(self):
        to = ["alice@example.org", "bob@example.org", "carol@example.org"]
        s = self.server(rcpt_codes={"bob@example.org": [550]})
        out = self.drive("send", s, to)
        self.assertEqual(status_of(out), "STATUS ok", out)
        self.assertEqual([(r[1], r[2], r[3]) for r in lines_with(out, "RCPT")],
                         [("alice@example.org", "accepted", "250"), ("bob@example.org", "permanent", "550"),
                          ("carol@example.org", "accepted", "250")])
        self.assertEqual([m[1] for m in s.messages], [["alice@example.org", "carol@example.org"]])

    def test_5xx_recipient_fails_the_run_and_is_not_retried(self):
        to = ["alice@example.org", "bob@example.org", "carol@example.org"]
        s = self.server(rcpt_codes={"bob@example.org": [550, 550]})
        out = self.drive("deliver", s, to, "--attempts", 2)
        for a in lines_with(out, "ATTEMPT"):
            self.assertEqual(a[2:5], ["STATUS", "permanent", "smtp-550"], out)
        self.assertEqual(sorted(m[1][0] for m in s.messages), ["alice@example.org", "carol@example.org"])
        rcpt_bob = [c for c in s.commands if c[1] == "RCPT TO:<bob@example.org>"]
        self.assertEqual(len(rcpt_bob), 1, "a refused recipient is not retried")
        states = {l[2]: l[3] for l in lines_with(out, "LEDGER")}
        self.assertEqual(states, {"alice@example.org": "sent", "bob@example.org": "failed",
                                  "carol@example.org": "sent"})

    def test_retry_never_resends_to_a_recipient_already_sent(self):
        s = self.server(rcpt_codes={"bob@example.org": [451]})
        out = self.drive("deliver", s, ["alice@example.org", "bob@example.org"], "--attempts", 3)
        attempts = lines_with(out, "ATTEMPT")
        self.assertEqual(attempts[0][3], "transient", out)
        self.assertEqual(attempts[1][3], "ok", out)
        self.assertEqual(attempts[2][3], "ok", out)
        self.assertEqual(sorted(m[1][0] for m in s.messages), ["alice@example.org", "bob@example.org"])

    def test_connection_dropped_after_final_dot_gives_at_most_one_duplicate(self):
        s = self.server(drop_after_dot={1})
        out = self.drive("deliver", s, ["alice@example.org"], "--attempts", 3)
        attempts = lines_with(out, "ATTEMPT")
        self.assertEqual(attempts[0][3:5], ["transient", "smtp-unknown-outcome"], out)
        self.assertEqual(attempts[1][3], "ok", out)
        self.assertEqual(attempts[2][3], "ok", out)
        self.assertEqual(len(s.messages), 2)
        ids = {message_id(m[2]) for m in s.messages}
        self.assertEqual(len(ids), 1, "the duplicate has the same Message-ID")
        ledger = lines_with(out, "LEDGER")
        self.assertEqual(ledger[0][3], "sent")
        self.assertEqual(ledger[0][4], ids.pop())

    def test_one_connection_carries_every_recipient_each_sent_before_the_next_and_before_quit(self):
        to = ["alice@example.org", "bob@example.org", "carol@example.org"]
        with tempfile.TemporaryDirectory(dir="/dev/shm") as d:
            db = os.path.join(d, "ledger.db")
            s = self.server(quit_hangs=True, db=db)
            out = self.drive("deliver", s, to, "--db", db, "--timeout", 2)
        self.assertEqual(lines_with(out, "ATTEMPT")[0][2:4], ["STATUS", "ok"], out)
        self.assertEqual(s.connections, 1, "one connection for the three recipients")
        self.assertEqual([c[1] for c in s.commands if c[1] in ("RSET", "QUIT")], ["RSET", "RSET", "QUIT"])
        self.assertEqual([m[1] for m in s.messages], [[t] for t in to])
        # At each MAIL FROM the recipients before are sent already; at QUIT
        # (never answered here: the delivery does not wait on it) all are.
        mails = [snap for cmd, snap in s.snapshots if cmd == "MAIL"]
        self.assertEqual(len(mails), 3)
        for i, snap in enumerate(mails):
            self.assertEqual({r for r, st in snap.items() if st == "sent"}, set(to[:i]), snap)
        quits = [snap for cmd, snap in s.snapshots if cmd == "QUIT"]
        self.assertEqual(quits, [{t: "sent" for t in to}])
        windows = [int(w) for w in lines_with(out, "WINDOWS")[0][1:]]
        self.assertEqual(len(windows), 3)
        self.assertTrue(all(0 <= w < 5_000_000 for w in windows), windows)

    def test_a_connection_lost_at_rset_is_replaced_and_nothing_is_sent_twice(self):
        to = ["alice@example.org", "bob@example.org"]
        s = self.server(drop_at_rset={1})
        out = self.drive("deliver", s, to)
        self.assertEqual(lines_with(out, "ATTEMPT")[0][2:4], ["STATUS", "ok"], out)
        self.assertEqual(s.connections, 2)
        self.assertEqual([m[1] for m in s.messages], [[t] for t in to])
        self.assertEqual({l[2]: l[3] for l in lines_with(out, "LEDGER")}, {t: "sent" for t in to})

    def test_too_big_to_attach_is_zipped_and_unzips_byte_identical(self):
        import io
        import tempfile
        import zipfile
        s = self.server()
        with tempfile.TemporaryDirectory(dir="/dev/shm") as out_dir:
            out = run_driver("deliver", "--port", s.port, "--ca", self.pki.ca, "--rows", 3000,
                             "--max-bytes", 250000, "--to", "alice@example.org", "--out", out_dir)
            self.assertEqual(lines_with(out, "ATTEMPT")[0][3], "ok", out)
            msg = email.message_from_bytes(s.messages[0][2], policy=email.policy.default)
            parts = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
            self.assertEqual(list(parts), ["report.zip"])
            with zipfile.ZipFile(io.BytesIO(parts["report.zip"])) as z:
                self.assertIsNone(z.testzip())
                self.assertEqual(sorted(z.namelist()), ["report.csv", "report.xlsx"])
                for name in z.namelist():
                    with open(os.path.join(out_dir, name), "rb") as f:
                        self.assertEqual(z.read(name), f.read(), name)
            self.assertIn("zipped", msg.get_body(preferencelist=("plain",)).get_content())

    def test_too_big_even_zipped_without_files_fails_and_sends_nothing(self):
        s = self.server()
        out = run_driver("deliver", "--port", s.port, "--ca", self.pki.ca, "--rows", 3000,
                         "--max-bytes", 20000, "--to", "alice@example.org")
        attempt = lines_with(out, "ATTEMPT")[0]
        self.assertEqual(attempt[3:5], ["limit", "too-large"], out)
        self.assertEqual(s.messages, [])

    def test_starttls_not_offered_is_refused(self):
        s = self.server(offer_starttls=False)
        out = self.drive("send", s, ["alice@example.org"])
        self.assertTrue(status_of(out).startswith("STATUS permanent smtp-no-starttls"), out)
        self.assertFalse([c for c in s.commands if c[1].upper().startswith(("MAIL", "AUTH"))])

    def test_certificate_from_an_untrusted_ca_is_refused(self):
        s = self.server(self.pki.rogue_cert, self.pki.rogue_key)
        out = self.drive("send", s, ["alice@example.org"])
        self.assertTrue(status_of(out).startswith("STATUS permanent smtp-tls"), out)
        self.assertEqual(s.messages, [])
        self.assertFalse([c for c in s.commands if c[1].upper().startswith("MAIL")])

    def test_certificate_for_another_host_name_is_refused(self):
        s = self.server(self.pki.wrong_name_cert, self.pki.wrong_name_key)
        out = self.drive("send", s, ["alice@example.org"])
        self.assertTrue(status_of(out).startswith("STATUS permanent smtp-tls"), out)
        self.assertEqual(s.messages, [])

    def test_bytes_injected_before_the_handshake_are_discarded(self):
        s = self.server(inject_before_tls=True)
        out = self.drive("send", s, ["alice@example.org"])
        self.assertEqual(status_of(out), "STATUS ok", out)
        ehlos = [c for c in s.commands if c[1].upper().startswith("EHLO")]
        self.assertEqual(len(ehlos), 2, "EHLO is sent again over TLS")
        self.assertEqual(len(s.messages), 1)

    def test_a_silent_server_hits_the_deadline(self):
        s = self.server(silent=True)
        out = run_driver("send", "--port", s.port, "--ca", self.pki.ca, "--rows", 1, "--timeout", 1,
                         "--to", "alice@example.org")
        self.assertTrue(status_of(out).startswith("STATUS transient smtp-timeout"), out)


if __name__ == "__main__":
    unittest.main()
