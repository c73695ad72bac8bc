"""Compare reportd's cron engine with croniter (Debian python3-croniter)
where the two dialects agree, and pin down every intended difference
(docs/readme/cron.md lists them). Drives build/tests/jobs_cron_cli."""

import os
import random
import subprocess
import unittest
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from croniter import croniter
from croniter.croniter import CroniterBadDateError

CLI = os.path.join(os.environ.get("REPORTD_BUILD_DIR", "build/dev"), "tests", "jobs_cron_cli")
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def reportd(queries):
    """[(expr, zone, from_utc, n)] -> list of lists of UTC strings, or 'error: ...'."""
    text = "".join(f"{e}\t{z}\t{f.strftime('%Y-%m-%dT%H:%M:%SZ')}\t{n}\n" for e, z, f, n in queries)
    out = subprocess.run([CLI], input=text, capture_output=True, text=True, check=True).stdout
    return [line if line.startswith("error:") else line.split() for line in out.splitlines()]


def croniter_next(expr, zone, start, n):
    it = croniter(expr, start.astimezone(ZoneInfo(zone)))
    return [it.get_next(datetime).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            for _ in range(n)]


def field(rng, lo, hi, names=None):
    """A field both dialects read alike: no `*/k` in day fields (see below)."""
    def value(v):
        return names[v - lo] if names and rng.random() < 0.3 else str(v)
    kind = rng.randrange(5)
    if kind == 0:
        return "*"
    if kind == 1:
        return f"*/{rng.randint(2, min(hi - lo + 1, 15))}"
    if kind == 2:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        return f"{value(a)}-{value(b)}" + (f"/{rng.randint(2, 5)}" if rng.random() < 0.3 else "")
    vals = sorted(rng.sample(range(lo, hi + 1), rng.randint(1, 3)))
    return ",".join(value(v) for v in vals)


def day_field(rng, lo, hi, names=None):
    """Either `*` or a plain list/range that leaves some day out: croniter
    reads `*/k` as unstarred and a full range (`SUN-SAT`) as starred, the
    opposite of Vixie cron (see IntendedDifferences)."""
    if rng.random() < 0.5:
        return "*"
    f = field(rng, lo, hi, names)
    if f.startswith("*") or f in (f"{lo}-{hi}", f"{names[0]}-{names[-1]}" if names else ""):
        return str(rng.randint(lo, hi))
    return f


class CroniterAgreement(unittest.TestCase):
    def test_random_expressions_agree_in_zones_without_dst(self):
        rng = random.Random(20260329)
        zones = ["UTC", "Asia/Kolkata", "Asia/Tokyo", "America/Bogota"]
        cases = []
        for _ in range(1500):
            expr = " ".join([
                field(rng, 0, 59),
                field(rng, 0, 23),
                day_field(rng, 1, 31),
                field(rng, 1, 12, MONTHS),
                day_field(rng, 0, 6, DAYS),
            ])
            start = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(
                seconds=rng.randrange(10 * 365 * 86400))
            cases.append((expr, rng.choice(zones), start, 5))
        got = reportd(cases)
        compared = 0
        croniter_gave_up = []
        for (expr, zone, start, n), mine in zip(cases, got):
            self.assertIsInstance(mine, list, f"{expr}: {mine}")
            if "never" in mine:
                # e.g. `0 0 31 2 *`; croniter loops or raises on those.
                continue
            try:
                theirs = croniter_next(expr, zone, start, n)
            except CroniterBadDateError:
                # croniter gives up on an impossible day of month ORed with a
                # day of week (`0 0 31 4 6`: every Saturday in April).
                croniter_gave_up.append(expr)
                continue
            with self.subTest(expr=expr, zone=zone, start=start.isoformat()):
                self.assertEqual(mine, theirs)
                compared += 1
        self.assertLess(len(croniter_gave_up), 50, croniter_gave_up)
        self.assertGreater(compared, 1400)

    def test_extensions_both_support_agree(self):
        cases = [("0 9 L * *", "UTC"), ("30 8 * * 1#2", "UTC"), ("0 0 * * 0#1", "Asia/Kolkata"),
                 ("15 10 L 2 *", "UTC"), ("0 12 * * SAT#5", "UTC")]
        start = datetime(2026, 1, 15, tzinfo=timezone.utc)
        got = reportd([(e, z, start, 6) for e, z in cases])
        for (expr, zone), mine in zip(cases, got):
            with self.subTest(expr=expr):
                self.assertEqual(mine, croniter_next(expr, zone, start, 6))


