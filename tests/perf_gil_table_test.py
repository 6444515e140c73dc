#!/usr/bin/python3
"""tools/dev/perf_gil_table.py: per4m's table from `perf script` text, on tiny
hand-written inputs, and against rclab trace's in-process table of the same
recorded runs (tests/fixtures/per4m/, recorded as its README says). Run by
ctest with Debian's /usr/bin/python3."""
import json
import os
import re
import subprocess
import sys
import unittest

import pyrunner

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(os.path.dirname(HERE), "tools", "dev", "perf_gil_table.py")
FIXTURES = os.path.join(HERE, "fixtures", "per4m")
sys.path.insert(0, os.path.dirname(TOOL))

import perf_gil_table as pgt  # noqa: E402

# Agreement between perf's view and rclab's, in percentage points of a
# thread's total. They observe the same run but not the same instants: a
# uprobe is a breakpoint trap into the kernel (a few us here, more when the
# machine is loaded) and its timestamp is taken there, so take_gil's entry
# probe fires before rclab reads the clock for ENTRY, and the return probes
# after rclab's ACQUIRE and RELEASED. Each interval is off by about one
# probe's cost; with holds of a switch interval (1 ms in the fixtures) and
# ~100-200 of them, that is a few tenths of a point. One point leaves room
# for a loaded machine's slower traps.
TOLERANCE_POINTS = 1.0


def line(tid, t, event, cpu=0, comm="rclab"):
    addr = "(55d0c0a0b1c0 <- 55d0c0a0a000)" if event.endswith("__return") else "(55d0c0a0b1c0)"
    return f"{comm:>16} {tid:5d} [{cpu:03d}] {t}: {event:>30}: {addr}"


def rows_of(text, **kw):
    return pgt.summarize(pgt.parse_events(text.splitlines(), **kw))


def run_tool(stdin_text, *args):
    return subprocess.run([sys.executable, TOOL, *args], input=stdin_text, capture_output=True, text=True)


class Parsing(unittest.TestCase):
    def test_ns_and_us_timestamps_are_read_exactly(self):
        self.assertEqual(pgt.parse_time_ns("591.972641081"), 591_972_641_081)
        self.assertEqual(pgt.parse_time_ns("591.972641"), 591_972_641_000)
        self.assertEqual(pgt.parse_time_ns("0.000000001"), 1)

    def test_perf_script_line_forms(self):
        text = "\n".join([
            # what `perf script --ns` prints for these probes
            "           rclab 17021 [001]   591.972641081:         probe_rclab:take_gil: (559a42ef06c0)",
            "           rclab 17021 [001]   591.972841428: probe_rclab:take_gil__return: (559a42ef06c0 <- 559a42ec81e5)",
            # a comm with a space, pid/tid, no cpu column, microseconds
            "  rclab worker 1  4242/4243   591.973000: probe_rclab:drop_gil: (559a42ef0f50)",
            "  rclab worker 1  4242/4243   591.973500: probe_rclab:drop_gil__return: (559a42ef0f50 <- 559a42ec7341)",
        ])
        self.assertEqual(pgt.parse_events(text.splitlines()), [
            (17021, 591_972_641_081, "take_gil"), (17021, 591_972_841_428, "take_gil__return"),
            (4243, 591_973_000_000, "drop_gil"), (4243, 591_973_500_000, "drop_gil__return")])

    def test_other_events_callchains_blank_lines_and_comments(self):
        text = "\n".join([
            "# ========", "# captured on: x", "",
            line(7, "1.000000000", "probe_rclab:take_gil"),
            "\t    55d0c0a0b1c0 take_gil+0x0 (/work/build/rclab)",
            "\t    55d0c0a0a000 main+0x20 (/work/build/rclab)", "",
            line(7, "1.000000100", "sched:sched_switch").replace("(55d0c0a0b1c0)", "prev_comm=rclab prev_pid=7"),
            line(7, "1.000000200", "probe_other:take_gil__return"),
        ])
        self.assertEqual(pgt.parse_events(text.splitlines()),
                         [(7, 1_000_000_000, "take_gil"), (7, 1_000_000_100, None), (7, 1_000_000_200, None)])

    def test_another_probe_group(self):
        text = line(7, "1.0", "python:take_gil") + "\n" + line(7, "1.1", "python:take_gil__return")
        self.assertEqual([k for _, _, k in pgt.parse_events(text.splitlines(), group="python")],
                         ["take_gil", "take_gil__return"])
        with self.assertRaises(pgt.BadInput):
            pgt.parse_events(text.splitlines())  # group probe_rclab: none of ours


