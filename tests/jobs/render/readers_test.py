"""Independent readers: the CSV and XLSX that reportd renders, read back by
Python's csv module and by openpyxl, hold the sample table's exact values and types."""
import csv
import datetime
import os
import re
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
import sample  # noqa: E402

import openpyxl  # noqa: E402

DRIVER = os.path.join(os.environ.get("REPORTD_BUILD_DIR", "build"), "tests", "render_sample")


def ooxml_text(v):
    """Undo ST_Xstring escapes (_x000D_), as Excel does; openpyxl leaves them."""
    if not isinstance(v, str):
        return v
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), v)


def render(tmp, rows, tz, *extra):
    subprocess.run([DRIVER, tmp, str(rows), tz, *extra], check=True, capture_output=True)


class Readers(unittest.TestCase):
    def setUp(self):
        # Even synthetic data stays off persistent disk.
        self.tmp = tempfile.TemporaryDirectory(dir="/dev/shm")

    def tearDown(self):
        self.tmp.cleanup()

    def test_csv_reads_back_identical(self):
        for tz in ("Europe/Paris", "America/New_York", "UTC"):
            render(self.tmp.name, 500, tz, "--bom")
            with open(os.path.join(self.tmp.name, "report.csv"), newline="", encoding="utf-8") as f:
                raw = f.read()
            self.assertTrue(raw.startswith("\ufeff"))
            body = raw[1:]
            # Every record ends in CRLF; embedded LFs are only inside quotes.
            self.assertTrue(body.endswith("\r\n"))
            got = list(csv.reader(body.splitlines(keepends=True), strict=True))
            self.assertEqual(got[0], sample.LABELS)
            self.assertEqual(len(got), 501)
            for i in range(500):
                self.assertEqual(got[i + 1], sample.csv_row(i, tz), f"row {i} tz {tz}")

    def test_xlsx_reads_back_identical_values_and_types(self):
        for tz in ("Europe/Paris", "Asia/Kolkata"):
            render(self.tmp.name, 500, tz)
            wb = openpyxl.load_workbook(os.path.join(self.tmp.name, "report.xlsx"))
            self.assertEqual(wb.sheetnames, ["Opportunities"])
            ws = wb["Opportunities"]
            rows = list(ws.iter_rows(values_only=True))
            self.assertEqual(list(rows[0]), sample.LABELS)
            self.assertEqual(len(rows), 501)
            self.assertEqual(ws.freeze_panes, "A2")
            self.assertEqual(ws.auto_filter.ref, "A1:G501")
            self.assertGreater(ws.column_dimensions["B"].width, 10)
            for i in range(500):
                rid, name, amount, active, day, when, desc = sample.row(i, tz)
                got = rows[i + 1]
                self.assertEqual(got[0], rid)
                self.assertEqual(ooxml_text(got[1]), name if name else None)  # empty text is an empty cell
                self.assertIsInstance(got[2], float)
                self.assertEqual(got[2], amount)
                self.assertEqual(got[3], active)
                self.assertIsInstance(got[4], datetime.datetime)
                self.assertEqual(got[4].date(), day)
                self.assertEqual(ws.cell(i + 2, 5).number_format, "yyyy-mm-dd")
                local = when.replace(tzinfo=None)
                self.assertLess(abs((got[5] - local).total_seconds()), 0.002, f"row {i}")
                self.assertEqual(ws.cell(i + 2, 6).number_format, "yyyy-mm-dd hh:mm:ss")
                self.assertEqual(got[6], desc)

    def test_xlsx_numbers_are_written_as_printf_16G(self):
        """Numbers and serial dates are the text printf("%.16G") gives (libxlsxwriter's
        format), though written without printf; the zip's CRCs check out."""
        render(self.tmp.name, 500, "Europe/Paris")
        with zipfile.ZipFile(os.path.join(self.tmp.name, "report.xlsx")) as z:
            self.assertIsNone(z.testzip())
            xml = z.read("xl/worksheets/sheet1.xml").decode()
        values = re.findall(r'<c(?: r="[A-Z]+[0-9]+")?(?: s="[0-9]")?><v>([^<]*)</v>', xml)
        self.assertGreater(len(values), 1000)
        for v in values:
            self.assertEqual(v, "%.16G" % float(v))

    def test_xlsx_several_tables_and_sheet_overflow_lose_nothing(self):
        render(self.tmp.name, 250, "UTC", "--tables", "2", "--sheet-rows", "100")
        wb = openpyxl.load_workbook(os.path.join(self.tmp.name, "report.xlsx"), read_only=True)
        self.assertEqual(wb.sheetnames, ["Opportunities", "Opportunities (2)", "Opportunities (3)",
                                         "Sheet 2", "Sheet 2 (2)", "Sheet 2 (3)"])
        ids = [r[0] for s in wb.sheetnames[:3] for r in list(wb[s].iter_rows(values_only=True))[1:]]
        self.assertEqual(ids, [f"REC-{i:06d}" for i in range(250)])
        self.assertTrue(os.path.exists(os.path.join(self.tmp.name, "report-Sheet 2.csv")))


if __name__ == "__main__":
    unittest.main()
