"""Every DST night of three zones end to end (the long version of
tests/faults/dst_test.py): Europe/Berlin, America/New_York and
Australia/Lord_Howe (30-minute shift), spring-forward and fall-back each,
with the real `reportd serve` under libfaketime at REPORTD_DST_SPEED (60x by
default) from 70 minutes before each transition to 70 minutes after. Each
night checks that every fire DESIGN.md §4.2 gives happens exactly once, and
prints one line of figures.

    cmake --build --preset dev --target reportd reportd-sfsim jobs_cron_cli
    REPORTD_BUILD_DIR=build/dev /usr/bin/python3 bench/faults/dst_nights.py [-k Berlin]
"""
import datetime
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "faults"))
from dst_night import DstNightCase  # noqa: E402

NIGHTS = [
    ("Europe/Berlin", datetime.date(2027, 3, 28)),
    ("Europe/Berlin", datetime.date(2027, 10, 31)),
    ("America/New_York", datetime.date(2027, 3, 14)),
    ("America/New_York", datetime.date(2027, 11, 7)),
    ("Australia/Lord_Howe", datetime.date(2027, 4, 4)),
    ("Australia/Lord_Howe", datetime.date(2027, 10, 3)),
]


class DstNights(DstNightCase):
    pass


def night_test(zone, day):
    def test(self):
        print(self.run_night(zone, day), flush=True)
    return test


for zone, day in NIGHTS:
    setattr(DstNights, f"test_{zone.replace('/', '_')}_{day.isoformat()}", night_test(zone, day))

if __name__ == "__main__":
    unittest.main(verbosity=2)
