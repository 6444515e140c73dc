"""What tools/compile_workloads.py must do for every interpreter
generation, written once: the cases workloads_generator_test.py (py36, with
3.6.15) and workloads_generator_py313_test.py (py313, with a 3.13) share.

A suite mixes `GeneratorCases` into its unittest.TestCase and sets:
PYTHON (the real interpreter that compiles), GENERATION (its name, as
`--generation` takes it) and COMMAND (how the MANIFEST says to regenerate).
What differs by generation (the refusals' opcodes and offsets, the opcode
list's check against the real `dis`/`opcode`) stays in each suite.
`run` and `sha256_of` serve workloads_test.py too. Nothing here is timed:
TIMEOUT only bounds a run that never ends."""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENERATOR = os.path.join(ROOT, "tools", "compile_workloads.py")
TIMEOUT = 300


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(cmd, cwd=ROOT):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class GeneratorCases:
    PYTHON = None
    GENERATION = None
    COMMAND = None
    OK = "N = 5\ndef work(n):\n    return n\ndef expect(n):\n    return n\n"

    @property
    def compiled(self):
        return os.path.join(ROOT, "workloads", "compiled", self.GENERATION)

    def gen(self, *args):
        """The generator's command line for this generation."""
        return [self.PYTHON, GENERATOR, "--generation", self.GENERATION] + list(args)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="workloads_%s_test-" % self.GENERATION)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def write_bad(self, source):
        wdir = os.path.join(self.tmp, "w")
        os.makedirs(wdir, exist_ok=True)
        with open(os.path.join(wdir, "bad.py"), "w") as f:
            f.write(source)
        return wdir

    def bad(self, source):
        """Runs the generator over one file; returns (rc, stderr lines), and
        checks nothing was written or printed on stdout."""
        wdir, out = self.write_bad(source), os.path.join(self.tmp, "out")
        rc, stdout, err = run(self.gen("--workloads-dir", wdir, "--out", out))
        self.assertFalse(os.path.exists(out), "nothing is written for a refused file")
        self.assertEqual(stdout, "")
        return rc, err.splitlines()

    def assert_refused(self, cases):
        """cases: [(source, a line that must be printed)]; every line printed
        names the file, and the exit status is 2."""
        for source, line in cases:
            with self.subTest(line=line):
                rc, lines = self.bad(source)
                self.assertEqual(rc, 2, lines)
                self.assertIn("compile_workloads.py: " + line, lines)
                self.assertTrue(all(x.startswith("compile_workloads.py: workloads/bad.py: ") for x in lines), lines)

    def two_runs(self, commands):
        """Runs each command line with --out a fresh folder; checks they wrote
        the same files, byte for byte, and the committed marshal bytes;
        returns the first run's MANIFEST."""
        outs = []
        for i, cmd in enumerate(commands):
            out = os.path.join(self.tmp, "out%d" % i)
            rc, _, err = run(cmd + ["--out", out])
            self.assertEqual(rc, 0, err)
            outs.append(out)
        names = sorted(os.listdir(outs[0]))
        sources = glob.glob(os.path.join(ROOT, "workloads", "*.py"))
        self.assertEqual(len(names), len(sources) + 1)  # a .marshal per workload and MANIFEST.json
        for out in outs[1:]:
            self.assertEqual(names, sorted(os.listdir(out)))
            for name in names:
                with open(os.path.join(outs[0], name), "rb") as a, open(os.path.join(out, name), "rb") as b:
                    self.assertEqual(a.read(), b.read(), name)
        for name in names:
            if name.endswith(".marshal"):
                self.assertEqual(sha256_of(os.path.join(outs[0], name)), sha256_of(os.path.join(self.compiled, name)))
        with open(os.path.join(outs[0], "MANIFEST.json")) as f:
            return json.load(f)

    def test_a_good_file_in_another_folder(self):
        wdir, out = self.write_bad(self.OK), os.path.join(self.tmp, "out")
        rc, _, err = run(self.gen("--workloads-dir", wdir, "--out", out))
        self.assertEqual(rc, 0, err)
        with open(os.path.join(out, "MANIFEST.json")) as f:
            m = json.load(f)
        self.assertEqual([(e["name"], e["N"], e["source"], e["marshal"]) for e in m["workloads"]],
                         [("bad", 5, "workloads/bad.py", "workloads/compiled/%s/bad.marshal" % self.GENERATION)])

    def test_a_file_that_does_not_compile(self):
        rc, lines = self.bad("def work(n)\n")
        self.assertEqual(rc, 2)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("workloads/bad.py: does not compile: line 1: SyntaxError", lines[0])

    def test_check_names_stale_missing_and_extra_files(self):
        out = os.path.join(self.tmp, "compiled")
        shutil.copytree(self.compiled, out)
        with open(os.path.join(out, "churn.marshal"), "ab") as f:
            f.write(b"\0")
        os.unlink(os.path.join(out, "queue.marshal"))
        with open(os.path.join(out, "gone.marshal"), "wb") as f:
            f.write(b"x")
        rc, _, err = run(self.gen("--check", "--out", out))
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(err.splitlines()), 3, err)
        for what, name in [("stale", "churn.marshal"), ("missing", "queue.marshal"), ("extra", "gone.marshal")]:
            line = [x for x in err.splitlines() if (what + ": ") in x]
            self.assertEqual(len(line), 1, err)
            self.assertIn(name, line[0])
            self.assertTrue(line[0].endswith("; regenerate with " + self.COMMAND), line[0])