class Per4mArithmetic(unittest.TestCase):
    """Two threads, times in ns after 100 s, hand-computed. Thread 10 holds
    from 20 and drops at 60 with a forced switch: its drop_gil returns at 90,
    after thread 11 took the GIL at 70; per4m counts 20..90 as holding."""

    TEXT = "\n".join(line(tid, f"100.{t:09d}", f"probe_rclab:{ev}") for tid, t, ev in [
        (10, 0, "take_gil"), (10, 20, "take_gil__return"),
        (11, 30, "take_gil"),
        (10, 60, "drop_gil"), (11, 70, "take_gil__return"), (10, 90, "drop_gil__return"),
        (10, 100, "take_gil"), (11, 150, "drop_gil"), (11, 155, "drop_gil__return"),
        (10, 160, "take_gil__return"), (10, 180, "drop_gil"), (10, 200, "drop_gil__return"),
    ])

    def test_has_gil_runs_to_drop_gil_return_and_wait_is_take_gil(self):
        r10, r11 = rows_of(self.TEXT)
        self.assertEqual((r10["thread"], r10["tid"], r11["thread"], r11["tid"]), (0, 10, 1, 11))
        # thread 10: total 200; has (90-20)+(200-160) = 110; wait 20+60 = 80; no GIL 10
        self.assertEqual((r10["total_ns"], r10["has_gil_ns"], r10["wait_ns"], r10["no_gil_ns"]), (200, 110, 80, 10))
        self.assertAlmostEqual(r10["has_gil_pct"], 55.0)
        self.assertAlmostEqual(r10["wait_pct"], 40.0)
        self.assertAlmostEqual(r10["no_gil_pct"], 5.0)
        self.assertEqual(r10["events"], 8)
        # thread 11: total 125; has 155-70 = 85; wait 70-30 = 40; no GIL 0
        self.assertEqual((r11["total_ns"], r11["has_gil_ns"], r11["wait_ns"], r11["no_gil_ns"]), (125, 85, 40, 0))

    def test_table_and_json_output(self):
        out = run_tool(self.TEXT)
        self.assertEqual(out.returncode, 0, out.stderr)
        row = out.stdout.splitlines()[1].split()
        self.assertEqual(row[:5], ["0", "10", "0.0000", "s", "5.0%"])
        self.assertEqual(row[5:7], ["55.0%", "40.0%"])
        js = run_tool(self.TEXT, "--json")
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertIn('"has_gil_ns": 110', js.stdout)
        one = run_tool(line(3, "1.0", "probe_rclab:take_gil"), "--json")
        self.assertEqual(json.loads(one.stdout)[0]["has_gil_pct"], None)

    def test_recording_begun_mid_hold_counts_like_per4m(self):
        # perf started while thread 5 held the GIL: its first event is a
        # drop_gil return, counted from the input's first event (thread 4's).
        text = "\n".join([line(4, "1.000000000", "probe_rclab:take_gil"),
                          line(5, "1.000000050", "probe_rclab:drop_gil"),
                          line(5, "1.000000070", "probe_rclab:drop_gil__return"),
                          line(4, "1.000000080", "probe_rclab:take_gil__return")])
        warnings = []
        r4, r5 = pgt.summarize(pgt.parse_events(text.splitlines()), warn=warnings.append)
        self.assertEqual(r5["has_gil_ns"], 70)
        self.assertEqual(r4["wait_ns"], 80)
        self.assertEqual(len(warnings), 1)
        # a take_gil return without its entry waited since the thread's first event
        r = rows_of(line(6, "2.000000000", "probe_rclab:drop_gil") + "\n" +
                    line(6, "2.000000030", "probe_rclab:take_gil__return"))
        self.assertEqual(r[0]["wait_ns"], 30)


