"""Re-derives the sample table of jobs/render/sample_table.cpp independently."""
import datetime
from zoneinfo import ZoneInfo

NAMES = ["Plain", "Comma, inside", 'Quote "q"', "Line1\nLine2", "=SUM(A1:A2)",
         "+cmd", "-minus", "@at", "\tTab", "Ünïcødé ☃ 日本", "", ".dot start", "CR\rinside"]
LABELS = ["Record Id", "Name", "Amount", "Active", "Close Date", "Created", "Description"]
EPOCH = datetime.date(1970, 1, 1)


def row(i, tz):
    """Typed values: (str|None, str, float, bool|None, date, aware datetime, str|None)."""
    amount = (i * 37 % 1000) - 500 + 0.25
    active = None if i % 7 == 6 else (i % 3 == 0)
    day = EPOCH + datetime.timedelta(days=19000 + i % 5000)
    ms = 1700000000000 + (i % 100000) * 25200000 + (123 if i % 5 == 0 else 0)
    when = datetime.datetime.fromtimestamp(ms / 1000, ZoneInfo(tz))
    when = when.replace(microsecond=(ms % 1000) * 1000)
    desc = None if i % 4 == 0 else f"desc {i}"
    return (f"REC-{i:06d}", NAMES[i % len(NAMES)], amount, active, day, when, desc)


def guard(s):
    return "'" + s if s and s[0] in "=+-@\t\r" else s


def csv_row(i, tz):
    rid, name, amount, active, day, when, desc = row(i, tz)
    spec = "milliseconds" if when.microsecond else "seconds"
    return [rid, guard(name), f"{amount:.2f}", "" if active is None else str(active).lower(),
            day.isoformat(), when.isoformat(timespec=spec), desc or ""]
