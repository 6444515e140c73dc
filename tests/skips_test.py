#!/usr/bin/python3
"""The skip machinery: tests/pyrunner.py's exit codes (0 all passed, 1 a
failure or a mixed suite, 77 all skipped with one `SKIPPED:` line), through
a real ctest (a throwaway CMake project, SKIP_RETURN_CODE 77 as
tests/CMakeLists.txt sets it); tests/skip_report.py on that ctest's log;
tests/conditions.py's table against the tests that use it. Deterministic:
no timing, nothing from the network.

    /usr/bin/python3 tests/skips_test.py
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

import conditions
import pyrunner
import skip_report

HERE = os.path.dirname(os.path.abspath(__file__))

PRELUDE = f"""\
import sys, unittest
sys.path.insert(0, {HERE!r})
import conditions, pyrunner
conditions.CONDITIONS.append(conditions.Condition("absent-thing", "a thing", "never", "get the thing", [],
                                                 lambda: (False, "no thing here")))
conditions.CONDITIONS.append(conditions.Condition("present-thing", "a thing", "always", "nothing", [],
                                                 lambda: (True, "/the/thing")))
conditions.BY_NAME.update((c.name, c) for c in conditions.CONDITIONS)
"""

SUITES = {
    "all_pass": """
class T(unittest.TestCase):
    def test_a(self): pass
    def test_b(self): pass
""",
    "one_fails": """
class T(unittest.TestCase):
    def test_a(self): pass
    def test_b(self): self.fail("no")
""",
    "all_skip": """
@conditions.needs("absent-thing")
class T(unittest.TestCase):
    def test_a(self): pass
    def test_b(self): pass
""",
    "mixed": """
class T(unittest.TestCase):
    def test_a(self): pass
    @conditions.needs("absent-thing")
    def test_b(self): pass
""",
    "skip_in_setupclass": """
class T(unittest.TestCase):
    @classmethod
    def setUpClass(cls): raise unittest.SkipTest("absent-thing: no thing here")
    def test_a(self): pass
""",
    "met_condition_runs": """
@conditions.needs("present-thing")
class T(unittest.TestCase):
    def test_a(self): self.assertEqual(conditions.get("present-thing").value, "/the/thing")
""",
    "no_tests": """
x = 1
""",
    "skip_and_fail": """
class T(unittest.TestCase):
    def test_a(self): self.fail("no")
    @conditions.needs("absent-thing")
    def test_b(self): pass
