"""A DST night end to end under libfaketime (see dst_night.py): the fall-back
night of Australia/Lord_Howe, whose clocks go back 30 minutes, run at 60x.
bench/faults/dst_nights.py runs both nights of Europe/Berlin,
America/New_York and Australia/Lord_Howe."""
import datetime
import unittest

from dst_night import DstNightCase


class DstNightTest(DstNightCase):
    def test_lord_howe_fall_back_fires_each_expected_occurrence_once(self):
        print(self.run_night("Australia/Lord_Howe", datetime.date(2027, 4, 4)))


if __name__ == "__main__":
    unittest.main()
