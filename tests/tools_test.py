#!/usr/bin/python3
"""Tests of the Python tools (report arithmetic, record reading, compare),
run by ctest with Debian's /usr/bin/python3."""
import io
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
sys.path.insert(0, TOOLS)

import rclab_records  # noqa: E402
import report  # noqa: E402
import compare  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "small.jsonl")


class ReportArithmetic(unittest.TestCase):
    """The fixture's medians: gil 1t wall 1.1 cpu 1.1; gil 2t wall 2.2;
    atomic 1t wall 1.65; atomic 2t wall 1.1 cpu 4.4 (and one failed run)."""

    def setUp(self):
        self.points = rclab_records.group(rclab_records.read_records(FIXTURE))

    def test_cpu_inflation_speedup_and_overhead(self):
        infl, speed, over = report.derived(self.points, ("atomic", 20, 2))
        self.assertAlmostEqual(infl, 4.4 / (2 * 1.1))  # 2.0
        self.assertAlmostEqual(speed, 2 * 1.1 / 1.1)   # 2.0
        self.assertIsNone(over)                        # only defined at 1 thread
        _, speed1, over1 = report.derived(self.points, ("atomic", 20, 1))
        self.assertAlmostEqual(over1, 1.65 / 1.1 - 1)  # +50%
        self.assertAlmostEqual(speed1, 1.1 / 1.65)
        infl_gil2, speed_gil2, _ = report.derived(self.points, ("gil", 20, 2))
        self.assertAlmostEqual(infl_gil2, 2.2 / 2.2)
        self.assertAlmostEqual(speed_gil2, 1.0)

    def test_failed_runs_are_counted_not_averaged(self):
        p = self.points[("atomic", 20, 2)]
        self.assertEqual(len(p["ok"]), 3)
        self.assertEqual(p["failed"], 1)

    def test_table_and_plots_are_written(self):
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), FIXTURE, "-o", d],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            md = open(os.path.join(d, "report.md")).read()
            self.assertIn("| atomic | 2 | 20 | 3 | 1 | 1.1000 (1.0000–1.2000) | 4.4000 (4.0000–4.8000) | 2.00 | 2.00 | — |", md)
            self.assertIn("| atomic | 1 | 20 | 3 | 0 |", md)
            self.assertIn("+50.0%", md)
            for name in ("cpu", "wall", "speedup"):
                for ext in ("png", "svg"):
                    path = os.path.join(d, f"{name}_vs_threads.{ext}")
                    self.assertGreater(os.path.getsize(path), 1000, path)
            self.assertEqual([f for f in os.listdir(d) if f.startswith(".tmp-")], [], "temporary files left behind")


class Reading(unittest.TestCase):
    def test_truncated_last_line_is_reported_with_its_number_and_skipped(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(open(FIXTURE).read())
            f.write('{"config": "gil", "threads": 1, "wall')  # cut short, no newline
            path = f.name
        try:
            warn = io.StringIO()
            recs = rclab_records.read_records(path, warn=warn)
            self.assertEqual(len(recs), 13)
            self.assertIn(f"{path}:14: truncated last record; skipped", warn.getvalue())
        finally:
            os.unlink(path)

    def test_damaged_middle_line_is_reported_and_the_rest_kept(self):
        lines = open(FIXTURE).read().splitlines()
        lines[2] = "garbage"
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write("\n".join(lines) + "\n")
            path = f.name
        try:
            warn = io.StringIO()
            recs = rclab_records.read_records(path, warn=warn)
            self.assertEqual(len(recs), 12)
            self.assertIn(f"{path}:3: not a JSON record; skipped", warn.getvalue())
        finally:
            os.unlink(path)


class Compare(unittest.TestCase):
    def test_smallest_possible_p(self):
        self.assertAlmostEqual(compare.smallest_p(3, 3), 0.1)
        self.assertAlmostEqual(compare.smallest_p(5, 5), 2 / 252)

    def test_separated_samples(self):
        p = compare.compare_samples([1.0, 1.1, 1.2, 1.3, 1.4], [2.0, 2.1, 2.2, 2.3, 2.4])
        self.assertAlmostEqual(p, 2 / 252)

    def test_two_configs_in_one_file(self):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), FIXTURE, "--configs", "gil,atomic"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("| gil → atomic | 2 | 20 | 3/3 | 2.2000 | 1.1000 | 0.500 |", out.stdout)
        self.assertIn("too few repeats", out.stdout)

    def test_unknown_config_is_refused_in_one_line(self):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), FIXTURE, "--configs", "gil,nope"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)


if __name__ == "__main__":
    unittest.main()
