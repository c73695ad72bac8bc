"""The Debian package end to end, on this machine: `dpkg-buildpackage -b
-us -uc` builds reportd_VERSION_amd64.deb from a copy of the source, lintian
reports no errors and only the warnings README.md lists, `dpkg -i` installs
every part, `systemd-analyze verify` passes on the installed unit, `dpkg -r`
keeps /var/lib/reportd and /etc/reportd, and `dpkg --purge` removes them
and every file the package installed.

Two modes (README.md, "Installing from the Debian package", has the times):
- the suite's (default): dpkg-buildpackage packages the suite's own build
  tree (REPORTD_DEB_BUILD_TREE, debian/rules): the same dh sequence, maintainer
  scripts and file list as the release package, around the binary the suite
  tested (in CI the ASan one), without compiling the daemon a second time;
- REPORTD_TEST_DEB=release: the release package itself, configured and
  compiled by dpkg-buildpackage (Release, hardening flags): minutes more.
REPORTD_TEST_DEB=0 skips it.

Skipped (77) when not root (dpkg -i), without dpkg-buildpackage/lintian, or
when reportd is already installed or /var/lib/reportd or /etc/reportd exist
(they would be purged). A `reportd` user the test created is deleted at the
end (the package itself keeps it, as Debian does with system users)."""
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import BUILD_DIR, SOURCE_DIR  # noqa: E402

MODE = os.environ.get("REPORTD_TEST_DEB", "suite")
WORK = os.path.join(BUILD_DIR, "deb")
SRC = os.path.join(WORK, "reportd")  # a fixed path: ccache hits on the next build
# Lintian warnings accepted, each justified in README.md ("Installing from
# the Debian package"). Anything else fails the test. The suite's tree is
# the dev preset's, linked with -no-pie (README.md, "Building and testing");
# the release package is PIE and gets no such pass.
ACCEPTED_WARNINGS = {"hardening-no-pie"} if MODE == "suite" else set()
SHIPPED = [
    "/usr/bin/reportd",
    "/usr/lib/systemd/system/reportd.service",
    "/usr/lib/sysusers.d/reportd.conf",
    "/usr/lib/tmpfiles.d/reportd.conf",
    "/usr/share/man/man8/reportd.8.gz",
    "/usr/share/doc/reportd/reportd.toml.example",
    "/usr/share/doc/reportd/README.Debian",
    "/usr/share/doc/reportd/copyright",
    "/usr/share/bash-completion/completions/reportd",
]


def run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True, **kw)


