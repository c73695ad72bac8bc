"""Bash completion (completion/reportd) sourced in a real bash: COMPREPLY for
commands, options, option values and the schedule and connection names of a
real store, read by the real binary (`reportd __complete`)."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import REPORTD, SOURCE_DIR, Sandbox  # noqa: E402

SCRIPT = os.path.join(SOURCE_DIR, "completion", "reportd")
DRIVER = """
source "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMPREPLY=()
_reportd
printf '%s\\n' "${COMPREPLY[@]}"
"""


class CompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.box = Sandbox()
        cls.box.generate_key()
        for name in ("acme", "globex"):
            cls.box.run("connections", "add", name, "--login-url", "https://login.salesforce.com",
                        "--client-id", "3MVG9example", "--org-id", "00D000000000001AAA"
                        if name == "acme" else "00D000000000002AAA", "--refresh-token-stdin",
                        stdin="5Aep861notreal\n")
        for name, conn in (("Weekly pipeline", "acme"), ("board", "globex")):
            cls.box.run("schedules", "add", name, "--connection", conn, "--cron", "0 8 * * 1",
                        "--soql", "SELECT Id FROM Account", "--to", "a@example.com")

    @classmethod
    def tearDownClass(cls):
        cls.box.cleanup()

    def complete(self, *words):
        p = subprocess.run(["bash", "-c", DRIVER, "bash", SCRIPT, REPORTD, *words], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [w for w in p.stdout.split("\n") if w]

    def state(self, *words):
        return self.complete("--state-dir", self.box.state, *words)

    def test_commands(self):
        first = self.complete("")
        for c in ("serve", "status", "schedules", "connections", "doctor", "runs", "keys", "sync"):
            self.assertIn(c, first)
        self.assertNotIn("__complete", first)
        self.assertEqual(self.complete("sch"), ["schedules"])
        self.assertEqual(self.complete("connections", "re"), ["reauth", "remove"])
        self.assertEqual(self.complete("doc"), ["doctor"])

    def test_options_and_their_values(self):
        self.assertEqual(self.complete("doctor", "--o"), ["--output"])
        self.assertIn("--connection", self.complete("schedules", "add", "x", "--"))
        self.assertIn("--state-dir", self.complete("schedules", "add", "x", "--"))
        self.assertEqual(self.complete("schedules", "list", "--output", ""), ["json", "text"])
        self.assertEqual(self.complete("schedules", "add", "x", "--format", "x"), ["xlsx"])
        self.assertEqual(self.complete("schedules", "add", "x", "--format", "p"), ["pdf"])
        self.assertEqual(self.complete("schedules", "set", "x", "--when", ""), ["always", "changed"])
        self.assertIn("--when", self.complete("schedules", "set", "x", "--"))
        self.assertIn("failed", self.complete("runs", "--state", ""))
        self.assertIn("/tmp", self.complete("--config", "/tm"))

    def test_schedule_and_connection_names_from_the_store(self):
        self.assertEqual(self.state("schedules", "show", ""), ["Weekly\\ pipeline", "board"])
        self.assertEqual(self.state("run", "W"), ["Weekly\\ pipeline"])
        self.assertEqual(self.state("connections", "reauth", ""), ["acme", "globex"])
        self.assertEqual(self.state("sync", "g"), ["globex"])
        self.assertEqual(self.state("schedules", "add", "x", "--connection", ""), ["acme", "globex"])
        self.assertEqual(self.state("runs", "--schedule", "b"), ["board"])

    def test_no_store_no_names_and_nothing_created(self):
        missing = os.path.join(self.box.root, "nowhere")
        self.assertEqual(self.complete("--state-dir", missing, "schedules", "show", ""), [])
        self.assertFalse(os.path.exists(missing))


if __name__ == "__main__":
    unittest.main(verbosity=2)
