"""The shipped systemd unit: hardened enough, and well-formed."""
import os
import re
import subprocess
import sys
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
