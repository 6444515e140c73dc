#!/usr/bin/python3
"""tools/peer/peer_fib.py on every real interpreter on this machine, and what
`rclab sweep --peers` makes of peer runs that go wrong. No assertion depends on
timing: a hung run hangs forever, a crash is a SIGKILL the run sends itself.

Always runs (Debian's python3 and pyenv's interpreters when present). The
hand-built peers (a peers file) are tests/peer_real_test.py's.

    /usr/bin/python3 tests/peer_test.py [BUILD/experiments/rclab]
"""
import glob
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
sys.path.insert(0, os.path.join(TOOLS, "peer"))

import conditions  # noqa: E402
import peer_fib  # noqa: E402
import pyrunner  # noqa: E402

PEER_FIB = os.path.join(TOOLS, "peer", "peer_fib.py")
WORKLOADS = sorted(glob.glob(os.path.join(os.path.dirname(HERE), "workloads", "*.py")))
WORKLOAD_N = 40  # small: every workload on every interpreter; fib's n is its argument (FIB_N's 12 there)
SYSTEM = "/usr/bin/python3"
PYENV = os.environ.get("PYENV_ROOT", "/root/.pyenv")
INTERPRETERS = [SYSTEM] + sorted(p for p in glob.glob(os.path.join(PYENV, "versions", "*", "bin", "python"))
                                 if os.access(p, os.X_OK))
PY2 = [p for p in INTERPRETERS if re.search(r"/versions/2\.", p)]
N = 12
FIB_N = 233  # fib(12) with fib(0) = fib(1) = 1
TIMEOUT = 300  # only a bound on a run that never ends: nothing here is timed
RCLAB = None   # conditions.rclab_bin(), set in main: ctest passes the binary


def rclab():
    return RCLAB or conditions.rclab_bin()


