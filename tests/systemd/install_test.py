"""`cmake --install` places the binary, the unit, the sysusers.d and
tmpfiles.d files, the man page and an example config; the man page renders
cleanly and names every command `reportd --help` lists; the example config
passes `reportd config check`."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import BUILD_DIR, REPORTD, SOURCE_DIR  # noqa: E402


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.prefix = tempfile.mkdtemp(prefix="reportd-install-")

    def tearDown(self):
        shutil.rmtree(self.prefix, ignore_errors=True)

    def test_install_places_every_part(self):
        subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", self.prefix], check=True,
                       capture_output=True)
        for rel in ["bin/reportd", "lib/systemd/system/reportd.service", "lib/sysusers.d/reportd.conf",
                    "lib/tmpfiles.d/reportd.conf", "share/man/man8/reportd.8",
                    "share/doc/reportd/reportd.toml.example", "share/bash-completion/completions/reportd"]:
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, rel)), rel)
        self.assertTrue(os.access(os.path.join(self.prefix, "bin/reportd"), os.X_OK))
        # The unit names the binary where this install put it (--prefix, not
        # the configured /usr/local: debian/rules installs the suite's tree so).
        with open(os.path.join(self.prefix, "lib/systemd/system/reportd.service")) as f:
            unit = f.read()
        self.assertIn(f"ExecStart={self.prefix}/bin/reportd ", unit)

    def test_the_man_page_renders_cleanly_and_names_every_command(self):
        page = os.path.join(SOURCE_DIR, "doc", "reportd.8")
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        text = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", page], capture_output=True,
                              text=True, check=True).stdout
        text = re.sub(r"\s+", " ", text.replace("\u2010", "-"))
        usage = subprocess.run([REPORTD, "--help"], capture_output=True, text=True, check=True).stdout
        listing = usage.split("Commands:")[1].split("Global options:")[0]
        commands = [re.split(r"\s{2,}", line.strip())[0] for line in listing.splitlines()
                    if line.startswith("  ")]
        commands = [c.split(" NAME")[0].split(" ID")[0].split(" CONNECTION")[0] for c in commands]
        self.assertGreater(len(commands), 20)
        for c in commands:
            self.assertIn(c, text, f"the man page does not describe `reportd {c}`")

    def test_the_example_config_passes_config_check(self):
        example = os.path.join(SOURCE_DIR, "doc", "reportd.toml.example")
        creds = tempfile.mkdtemp(prefix="reportd-creds-")
        try:
            with open(os.path.join(creds, "smtp-password"), "w") as f:
                f.write("secret\n")
            os.chmod(os.path.join(creds, "smtp-password"), 0o600)
            env = dict(os.environ, CREDENTIALS_DIRECTORY=creds)
            p = subprocess.run([REPORTD, "--config", example, "config", "check"], capture_output=True,
                               text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn(": ok", p.stdout)
            self.assertIn("smtp.example.com:587", p.stdout)
            broken = os.path.join(creds, "broken.toml")
            with open(broken, "w") as f:
                f.write("[limits]\nmax_runs_per_org = 0\n")
            p = subprocess.run([REPORTD, "--config", broken, "config", "check"], capture_output=True,
                               text=True, env=env)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("limits.max_runs_per_org", p.stderr)
        finally:
            shutil.rmtree(creds, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
