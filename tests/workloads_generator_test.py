#!/usr/bin/python3
"""tools/dev/compile_workloads.py's py36 generation (the default) with pyenv's
CPython 3.6.15: `--check` finds the committed workloads/compiled/py36/
current; two runs (one with the default generation, one with `--generation
py36`) write byte-identical files (and the committed bytes); files outside
the model's subset are refused, naming file, code object, opcode and
offset; --check names stale, missing and extra files; runtime/py36/opcodes.json
is 3.6's.

Runs when pyenv's 3.6.15 is present (tests/conditions.py "cpython-3.6.15"),
and must pass there; skipped as a whole otherwise. The checks that need no
3.6 (the committed files match MANIFEST.json) are tests/workloads_test.py's;
the py313 generation's are tests/workloads_generator_py313_test.py's.
Nothing here is timed.

    /usr/bin/python3 tests/workloads_generator_test.py
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import conditions
import pyrunner

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMPILED = os.path.join(ROOT, "workloads", "compiled", "py36")
GENERATOR = os.path.join(ROOT, "tools", "dev", "compile_workloads.py")
TIMEOUT = 300  # a bound on a run that never ends; nothing is timed
PY36 = conditions.get("cpython-3.6.15").value


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(cmd, cwd=ROOT):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@conditions.needs("cpython-3.6.15")
class Generator(unittest.TestCase):
    """With 3.6: current, deterministic, and strict about the subset."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="workloads_test-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_check_says_current(self):
        rc, out, err = run([PY36, GENERATOR, "--check"])
        self.assertEqual(rc, 0, err)
        self.assertIn("current", out)

    def test_two_runs_write_identical_bytes(self):
        outs = []
        for i, gen in enumerate([[], ["--generation", "py36"]]):
            out = os.path.join(self.tmp, "out%d" % i)
            rc, _, err = run([PY36, GENERATOR, "--out", out] + gen)
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

    def test_a_file_that_does_not_compile(self):
        rc, lines = self.bad("def work(n)\n")
        self.assertEqual(rc, 2)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("workloads/bad.py: does not compile: SyntaxError", lines[0])

    def test_the_one_opcode_list_is_real_3_6s(self):
        """runtime/py36/opcodes.json, which the C++ loader is generated from
        and the generator reads, names 3.6's opcodes by 3.6's numbers."""
        with open(os.path.join(ROOT, "runtime", "py36", "opcodes.json")) as f:
            subset = json.load(f)
        probe = ("import dis, json; print(json.dumps({'opmap': dis.opmap, 'cmp_op': dis.cmp_op, "
                 "'have_argument': dis.HAVE_ARGUMENT}))")
        real = json.loads(subprocess.run([PY36, "-I", "-S", "-c", probe], stdout=subprocess.PIPE, check=True,
                                         timeout=TIMEOUT).stdout)
        self.assertEqual((subset["generation"], subset["python"]), ("py36", "3.6"))
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


if __name__ == "__main__":
    sys.exit(pyrunner.main())
