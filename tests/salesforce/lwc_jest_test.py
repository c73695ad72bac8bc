"""The schedule editor component's Jest tests (salesforce/, @salesforce/sfdx-lwc-jest).

Installs salesforce/node_modules with `npm ci` from the committed
package-lock.json when missing, runs every Jest suite under
force-app/main/default/lwc once, and checks that all passed and that the
suites this project relies on ran: the cron and recipients tables shared with
the C++ tests (tests/jobs/cron_table.json, tests/jobs/deliver/
recipients_table.json), the presets, the labels, the component itself and
its New/Edit override.
Without npm the script exits 77, which CTest reports as skipped.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("REPORTD_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
PROJECT = os.path.join(SOURCE_DIR, "salesforce")
JEST = os.path.join(PROJECT, "node_modules", ".bin", "sfdx-lwc-jest")
SUITES = ["cron.test.js", "presets.test.js", "validate.test.js", "labels.test.js",
          "reportdScheduleEditor.test.js", "reportdScheduleEditor.de.test.js",
          "override.test.js", "preview.en.test.js", "preview.de.test.js"]


def ensure_installed():
    if os.path.exists(JEST):
        return True
    npm = shutil.which("npm")
    if npm is None:
        print("skipped: npm unavailable (npm not on PATH)")
        return False
    t = time.monotonic()
    try:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PROJECT,
                       check=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        print("skipped: npm unavailable (%s)" % e)
        return False
    print("npm ci took %.0f s" % (time.monotonic() - t))
    return True


class LwcJestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="reportd-jest-")
        out = os.path.join(cls.tmp, "results.json")
        env = dict(os.environ, CI="true", TZ="UTC")
        env.pop("REPORTD_PREVIEW_OUT", None)
        t = time.monotonic()
        cls.proc = subprocess.run([JEST, "--", "--ci", "--json", "--outputFile", out,
                                   "--cacheDirectory", os.path.join(cls.tmp, "cache")],
                                  cwd=PROJECT, env=env, capture_output=True, text=True, timeout=1200)
        print("jest took %.0f s" % (time.monotonic() - t))
        cls.results = json.load(open(out)) if os.path.exists(out) else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_jest_test_passes(self):
        self.assertIsNotNone(self.results, self.proc.stdout + self.proc.stderr)
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr[-6000:])
        r = self.results
        print("jest: %d passed, %d failed, %d suites" % (r["numPassedTests"], r["numFailedTests"],
                                                         r["numTotalTestSuites"]))
        self.assertEqual(r["numFailedTests"], 0)
        self.assertEqual(r["numFailedTestSuites"], 0)
        self.assertGreaterEqual(r["numPassedTests"], 100)

    def test_the_suites_that_share_tables_with_the_daemon_ran(self):
        self.assertIsNotNone(self.results)
        ran = {os.path.basename(s["name"]): s for s in self.results["testResults"]}
        for suite in SUITES:
            with self.subTest(suite=suite):
                self.assertIn(suite, ran)
                self.assertEqual(ran[suite]["status"], "passed")
                self.assertTrue(ran[suite]["assertionResults"])


if __name__ == "__main__":
    if not ensure_installed():
        sys.exit(77)  # CTest: SKIP_RETURN_CODE
    unittest.main(verbosity=2)