class BadInput(unittest.TestCase):
    def expect_exit_2(self, text, fragment):
        out = run_tool(text)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)
        self.assertIn(fragment, out.stderr)
        self.assertEqual(out.stdout, "")

    def test_empty_input(self):
        self.expect_exit_2("", "no probe_rclab:take_gil")

    def test_not_perf_script_text(self):
        self.expect_exit_2('{"traceEvents": []}\n', "line 1: not a perf script event line")

    def test_no_gil_probes(self):
        self.expect_exit_2(line(1, "1.0", "sched:sched_switch") + "\n", "no probe_rclab:take_gil")

    def test_missing_file(self):
        out = subprocess.run([sys.executable, TOOL, "/nonexistent/perf.txt"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1)


# rclab trace's table: "thread  total s  no GIL%  has GIL%  GIL wait%  holding%  events"
RCLAB_ROW = re.compile(r"^\s*(\d+)\s+([\d.]+) s\s+(-?[\d.]+)%\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%\s+(\d+)\s*$")


def rclab_table(path):
    rows = []
    with open(path) as f:
        for ln in f:
            m = RCLAB_ROW.match(ln)
            if m:
                rows.append({"thread": int(m[1]), "total_s": float(m[2]), "no_gil_pct": float(m[3]),
                             "has_gil_pct": float(m[4]), "wait_pct": float(m[5]), "holding_pct": float(m[6])})
    return rows


def rclab_first_event_s(path):
    """Each rclab thread's first GIL event, in s after the run's first, from
    the same run's Beazley text (`thread ticks count EVENT time`, thread + 1)."""
    first = {}
    with open(path) as f:
        for ln in f:
            thread, _, _, _, t = ln.split()
            first.setdefault(int(thread, 16) - 1, float(t))
    return first


class RecordedRuns(unittest.TestCase):
    """perf's and rclab's view of the same run (tests/fixtures/per4m/README.md):
    idle, on the shared machine as others left it, and with `yes` on the
    other core too.
    Under load drop_gil's forced-switch wait is long (the dropping thread is
    woken late), and the old holding-to-drop_gil-entry is far from per4m's."""

    @staticmethod
    def perf_text(name):
        with open(os.path.join(FIXTURES, f"{name}.perf.txt")) as f:
            return f.read()

    def compare(self, name):
        perf_rows = rows_of(self.perf_text(name))
        ours = rclab_table(os.path.join(FIXTURES, f"{name}.rclab.txt"))
        first = rclab_first_event_s(os.path.join(FIXTURES, f"{name}.beazley.txt"))
        self.assertEqual(len(perf_rows), len(ours), "thread counts")
        self.assertGreaterEqual(len(ours), 2)
        # perf's tids to rclab's thread numbers: by when each thread first
        # shows up, relative to the run's first GIL event (both clocks are
        # CLOCK_MONOTONIC; the offsets agree to a few us).
        t0 = min(r_first for r_first in (self.perf_first(name).values()))
        perf_first = {tid: (t - t0) * 1e-9 for tid, t in self.perf_first(name).items()}
        pairs = []
        for r in ours:
            tid = min(perf_first, key=lambda k: abs(perf_first[k] - first[r["thread"]]))
            pairs.append((r, next(p for p in perf_rows if p["tid"] == tid)))
        self.assertEqual(len({p["tid"] for _, p in pairs}), len(pairs), "two rclab threads matched one tid")
        for r, p in pairs:
            with self.subTest(thread=r["thread"], tid=p["tid"]):
                self.assertAlmostEqual(r["total_s"], p["total_ns"] * 1e-9, delta=0.01 * r["total_s"] + 1e-4)
                self.assertLessEqual(abs(r["has_gil_pct"] - p["has_gil_pct"]), TOLERANCE_POINTS,
                                     f"has GIL: rclab {r['has_gil_pct']} perf {p['has_gil_pct']:.1f}")
                self.assertLessEqual(abs(r["wait_pct"] - p["wait_pct"]), TOLERANCE_POINTS,
                                     f"GIL wait: rclab {r['wait_pct']} perf {p['wait_pct']:.1f}")
        return pairs

    def perf_first(self, name):
        first = {}
        for tid, t, kind in pgt.parse_events(self.perf_text(name).splitlines()):
            if kind:
                first.setdefault(tid, t)
        return first

    def test_idle_machine(self):
        self.compare("idle")

    def test_machine_as_shared(self):
        # nothing added: other developers' compilers kept both cores busy
        # (load ~7 on 2 cores), which already opens the gap
        pairs = self.compare("shared")
        self.assertGreater(max(p["has_gil_pct"] - r["holding_pct"] for r, p in pairs), TOLERANCE_POINTS)

    def test_other_core_busy(self):
        pairs = self.compare("loaded")
        # The old definition (holding until drop_gil's entry) is what the
        # recorded run disagrees with per4m on: by more than the tolerance for
        # some thread (by 30 points here).
        worst = max(p["has_gil_pct"] - r["holding_pct"] for r, p in pairs)
        self.assertGreater(worst, TOLERANCE_POINTS, "the loaded fixture no longer shows the divergence")


if __name__ == "__main__":
    sys.exit(pyrunner.main())
