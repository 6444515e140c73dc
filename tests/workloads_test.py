#!/usr/bin/python3
"""workloads/: the committed marshal files are current for every
generation, the generator refuses what the model cannot run, and every
workload is right on every Python on this machine.

- The generations are runtime/*/opcodes.json (py36, py313, ...), each with
  its workloads/compiled/GEN/: each workloads/*.py and each
  compiled/GEN/*.marshal matches its sha256 in compiled/GEN/MANIFEST.json (an
  edited .py that was not regenerated fails here even without a real 3.6 or
  3.13), every generation lists the same workloads with the same N and
  source sha256, and compiled/ holds nothing else. For every generation the
  generator refuses every interpreter present whose version is not that
  generation's "python" (one line, exit 2).
- Every workload, single-threaded with a small n, through
  `tools/peer/peer_fib.py --workload` on every Python present (Debian's and
  pyenv's 2.7-3.13): work(n) == expect(n).

Always runs. The generator's own tests, which need a real CPython of the
generation, are tests/workloads_generator_test.py (py36, pyenv's 3.6.15)
and tests/workloads_generator_py313_test.py (py313, a real 3.13).

Nothing here is timed. Run by ctest with Debian's /usr/bin/python3:

    /usr/bin/python3 tests/workloads_test.py
"""
import glob
import json
import os
import re
import sys
import unittest

import pyrunner
from generator_cases import run, sha256_of

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(ROOT, "workloads")
COMPILED = os.path.join(WORKLOADS, "compiled")
GENERATOR = os.path.join(ROOT, "tools", "compile_workloads.py")
PEER_FIB = os.path.join(ROOT, "tools", "peer", "peer_fib.py")
SYSTEM = "/usr/bin/python3"
PYENV = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
INTERPRETERS = [SYSTEM] + sorted(p for p in glob.glob(os.path.join(PYENV, "versions", "*", "bin", "python"))
                                 if os.access(p, os.X_OK))
SMALL_N = 30   # work's n for the correctness runs; fib's argument for fib.py
# The workloads are the .py files in workloads/: that folder is the one
# list; everything below checks the other places agree with it.
NAMES = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "workloads", "*.py")))


def generations():
    """{name: its runtime/NAME/opcodes.json}: the one list of generations."""
    out = {}
    for path in glob.glob(os.path.join(ROOT, "runtime", "*", "opcodes.json")):
        with open(path, encoding="utf-8") as f:
            out[os.path.basename(os.path.dirname(path))] = json.load(f)
    return out


def version_of(python):
    """major.minor of an interpreter, asked from it."""
    rc, out, _ = run([python, "-c", "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"])
    return out if rc == 0 else None