def run_direct(python, args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([python, PEER_FIB] + args, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sweep(tmp, peers, threads=(1,), n=N, extra=(), timeout_s=None):
    """`rclab sweep --peers FILE` of `peers` (a list of peers-file entries),
    one measured run per cell, no warm-up, no ceiling. Returns (CompletedProcess,
    [records])."""
    pf, out = os.path.join(tmp, "peers.json"), os.path.join(tmp, "out.jsonl")
    with open(pf, "w") as f:
        json.dump({"peers": peers}, f)
    if os.path.exists(out):
        os.unlink(out)
    cmd = [rclab(), "sweep", "--peers", pf, "--threads", ",".join(map(str, threads)), "--n", str(n),
           "--repeat", "1", "--max-repeats", "1", "--warmup", "0", "--no-ceiling", "--out", out] + list(extra)
    if timeout_s is not None:
        cmd += ["--timeout-s", str(timeout_s)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    recs = []
    if os.path.exists(out):
        with open(out) as f:
            recs = [json.loads(line) for line in f if line.strip()]
    return p, recs


def misbehaving_python(tmp, name, body):
    """An interpreter that is Python for everything (so rclab sees a Python)
    except the peer run itself, where it runs `body` (sh) instead."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\ncase \"$1\" in *peer_fib.py)\n%s\nexit\n;; esac\nexec %s \"$@\"\n" % (body, SYSTEM))
    os.chmod(path, 0o755)
    return path


def number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


class RecordsOnEveryInterpreter(unittest.TestCase):
    def check_record(self, rec, python, threads, via_sweep=False):
        self.assertEqual(rec["schema"], 2)
        self.assertEqual(rec["kind"], "peer")
        self.assertEqual(rec["config"], "probe")
        self.assertEqual(rec["family"], "peers")
        self.assertEqual(rec["baseline"], "probe-base")
        self.assertEqual(rec["policies"], {})
        self.assertEqual(set(rec["settings"]), {"pin", "gil_mode"})
        self.assertIs(rec["settings"]["pin"], False)
        self.assertIn(rec["settings"]["gil_mode"], ("on", "off", "n/a"))
        self.assertEqual(rec["threads"], threads)
        self.assertEqual(rec["n"], N)
        for f in ("wall_s", "cpu_s", "cpu_user_s", "cpu_sys_s", "helper_cpu_s"):
            self.assertTrue(number(rec[f]), f)
        self.assertAlmostEqual(rec["cpu_s"], rec["cpu_user_s"] + rec["cpu_sys_s"], places=9)
        self.assertEqual(rec["helper_cpu_s"], 0)
        tc = rec["thread_cpu_s"]
        if re.search(r"/versions/2\.", python):
            self.assertEqual(tc, [])  # no CLOCK_THREAD_CPUTIME_ID before 3.3
        else:
            self.assertEqual(len(tc), threads)
            self.assertTrue(all(number(x) for x in tc))
        self.assertEqual(rec["expected"], FIB_N)
        self.assertEqual(rec["result"], FIB_N)
        self.assertIs(rec["result_ok"], True)
        self.assertEqual(rec["calls"], threads * (2 * FIB_N - 1))
        self.assertEqual(rec["thread_errors"], [])
        self.assertEqual(rec["workload"], "fib")  # no --workload: peer_fib's own fib
        self.assertNotIn("workload_source_sha256", rec)
        self.assertIsInstance(rec["max_rss_kb"], int)
        self.assertGreater(rec["max_rss_kb"], 0)
        self.assertIn(rec["wall_clock"], ("time.monotonic", "clock_gettime(CLOCK_MONOTONIC) via ctypes"))
        self.assertEqual(rec["counters"], {"available": False, "reason": "not measured for peers"})
        peer = rec["peer"]
        self.assertEqual(peer["name"], "probe")
        self.assertEqual(os.path.realpath(peer["executable"]), os.path.realpath(python))
        self.assertTrue(peer["version"])
        self.assertEqual(peer["implementation"], "CPython")
        self.assertEqual(peer["gil_mode"], rec["settings"]["gil_mode"])
        if peer["variant"] == "":
            self.assertEqual(peer["gil_mode"], "on")  # stock CPython builds have their GIL
        b = rec["build"]
        self.assertRegex(b["id"], r"^[0-9a-f]{16}$")
        self.assertEqual(b["executable"], os.path.realpath(python))
        self.assertEqual(b["version"], peer["version"])
        self.assertIsInstance(b["cflags"], str)
        self.assertIsInstance(b["config_args"], str)
        if via_sweep:  # the sweep stamps its own machine fields (host id, probe costs) onto peer records
            self.assertLessEqual({"cpu_model", "cores", "kernel", "arch"}, set(rec["machine"]))
        else:
            self.assertEqual(set(rec["machine"]), {"cpu_model", "cores", "kernel", "arch"})
        self.assertGreaterEqual(rec["machine"]["cores"], 1)
        self.assertRegex(rec["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_fib12_at_1_and_2_threads(self):
        self.assertIn(SYSTEM, INTERPRETERS)
        for python in INTERPRETERS:
            ids = set()
            for threads in (1, 2):
                with self.subTest(python=python, threads=threads):
                    rc, out, err = run_direct(python, ["--name", "probe", "--threads", str(threads),
                                                       "--n", str(N), "--base", "probe-base"])
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(out.count("\n"), 1, "exactly one line on stdout")
                    self.assertTrue(out.endswith("\n"))
                    rec = json.loads(out)
                    self.check_record(rec, python, threads)
                    ids.add(rec["build"]["id"])
            self.assertEqual(len(ids), 1, "%s: build.id must be stable across runs" % python)

    def test_through_a_sweep(self):
        with tempfile.TemporaryDirectory() as d:
            p, recs = sweep(d, [{"name": "probe-base", "python": SYSTEM},
                                {"name": "probe", "python": SYSTEM, "base": "probe-base"}], threads=(2,))
            self.assertEqual(p.returncode, 0, p.stderr)
        probe = [r for r in recs if r["config"] == "probe"]
        self.assertEqual(len(probe), 1, recs)
        self.assertEqual(probe[0]["status"], "ok", probe[0].get("failure"))
        self.check_record(probe[0], SYSTEM, 2, via_sweep=True)

    def test_a_sweep_stamps_the_host_on_peer_records(self):
        with tempfile.TemporaryDirectory() as d:
            p, recs = sweep(d, [{"name": "probe", "python": SYSTEM}])
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(recs)
        for r in recs:
            m = r["machine"]
            self.assertRegex(m.get("host_id", ""), r"^\S+-\d+-\d+-\d+-\S+-[0-9a-f]{8}$", m)
            for f in ("vendor", "family", "model", "stepping", "microcode", "caches", "hypervisor"):
                self.assertIn(f, m)
            self.assertTrue(number(m["probe"]["lock_add_ns"]) and number(m["probe"]["line_round_trip_ns"]), m)

    def test_build_ids_differ_between_interpreters(self):
        ids = {}
        for python in INTERPRETERS:
            rc, out, err = run_direct(python, ["--name", "probe", "--threads", "1", "--n", "1"])
            self.assertEqual(rc, 0, err)
            ids[python] = json.loads(out)["build"]["id"]
        real = {os.path.realpath(p) for p in INTERPRETERS}
        self.assertEqual(len(set(ids.values())), len(real))


class BadArguments(unittest.TestCase):
    BAD = [
        ["--name", "x", "--threads", "0", "--n", "5"],
        ["--name", "x", "--threads", "4097", "--n", "5"],
        ["--name", "x", "--threads", "-1", "--n", "5"],
        ["--name", "x", "--threads", "1", "--n", "41"],
        ["--name", "x", "--threads", "1", "--n", "-1"],
        ["--name", "x", "--threads", "1", "--n", "61", "--long"],
        ["--name", "x", "--threads", "two", "--n", "5"],
        ["--name", "x", "--threads", "1", "--n", "5.5"],
        ["--threads", "1", "--n", "5"],
        ["--name", "", "--threads", "1", "--n", "5"],
        ["--name", "x", "--threads", "1"],
        ["--name", "x", "--threads", "1", "--n", "5", "--family", ""],
        ["--name", "x", "--threads", "1", "--n", "5", "--bogus"],
        ["--name", "x", "--threads", "1", "--n", "5", "extra"],
    ]

    def test_refused_with_exit_2_and_one_stderr_line(self):
        for python in [SYSTEM] + PY2:
            for args in self.BAD:
                with self.subTest(python=python, args=args):
                    rc, out, err = run_direct(python, args)
                    self.assertEqual(rc, 2)
                    self.assertEqual(out, "", "no record for bad arguments")
                    self.assertEqual(err.count("\n"), 1, err)
                    self.assertTrue(err.startswith("peer_fib.py: "), err)

    def test_long_allows_more_than_40(self):
        a = peer_fib.parse_args(["--name", "x", "--threads", "4096", "--n", "45", "--long"])
        self.assertEqual((a.threads, a.n, a.long), (4096, 45, True))


class FailedPoints(unittest.TestCase):
    """Every way a peer run can go wrong, through `rclab sweep --peers`: a
    peer that is not a runnable Python is refused before any work (exit 2, one
    line naming it, nothing written); one that runs but goes wrong becomes a
    failed record at its point, and the sweep goes on and exits 1."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def script(self, name, body, mode=0o755):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, mode)
        return path

    def refused(self, python):
        p, recs = sweep(self.tmp.name, [{"name": "probe", "python": python}])
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("probe", lines[0])
        self.assertEqual(recs, [], "nothing is run or written for a refused peers file")
        return lines[0]

    def failed(self, python, env=None, timeout_s=None):
        p, recs = sweep(self.tmp.name, [{"name": "probe", "python": python, "env": env or {}}], timeout_s=timeout_s)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(len(recs), 1, recs)
        rec = recs[0]
        self.assertEqual(rec["status"], "failed")
        self.assertIsNot(rec.get("result_ok"), True)
        self.assertTrue(rec["failure"] and "\n" not in rec["failure"], rec["failure"])
        # still placed: the point it failed at
        self.assertEqual((rec["schema"], rec["kind"], rec["config"], rec["threads"], rec["n"], rec["workload"]),
                         (2, "peer", "probe", 1, N, "fib"))
        self.assertEqual(rec["peer"]["executable"], python)
        return rec

    def test_missing_interpreter(self):
        self.refused(os.path.join(self.tmp.name, "no-such-python"))

    def test_not_executable(self):
        self.refused(self.script("python", "#!/bin/sh\nexec %s \"$@\"\n" % SYSTEM, mode=0o644))

    def test_not_a_python(self):
        for exe in ("/bin/true", "/bin/echo", self.script("python", "#!/bin/sh\necho 3.6.15\n")):
            with self.subTest(python=exe):
                self.refused(exe)

    def test_no_record(self):
        rec = self.failed(misbehaving_python(self.tmp.name, "python", "exit 0"))
        self.assertIn("no record", rec["failure"])

    def test_garbage(self):
        rec = self.failed(misbehaving_python(self.tmp.name, "python", "echo garbage"))
        self.assertIn("no record", rec["failure"])

    def test_json_that_is_not_a_record(self):
        rec = self.failed(misbehaving_python(self.tmp.name, "python", "echo '{\"schema\": 2, \"kind\": \"peer\"}'"))
        self.assertIn("no record", rec["failure"])

    def test_a_record_followed_by_garbage(self):
        rec = self.failed(misbehaving_python(self.tmp.name, "python", '%s "$@"; echo extra' % SYSTEM))
        self.assertIn("no record", rec["failure"])

    def test_killed_mid_run(self):
        rec = self.failed(SYSTEM, {"RCLAB_PEER_TEST_FAULT": "kill"})
        self.assertIn("killed by signal 9", rec["failure"])

    def test_interpreter_killed_by_a_signal_before_printing(self):
        rec = self.failed(misbehaving_python(self.tmp.name, "python",
                                             "exec %s -c 'import os; os.kill(os.getpid(), 9)'" % SYSTEM))
        self.assertIn("killed by signal 9", rec["failure"])

    def test_timeout(self):
        rec = self.failed(SYSTEM, {"RCLAB_PEER_TEST_FAULT": "hang"}, timeout_s=2)
        self.assertIn("timed out", rec["failure"])

    def test_exception_in_a_thread_is_never_an_ok_record(self):
        for python in [SYSTEM] + PY2:
            with self.subTest(python=python):
                rc, out, err = run_direct(python, ["--name", "probe", "--threads", "2", "--n", str(N)],
                                          {"RCLAB_PEER_TEST_FAULT": "raise"})
                self.assertEqual(rc, 1)
                rec = json.loads(out)
                self.assertIs(rec["result_ok"], False)
                self.assertEqual(len(rec["thread_errors"]), 2)
                self.assertIn("RuntimeError", rec["thread_errors"][0])
                rec = self.failed(python, {"RCLAB_PEER_TEST_FAULT": "raise"})
                self.assertIs(rec["result_ok"], False)

    def test_wrong_result_is_never_an_ok_record(self):
        for python in [SYSTEM] + PY2:
            with self.subTest(python=python):
                rc, out, err = run_direct(python, ["--name", "probe", "--threads", "2", "--n", str(N)],
                                          {"RCLAB_PEER_TEST_FAULT": "wrong"})
                self.assertEqual(rc, 1)
                rec = json.loads(out)
                self.assertIs(rec["result_ok"], False)
                self.assertEqual(rec["result"], FIB_N + 1)
                rec = self.failed(python, {"RCLAB_PEER_TEST_FAULT": "wrong"})
                self.assertIs(rec["result_ok"], False)
                self.assertEqual(rec["result"], FIB_N + 1)


def workload_n(path):
    return N if os.path.basename(path) == "fib.py" else WORKLOAD_N


def expected_queue(python):
    """The FIFO peer_fib gives workloads as `Queue` under `python`."""
    m = re.search(r"/versions/(\d+)\.(\d+)", os.path.realpath(python))
    if m and (int(m.group(1)), int(m.group(2))) < (3, 7):
        return "Queue.Queue" if m.group(1) == "2" else "queue.Queue"
    return "_queue.SimpleQueue"


class Workloads(unittest.TestCase):
    """--workload: each workloads/*.py on every interpreter, 2 threads, a
    small n; every thread's work(n) must equal expect(n)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def workload(self, name, body):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(body)
        return path

    def test_every_workload_on_every_interpreter(self):
        # workloads/*.py is the list (tests/workloads_test.py checks the
        # compiled folders against it): here, that the glob found it.
        self.assertIn("fib.py", [os.path.basename(p) for p in WORKLOADS])
        for python in INTERPRETERS:
            for path in WORKLOADS:
                name = os.path.splitext(os.path.basename(path))[0]
                n = workload_n(path)
                with self.subTest(python=python, workload=name):
                    rc, out, err = run_direct(python, ["--name", "probe", "--threads", "2", "--workload", path,
                                                       "--n", str(n)])
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(out.count("\n"), 1, "exactly one line on stdout")
                    rec = json.loads(out)
                    self.assertIs(rec["result_ok"], True, rec.get("thread_errors"))
                    self.assertEqual(rec["result"], rec["expected"])
                    self.assertEqual(rec["thread_errors"], [])
                    self.assertEqual((rec["workload"], rec["n"], rec["threads"]), (name, n, 2))
                    with open(path, "rb") as f:
                        self.assertEqual(rec["workload_source_sha256"], hashlib.sha256(f.read()).hexdigest())
                    self.assertEqual(rec["workload_queue"], expected_queue(python))
                    if name == "fib":
                        self.assertEqual((rec["expected"], rec["calls"]), (FIB_N, 2 * (2 * FIB_N - 1)))
                    else:
                        self.assertEqual(rec["calls"], 2 * n)
                    self.assertEqual(set(rec["settings"]), {"pin", "gil_mode"})
                    self.assertEqual(os.path.realpath(rec["peer"]["executable"]), os.path.realpath(python))

    def test_host_names_and_default_n(self):
        # range is xrange on Python 2 (set in the module, not globally); Queue is the host's;
        # --n defaults to the module's N.
        path = self.workload("probe.py", "N = 7\nQ = Queue()\n"
                             "def work(n):\n    Q.put(n)\n    return n + len(range.__name__) + Q.get() - n\n"
                             "def expect(n):\n    return n + len(range.__name__)\n")
        for python in INTERPRETERS:
            with self.subTest(python=python):
                rc, out, err = run_direct(python, ["--name", "probe", "--threads", "1", "--workload", path])
                self.assertEqual(rc, 0, err)
                rec = json.loads(out)
                py2 = python in PY2
                self.assertEqual((rec["n"], rec["result"], rec["result_ok"]), (7, 7 + (6 if py2 else 5), True))
                self.assertEqual((rec["workload"], rec["calls"]), ("probe", 7))

    def test_wrong_result_and_exceptions_fail_the_run(self):
        path = WORKLOADS[0]
        for python in [SYSTEM] + PY2:
            for fault in ("wrong", "raise"):
                with self.subTest(python=python, fault=fault):
                    rc, out, err = run_direct(python, ["--name", "probe", "--threads", "2", "--workload", path,
                                                       "--n", "5"], {"RCLAB_PEER_TEST_FAULT": fault})
                    self.assertEqual(rc, 1)
                    self.assertIs(json.loads(out)["result_ok"], False)

    def test_bad_workloads_refused(self):
        bad = {
            "missing": os.path.join(self.tmp.name, "no-such.py"),
            "syntax": self.workload("syntax.py", "def work(n)\n"),
            "raises": self.workload("raises.py", "N = 1\nX = undefined_name\n"),
            "no_expect": self.workload("no_expect.py", "N = 1\ndef work(n):\n    return n\n"),
            "no_N": self.workload("no_n.py", "def work(n):\n    return n\ndef expect(n):\n    return n\n"),
            "bad_expect": self.workload("bad_expect.py", "N = 1\ndef work(n):\n    return n\n"
                                        "def expect(n):\n    return None\n"),
        }
        argsets = [["--workload", p] for p in bad.values()]
        argsets += [["--workload", ""], ["--workload", WORKLOADS[0], "--n", str(10 ** 9 + 1)],
                    ["--workload", WORKLOADS[0], "--n", "-1"],
                    ["--workload", os.path.join(os.path.dirname(WORKLOADS[0]), "fib.py"), "--n", "41"]]
        for python in [SYSTEM] + PY2:
            for args in argsets:
                with self.subTest(python=python, args=args):
                    rc, out, err = run_direct(python, ["--name", "x", "--threads", "1"] + args)
                    self.assertEqual(rc, 2, err)
                    self.assertEqual(out, "")
                    self.assertEqual(err.count("\n"), 1, err)
                    self.assertTrue(err.startswith("peer_fib.py: "), err)

    def test_large_n_allowed_for_workloads_only(self):
        a = peer_fib.parse_args(["--name", "x", "--threads", "1", "--workload", "w.py", "--n", str(10 ** 9)])
        self.assertEqual((a.n, a.workload), (10 ** 9, "w.py"))
        self.assertIsNone(peer_fib.parse_args(["--name", "x", "--threads", "1", "--workload", "w.py"]).n)

    def test_through_a_sweep(self):
        # --scale 0.001: queue's N = 70000 becomes 70; a peer that dies is placed at that n too.
        p, recs = sweep(self.tmp.name, [{"name": "sys", "python": SYSTEM},
                                         {"name": "dies", "python": SYSTEM, "base": "sys",
                                          "env": {"RCLAB_PEER_TEST_FAULT": "kill"}}],
                        threads=(2,), extra=["--workloads", "queue", "--scale", "0.001"])
        self.assertEqual(p.returncode, 1, p.stderr)  # the dying peer failed
        by = {r["config"]: r for r in recs}
        self.assertEqual(set(by), {"sys", "dies"}, recs)
        self.assertEqual(by["sys"]["status"], "ok", by["sys"].get("failure"))
        self.assertEqual((by["sys"]["workload"], by["sys"]["n"], by["sys"]["result"]), ("queue", 70, 70))
        self.assertEqual((by["dies"]["status"], by["dies"]["workload"], by["dies"]["n"]), ("failed", "queue", 70))


class PeersFile(unittest.TestCase):
    """The peers file has one reader, rclab's (`rclab peers`, and `rclab sweep
    --peers` before any work): every bad file is one line and exit 2."""

    BAD = [{}, {"peers": []}, {"peers": [{"name": "a"}]}, "not json",
           {"peers": [{"name": "a", "python": SYSTEM}, {"name": "a", "python": SYSTEM}]},
           {"peers": [{"name": "a", "python": SYSTEM, "base": "zz"}]},
           {"peers": [{"name": "a", "python": SYSTEM, "env": {"X": 1}}]},
           {"peers": [{"name": "a,b", "python": SYSTEM}]}, {"peers": [{"name": "a b", "python": SYSTEM}]},
           {"peers": [{"name": "a|b", "python": SYSTEM}]}, {"peers": [{"name": "gil", "python": SYSTEM}]},
           {"peers": [{"name": "ceiling", "python": SYSTEM}]}]

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def file(self, data):
        path = os.path.join(self.tmp.name, "peers.json")
        with open(path, "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def run_rclab(self, *args):
        return subprocess.run([rclab(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=TIMEOUT)

    def test_sweep_refuses_a_bad_file_before_any_work(self):
        out = os.path.join(self.tmp.name, "out.jsonl")
        for data in self.BAD:
            with self.subTest(data=data):
                p = self.run_rclab("sweep", "--peers", self.file(data), "--threads", "1", "--n", "5", "--out", out)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
                self.assertFalse(os.path.exists(out))

    def test_rclab_peers_refuses_a_bad_file(self):
        for data in self.BAD + [{"peers": [{"name": "a", "python": os.path.join(self.tmp.name, "nope")}]},
                                {"peers": [{"name": "a", "python": "/bin/true"}]}]:
            with self.subTest(data=data):
                p = self.run_rclab("peers", self.file(data))
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
                self.assertEqual(p.stdout, "")

    def test_rclab_peers_json(self):
        p = self.run_rclab("peers", self.file({"peers": [{"name": "a", "python": SYSTEM},
                                                          {"name": "b", "python": SYSTEM, "base": "a",
                                                           "env": {"X": "1"}}]}), "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        peers = json.loads(p.stdout)["peers"]
        self.assertEqual([(q["name"], q["python"], q["env"], q["base"]) for q in peers],
                         [("a", SYSTEM, {}, ""), ("b", SYSTEM, {"X": "1"}, "a")])
        self.assertTrue(all(q["version"].startswith("3.") for q in peers), peers)
        self.assertTrue(all("models" in q for q in peers), peers)


if __name__ == "__main__":
    sys.exit(pyrunner.main())
