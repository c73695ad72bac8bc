"""Independent readers: the PDF that reportd renders, read back by poppler's
pdftotext, pdfinfo and pdffonts: every header and row is there, the headers
repeat on every page, four scripts come back intact, fonts are embedded,
wide tables turn landscape and the scratch cap stops the writer; summary and
matrix reports from the simulator keep their groups, subtotals and grand
total, equal to the simulator's fact map."""
import os
import re
import subprocess
import sys
import tempfile
import json
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sim"))
import sample  # noqa: E402
from simlib import Sim  # noqa: E402

DRIVER = os.path.join(os.environ.get("REPORTD_BUILD_DIR", "build"), "tests", "render_pdf")
BIDI_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"))


def run(*args):
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


class PdfReaders(unittest.TestCase):
    def setUp(self):
        # Even synthetic data stays off persistent disk.
        self.tmp = tempfile.TemporaryDirectory(dir="/dev/shm")
        self.pdf = os.path.join(self.tmp.name, "report.pdf")

    def tearDown(self):
        self.tmp.cleanup()

    def render(self, rows, tz, *extra):
        out = run(DRIVER, self.tmp.name, str(rows), tz, *extra)
        return int(re.search(r"pages=(\d+)", out).group(1))

    def pages(self):
        info = run("pdfinfo", self.pdf)
        return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))

    def page_text(self, n, layout=True):
        args = ["pdftotext", "-f", str(n), "-l", str(n)] + (["-layout"] if layout else [])
        return run(*args, self.pdf, "-").translate(BIDI_MARKS)

    def test_every_row_and_header_on_every_page(self):
        rows, tz = 1200, "Europe/Paris"
        expected_pages = self.render(rows, tz)
        self.assertEqual(self.pages(), expected_pages)
        self.assertGreater(expected_pages, 10)
        seen = []
        for n in range(1, expected_pages + 1):
            text = self.page_text(n)
            for label in sample.LABELS:
                self.assertIn(label, text, f"header {label!r} missing on page {n}")
            self.assertRegex(text, rf"Page {n}\s*$")
            self.assertIn("Pipeline review", text)
            seen += re.findall(r"REC-(\d{6})", text)
        self.assertEqual([int(s) for s in seen], list(range(rows)), "rows in order, each once")
        self.assertIn(f"{rows} rows", self.page_text(expected_pages))
        self.assertIn("Run 2024-12-05 09:00 CET (Europe/Paris)", self.page_text(1))

    def test_values_numbers_and_datetimes_in_the_zone(self):
        tz = "America/New_York"
        self.render(60, tz)
        text = "\n".join(self.page_text(n) for n in range(1, self.pages() + 1))
        for i in range(60):
            rid, _, amount, _, day, when, desc = sample.row(i, tz)
            line = next(l for l in text.splitlines() if rid in l)
            self.assertIn(f"{amount:.2f}", line)
            self.assertIn(day.isoformat(), line)
            self.assertIn(when.strftime("%Y-%m-%d %H:%M:%S"), line, f"row {i}")
            if desc:
                self.assertIn(desc, line)

    def test_numbers_are_right_aligned(self):
        self.render(40, "UTC")
        words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
                           run("pdftotext", "-bbox", "-f", "1", "-l", "1", self.pdf, "-"))
        amounts = [(float(x0), float(x1)) for x0, x1, w in words if re.fullmatch(r"-?\d+\.\d\d", w)]
        self.assertEqual(len(amounts), 40)
        right_edges = [x1 for _, x1 in amounts]
        self.assertLess(max(right_edges) - min(right_edges), 0.5, "amounts end at one x")
        left_edges = [x0 for x0, _ in amounts]
        self.assertGreater(max(left_edges) - min(left_edges), 5, "and start at several")

    def test_four_scripts_extracted_intact(self):
        self.render(3, "UTC", "--scripts")
        text = self.page_text(self.pages(), layout=False)
        for word in ("Crème brûlée naïve", "Привет мир", "日本語の報告", "مرحبا بالعالم"):
            self.assertIn(word, text)

    def test_fonts_embedded(self):
        self.render(20, "UTC", "--scripts")
        fonts = run("pdffonts", self.pdf).splitlines()[2:]
        self.assertTrue(fonts)
        for line in fonts:
            emb = line.split()[-5]
            self.assertEqual(emb, "yes", line)

    def test_wide_table_is_landscape_and_narrow_is_portrait(self):
        self.render(10, "UTC", "--wide", "20")
        info = run("pdfinfo", "-f", "1", "-l", str(self.pages()), self.pdf)
        sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
        self.assertLess(float(sizes[0][0]), float(sizes[0][1]), "sample table: portrait")
        self.assertGreater(float(sizes[-1][0]), float(sizes[-1][1]), "20 columns: landscape")
        last = self.page_text(self.pages())
        self.assertIn("r29 c19", last)

    def test_several_tables_each_with_its_title(self):
        self.render(10, "UTC", "--tables", "2")
        self.assertEqual(self.pages(), 2)
        self.assertIn("Opportunities", self.page_text(1))
        self.assertIn("Table 2", self.page_text(2))

    def test_scratch_cap_stops_the_writer_while_pages_are_written(self):
        r = subprocess.run([DRIVER, self.tmp.name, "20000", "UTC", "--cap", "65536"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("too-large", r.stderr)
        self.assertFalse(os.path.exists(self.pdf))


def totals(fact, names=("Sum of Amount", "Record Count")):
    return "".join(f" \u00b7 {n}: {a['label']}" for n, a in zip(names, fact["aggregates"]))


class ReportSubtotals(unittest.TestCase):
    """The simulator's summary (by stage) and matrix (stage x close year)
    reports, through the real report parser into the PDF."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--rows-opportunity", "90")
        status, _, reports = cls.sim.get("/services/data/v62.0/analytics/reports")
        assert status == 200, reports
        cls.ids = {r["name"]: r["id"] for r in reports}

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(dir="/dev/shm")

    def tearDown(self):
        self.tmp.cleanup()

    def render(self, name):
        """The report's JSON (parsed) and the PDF's text, whitespace collapsed."""
        status, _, raw = self.sim.get("/services/data/v62.0/analytics/reports/%s?includeDetails=true"
                                      % self.ids[name], raw=True)
        self.assertEqual(status, 200)
        path = os.path.join(self.tmp.name, "report.json")
        with open(path, "wb") as f:
            f.write(raw)
        run(DRIVER, self.tmp.name, "0", "UTC", "--tables", "0", "--report", path)
        text = run("pdftotext", "-layout", os.path.join(self.tmp.name, "report.pdf"), "-")
        return json.loads(raw), " ".join(text.split())

    @staticmethod
    def created(report, fact):
        """Each row's Created Date as the PDF shows it (UTC wall time): a
        value unique per row that never wraps, unlike the names."""
        i = report["reportMetadata"]["detailColumns"].index("CREATED_DATE")
        return [r["dataCells"][i]["value"][:19].replace("T", " ") for r in fact["rows"]]

    def assert_in_order(self, text, expected):
        pos = 0
        for e in expected:
            found = text.find(e, pos)
            self.assertGreaterEqual(found, 0, f"{e!r} missing after position {pos}")
            pos = found + len(e)

    def test_summary_groups_subtotals_and_grand_total_in_order(self):
        report, text = self.render("Opportunities by Stage")
        facts, groups = report["factMap"], report["groupingsDown"]["groupings"]
        self.assertGreater(len(groups), 2)
        expected = []
        for g in groups:
            expected.append(f"Stage: {g['label']}")
            expected += self.created(report, facts[g["key"] + "!T"])
            expected.append(f"Subtotal {g['label']}" + totals(facts[g["key"] + "!T"]))
        expected.append("Grand total" + totals(facts["T!T"]))
        self.assert_in_order(text, expected)
        count = sum(a["aggregates"][1]["value"] for k, a in facts.items() if k != "T!T")
        self.assertEqual(count, facts["T!T"]["aggregates"][1]["value"])
        self.assertEqual(text.count("Subtotal "), len(groups))

    def test_matrix_cells_rows_columns_and_grand_total_in_order(self):
        report, text = self.render("Opportunities Stage x Close Year")
        facts = report["factMap"]
        down, across = report["groupingsDown"]["groupings"], report["groupingsAcross"]["groupings"]
        self.assertGreater(len(across), 1)
        expected = []
        for d in down:
            expected.append(f"Stage: {d['label']}")
            for a in across:
                cell = facts.get(d["key"] + "!" + a["key"])
                if cell is None:
                    continue
                expected.append(f"Close Date: {a['label']}")
                expected += self.created(report, cell)
                expected.append(f"Subtotal {d['label']} / {a['label']}" + totals(cell))
            expected.append(f"Subtotal {d['label']}" + totals(facts[d["key"] + "!T"]))
        for a in across:
            expected.append(f"Total Close Date: {a['label']}" + totals(facts["T!" + a["key"]]))
        expected.append("Grand total" + totals(facts["T!T"]))
        self.assert_in_order(text, expected)
        self.assertEqual(text.count("Grand total"), 1)


if __name__ == "__main__":
    unittest.main()
