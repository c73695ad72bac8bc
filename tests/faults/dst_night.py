"""One DST night end to end: the real `reportd serve` under libfaketime at a
speed-up (60x by default), started before the night's transition with
fixed-time and interval-like schedules, run until after it. Every fire the
rules of DESIGN.md §4.2 give must happen exactly once, and nothing else.

The expected fires come from two independent sources that must agree first:
reportd's own engine through tests/jobs_cron_cli (checked against the
brute-force oracle by jobs_cron_oracle_test) and a brute force over local
wall-clock minutes with Python's zoneinfo, written here from §4.2 alone.

Used by dst_test.py (one night, in the suite) and bench/faults/dst_nights.py
(three zones, both nights each)."""
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fault_case import BUILD_DIR, LIBFAKETIME, FaultCase, db_rows

CRON_CLI = os.path.join(BUILD_DIR, "tests", "jobs_cron_cli")
SCHEDULES = {  # name: cron; hour field with '*' = interval-like (§4.2)
    "fixed-0230": "30 2 * * *",
    "fixed-halfhours": "0,30 1-3 * * *",
    "interval-30m": "*/30 * * * *",
    "interval-hourly": "15 * * * *",
}
UTC = timezone.utc


def transition(zone, day):
    """The UTC instant (to the minute) of the zone's offset change on the
    local date `day` (a datetime.date)."""
    z = ZoneInfo(zone)
    t = datetime(day.year, day.month, day.day, tzinfo=z).astimezone(UTC) - timedelta(hours=3)
    before = t.astimezone(z).utcoffset()
    for _ in range(30 * 60):
        t += timedelta(minutes=1)
        if t.astimezone(z).utcoffset() != before:
            return t
    raise AssertionError(f"no offset change in {zone} on {day}")


def expand(field, lo, hi):
    values = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/")
            step = int(s)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            a, b = map(int, part.split("-"))
        else:
            a = b = int(part)
        values.update(range(a, b + 1, step))
    return values


def brute_force(cron, zone, start, end):
    """§4.2 by brute force over local minutes: the fires in (start, end]."""
    minute, hour = cron.split()[:2]
    minutes, hours = expand(minute, 0, 59), expand(hour, 0, 23)
    interval_like = hour.startswith("*")
    z = ZoneInfo(zone)

    def instant(local, fold):
        return local.replace(tzinfo=z, fold=fold).astimezone(UTC)

    def exists(local):
        return instant(local, 0).astimezone(z).replace(tzinfo=None) == local

    fires = set()
    local = (start.astimezone(z) - timedelta(hours=2)).replace(tzinfo=None, second=0, microsecond=0)
    last = (end.astimezone(z) + timedelta(hours=2)).replace(tzinfo=None)
    while local <= last:
        if local.minute in minutes and local.hour in hours:
            if not exists(local):
                if not interval_like:  # fires once, when the gap ends
                    after = local
                    while not exists(after):
                        after += timedelta(minutes=1)
                    fires.add(instant(after, 0))
            elif instant(local, 0) != instant(local, 1):  # happens twice
                fires.add(instant(local, 0))
                if interval_like:
                    fires.add(instant(local, 1))
            else:
                fires.add(instant(local, 0))
        local += timedelta(minutes=1)
    return sorted(f for f in fires if start < f <= end)


def engine(cron, zone, start, end):
    """reportd's next_fire() through jobs_cron_cli: the fires in (start, end]."""
    line = f"{cron}\t{zone}\t{start.strftime('%Y-%m-%dT%H:%M:%SZ')}\t40\n"
    out = subprocess.run([CRON_CLI], input=line, capture_output=True, text=True, check=True).stdout
    fires = [datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
             for s in out.split() if s != "never"]
    return [f for f in fires if f <= end]


NO_TIMERFD = os.path.join(BUILD_DIR, "tests", "no_timerfd_shim.so")


def faketime_env(spec):
    return {"LD_PRELOAD": f"{NO_TIMERFD}:{LIBFAKETIME}", "FAKETIME": spec, "FAKETIME_DONT_RESET": "1",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}


def stamp(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


class DstNightCase(FaultCase):
    """run_night() drives one night; the test methods pick which."""

    def run_night(self, zone, day, before=timedelta(minutes=70), after=timedelta(minutes=70),
                  speed=int(os.environ.get("REPORTD_DST_SPEED", "60"))):
        at = transition(zone, day)
        start, end = at - before, at + after
        expected = {}
        for name, cron in SCHEDULES.items():
            oracle, ours = brute_force(cron, zone, start, end), engine(cron, zone, start, end)
            self.assertEqual([stamp(t) for t in ours], [stamp(t) for t in oracle],
                             f"{cron} in {zone}: reportd's engine and the brute force disagree")
            expected[name] = {int(t.timestamp()) for t in oracle}

        # The simulator, the sink and the CLI see the night's start (the
        # simulator's certificate is made valid from then); the daemon runs
        # from there at `speed` times real time.
        saved = dict(os.environ)
        os.environ.update(faketime_env(f"@{stamp(start)}"))
        try:
            self.boot(config_extra="[limits]\nrun_deadline = \"12h\"\nfailures_before_pause = 0\n")
            with open(self.config) as f:
                text = f.read()
            text = text.replace("[smtp]\n", "[smtp]\ntimeout_seconds = 3600\n")
            text = text.replace("[salesforce]\n", "[salesforce]\nrequest_timeout = \"2h\"\n")
            with open(self.config, "w") as f:
                f.write(text)
            for name, cron in SCHEDULES.items():
                self.rd("schedules", "add", name, "--connection", "demo", "--cron", cron, "--tz", zone,
                        "--soql", "SELECT Id, Name FROM Account", "--format", "csv",
                        "--to", f"{name}@example.com")
        finally:
            os.environ.clear()
            os.environ.update(saved)
        began = time.monotonic()
        self.make_daemon(faketime_env(f"@{stamp(start)} x{speed}")).start()
        past_ms = int(end.timestamp() * 1000) + 60_000
        self.wait_for(lambda: db_rows(self.box.state, "SELECT heartbeat_at_ms FROM daemon_state")[0][0]
                      >= past_ms, timeout=(end - start).total_seconds() / speed * 3 + 120,
                      what="the daemon's clock to pass the night")
        self.wait_all_final()
        self.daemon.stop()
        elapsed = time.monotonic() - began

        rows = db_rows(self.box.state, "SELECT s.name, r.nominal_s, r.state FROM runs r "
                       "JOIN schedules s ON s.id = r.schedule_id")
        for name in SCHEDULES:
            got = sorted(n for s, n, _ in rows if s == name and start.timestamp() < n <= end.timestamp())
            self.assertEqual([stamp(datetime.fromtimestamp(n, UTC)) for n in got],
                             [stamp(datetime.fromtimestamp(n, UTC)) for n in sorted(expected[name])],
                             f"{name} ({SCHEDULES[name]}) in {zone}: fires")
            states = {n: st for s, n, st in rows if s == name}
            self.assertEqual({n: states[n] for n in expected[name] if states[n] != "succeeded"}, {},
                             f"{name}: runs that did not succeed")
        self.assertEqual(len(self.messages()), sum(len(v) for v in expected.values()))
        self.assert_integrity()
        return {"zone": zone, "transition": stamp(at), "fires": sum(len(v) for v in expected.values()),
                "speed": speed, "seconds": round(elapsed, 1)}
