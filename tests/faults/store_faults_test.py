"""The store under faults, with the real `reportd serve`, the Salesforce
simulator and aiosmtpd: the state directory on a tiny tmpfs that fills up
(ENOSPC), and write/pwrite/fsync failing at chosen moments through an
LD_PRELOAD shim (tests/faults/io_fault_shim.c). While the store cannot be
written the daemon says so (/healthz 503, STATUS=, a log line at error
priority); when it can again, it recovers by itself. Afterwards: PRAGMA
integrity_check is ok, no occurrence is lost, every run reached a final
state, and no delivery is marked sent that did not reach the relay."""
import os
import random
import subprocess
import time
import unittest

from fault_case import BUILD_DIR, FaultCase, db_rows, healthz

SHIM = os.path.join(BUILD_DIR, "tests", "io_fault_shim.so")
PERIOD = 2  # seconds between occurrences of each schedule
CONFIG = '[http]\nlisten = "127.0.0.1:0"\n[limits]\nfailures_before_pause = 0\n'


class StoreFaultsTest(FaultCase):
    def add_schedules(self):
        self.names = ["faults-a", "faults-b"]
        for name in self.names:
            self.rd("schedules", "add", name, "--connection", "demo", "--cron", f"*/{PERIOD} * * * * *",
                    "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account",
                    "--format", "csv", "--to", f"{name}-1@example.com,{name}-2@example.com")

    def wait_runs_done(self, n):
        self.wait_for(lambda: db_rows(self.box.state, "SELECT count(*) FROM runs WHERE state = "
                                      "'succeeded'")[0][0] >= n, what=f"{n} runs succeeded")

    def wait_health(self, code, timeout=120):
        port = self.daemon.http_port()
        return self.wait_for(lambda: (lambda r: r if r[0] == code else None)(healthz(port)),
                             timeout=timeout, what=f"/healthz {code}")

    def finish_and_check(self):
        """Pauses the schedules, lets every run end, stops the daemon and
        checks the store and the mail."""
        succeeded = db_rows(self.box.state, "SELECT count(*) FROM runs WHERE state='succeeded'")[0][0]
        self.wait_runs_done(succeeded + 2)  # runs go on after the faults
        for name in self.names:
            self.rd("schedules", "pause", name)
        self.wait_all_final()
        self.assertEqual(self.daemon.stop(), 0)
        self.assert_integrity()
        self.assert_no_occurrence_lost(self.names, PERIOD)
        self.assert_ledger_matches_mail()
        runs = dict(db_rows(self.box.state, "SELECT state, count(*) FROM runs GROUP BY state"))
        ledger = dict(db_rows(self.box.state, "SELECT state, count(*) FROM deliveries GROUP BY state"))
        print(f"\n{self.id()}: runs {runs}, deliveries {ledger}, messages {len(self.messages())}",
              flush=True)

    def assert_said_unhealthy_and_recovered(self):
        log = self.daemon.log()
        self.assertIn(b"<3>event=store.write_failed", log)
        self.assertIn(b"event=store.recovered", log)
        # /healthz can answer 200 a moment before the listener has read the
        # STATUS= that says the same (seen once at a load average of 19).
        def recovered():
            statuses = self.notify.statuses()
            failed_at = max((i for i, s in enumerate(statuses) if s.startswith("unhealthy")), default=-1)
            return any(s.startswith("running") for s in statuses[failed_at + 1:])
        deadline = time.monotonic() + 30
        while not recovered() and time.monotonic() < deadline:
            time.sleep(0.1)
        statuses = self.notify.statuses()
        self.assertTrue(any(s.startswith("unhealthy: store write failed") for s in statuses), statuses)
        self.assertTrue(recovered(), statuses)

    def test_a_full_state_directory_is_reported_and_recovered_from(self):
        os.makedirs(self.box.state, mode=0o700)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs",
                                  self.box.state], capture_output=True, text=True)
        if mounted.returncode != 0:
            self.skipTest("cannot mount a tmpfs for the state directory (needs root or "
                          f"CAP_SYS_ADMIN): {mounted.stderr.strip()}")
        self.addCleanup(subprocess.run, ["umount", "-l", self.box.state])
        self.boot(config_extra=CONFIG)
        self.add_schedules()
        self.make_daemon({}).start()
        self.wait_runs_done(2)

        # Fill the file system: the WAL cannot grow, the next commit fails.
        filler = os.path.join(self.box.state, "filler")
        # Unbuffered: a buffered file would retry its last chunk at close
        # and raise ENOSPC there.
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        filled = time.monotonic()
        body = self.wait_health(503)[1]
        unhealthy_after = time.monotonic() - filled
        self.assertIn("store write failed", body)
        self.assertTrue("full" in body or "disk" in body, body)
        time.sleep(10)  # occurrences fall due while the disk is full
        os.unlink(filler)
        freed = time.monotonic()
        self.wait_health(200)
        print(f"\n/healthz 503 {unhealthy_after:.1f} s after the disk filled ({body.strip()!r}); "
              f"200 {time.monotonic() - freed:.1f} s after space returned", flush=True)
        self.assert_said_unhealthy_and_recovered()
        self.finish_and_check()

    def test_io_errors_at_chosen_commits_are_reported_and_recovered_from(self):
        self.boot(config_extra=CONFIG)
        self.add_schedules()
        control = os.path.join(self.root, "faults")
        env = {"LD_PRELOAD": SHIM, "REPORTD_FAULT_FILE": control,
               "REPORTD_FAULT_MATCH": os.path.join(self.box.state, "reportd.db"),
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        self.make_daemon(env).start()
        self.wait_runs_done(2)

        def arm(text):
            with open(control, "w") as f:
                f.write(text)

        def hits():
            try:
                with open(control + ".hits") as f:
                    return {k: int(v) for k, v in (line.split() for line in f)}
            except FileNotFoundError:
                return {}

        # Every fsync, then every pwrite, fails for a while: unhealthy, then
        # recovered without a restart.
        for op in ("fsync EIO", "pwrite EIO", "pwrite ENOSPC"):
            arm(op + "\n")
            self.wait_health(503)
            time.sleep(5)
            arm("")
            self.wait_health(200)
        # Then single failures at random moments: whatever commit comes next
        # (a claim, a run's state, a ledger mark, a heartbeat) fails once.
        rng = random.Random(18)
        for i in range(30):
            arm(f"{rng.choice(['fsync', 'pwrite'])} {rng.choice(['EIO', 'ENOSPC'])} 1\n# {i}\n")
            time.sleep(rng.uniform(0.2, 1.5))
        arm("")
        seen = hits()
        print(f"\nfaults injected: {seen}", flush=True)
        self.assertGreater(seen.get("fsync", 0), 0, seen)
        self.assertGreater(seen.get("pwrite", 0), 0, seen)
        self.wait_health(200)
        self.assert_said_unhealthy_and_recovered()
        # The group commit's own sync failed first: said once, at error
        # priority, with the errno (store/wal_syncer.hpp).
        log = self.daemon.log()
        self.assertEqual(log.count(b"event=store.sync_failed"), 1, "store.sync_failed lines")
        self.assertRegex(log, rb'<3>event=store\.sync_failed error="sync the store\'s WAL: '
                              rb'(Input/output error|No space left on device)')
        self.finish_and_check()


if __name__ == "__main__":
    unittest.main()
