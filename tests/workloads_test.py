#!/usr/bin/python3
"""workloads/: the committed marshal files are current, the generator
refuses what the model cannot run, and every workload is right on every
Python on this machine.

- Each workloads/*.py and each compiled/*.marshal matches its sha256 in
  compiled/MANIFEST.json (an edited .py that was not regenerated fails here
  even without 3.6), and the generator refuses any interpreter but 3.6.
- Every workload, single-threaded with a small n, through
  `tools/peer/peer_fib.py --workload` on every Python present (Debian's and
  pyenv's 2.7-3.13): work(n) == expect(n).

Always runs. The generator's own tests, which need pyenv's CPython 3.6.15,
are tests/workloads_generator_test.py.

Nothing here is timed. Run by ctest with Debian's /usr/bin/python3:

    /usr/bin/python3 tests/workloads_test.py
"""
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import unittest

import pyrunner

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(ROOT, "workloads")
COMPILED = os.path.join(WORKLOADS, "compiled")
GENERATOR = os.path.join(ROOT, "tools", "dev", "compile_workloads.py")
PEER_FIB = os.path.join(ROOT, "tools", "peer", "peer_fib.py")
SYSTEM = "/usr/bin/python3"
PYENV = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
INTERPRETERS = [SYSTEM] + sorted(p for p in glob.glob(os.path.join(PYENV, "versions", "*", "bin", "python"))
                                 if os.access(p, os.X_OK))
TIMEOUT = 300  # a bound on a run that never ends; nothing is timed
SMALL_N = 30   # work's n for the correctness runs; fib's argument for fib.py
NAMES = ["churn", "closure", "dict_read", "dict_write", "fib", "queue", "shared_list", "shared_method"]


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(cmd, cwd=ROOT):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class Manifest(unittest.TestCase):
    """Without 3.6: the committed outputs match the committed sources."""

    def setUp(self):
        with open(os.path.join(COMPILED, "MANIFEST.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        self.entries = {e["name"]: e for e in self.manifest["workloads"]}

    def test_the_eight_workloads(self):
        sources = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(WORKLOADS, "*.py")))
        self.assertEqual(sources, NAMES)
        self.assertEqual(sorted(self.entries), NAMES, "MANIFEST.json names a different set: regenerate")
        marshals = sorted(os.path.basename(p)[:-8] for p in glob.glob(os.path.join(COMPILED, "*.marshal")))
        self.assertEqual(marshals, NAMES)

    def test_sources_match_the_manifest(self):
        for name, e in sorted(self.entries.items()):
            with self.subTest(workload=name):
                self.assertEqual(e["source"], "workloads/%s.py" % name)
                self.assertEqual(sha256_of(os.path.join(ROOT, e["source"])), e["source_sha256"],
                                 "%s changed since compiled/ was generated: run %s" % (e["source"],
                                                                                        self.manifest["command"]))

    def test_marshals_match_the_manifest(self):
        for name, e in sorted(self.entries.items()):
            with self.subTest(workload=name):
                self.assertEqual(e["marshal"], "workloads/compiled/%s.marshal" % name)
                self.assertEqual(sha256_of(os.path.join(ROOT, e["marshal"])), e["marshal_sha256"])

    def test_manifest_fields(self):
        m = self.manifest
        self.assertEqual(m["command"], "$(pyenv prefix 3.6.15)/bin/python3.6 tools/dev/compile_workloads.py")
        self.assertTrue(m["python_version"].startswith("3.6."), m["python_version"])
        self.assertEqual(m["marshal_version"], 4)
        self.assertEqual(m["magic"], "330d0d0a")  # 3.6's bytecode (3379)
        for name, e in self.entries.items():
            with self.subTest(workload=name):
                with open(os.path.join(ROOT, e["source"]), encoding="utf-8") as f:
                    src = f.read()
                self.assertEqual(re.findall(r"^N = (\d+)$", src, re.M), [str(e["N"])])
                self.assertTrue(src.startswith("# "), "a # comment header, not a docstring")

    def test_generator_refuses_other_interpreters(self):
        for python in [SYSTEM] + [p for p in INTERPRETERS if "/versions/2." in p]:
            with self.subTest(python=python):
                rc, out, err = run([python, GENERATOR, "--check"])
                self.assertEqual(rc, 2)
                self.assertEqual(out, "")
                self.assertEqual(err.count("\n"), 1, err)
                self.assertIn("needs CPython 3.6", err)


class RunsEverywhere(unittest.TestCase):
    """work(n) == expect(n) through peer_fib.py --workload, one thread, on
    every Python present."""

    def test_every_workload_on_every_python(self):
        self.assertIn(SYSTEM, INTERPRETERS)
        versions = {re.search(r"/versions/(\d+\.\d+)", p).group(1) for p in INTERPRETERS if "/versions/" in p}
        self.assertTrue({"2.7", "3.6"} <= versions or not os.path.isdir(os.path.join(PYENV, "versions")),
                        "pyenv's 2.7 and 3.6 are expected here: %s" % sorted(versions))
        for python in INTERPRETERS:
            for name in NAMES:
                with self.subTest(python=python, workload=name):
                    rc, out, err = run([python, PEER_FIB, "--name", "w", "--threads", "1",
                                        "--workload", os.path.join(WORKLOADS, name + ".py"), "--n", str(SMALL_N)])
                    self.assertEqual(rc, 0, err)
                    rec = json.loads(out)
                    self.assertIs(rec["result_ok"], True, rec["thread_errors"])
                    self.assertEqual((rec["workload"], rec["n"], rec["result"]), (name, SMALL_N, rec["expected"]))


if __name__ == "__main__":
    sys.exit(pyrunner.main())
