#!/usr/bin/python3
"""Bad inputs to `rclab report` and `rclab compare`: each must end with
exit status 2 and exactly one line on stderr (naming the file, and the line
and field when there is one) — never a traceback. Run by ctest with
Debian's /usr/bin/python3."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import pyrunner

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
GOOD = os.path.join(HERE, "fixtures", "records", "valid", "model.jsonl")


def good_line():
    with open(GOOD, encoding="utf-8") as f:
        return json.loads(f.readline())


def line_with(**changes):
    rec = good_line()
    for k, v in changes.items():
        if v is KeyError:
            rec.pop(k)
        else:
            rec[k] = v
    return json.dumps(rec)


# name -> (file content as bytes, what the one line must contain)
CASES = {
    "empty": (b"", "empty file"),
    "blank-lines": (b"\n \n\t\n", "empty file"),
    "binary": (bytes(range(256)) * 4, "binary file"),
    "not-utf8": (b'{"config": "\xff\xfe"}\n{"a": 1}\n', ":1: not UTF-8"),
    "only-a-truncated-line": (b'{"schema": 2, "config": "gil", "wall', "no records (truncated last record"),
    "not-json-at-all": (b"hello\nworld\n", "no records (not a JSON record"),
    "json-but-not-objects": (b"[1, 2]\n3\n", "no records"),
    "deep-nesting": (b"[" * 100000 + b"\n", "no records"),
    "missing-wall": (line_with(wall_s=KeyError).encode() + b"\n", ":1: field 'wall_s': missing"),
    "string-for-number": (line_with(cpu_s="0.1").encode() + b"\n", ":1: field 'cpu_s':"),
    "nan": (line_with().replace('"wall_s": 0.1', '"wall_s": NaN').encode() + b"\n",
            ":1: field 'wall_s': NaN is not a finite number"),
    "infinity": (line_with().replace('"cpu_s": 0.1', '"cpu_s": -Infinity').encode() + b"\n",
                 ":1: field 'cpu_s': -Infinity is not a finite number"),
    "huge-exponent": (line_with().replace('"cpu_s": 0.1', '"cpu_s": 1e999').encode() + b"\n",
                      ":1: field 'cpu_s': 1e999 is not a finite number"),
    "zero-baseline": (line_with(wall_s=0.0).encode() + b"\n", ":1: field 'wall_s'"),
    "threads-zero": (line_with(threads=0).encode() + b"\n", ":1: field 'threads'"),
    "bad-second-line": ((line_with() + "\n" + line_with(n=-1)).encode() + b"\n", ":2: field 'n'"),
    "null-record-fields": (line_with(machine=None).encode() + b"\n", ":1: field 'machine'"),
}


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def file(self, name, data):
        path = os.path.join(self.dir, name + ".jsonl")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_tool(self, tool, *args, env=None):
        return subprocess.run([sys.executable, os.path.join(TOOLS, tool), *args], capture_output=True, text=True,
                              env=env, timeout=120)

    def assertRefused(self, out, contains=""):
        lines = out.stderr.splitlines()
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertEqual(len(lines), 1, out.stderr)
        self.assertNotIn("Traceback", out.stderr)
        self.assertIn(contains, lines[0])


class Report(Base):
    def test_every_bad_file(self):
        for name, (data, want) in CASES.items():
            with self.subTest(name):
                path = self.file(name, data)
                self.assertRefused(self.run_tool("report.py", path, "-o", os.path.join(self.dir, "out-" + name)),
                                   path + want if want.startswith(":") else want)

    def test_missing_file(self):
        self.assertRefused(self.run_tool("report.py", os.path.join(self.dir, "nope.jsonl")), "no such file")

    def test_folder_as_input(self):
        self.assertRefused(self.run_tool("report.py", self.dir), "not a regular file")
        self.assertRefused(self.run_tool("report.py", "/dev/zero"), "not a regular file")

    def test_output_is_an_existing_file(self):
        target = self.file("taken", b"x")
        self.assertRefused(self.run_tool("report.py", GOOD, "-o", target), "exists and is not a folder")
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"x")  # untouched

    def test_output_cannot_be_created(self):
        self.assertRefused(self.run_tool("report.py", GOOD, "-o", "/proc/rclab-no-such/out"), "cannot create")

    def test_output_folder_read_only(self):
        # A folder nobody may write into, root included: procfs' process folders.
        self.assertRefused(self.run_tool("report.py", GOOD, "-o", "/proc/self"), "not writable")

    def test_output_folder_cannot_be_written(self):
        # Paths that refuse even root: a folder under a regular file (ENOTDIR),
        # and /dev/full (below), where every write fails (ENOSPC).
        taken = self.file("taken", b"x")
        self.assertRefused(self.run_tool("report.py", GOOD, "-o", os.path.join(taken, "out")), "cannot create")
        with open(taken, "rb") as f:
            self.assertEqual(f.read(), b"x")  # untouched

    def test_writes_that_fail_are_refused_in_one_line(self):
        # stdout on /dev/full: the report's Markdown cannot be written out.
        out_dir = os.path.join(self.dir, "out")
        with open("/dev/full", "w") as full:
            p = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), GOOD, "-o", out_dir],
                               stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        self.assertIn("No space left on device", p.stderr)

    def test_bad_arguments(self):
        self.assertRefused(self.run_tool("report.py"))
        self.assertRefused(self.run_tool("report.py", GOOD, "--bogus"))

    def test_without_matplotlib_the_tables_are_still_written(self):
        # A matplotlib that cannot be imported, first on the path.
        fake = os.path.join(self.dir, "fake")
        os.makedirs(os.path.join(fake, "matplotlib"))
        with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
            f.write("raise ImportError('No module named matplotlib', name='matplotlib')\n")
        out_dir = os.path.join(self.dir, "out")
        out = self.run_tool("report.py", GOOD, "-o", out_dir, env=dict(os.environ, PYTHONPATH=fake))
        self.assertEqual(out.returncode, 0, out.stderr)
        warnings = [ln for ln in out.stderr.splitlines() if "warning" in ln]
        self.assertEqual(len(warnings), 1, out.stderr)
        self.assertIn("plots skipped", warnings[0])
        self.assertTrue(os.path.getsize(os.path.join(out_dir, "report.md")) > 100)
        self.assertTrue(os.path.exists(os.path.join(out_dir, "report.html")))
        self.assertFalse([f for f in os.listdir(out_dir) if f.endswith(".png")])


class Compare(Base):
    def test_every_bad_file_on_either_side(self):
        for name, (data, want) in CASES.items():
            with self.subTest(name):
                path = self.file(name, data)
                self.assertRefused(self.run_tool("compare.py", path, GOOD))
                self.assertRefused(self.run_tool("compare.py", GOOD, path))
                self.assertRefused(self.run_tool("compare.py", path, "--configs", "gil,atomic"))

    def test_missing_file(self):
        self.assertRefused(self.run_tool("compare.py", GOOD, os.path.join(self.dir, "nope.jsonl")), "no such file")
        self.assertRefused(self.run_tool("compare.py", "/dev/zero", GOOD), "not a regular file")

    def test_bad_arguments(self):
        self.assertRefused(self.run_tool("compare.py"))
        self.assertRefused(self.run_tool("compare.py", GOOD))
        self.assertRefused(self.run_tool("compare.py", GOOD, GOOD, GOOD))
        self.assertRefused(self.run_tool("compare.py", GOOD, "--configs", "gil"))
        self.assertRefused(self.run_tool("compare.py", GOOD, "--configs", ",gil"))
        self.assertRefused(self.run_tool("compare.py", GOOD, GOOD, "--configs", "gil,atomic"))



class Scaling(Base):
    def test_every_bad_file(self):
        for name, (data, want) in CASES.items():
            with self.subTest(name):
                self.assertRefused(self.run_tool("scaling.py", self.file(name, data)))

    def test_missing_file(self):
        self.assertRefused(self.run_tool("scaling.py", os.path.join(self.dir, "nope.jsonl")), "no such file")
        self.assertRefused(self.run_tool("scaling.py", "/dev/zero"), "not a regular file")

    def test_bad_arguments(self):
        self.assertRefused(self.run_tool("scaling.py"))
        self.assertRefused(self.run_tool("scaling.py", GOOD, "--threads", "1"), "above 1 thread")
        self.assertRefused(self.run_tool("scaling.py", GOOD, "--threads", "two"), "whole numbers")
        self.assertRefused(self.run_tool("scaling.py", GOOD, "--threads", "64"), "no point at 64 threads")
        self.assertRefused(self.run_tool("scaling.py", GOOD, "--configs", "gil,nosuch"), "nosuch not in the file")
        self.assertRefused(self.run_tool("scaling.py", GOOD, "--configs", "gil,"), "empty item")


if __name__ == "__main__":
    sys.exit(pyrunner.main())