def skip_reason():
    if MODE not in ("suite", "release"):
        return f"REPORTD_TEST_DEB={MODE} (suite or release run it)"
    if os.geteuid() != 0:
        return "needs root (dpkg -i)"
    for tool in ("dpkg-buildpackage", "lintian", "dh", "systemd-analyze"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (scripts/install-deps.sh installs it)"
    if run("dpkg-query", "-W", "-f=${Status}", "reportd").stdout.startswith("install ok"):
        return "reportd is installed on this machine; not touching it"
    for d in ("/var/lib/reportd", "/etc/reportd"):
        if os.path.exists(d):
            return f"{d} exists; the purge check would delete it"
    return None


def build_env():
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
    if MODE == "suite":
        # No -dbgsym package and gzip -1 instead of xz: dpkg-deb's xz took 61 s
        # of CPU on the 119 MB stripped ASan binary (gzip -1: 0.4 s). Neither
        # changes what the package holds or how it installs.
        env.update(REPORTD_DEB_BUILD_TREE=BUILD_DIR, DEB_BUILD_OPTIONS="nocheck noddebs",
                   DPKG_DEB_COMPRESSOR_TYPE="gzip", DPKG_DEB_COMPRESSOR_LEVEL="1")
    elif shutil.which("ccache"):
        # dh gives the build a HOME of its own, so ccache's directory and
        # configuration are named here.
        cache = run("ccache", "-k", "cache_dir").stdout.strip()
        env.update(CMAKE_C_COMPILER_LAUNCHER="ccache", CMAKE_CXX_COMPILER_LAUNCHER="ccache",
                   CCACHE_DIR=cache, CCACHE_BASEDIR=SRC, CCACHE_NOHASHDIR="1")
    return env


class DebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.had_user = run("id", "-u", "reportd").returncode == 0
        shutil.rmtree(SRC, ignore_errors=True)
        os.makedirs(WORK, exist_ok=True)
        for f in os.listdir(WORK):
            if f.startswith("reportd_") or f.startswith("reportd-dbgsym_"):
                os.remove(os.path.join(WORK, f))
        shutil.copytree(SOURCE_DIR, SRC, symlinks=True, ignore=shutil.ignore_patterns(
            "build", ".git", "node_modules", "demo-state", "__pycache__", ".cache"))
        start = time.monotonic()
        cls.build = run("nice", "dpkg-buildpackage", "-b", "-us", "-uc", cwd=SRC, env=build_env(),
                        timeout=3600)
        cls.build_seconds = time.monotonic() - start
        print(f"dpkg-buildpackage ({MODE}) took {cls.build_seconds:.0f} s", file=sys.stderr)
        found = os.listdir(WORK)
        debs = [f for f in found if re.fullmatch(r"reportd_[0-9][^_]*_amd64\.deb", f)]
        changes = [f for f in found if re.fullmatch(r"reportd_[0-9][^_]*_amd64\.changes", f)]
        cls.deb = os.path.join(WORK, debs[0]) if len(debs) == 1 else None
        cls.changes = os.path.join(WORK, changes[0]) if len(changes) == 1 else None

    @classmethod
    def tearDownClass(cls):
        run("dpkg", "--purge", "reportd")
        if not cls.had_user:
            run("userdel", "reportd")
            run("groupdel", "reportd")

    def test_1_the_package_builds_with_only_what_it_ships(self):
        self.assertEqual(self.build.returncode, 0, self.build.stdout[-4000:] + self.build.stderr[-4000:])
        self.assertIsNotNone(self.deb, os.listdir(WORK))
        listing = run("dpkg-deb", "-c", self.deb).stdout
        # "-rwxr-xr-x root/root 123 2026-12-05 12:00 ./usr/bin/reportd" (links: "... -> target")
        paths = {line.split(" -> ")[0].split()[-1].lstrip(".") for line in listing.splitlines() if line}
        for f in SHIPPED:
            self.assertIn(f, paths)
        self.assertNotIn("reportd-sfsim", listing)
        self.assertNotIn("/tests/", listing)
        log = self.build.stdout + self.build.stderr
        if MODE == "release":
            # No test, benchmark or simulator target was even built.
            names = set(os.listdir(os.path.join(SRC, "obj-x86_64-linux-gnu")))
            for target in ("reportd-sfsim", "tests", "reportd-bench-query"):
                self.assertNotIn(target, names)
            self.assertIn("-DCMAKE_BUILD_TYPE=Release", log)
        else:
            self.assertIn(f"cmake --install {BUILD_DIR} --prefix /usr", log)

    def test_2_lintian_reports_no_errors(self):
        self.assertIsNotNone(self.changes, os.listdir(WORK))
        # The .changes: lintian checks it and every package it lists.
        p = run("lintian", "--tag-display-limit", "0", self.changes, timeout=600)
        tags = re.findall(r"^([EW]): reportd[^:]*: (\S+)", p.stdout, re.M)
        errors = [t for kind, t in tags if kind == "E"]
        warnings = {t for kind, t in tags if kind == "W"}
        self.assertEqual(errors, [], p.stdout)
        self.assertLessEqual(warnings, ACCEPTED_WARNINGS, p.stdout)

    def test_3_install_verify_remove_purge(self):
        p = run("dpkg", "-i", self.deb)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The first install says what to do next.
        for step in ("reportd keys generate", "systemd-creds encrypt --name=master.key",
                     "reportd.toml.example", "reportd config check", "README.Debian"):
            self.assertIn(step, p.stdout)
        for f in SHIPPED:
            self.assertTrue(os.path.exists(f), f)
        self.assertEqual(run("/usr/bin/reportd", "version").stdout.split()[0], "reportd")
        self.assertEqual(run("id", "-u", "reportd").returncode, 0, "the system user")
        st = os.stat("/var/lib/reportd")
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertEqual(st.st_uid, int(run("id", "-u", "reportd").stdout))
        st = os.stat("/etc/reportd")
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)
        unit = "/usr/lib/systemd/system/reportd.service"
        with open(unit) as f:
            self.assertIn("ExecStart=/usr/bin/reportd ", f.read())
        v = run("systemd-analyze", "verify", unit)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertEqual((v.stdout + v.stderr).strip(), "", "warnings about the installed unit")

        # The first-run errors say the same as README.Debian.
        p = run("/usr/bin/reportd", "--config", "/etc/reportd/reportd.toml", "config", "check")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("/usr/share/doc/reportd/reportd.toml.example", p.stderr)
        self.assertIn("config check", p.stderr)
        p = run("/usr/bin/reportd", "config", "check")  # no file: the defaults, and what to do
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("install -m 0640 -g reportd /usr/share/doc/reportd/reportd.toml.example", p.stdout)
        env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
        p = run("/usr/bin/reportd", "--state-dir", WORK, "serve", env=env, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        for step in ("no master key", "reportd keys generate", "systemd-creds encrypt",
                     "/etc/reportd/master.key.cred", "README.Debian"):
            self.assertIn(step, p.stderr)
        with open("/usr/share/doc/reportd/README.Debian") as f:
            readme = f.read()
        for step in ("reportd keys generate", "systemd-creds encrypt", "reportd config check"):
            self.assertIn(step, readme)

        # State and config the operator made.
        marker = "/var/lib/reportd/reportd.db"
        with open(marker, "w") as f:
            f.write("state\n")
        with open("/etc/reportd/reportd.toml", "w") as f:
            f.write("[limits]\nmax_runs_per_org = 2\n")

        p = run("dpkg", "-r", "reportd")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertFalse(os.path.exists("/usr/bin/reportd"))
        self.assertTrue(os.path.exists(marker), "remove keeps the state")
        self.assertTrue(os.path.exists("/etc/reportd/reportd.toml"), "remove keeps the config")

        p = run("dpkg", "--purge", "reportd")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for f in SHIPPED + ["/var/lib/reportd", "/etc/reportd"]:
            self.assertFalse(os.path.exists(f), f)
        self.assertNotIn("install ok", run("dpkg-query", "-W", "-f=${Status}", "reportd").stdout)


if __name__ == "__main__":
    why = skip_reason()
    if why:
        print("skipped:", why)
        sys.exit(77)
    unittest.main(verbosity=2)
