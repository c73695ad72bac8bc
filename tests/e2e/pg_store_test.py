"""The real reportd binary on a real PostgreSQL 15 ([store] url): the CLI adds
a connection and a schedule over TLS that verifies the server (verify-full),
with the password from a credential file; an untrusted certificate, a wrong
password and a bad URL are refused with errors that say what to fix and
never show the password."""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pg_server import PASSWORD, PgServer, make_cert  # noqa: E402
from reportd_env import REPORTD, Sandbox, files_containing, wait_until  # noqa: E402

TOKEN = "5Aep861MARKER-pg-refresh-token-Q7"


class PgStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = PgServer()
        cls.pg.start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def setUp(self):
        self.box = Sandbox()
        self.box.generate_key()
        self.pg.psql("DROP SCHEMA IF EXISTS public CASCADE; DROP TABLE IF EXISTS reportd_meta; "
                     "CREATE SCHEMA public AUTHORIZATION reportd", db="reportd")
        self.home = tempfile.mkdtemp(dir=self.box.root)  # no ~/.postgresql/root.crt here
        self.env = dict(os.environ, HOME=self.home)
        self.env.pop("CREDENTIALS_DIRECTORY", None)

    def tearDown(self):
        self.box.cleanup()

    def secret_file(self, name, text):
        path = os.path.join(self.box.root, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, 0o600)
        return path

    def config(self, url, password_file=None):
        path = os.path.join(self.box.root, "reportd.toml")
        with open(path, "w") as f:
            f.write(f'[store]\nurl = "{url}"\n')
            if password_file:
                f.write(f'password_file = "{password_file}"\n')
        return path

    def verified_url(self, ca=None):
        return self.pg.tcp_url("sslmode=verify-full&sslrootcert=" + (ca or self.pg.ca)).replace(
            "127.0.0.1", "localhost")

    def rd(self, config, *args, stdin=None, check=True, env=None):
        return self.box.run("--config", config, *args, stdin=stdin, check=check,
                            env=env or self.env)

    def test_cli_adds_a_connection_and_a_schedule_over_verified_tls(self):
        cfg = self.config(self.verified_url(), self.secret_file("pg-password", PASSWORD))
        self.rd(cfg, "connections", "add", "acme", "--login-url", "https://login.example.com",
                "--client-id", "3MVG9-client", "--refresh-token-stdin", stdin=TOKEN + "\n")
        self.rd(cfg, "schedules", "add", "daily", "--connection", "acme", "--cron", "0 7 * * *",
                "--soql", "SELECT Id FROM Account", "--to", "boss@example.com")
        listed = self.rd(cfg, "schedules", "list").stdout
        self.assertIn("daily", listed)
        self.assertIn("acme", self.rd(cfg, "connections", "list").stdout)
        status = self.rd(cfg, "status").stdout
        self.assertIn(f"postgresql localhost:{self.pg.port}/reportd", status)
        # The rows are in PostgreSQL (whose TCP port takes TLS only), the token
        # sealed; no SQLite file.
        self.assertEqual(self.pg.psql("SELECT name FROM schedules", db="reportd").strip(), "daily")
        self.assertFalse(os.path.exists(os.path.join(self.box.state, "reportd.db")))
        self.assertEqual(files_containing(self.pg.data, TOKEN.encode()), [])

    def test_serve_notices_a_schedule_added_from_another_machine(self):
        # The CLI runs with its own state directory, as on another machine: no
        # wake socket reaches the daemon, so only the store's data_version
        # (the change counter) at a heartbeat can tell it.
        cfg = self.config(self.verified_url(), self.secret_file("pg-password", PASSWORD))
        with open(cfg, "a") as f:
            f.write('[http]\nlisten = "127.0.0.1:0"\n')
        self.rd(cfg, "connections", "add", "acme", "--login-url", "https://login.invalid",
                "--client-id", "c", "--refresh-token-stdin", stdin=TOKEN + "\n")
        log = open(os.path.join(self.box.root, "serve.log"), "w+")
        serve = subprocess.Popen([REPORTD, "--state-dir", self.box.state, "--key-file", self.box.key,
                                  "--config", cfg, "serve"], stdout=log, stderr=subprocess.STDOUT,
                                 env=self.env)
        try:
            def logged(text):
                log.seek(0)
                return text in log.read()
            wait_until(lambda: logged("event=serve.ready"), what="serve.ready")
            other = Sandbox()
            other.key = self.box.key
            try:
                other.run("--config", cfg, "schedules", "add", "daily", "--connection", "acme",
                          "--cron", "0 7 * * *", "--soql", "SELECT Id FROM Account",
                          "--to", "boss@example.com", env=self.env)
            finally:
                other.cleanup()
            wait_until(lambda: logged("event=schedules.reload count=1"), what="schedules.reload")
            self.assertIn("running", self.rd(cfg, "status").stdout)
            # Default limits on a shared store: each run holds a first step
            # of 16 MiB of the 1 GiB budget, so 64 fit, more than the 8 of
            # max_concurrent_runs: nothing to warn about (it once said 2).
            self.assertFalse(logged("event=limits.scratch_concurrency"))
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=120)
            log.close()

    def test_password_from_the_systemd_credentials_directory(self):
        creds = tempfile.mkdtemp(dir=self.box.root)
        with open(os.path.join(creds, "store-password"), "w") as f:
            f.write(PASSWORD)
        os.chmod(os.path.join(creds, "store-password"), 0o600)
        cfg = self.config(self.verified_url())
        env = dict(self.env, CREDENTIALS_DIRECTORY=creds)
        self.assertIn("0 schedule(s) listed", self.rd(cfg, "schedules", "list", env=env).stdout)

    def test_an_untrusted_server_certificate_is_refused(self):
        other_ca, _ = make_cert(self.box.root, "other-ca")
        pw = self.secret_file("pg-password", PASSWORD)
        p = self.rd(self.config(self.verified_url(other_ca), pw), "schedules", "list", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("certificate verify failed", p.stderr)
        self.assertIn("set sslrootcert=FILE in [store] url", p.stderr)
        # Without sslrootcert libpq looks for ~/.postgresql/root.crt: absent here.
        url = self.pg.tcp_url("sslmode=verify-full").replace("127.0.0.1", "localhost")
        p = self.rd(self.config(url, pw), "schedules", "list", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("root certificate file", p.stderr)
        self.assertIn("sslrootcert", p.stderr)
        self.assertNotIn(PASSWORD, p.stdout + p.stderr)

    def test_a_wrong_password_and_a_bad_url_say_what_to_fix(self):
        wrong = "not-the-password-91"
        p = self.rd(self.config(self.verified_url(), self.secret_file("pw", wrong)),
                    "schedules", "list", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("password authentication failed", p.stderr)
        self.assertIn("password_file", p.stderr)
        self.assertNotIn(wrong, p.stdout + p.stderr)
        # A password in the URL is refused before anything connects.
        url = self.pg.tcp_url().replace("reportd@", f"reportd:{PASSWORD}@")
        p = self.rd(self.config(url), "schedules", "list", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("store.url: must not hold a password", p.stderr)
        self.assertNotIn(PASSWORD, p.stdout + p.stderr)
        # The server takes no connection without TLS.
        p = self.rd(self.config(self.pg.tcp_url("sslmode=disable"), self.secret_file("pw2", PASSWORD)),
                    "schedules", "list", check=False)
        self.assertIn("no encryption", p.stderr)
        loose = self.secret_file("loose", PASSWORD)
        os.chmod(loose, 0o644)
        p = self.rd(self.config(self.verified_url(), loose), "schedules", "list", check=False)
        self.assertIn("readable by group or others", p.stderr)

    def test_store_migrate_copies_a_sqlite_store_into_an_empty_database(self):
        # A SQLite store (no [store] url) whose newest connection was removed.
        for name in ("old", "acme"):
            self.box.run("connections", "add", name, "--login-url", "https://login.example.com",
                         "--client-id", "c", "--refresh-token-stdin", stdin=TOKEN + "\n", env=self.env)
        self.box.run("connections", "add", "gone", "--login-url", "https://login.example.com",
                     "--client-id", "c", "--refresh-token-stdin", stdin=TOKEN + "\n", env=self.env)
        self.box.run("connections", "remove", "gone", env=self.env)
        self.box.run("connections", "remove", "old", env=self.env)
        self.box.run("schedules", "add", "daily", "--connection", "acme", "--cron", "0 7 * * *",
                     "--soql", "SELECT Id FROM Account", "--to", "boss@example.com", env=self.env)
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        sealed = db.execute("SELECT hex(refresh_token) FROM connections WHERE name='acme'").fetchone()[0]
        db.close()

        pw = self.secret_file("pg-password", PASSWORD)
        cfg = self.config(self.verified_url(), pw)
        out = self.rd(cfg, "store", "migrate", "--to", self.verified_url()).stdout
        self.assertIn("connections: 1 rows (counts match)", out)
        self.assertIn("schedules: 1 rows (counts match)", out)
        self.assertIn("daily", self.rd(cfg, "schedules", "list").stdout)
        self.assertEqual(self.pg.psql("SELECT id, upper(encode(refresh_token, 'hex')) FROM connections",
                                      db="reportd").strip(), "2|" + sealed)
        # Ids go on after the highest SQLite ever handed out (3, removed).
        self.rd(cfg, "connections", "add", "next", "--login-url", "https://login.example.com",
                "--client-id", "c", "--refresh-token-stdin", stdin=TOKEN + "\n")
        self.assertEqual(self.pg.psql("SELECT id FROM connections WHERE name = 'next'",
                                      db="reportd").strip(), "4")
        p = self.rd(cfg, "store", "migrate", "--to", self.verified_url(), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already holds", p.stderr)


if __name__ == "__main__":
    unittest.main()
