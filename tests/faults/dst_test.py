"""A DST night end to end under libfaketime (see dst_night.py): the fall-back
night of Australia/Lord_Howe, whose clocks go back 30 minutes, run at 120x
(REPORTD_DST_SPEED overrides it; 120x halves the suite's longest clock-bound
wait and passed at load 25).
bench/faults/dst_nights.py runs both nights of Europe/Berlin,
America/New_York and Australia/Lord_Howe."""
import datetime
import os
import unittest

from dst_night import DstNightCase


class DstNightTest(DstNightCase):
    def test_lord_howe_fall_back_fires_each_expected_occurrence_once(self):
        speed = int(os.environ.get("REPORTD_DST_SPEED", "120"))
        print(self.run_night("Australia/Lord_Howe", datetime.date(2027, 4, 4), speed=speed))


if __name__ == "__main__":
    unittest.main()