""",
}
EXPECTED = {"all_pass": 0, "one_fails": 1, "all_skip": 77, "mixed": 1, "skip_in_setupclass": 77,
            "met_condition_runs": 0, "no_tests": 1, "skip_and_fail": 1}


def write_suites(d):
    paths = {}
    for name, body in SUITES.items():
        path = os.path.join(d, name + ".py")
        with open(path, "w") as f:
            f.write(PRELUDE + textwrap.dedent(body) + "\nif __name__ == '__main__':\n    sys.exit(pyrunner.main())\n")
        paths[name] = path
    return paths


class Runner(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.paths = write_suites(self.tmp)

    def run_suite(self, name, *args):
        return subprocess.run([sys.executable, self.paths[name], *args], capture_output=True, text=True, timeout=120)

    def test_exit_codes(self):
        for name, want in EXPECTED.items():
            with self.subTest(suite=name):
                p = self.run_suite(name)
                self.assertEqual(p.returncode, want, p.stdout + p.stderr)

    def test_a_skipped_suite_prints_one_line_naming_it_and_the_condition(self):
        p = self.run_suite("all_skip")
        self.assertEqual(p.stdout.splitlines(), ["SKIPPED: all_skip: absent-thing: no thing here "
                                                 "(to run it: get the thing)"])

    def test_a_mixed_suite_says_split_it(self):
        p = self.run_suite("mixed")
        self.assertIn("split this suite", p.stdout)
        self.assertIn("absent-thing", p.stdout)
        self.assertNotIn("SKIPPED:", p.stdout)

    def test_a_failure_wins_over_a_skip(self):
        p = self.run_suite("skip_and_fail")
        self.assertTrue(p.stdout.startswith("FAILED: skip_and_fail"), p.stdout)

    def test_binary_argument_and_selection(self):
        p = self.run_suite("all_pass", "/some/rclab", "-k", "test_a")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Ran 1 test", p.stderr)
        self.assertEqual(self.run_suite("all_pass", "--bogus").returncode, 2)


class ThroughCtest(unittest.TestCase):
    """The suites above as ctest tests with SKIP_RETURN_CODE 77, and a gtest-style
    skip (SKIP_REGULAR_EXPRESSION, as gtest_discover_tests sets it); then
    skip_report on the log ctest wrote."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        paths = write_suites(cls.tmp)
        lines = ["cmake_minimum_required(VERSION 3.20)", "project(skips NONE)", "enable_testing()"]
        for name, path in paths.items():
            lines.append(f'add_test(NAME {name} COMMAND {sys.executable} {path})')
            lines.append(f"set_tests_properties({name} PROPERTIES SKIP_RETURN_CODE 77)")
        gtest_out = "x_test.cpp:12: Skipped\\nno counters here\\n[  SKIPPED ] X.Y (0 ms)\\n"
        lines.append(f"add_test(NAME gtest_skip COMMAND printf \"{gtest_out}\")")
        lines.append('set_tests_properties(gtest_skip PROPERTIES SKIP_REGULAR_EXPRESSION "\\\\[  SKIPPED \\\\]")')
        with open(os.path.join(cls.tmp, "CMakeLists.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        cls.build = os.path.join(cls.tmp, "build")
        subprocess.run(["cmake", "-S", cls.tmp, "-B", cls.build], check=True, capture_output=True, timeout=120)
        cls.ctest = subprocess.run(["ctest", "-j2"], cwd=cls.build, capture_output=True, text=True, timeout=300)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def test_ctest_sees_skips_as_skips_and_mixed_suites_as_failures(self):
        out = self.ctest.stdout
        for name, want in EXPECTED.items():
            with self.subTest(suite=name):
                if want == 77:
                    self.assertRegex(out, rf"\d+ - {name} \(Skipped\)")
                elif want == 1:
                    self.assertRegex(out, rf"\d+ - {name} \(Failed\)")
                else:
                    self.assertNotRegex(out, rf"\d+ - {name} \(")

    def test_skip_report_lists_every_skip_with_its_reason(self):
        found = dict(skip_report.skips(self.build))
        self.assertEqual(set(found), {"all_skip", "skip_in_setupclass", "gtest_skip"})
        self.assertEqual(found["all_skip"], "absent-thing: no thing here (to run it: get the thing)")
        self.assertEqual(found["skip_in_setupclass"], "absent-thing: no thing here")
        self.assertEqual(found["gtest_skip"], "no counters here")

    def test_skip_report_output_and_status(self):
        import io
        buf = io.StringIO()
        with mock.patch.dict(conditions.BY_NAME, {"absent-thing": conditions.Condition(
                "absent-thing", "a thing", "never", "get the thing", [], lambda: (False, "no thing here"))}):
            self.assertEqual(skip_report.report([self.build], buf), 0)
        text = buf.getvalue()
        self.assertIn("3 test(s) skipped", text)
        self.assertIn("condition absent-thing: not met here (detected by: never)", text)
        self.assertIn("condition: none in tests/conditions.py names this skip", text)
        # A skip whose condition is met here should have run: the report fails.
        buf = io.StringIO()
        with mock.patch.dict(conditions.BY_NAME, {"absent-thing": conditions.Condition(
                "absent-thing", "a thing", "never", "get the thing", [], lambda: (True, "/found"))}):
            self.assertEqual(skip_report.report([self.build], buf), 1)
        self.assertIn("IS met here (/found): this test should have run", buf.getvalue())

    def test_no_log_is_said(self):
        import io
        buf = io.StringIO()
        self.assertEqual(skip_report.report([self.tmp], buf), 0)
        self.assertIn("no ctest log", buf.getvalue())


def ctest_python_tests():
    """{script: ctest name} of the Python tests tests/CMakeLists.txt registers."""
    with open(os.path.join(HERE, "CMakeLists.txt"), encoding="utf-8") as f:
        text = f.read()
    return {script: name for name, script in re.findall(r"rclab_python_test\((\w+) (\w+\.py)", text)}


class Conditions(unittest.TestCase):
    def test_the_table_is_complete(self):
        registered = set(ctest_python_tests().values())
        names = set()
        for c in conditions.CONDITIONS:
            with self.subTest(condition=c.name):
                self.assertRegex(c.name, r"^[a-z0-9][a-z0-9.-]*$")  # a skip reason's first word
                self.assertNotIn(c.name, names)
                names.add(c.name)
                self.assertTrue(c.what and c.detected and c.satisfy and c.needed_by)
                self.assertLessEqual(set(c.needed_by), registered, "needed_by names a test ctest does not have")
                met, detail = c.check()
                self.assertIsInstance(met, bool)
                self.assertTrue(detail)
                self.assertTrue(c.reason().startswith(c.name + ": "))

    def test_suites_take_their_skips_from_the_table(self):
        """Every `conditions.needs(...)` in a suite names a condition whose
        needed_by lists that suite, and no suite skips by itself."""
        by_script = ctest_python_tests()
        used = {}
        for path in sorted(glob.glob(os.path.join(HERE, "*.py"))):
            script = os.path.basename(path)
            if script in ("conditions.py", "skips_test.py", "pyrunner.py", "skip_report.py"):
                continue
            with open(path, encoding="utf-8") as f:
                src = f.read()
            with self.subTest(script=script):
                self.assertNotRegex(src, r"skipIf|skipUnless|skipTest|unittest\.skip\(|SkipTest",
                                    "skip through tests/conditions.py, not by hand")
                for args in re.findall(r"conditions\.needs\(([^)]*)\)", src):
                    for name in re.findall(r'"([^"]+)"', args):
                        self.assertIn(name, conditions.BY_NAME)
                        self.assertIn(by_script.get(script), conditions.get(name).needed_by,
                                      f"{name}'s needed_by does not list {script}'s ctest name")
                        used.setdefault(name, set()).add(by_script.get(script))
        for c in conditions.CONDITIONS:
            self.assertEqual(set(c.needed_by), used.get(c.name, set()), f"{c.name}: needed_by is stale")

    def test_every_python_suite_goes_through_the_runner(self):
        for script in ctest_python_tests():
            with self.subTest(script=script):
                with open(os.path.join(HERE, script), encoding="utf-8") as f:
                    src = f.read()
                if script == "readme_test.py":
                    continue  # a plain check (exit 0 or 1) with nothing to skip
                self.assertIn("sys.exit(pyrunner.main())", src)

    def test_peers_file_location(self):
        cases = [({"RCLAB_PEERS": "/x/p.json", "RCLAB_CACHE": "/c"}, "/x/p.json"),
                 ({"RCLAB_CACHE": "/c", "XDG_CACHE_HOME": "/xdg", "HOME": "/h"}, "/c/peers/peers.json"),
                 ({"XDG_CACHE_HOME": "/xdg", "HOME": "/h"}, "/xdg/rclab/peers/peers.json"),
                 ({"HOME": "/h"}, "/h/.cache/rclab/peers/peers.json")]
        for env, want in cases:
            with self.subTest(env=env):
                with mock.patch.dict(os.environ, env, clear=True):
                    self.assertEqual(conditions.peers_file_path(), want)

    def test_a_named_peers_file_that_is_missing_is_met_so_the_test_fails(self):
        with mock.patch.dict(os.environ, {"RCLAB_PEERS": "/no/such/peers.json"}):
            c = conditions.Condition("p", "", "", "", ["x"], conditions._peers_file)
            self.assertEqual(c.check(), (True, "/no/such/peers.json"))


if __name__ == "__main__":
    sys.exit(pyrunner.main())
