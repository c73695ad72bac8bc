"""Wall-clock steps under a running `reportd serve` (README, "When
schedules run"): libfaketime reads the daemon's wall-clock offset from a file
the test rewrites, while the monotonic clock runs true. The clock steps
forward 3 h: the latest occurrence runs once as the catch-up, the ones the
step skipped are recorded missed with the step named in the reason, and the
schedule goes on. Then it steps back 1 h: nothing fires twice; the schedule
waits for the wall clock to pass its last occurrence again."""
import os
import time
import unittest

from dst_night import NO_TIMERFD
from fault_case import LIBFAKETIME, FaultCase, db_rows

PERIOD = 10  # seconds between occurrences


class ClockStepsTest(FaultCase):
    def rows(self):
        return db_rows(self.box.state, "SELECT nominal_s, state, reason FROM runs ORDER BY nominal_s")

    def succeeded(self):
        return [n for n, st, _ in self.rows() if st == "succeeded"]

    def test_forward_3h_catches_up_once_and_back_1h_fires_nothing_twice(self):
        self.boot(config_extra="[limits]\nfailures_before_pause = 0\n")
        self.rd("schedules", "add", "steps", "--connection", "demo", "--cron", f"*/{PERIOD} * * * * *",
                "--min-interval", "1s", "--soql", "SELECT Id, Name FROM Account", "--format", "csv",
                "--to", "steps@example.com")
        offset = os.path.join(self.root, "faketime.rc")
        with open(offset, "w") as f:
            f.write("+0\n")
        env = {"LD_PRELOAD": f"{NO_TIMERFD}:{LIBFAKETIME}", "FAKETIME_TIMESTAMP_FILE": offset, "FAKETIME_NO_CACHE": "1",
               "FAKETIME_DONT_FAKE_MONOTONIC": "1",
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        os.environ.pop("FAKETIME", None)  # it would win over the file
        self.make_daemon(env).start()
        self.wait_for(lambda: len(self.succeeded()) >= 2, what="2 runs before the step")

        # Forward 3 h.
        before = max(n for n, _, _ in self.rows())
        stepped_at = time.time()
        with open(offset, "w") as f:
            f.write("+3h\n")
        self.wait_for(lambda: [n for n in self.succeeded() if n > before + 3 * 3600 - 60],
                      what="the catch-up run after the step")
        # Past what may have fired between reading `before` and the step.
        rows = [r for r in self.rows() if r[0] > stepped_at + PERIOD]
        catch_up = [r for r in rows if r[1] != "missed"]
        first_after = catch_up[0][0]
        self.assertGreaterEqual(first_after, stepped_at + 3 * 3600 - PERIOD)
        self.assertEqual(catch_up[0][1], "succeeded")
        missed = [r for r in rows if r[1] == "missed"]
        # The step skipped 3 h of occurrences: the latest 100 are recorded
        # missed (the oldest says older ones are not), none ran but the latest.
        self.assertEqual(len(missed), 100, [r[:2] for r in rows][:5])
        self.assertTrue(all(r[0] < first_after for r in missed))
        self.assertTrue(all("the wall clock stepped forward" in r[2] for r in missed), missed[0])
        self.assertIn("older missed occurrences are not recorded", missed[0][2])
        self.wait_for(lambda: len([n for n in self.succeeded() if n > first_after]) >= 2,
                      what="the schedule to go on after the catch-up")

        # Back 1 h: the next occurrence is now an hour ahead; nothing fires.
        count = len(self.rows())
        latest = max(n for n, _, _ in self.rows())
        with open(offset, "w") as f:
            f.write("+2h\n")
        back_at_ms = int((time.time() + 2 * 3600) * 1000)
        self.wait_for_heartbeat_after(back_at_ms + 4 * PERIOD * 1000)
        self.wait_all_final()
        rows = self.rows()
        self.assertEqual(len(rows), count)
        self.assertEqual([r[:2] for r in rows if r[0] > latest], [], "fired after stepping back")
        self.assertEqual(len(rows), len({r[0] for r in rows}))
        self.assertEqual(self.daemon.stop(), 0)
        nominal_ids = [m["Message-ID"] for m in self.messages()]
        self.assertEqual(len(nominal_ids), len(set(nominal_ids)), "a report mailed twice")
        self.assertEqual(len(nominal_ids), len([r for r in rows if r[1] == "succeeded"]))
        self.assert_integrity()
        print(f"\nforward 3h: 1 catch-up run, {len(missed)} recorded missed ({missed[0][2]!r}); "
              f"back 1h: 0 fires in {4 * PERIOD} s; {len(rows)} occurrences, "
              f"{len(nominal_ids)} messages, none twice", flush=True)


if __name__ == "__main__":
    unittest.main()
