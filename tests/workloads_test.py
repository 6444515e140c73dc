#!/usr/bin/python3
"""workloads/: the committed marshal files are current, the generator
refuses what the model cannot run, and every workload is right on every
Python on this machine.

- Always: each workloads/*.py and each compiled/*.marshal matches its sha256
  in compiled/MANIFEST.json (an edited .py that was not regenerated fails
  here even without 3.6), and the generator refuses any interpreter but 3.6.
- With pyenv's CPython 3.6.15 (else each such test says "skipped"):
  `compile_workloads.py --check` finds everything current; two runs write
  byte-identical files; files outside the subset are refused, naming file,
  code object, opcode and offset; --check names stale and missing files.
- Every workload, single-threaded with a small n, through
  `tools/peer_fib.py --workload` on every Python present (Debian's and
  pyenv's 2.7-3.13): work(n) == expect(n).

Nothing here is timed. Run by ctest with Debian's /usr/bin/python3:

    /usr/bin/python3 tests/workloads_test.py
"""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(ROOT, "workloads")
COMPILED = os.path.join(WORKLOADS, "compiled")
GENERATOR = os.path.join(ROOT, "tools", "compile_workloads.py")
PEER_FIB = os.path.join(ROOT, "tools", "peer_fib.py")
SYSTEM = "/usr/bin/python3"
PYENV = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
INTERPRETERS = [SYSTEM] + sorted(p for p in glob.glob(os.path.join(PYENV, "versions", "*", "bin", "python"))
                                 if os.access(p, os.X_OK))
TIMEOUT = 300  # a bound on a run that never ends; nothing is timed
SMALL_N = 30   # work's n for the correctness runs; fib's argument for fib.py
NAMES = ["churn", "closure", "dict_read", "dict_write", "fib", "queue", "shared_list", "shared_method"]