class Manifest(unittest.TestCase):
    """Without a real 3.6 or 3.13: the committed outputs match the committed
    sources, in every generation."""

    def setUp(self):
        self.generations = generations()
        self.manifests = {}
        for gen in self.generations:
            with open(os.path.join(COMPILED, gen, "MANIFEST.json"), encoding="utf-8") as f:
                self.manifests[gen] = json.load(f)

    def entries(self, gen):
        return {e["name"]: e for e in self.manifests[gen]["workloads"]}

    def test_the_generations(self):
        self.assertIn("py36", self.generations)
        self.assertIn("py313", self.generations)
        for gen, spec in self.generations.items():
            with self.subTest(generation=gen):
                self.assertEqual(spec["generation"], gen)
                self.assertRegex(spec["python"], r"^\d+\.\d+$")
        folders = sorted(f for f in os.listdir(COMPILED) if not f.startswith("."))
        self.assertEqual(folders, sorted(self.generations),
                         "workloads/compiled/ holds one folder per generation of runtime/*/opcodes.json, nothing else")

    def test_the_workloads_everywhere(self):
        sources = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(WORKLOADS, "*.py")))
        self.assertEqual(sources, NAMES)
        for gen in self.generations:
            with self.subTest(generation=gen):
                self.assertEqual(sorted(self.entries(gen)), NAMES,
                                 "compiled/%s/MANIFEST.json names a different set: regenerate" % gen)
                marshals = sorted(os.path.basename(p)[:-8] for p in glob.glob(os.path.join(COMPILED, gen, "*.marshal")))
                self.assertEqual(marshals, NAMES)
                self.assertEqual(sorted(os.listdir(os.path.join(COMPILED, gen))),
                                 sorted(["MANIFEST.json"] + [n + ".marshal" for n in NAMES]))

    def test_sources_match_the_manifest(self):
        for gen in self.generations:
            for name, e in sorted(self.entries(gen).items()):
                with self.subTest(generation=gen, workload=name):
                    self.assertEqual(e["source"], "workloads/%s.py" % name)
                    self.assertEqual(sha256_of(os.path.join(ROOT, e["source"])), e["source_sha256"],
                                     "%s changed since compiled/%s/ was generated: run %s"
                                     % (e["source"], gen, self.manifests[gen]["command"]))

    def test_marshals_match_the_manifest(self):
        for gen in self.generations:
            for name, e in sorted(self.entries(gen).items()):
                with self.subTest(generation=gen, workload=name):
                    self.assertEqual(e["marshal"], "workloads/compiled/%s/%s.marshal" % (gen, name))
                    self.assertEqual(sha256_of(os.path.join(ROOT, e["marshal"])), e["marshal_sha256"])

    def test_every_generation_compiled_the_same_workloads(self):
        """Same names, N and source sha256 in every generation (what
        experiments/CMakeLists.txt also refuses at configure time)."""
        first = None
        for gen in sorted(self.generations):
            same = {name: (e["N"], e["source_sha256"]) for name, e in self.entries(gen).items()}
            if first is None:
                first = (gen, same)
                continue
            with self.subTest(generation=gen, against=first[0]):
                self.assertEqual(same, first[1])

    def test_manifest_fields(self):
        for gen, spec in self.generations.items():
            m = self.manifests[gen]
            with self.subTest(generation=gen):
                self.assertEqual(m["generation"], gen)
                self.assertEqual(m["python"], spec["python"])
                self.assertTrue(m["command"].endswith(" tools/compile_workloads.py --generation " + gen),
                                m["command"])
                self.assertTrue(m["python_version"].startswith(spec["python"] + "."), m["python_version"])
                self.assertEqual(m["marshal_version"], 4)
                if "magic" in spec:  # the bytecode magic: 2 bytes little-endian, then \r\n
                    self.assertEqual(m["magic"], spec["magic"].to_bytes(2, "little").hex() + "0d0a")
            for name, e in self.entries(gen).items():
                with self.subTest(generation=gen, workload=name):
                    with open(os.path.join(ROOT, e["source"]), encoding="utf-8") as f:
                        src = f.read()
                    self.assertEqual(re.findall(r"^N = (\d+)$", src, re.M), [str(e["N"])])
                    self.assertTrue(src.startswith("# "), "a # comment header, not a docstring")
        py36 = self.manifests["py36"]
        self.assertEqual(py36["command"],
                         "$(pyenv prefix 3.6.15)/bin/python3.6 tools/compile_workloads.py --generation py36")
        self.assertEqual(py36["magic"], "330d0d0a")  # 3.6's bytecode (3379)
        py313 = self.manifests["py313"]
        self.assertEqual(py313["command"],
                         "$(pyenv prefix 3.13.0)/bin/python3.13 tools/compile_workloads.py --generation py313")
        self.assertEqual(py313["magic"], "f30d0d0a")  # 3.13's bytecode (3571)

    def test_generator_refuses_other_interpreters(self):
        """Each generation refuses every interpreter here of another version
        (Debian's, pyenv's 2.7 ... 3.13), with one line and exit 2; the
        default generation is py36."""
        versions = {p: version_of(p) for p in INTERPRETERS}
        for gen, spec in sorted(self.generations.items()):
            for python, version in sorted(versions.items()):
                if version == spec["python"]:
                    continue
                with self.subTest(generation=gen, python=python):
                    rc, out, err = run([python, GENERATOR, "--generation", gen, "--check"])
                    self.assertEqual(rc, 2, err)
                    self.assertEqual(out, "")
                    self.assertEqual(err.count("\n"), 1, err)
                    self.assertIn("generation %s needs CPython %s" % (gen, spec["python"]), err)
        for python in [SYSTEM] + [p for p in INTERPRETERS if "/versions/2." in p]:
            with self.subTest(python=python, generation="default"):
                rc, out, err = run([python, GENERATOR, "--check"])
                self.assertEqual(rc, 2)
                self.assertEqual(err.count("\n"), 1, err)
                self.assertIn("generation py36 needs CPython 3.6", err)

    def test_generator_refuses_an_unknown_generation(self):
        rc, out, err = run([SYSTEM, GENERATOR, "--generation", "py99", "--check"])
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(err, "compile_workloads.py: no generation 'py99' (runtime/*/opcodes.json has %s)\n"
                         % ", ".join(sorted(self.generations, key=lambda g: tuple(
                             int(x) for x in self.generations[g]["python"].split(".")))))


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