class IntendedDifferences(unittest.TestCase):
    """Each case shows croniter and reportd disagreeing, as documented."""

    start = datetime(2026, 2, 1, tzinfo=timezone.utc)

    def test_stepped_day_field_is_starred_in_reportd(self):
        # Vixie: `*/13` starts with `*`, so day-of-month AND day-of-week.
        mine = reportd([("0 0 */13 * 5", "UTC", self.start, 3)])[0]
        self.assertEqual(mine, ["2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z",
                                "2026-05-01T00:00:00Z"])
        theirs = croniter_next("0 0 */13 * 5", "UTC", self.start, 3)
        self.assertEqual(theirs, ["2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z",
                                  "2026-02-14T00:00:00Z"])

    def test_full_range_day_field_is_not_starred_in_reportd(self):
        # Vixie: `SUN-SAT` does not start with `*`, so 17th OR any weekday.
        mine = reportd([("0 0 17 * SUN-SAT", "UTC", self.start, 2)])[0]
        self.assertEqual(mine, ["2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z"])
        self.assertEqual(croniter_next("0 0 17 * SUN-SAT", "UTC", self.start, 1),
                         ["2026-02-17T00:00:00Z"])

    def test_croniter_gives_up_on_an_impossible_day_ored_with_a_weekday(self):
        mine = reportd([("0 0 31 4 6", "UTC", self.start, 1)])[0]
        self.assertEqual(mine, ["2026-04-04T00:00:00Z"])
        with self.assertRaises(CroniterBadDateError):
            croniter_next("0 0 31 4 6", "UTC", self.start, 1)

    def test_nth_weekday_ors_with_day_of_month_in_reportd(self):
        mine = reportd([("0 0 1 * 0#1", "UTC", self.start, 3)])[0]
        self.assertEqual(mine, ["2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
                                "2026-04-05T00:00:00Z"])
        self.assertNotEqual(croniter_next("0 0 1 * 0#1", "UTC", self.start, 3), mine)

    def test_spring_forward_gap_fires_at_gap_end(self):
        start = datetime(2026, 3, 28, 12, tzinfo=timezone.utc)
        mine = reportd([("30 2 * * *", "Europe/Berlin", start, 1)])[0]
        self.assertEqual(mine, ["2026-03-29T01:00:00Z"])
        self.assertNotEqual(croniter_next("30 2 * * *", "Europe/Berlin", start, 1), mine)

    def test_six_fields_put_seconds_first(self):
        mine = reportd([("30 */20 * * * *", "UTC", self.start, 2)])[0]
        self.assertEqual(mine, ["2026-02-01T00:00:30Z", "2026-02-01T00:20:30Z"])
        # croniter reads the sixth field as seconds instead.
        self.assertEqual(croniter_next("*/20 * * * * 30", "UTC", self.start, 2), mine)

    def test_last_weekday_of_month_is_written_5L(self):
        mine = reportd([("0 0 * * 5L", "UTC", self.start, 2)])[0]
        self.assertEqual(mine, croniter_next("0 0 * * L5", "UTC", self.start, 2))
        self.assertTrue(reportd([("0 0 * * L5", "UTC", self.start, 1)])[0].startswith("error:"))

    def test_impossible_expressions_say_never(self):
        self.assertEqual(reportd([("0 0 30 2 *", "UTC", self.start, 1)])[0], ["never"])

    def test_nearest_weekday_is_an_extension(self):
        self.assertEqual(reportd([("0 0 15W * *", "UTC", self.start, 1)])[0],
                         ["2026-02-16T00:00:00Z"])
        with self.assertRaises(Exception):
            croniter("0 0 15W * *", self.start)


if __name__ == "__main__":
    unittest.main(verbosity=1)