def python36():
    """pyenv's CPython 3.6.15, or None."""
    try:
        p = subprocess.run(["pyenv", "prefix", "3.6.15"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=60)
        if p.returncode == 0:
            exe = os.path.join(p.stdout.decode().strip(), "bin", "python3.6")
            if os.access(exe, os.X_OK):
                return exe
    except (OSError, subprocess.SubprocessError):
        pass
    exe = os.path.join(PYENV, "versions", "3.6.15", "bin", "python3.6")
    return exe if os.access(exe, os.X_OK) else None


PY36 = python36()
needs36 = unittest.skipUnless(PY36, "skipped: pyenv's CPython 3.6.15 is not installed")


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
        self.assertEqual(m["command"], "$(pyenv prefix 3.6.15)/bin/python3.6 tools/compile_workloads.py")
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


class Generator(unittest.TestCase):
    """With 3.6: current, deterministic, and strict about the subset."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="workloads_test-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    @needs36
    def test_check_says_current(self):
        rc, out, err = run([PY36, GENERATOR, "--check"])
        self.assertEqual(rc, 0, err)
        self.assertIn("current", out)

    @needs36
    def test_two_runs_write_identical_bytes(self):
        outs = []
        for i in range(2):
            out = os.path.join(self.tmp, "out%d" % i)
            rc, _, err = run([PY36, GENERATOR, "--out", out])
            self.assertEqual(rc, 0, err)
            outs.append(out)
        names = sorted(os.listdir(outs[0]))
        self.assertEqual(names, sorted(os.listdir(outs[1])))
        self.assertEqual(len(names), 9)  # eight .marshal and MANIFEST.json
        for name in names:
            with open(os.path.join(outs[0], name), "rb") as a, open(os.path.join(outs[1], name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
            if name.endswith(".marshal"):  # and what is committed
                self.assertEqual(sha256_of(os.path.join(outs[0], name)), sha256_of(os.path.join(COMPILED, name)))

    def bad(self, source):
        """Runs the generator over one file; returns (rc, stderr lines), and
        checks nothing was written."""
        wdir, out = os.path.join(self.tmp, "w"), os.path.join(self.tmp, "out")
        os.makedirs(wdir, exist_ok=True)
        with open(os.path.join(wdir, "bad.py"), "w") as f:
            f.write(source)
        rc, stdout, err = run([PY36, GENERATOR, "--workloads-dir", wdir, "--out", out])
        self.assertFalse(os.path.exists(out), "nothing is written for a refused file")
        return rc, err.splitlines()

    OK = "N = 5\ndef work(n):\n    return n\ndef expect(n):\n    return n\n"

    @needs36
    def test_a_good_file_in_another_folder(self):
        wdir, out = os.path.join(self.tmp, "w"), os.path.join(self.tmp, "out")
        os.makedirs(wdir)
        with open(os.path.join(wdir, "good.py"), "w") as f:
            f.write(self.OK)
        rc, _, err = run([PY36, GENERATOR, "--workloads-dir", wdir, "--out", out])
        self.assertEqual(rc, 0, err)
        with open(os.path.join(out, "MANIFEST.json")) as f:
            m = json.load(f)
        self.assertEqual([(e["name"], e["N"], e["source"]) for e in m["workloads"]], [("good", 5, "workloads/good.py")])

    @needs36
    def test_disallowed_opcodes_refused(self):
        cases = [
            # (source, the line that must be printed)
            ("N = 5\ndef work(n):\n    return n * 2\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: BINARY_MULTIPLY at offset 4: opcode not in rclab's subset"),
            ("N = 5\ndef work(n):\n    x = [i for i in range(n)]\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work.<listcomp>: LIST_APPEND at offset 10: opcode not in rclab's subset"),
            ("import os\n" + self.OK,
             "workloads/bad.py: <module>: IMPORT_NAME at offset 4: opcode not in rclab's subset"),
            ("N = 5\ndef work(n, k=1):\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: <module>: MAKE_FUNCTION at offset 10: flags 1 (defaults or annotations) "
             "not in rclab's subset"),
            ("N = 5\ndef work(n):\n    return n in (1, 2)\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: COMPARE_OP at offset 4: comparison 'in' not in rclab's subset"),
            ("N = 5\ndef work(n):\n    x = 1.5\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_CONST at offset 0: constant 1.5 of type float not in rclab's values"),
            ("N = 5\ndef work(n):\n    return sum(n)\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_GLOBAL at offset 0: name 'sum' is neither the module's nor the "
             "host's (Queue, len, object, range)"),
            ("def work(n):\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: <module>: no N (the default argument of work)"),
            ("N = 5\ndef work(n):\n    return n\n",
             "workloads/bad.py: <module>: defines no expect"),
        ]
        for source, line in cases:
            with self.subTest(line=line):
                rc, lines = self.bad(source)
                self.assertEqual(rc, 2, lines)
                self.assertIn("compile_workloads.py: " + line, lines)
                self.assertTrue(all(x.startswith("compile_workloads.py: workloads/bad.py: ") for x in lines), lines)

    @needs36
    def test_a_file_that_does_not_compile(self):
        rc, lines = self.bad("def work(n)\n")
        self.assertEqual(rc, 2)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("workloads/bad.py: does not compile: SyntaxError", lines[0])

    @needs36
    def test_the_one_opcode_list_is_real_3_6s(self):
        """runtime/py36_opcodes.json, which the C++ loader is generated from
        and the generator reads, names 3.6's opcodes by 3.6's numbers."""
        with open(os.path.join(ROOT, "runtime", "py36_opcodes.json")) as f:
            subset = json.load(f)
        probe = ("import dis, json; print(json.dumps({'opmap': dis.opmap, 'cmp_op': dis.cmp_op, "
                 "'have_argument': dis.HAVE_ARGUMENT}))")
        real = json.loads(subprocess.run([PY36, "-I", "-S", "-c", probe], stdout=subprocess.PIPE, check=True,
                                         timeout=TIMEOUT).stdout)
        for name, code in subset["opcodes"].items():
            self.assertEqual(real["opmap"].get(name), code, name)
        self.assertEqual({int(k): v for k, v in subset["opnames"].items()}, {v: k for k, v in real["opmap"].items()})
        self.assertEqual(subset["cmp_op"], real["cmp_op"])
        self.assertTrue(set(subset["compare_op_modelled"]) <= set(real["cmp_op"]))
        self.assertEqual(subset["have_argument"], real["have_argument"])

    def test_check_names_stale_missing_and_extra_files(self):
        out = os.path.join(self.tmp, "compiled")
        shutil.copytree(COMPILED, out)
        with open(os.path.join(out, "churn.marshal"), "ab") as f:
            f.write(b"\0")
        os.unlink(os.path.join(out, "queue.marshal"))
        with open(os.path.join(out, "gone.marshal"), "wb") as f:
            f.write(b"x")
        rc, _, err = run([PY36, GENERATOR, "--check", "--out", out])
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(err.splitlines()), 3, err)
        self.assertIn("stale: ", err)
        self.assertIn("churn.marshal", err)
        self.assertIn("missing: ", err)
        self.assertIn("queue.marshal", err)
        self.assertIn("extra: ", err)
        self.assertIn("gone.marshal", err)


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
    print("workloads_test: CPython 3.6.15 %s" % (PY36 or "not found: the generator's tests are skipped"))
    unittest.main(verbosity=2)
