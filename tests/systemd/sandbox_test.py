"""The daemon's smoke path under the restrictions of systemd/reportd.service
that apply without systemd: its SystemCallFilter= (groups expanded by
`systemd-analyze syscall-filter`), RestrictAddressFamilies=,
MemoryDenyWriteExecute=, NoNewPrivileges=, LimitCORE=0 and UMask=0077,
installed as seccomp filters by tests/systemd/sandbox_exec. A schedule
fires and its report is delivered through the real SMTP sink."""
import email
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import BUILD_DIR, REPORTD, SOURCE_DIR, Sandbox, start_sim, start_sink, stop, wait_until  # noqa: E402

UNIT = os.path.join(SOURCE_DIR, "systemd", "reportd.service")
SANDBOX = os.path.join(BUILD_DIR, "tests", "sandbox_exec")
# LeakSanitizer stops the world with ptrace, which the filter (rightly) denies.
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")


def expand(group, seen):
    """The syscalls of a systemd group (or a bare syscall name), recursively."""
    if not group.startswith("@"):
        return {group}
    if group in seen:
        return set()
    seen.add(group)
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True,
                         text=True, check=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        names |= expand(line, seen)
    return names


def unit_filter():
    with open(UNIT) as f:
        text = f.read()
    allow, deny = set(), set()
    for value in re.findall(r"^SystemCallFilter=(.*)$", text, re.M):
        target = deny if value.startswith("~") else allow
        for g in value.lstrip("~").split():
            target |= expand(g, set())
    families = re.search(r"^RestrictAddressFamilies=(.*)$", text, re.M).group(1).split()
    return allow, deny, families


class SandboxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="reportd-sandbox-")
        allow, deny, families = unit_filter()
        cls.allow = os.path.join(cls.dir, "allow")
        cls.deny = os.path.join(cls.dir, "deny")
        with open(cls.allow, "w") as f:
            f.write("\n".join(sorted(allow)) + "\n")
        with open(cls.deny, "w") as f:
            f.write("\n".join(sorted(deny)) + "\n")
        cls.families = ",".join(families)
        cls.counts = (len(allow), len(deny))

    def jail(self, *cmd):
        return [SANDBOX, "--allow", self.allow, "--deny", self.deny, "--families", self.families, "--", *cmd]

    def test_the_filter_is_the_units_and_it_bites(self):
        self.assertGreater(self.counts[0], 250)  # @system-service
        self.assertGreater(self.counts[1], 50)   # @privileged @resources ...
        probe = ("import os, socket\n"
                 "try:\n socket.socket(socket.AF_NETLINK, socket.SOCK_RAW); print('netlink')\n"
                 "except OSError: print('no-netlink')\n"
                 "try:\n os.setpriority(os.PRIO_PROCESS, 0, -1); print('renice')\n"
                 "except OSError: print('no-renice')\n"
                 "socket.socket(socket.AF_INET, socket.SOCK_STREAM); print('inet')\n")
        p = subprocess.run(self.jail("/usr/bin/python3", "-c", probe), capture_output=True, text=True)
        self.assertEqual(p.stdout.split(), ["no-netlink", "no-renice", "inet"], p.stderr)

    def test_the_smoke_path_runs_under_the_units_restrictions(self):
        box = Sandbox()
        mail = tempfile.mkdtemp(prefix="reportd-mail-", dir="/dev/shm")
        runtime = tempfile.mkdtemp(prefix="reportd-run-", dir="/dev/shm")
        procs = []
        try:
            sim, org = start_sim(os.path.join(box.root, "sim"), "--rows-account", "50")
            procs.append(sim)
            sink, port = start_sink(mail)
            procs.append(sink)
            config = os.path.join(box.root, "reportd.toml")
            with open(config, "w") as f:
                f.write(f'[salesforce]\nca_file = "{org["ca_file"]}"\n'
                        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
                        f'from = "reports@example.com"\n')
            base = [REPORTD, "--state-dir", box.state, "--key-file", box.key, "--config", config]

            def rd(*args, stdin=None):
                p = subprocess.run(self.jail(*base, *args), input=stdin, capture_output=True,
                                   text=True, env=ENV, timeout=60)
                self.assertEqual(p.returncode, 0, f"{args}: {p.stdout}{p.stderr}")
                return p.stdout

            subprocess.run(self.jail(REPORTD, "keys", "generate", "--out", box.key), check=True,
                           capture_output=True, env=ENV)
            self.assertEqual(os.stat(box.key).st_mode & 0o777, 0o600)
            rd("connections", "add", "demo", "--login-url", org["login_url"], "--client-id",
               org["client_id"], "--refresh-token-stdin", stdin=org["refresh_token"] + "\n")
            rd("connections", "test", "demo")
            rd("schedules", "add", "accounts", "--connection", "demo", "--cron", "*/2 * * * * *",
               "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account",
               "--format", "csv,xlsx", "--to", "a@example.com")
            log_path = os.path.join(box.root, "serve.log")
            with open(log_path, "wb") as log:
                daemon = subprocess.Popen(self.jail(*base, "serve"), stdout=subprocess.DEVNULL,
                                          stderr=log, env=dict(ENV, RUNTIME_DIRECTORY=runtime))
            procs.append(daemon)
            def delivered():
                self.assertIsNone(daemon.poll(), open(log_path).read())
                return [n for n in os.listdir(mail) if n.endswith(".eml")]

            try:  # generous: the ASan build in the jail on a loaded machine
                names = wait_until(delivered, timeout=240, what="a message", interval=0.2)
            except AssertionError as e:
                raise AssertionError(f"{e}\n{open(log_path).read()}") from None
            stop(daemon)
            self.assertEqual(daemon.returncode, 0, open(log_path).read())
            with open(os.path.join(mail, names[0]), "rb") as f:
                msg = email.message_from_binary_file(f)
            self.assertEqual(sorted(p.get_filename() for p in msg.walk() if p.get_filename()),
                             ["accounts.csv", "accounts.xlsx"])
            self.assertIn("succeeded", rd("runs"))
            # The database was created under UMask=0077.
            self.assertEqual(os.stat(os.path.join(box.state, "reportd.db")).st_mode & 0o077, 0)
        finally:
            for p in procs:
                stop(p)
            shutil.rmtree(mail, ignore_errors=True)
            shutil.rmtree(runtime, ignore_errors=True)
            box.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
