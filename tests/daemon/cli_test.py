"""The reportd CLI, run as the real binary: keys, connections, status, serve."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import REPORTD, Sandbox, files_containing, wait_until  # noqa: E402

TOKEN = "5Aep861MARKER-refresh-token-Zq9xK2"


class CliTest(unittest.TestCase):
    def setUp(self):
        self.box = Sandbox()
        self.box.generate_key()

    def tearDown(self):
        self.box.cleanup()

    def add(self, name="acme", token=TOKEN, *extra):
        return self.box.run("connections", "add", name, "--login-url", "https://login.example.com",
                            "--client-id", "3MVG9-client", "--refresh-token-stdin", *extra,
                            stdin=token + "\n")

    def test_refresh_token_never_appears_in_plaintext_on_disk_or_in_output(self):
        self.box.run("status")  # creates the database
        db = os.path.join(self.box.state, "reportd.db")
        # Holding a connection open keeps SQLite from folding the WAL back
        # into the database and deleting it, so the WAL is searched too.
        holder = sqlite3.connect(db)
        holder.execute("SELECT count(*) FROM connections").fetchall()
        try:
            outputs = [self.add()]
            outputs.append(self.box.run("connections", "list"))
            outputs.append(self.box.run("connections", "list", "--output", "json"))
            outputs.append(self.box.run("keys", "status"))
            outputs.append(self.box.run("status"))
            for p in outputs:
                self.assertNotIn(TOKEN, p.stdout + p.stderr)
            wal = db + "-wal"
            self.assertTrue(os.path.getsize(wal) > 0, "the WAL should hold the new pages")
            self.assertEqual(files_containing(self.box.root, TOKEN.encode()), [])
            # The sealed token is there: the search would have found plaintext.
            sealed = holder.execute("SELECT length(refresh_token) FROM connections").fetchone()[0]
            self.assertEqual(sealed, 1 + 4 + 24 + len(TOKEN) + 16)
        finally:
            holder.close()
        self.assertEqual(files_containing(self.box.root, TOKEN.encode()), [])

    def test_token_is_refused_on_the_command_line(self):
        p = self.box.run("connections", "add", "acme", "--login-url", "https://x.example.com",
                         "--client-id", "c", "--refresh-token", TOKEN, check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown option --refresh-token", p.stderr)
        p = self.box.run("connections", "add", "acme", "--login-url", "https://x.example.com",
                         "--client-id", "c", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--refresh-token-stdin", p.stderr)

    def test_list_and_remove(self):
        self.add("acme")
        self.add("globex", "other-token", "--allowed-domains", "Globex.com, example.org")
        rows = json.loads(self.box.run("connections", "list", "--output", "json").stdout)
        self.assertEqual([r["name"] for r in rows], ["acme", "globex"])
        self.assertEqual(rows[1]["allowed_domains"], ["globex.com", "example.org"])
        self.box.run("connections", "remove", "acme")
        rows = json.loads(self.box.run("connections", "list", "--output", "json").stdout)
        self.assertEqual([r["name"] for r in rows], ["globex"])
        p = self.box.run("connections", "remove", "acme", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('no connection named "acme"', p.stderr)

    def test_allowed_domains_are_split_one_way_and_changed_with_connections_set(self):
        p = self.box.run("connections", "add", "acme", "--login-url", "https://login.example.com",
                         "--client-id", "c", "--refresh-token-stdin", "--allowed-domains", "acme.com, a@b.com",
                         stdin=TOKEN + "\n", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('"a@b.com" is not a domain name', p.stderr)
        self.add("acme", TOKEN, "--allowed-domains", "acme.com")
        out = self.box.run("connections", "set", "acme", "--allowed-domains", "ACME.com;acme.co.uk globex.com").stdout
        self.assertIn("allowed domains acme.com, acme.co.uk, globex.com (were acme.com)", out)
        rows = json.loads(self.box.run("connections", "list", "--output", "json").stdout)
        self.assertEqual(rows[0]["allowed_domains"], ["acme.com", "acme.co.uk", "globex.com"])
        p = self.box.run("connections", "set", "acme", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("needs --allowed-domains", p.stderr)
        p = self.box.run("connections", "set", "nobody", "--allowed-domains", "x.com", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('no connection named "nobody"', p.stderr)
        self.assertIn("--allowed-domains", self.box.run("connections", "set", "--help").stdout)

    def test_bad_arguments_give_clear_errors(self):
        cases = [
            (["connections", "add", "acme", "--login-url", "http://insecure", "--client-id", "c",
              "--refresh-token-stdin"], "https://"),
            (["connections", "add", "a b", "--login-url", "https://x.example.com", "--client-id",
              "c", "--refresh-token-stdin"], "may only hold"),
            (["connections", "add", "acme", "--login-url", "https://x.example.com", "--client-id",
              "c", "--refresh-token-stdin", "--org-id", "bogus"], "--org-id"),
            (["connections", "list", "--output", "yaml"], "--output"),
            (["nonsense"], "unknown command"),
            (["keys", "status", "extra"], "takes no operands"),
            (["connections", "list", "--out", "x"], "does not take --out"),
        ]
        for args, needle in cases:
            p = self.box.run(*args, stdin="tok\n", check=False)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(needle, p.stderr, args)
        p = self.box.run("connections", "add", "acme", "--login-url", "https://x.example.com",
                         "--client-id", "c", "--refresh-token-stdin", stdin="", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("standard input is empty", p.stderr)

    def test_rotate_leaves_no_token_on_the_old_key_and_all_still_open(self):
        for i in range(5):
            self.add(f"org{i}", f"token-{i}")
        before = json.loads(self.box.run("keys", "status", "--output", "json").stdout)
        self.assertEqual(len(before), 1)
        old_id = before[0]["key_id"]
        self.box.run("keys", "generate", "--out", self.box.key, "--add", key=False)
        mid = {k["key_id"]: k for k in json.loads(self.box.run("keys", "status", "--output", "json").stdout)}
        self.assertEqual(mid[old_id]["tokens"], 5)
        self.assertEqual(mid[old_id]["loaded"], "loaded")
        out = self.box.run("keys", "rotate").stdout
        self.assertIn("re-sealed 5 connection(s)", out)
        after = {k["key_id"]: k for k in json.loads(self.box.run("keys", "status", "--output", "json").stdout)}
        self.assertEqual(after[old_id]["tokens"], 0)
        new_id = [k for k, v in after.items() if v["loaded"] == "primary"][0]
        self.assertEqual(after[new_id]["tokens"], 5)
        # Every token still opens: rotating again must succeed, which opens
        # each one, and a key file without the new key must fail to.
        self.assertIn("re-sealed 5", self.box.run("keys", "rotate").stdout)
        with open(self.box.key) as f:
            lines = [l for l in f if not l.startswith("#")]
        old_only = os.path.join(self.box.root, "old.key")
        fd = os.open(old_only, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, "".join(l for l in lines if l.startswith(old_id)).encode())
        os.close(fd)
        p = subprocess.run([REPORTD, "--state-dir", self.box.state, "--key-file", old_only,
                            "keys", "rotate"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not in the loaded key file", p.stderr)
        self.assertIn("nothing changed", p.stderr)

    def test_world_readable_key_file_is_refused(self):
        os.chmod(self.box.key, 0o644)
        p = self.box.run("serve", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("mode 0644", p.stderr)
        self.assertIn("chmod 600", p.stderr)
        p = self.box.run("connections", "add", "x", "--login-url", "https://x.example.com",
                         "--client-id", "c", "--refresh-token-stdin", stdin="t\n", check=False)
        self.assertIn("mode 0644", p.stderr)

    def test_daemon_without_a_key_does_not_start_and_says_why(self):
        env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
        p = self.box.run("serve", key=False, check=False, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no master key", p.stderr)
        self.assertIn("--key-file", p.stderr)

    def test_daemon_reads_the_systemd_credential(self):
        creds = os.path.join(self.box.root, "creds")
        os.mkdir(creds, 0o700)
        os.rename(self.box.key, os.path.join(creds, "master.key"))
        env = dict(os.environ, CREDENTIALS_DIRECTORY=creds)
        p = self.box.run("keys", "status", key=False, env=env)
        self.assertIn("primary", p.stdout)

    def test_serve_reports_status_and_stops_on_sigterm(self):
        proc = subprocess.Popen([REPORTD, "--state-dir", self.box.state, "--key-file", self.box.key,
                                 "serve"], stderr=subprocess.PIPE, text=True)
        try:
            def running():
                p = self.box.run("status", "--output", "json", check=False)
                status = json.loads(p.stdout) if p.returncode == 0 else {}
                return status if status.get("daemon_running") else None

            status = wait_until(running, timeout=120, what="status to say the daemon runs", interval=0.2)
            self.assertIn(f"pid {proc.pid}", status["daemon"])
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=90)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("<6>event=serve.start", err)
        self.assertIn("<5>event=serve.stop signal=SIGTERM", err)
        status = json.loads(self.box.run("status", "--output", "json").stdout)
        self.assertFalse(status["daemon_running"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
