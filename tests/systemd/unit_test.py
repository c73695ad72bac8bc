"""The shipped systemd unit: hardened enough, and well-formed."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import SOURCE_DIR  # noqa: E402

UNIT = os.path.join(SOURCE_DIR, "systemd", "reportd.service")


class UnitTest(unittest.TestCase):
    def test_exposure_is_at_most_1_5(self):
        p = subprocess.run(["systemd-analyze", "security", "--offline=yes", UNIT],
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for reportd\.service: ([0-9.]+)", p.stdout + p.stderr)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        self.assertLessEqual(float(m.group(1)), 1.5, p.stdout)

    def test_unit_keeps_secrets_out_of_core_dumps_and_uses_credentials(self):
        with open(UNIT) as f:
            text = f.read()
        for line in ["Type=notify", "LimitCORE=0", "LoadCredentialEncrypted=master.key:",
                     "StateDirectory=reportd", "RuntimeDirectory=reportd", "WatchdogSec="]:
            self.assertIn(line, text)

    def test_memory_and_scratch_are_bounded(self):
        with open(UNIT) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^MemoryMax=\d+[KMG]$")
        m = re.search(r"(?m)^TemporaryFileSystem=(\S+):(\S+)$", text)
        self.assertIsNotNone(m, "the scratch needs a tmpfs of its own")
        scratch, options = m.group(1), m.group(2).split(",")
        self.assertTrue(any(re.fullmatch(r"size=\d+[KMG]", o) for o in options), options)
        # Reached only through the 0700 runtime directory, and the daemon is told to use it.
        self.assertTrue(scratch.startswith("/run/reportd/"), scratch)
        self.assertIn("Environment=REPORTD_SCRATCH_DIR=" + scratch, text)

    def test_systemd_analyze_verify_is_clean(self):
        with open(UNIT) as f:
            text = f.read()
        # verify insists that ExecStart= exists: point it at a binary that does.
        text = text.replace("/usr/local/bin/reportd", "/bin/true")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "reportd.service")
            with open(path, "w") as f:
                f.write(text)
            # --man=no: Documentation=man:reportd(8) resolves only once installed
            # (packaging_deb verifies the installed unit with the man check on).
            p = subprocess.run(["systemd-analyze", "verify", "--man=no", path], capture_output=True,
                               text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual((p.stdout + p.stderr).strip(), "", "warnings about the unit")


if __name__ == "__main__":
    unittest.main(verbosity=2)
