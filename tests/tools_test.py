#!/usr/bin/python3
"""Tests of the Python tools (report arithmetic, statistics, record reading,
compare), run by ctest with Debian's /usr/bin/python3. No test depends on
timing: the fixtures are synthetic and the bootstrap's seed is fixed."""
import copy
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import pyrunner

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
sys.path.insert(0, TOOLS)

import calibration  # noqa: E402
import families  # noqa: E402
import compare  # noqa: E402
import derived  # noqa: E402
import per_workload  # noqa: E402
import table  # noqa: E402
import points as points_mod  # noqa: E402
import rclab_records  # noqa: E402
import scaling  # noqa: E402
import heatmap  # noqa: E402
import stats  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "small.jsonl")
V2 = os.path.join(HERE, "fixtures", "v2_sweep.jsonl")
WORKLOADS = os.path.join(HERE, "fixtures", "v2_workloads.jsonl")
HOSTS = os.path.join(HERE, "fixtures", "v2_hosts.jsonl")
ZEN3, ZEN1 = "amd-25-1-1-0xa001173-5e3c0a11", "amd-23-1-2-0x8001250-0b9d4e27"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load(path):
    pts, notes = points_mod.group(rclab_records.read_records(path, warn=io.StringIO()))
    return pts, notes


def report_md_body(pts, d):
    """The Markdown body (points, calibration, counters) of a file's points."""
    import report_md
    o = io.StringIO()
    report_md._body(o, table.build(pts, d), calibration.rows(pts), [], table.counters(pts), "###")
    return o.getvalue()


def find(pts, config, threads, **kw):
    found = [p for p in pts.values() if p.config == config and p.threads == threads
             and all(getattr(p, k) == v for k, v in kw.items())]
    assert len(found) == 1, (config, threads, found)
    return found[0]


class ReportArithmetic(unittest.TestCase):
    """small.jsonl (schema 1) medians: gil 1t wall 1.1 cpu 1.1; gil 2t wall 2.2;
    atomic 1t wall 1.65; atomic 2t wall 1.1 cpu 4.4 (and one failed run)."""

    def setUp(self):
        self.pts, _ = load(FIXTURE)
        self.d = derived.derive_all(self.pts, 2)

    def test_against_gil(self):
        a2 = self.d[find(self.pts, "atomic", 2).key]
        self.assertAlmostEqual(a2.gil_inflation.value, 4.4 / (2 * 1.1))  # 2.0
        self.assertAlmostEqual(a2.gil_speedup.value, 2 * 1.1 / 1.1)     # 2.0
        self.assertIsNone(a2.gil_overhead)                              # only defined at 1 thread
        a1 = self.d[find(self.pts, "atomic", 1).key]
        self.assertAlmostEqual(a1.gil_overhead.value, 1.65 / 1.1 - 1)  # +50%
        self.assertAlmostEqual(a1.gil_speedup.value, 1.1 / 1.65)
        g2 = self.d[find(self.pts, "gil", 2).key]
        self.assertAlmostEqual(g2.gil_inflation.value, 1.0)
        self.assertAlmostEqual(g2.gil_speedup.value, 1.0)

    def test_schema1_has_no_recorded_baseline(self):
        a2 = self.d[find(self.pts, "atomic", 2).key]
        self.assertIsNone(a2.base)
        self.assertIsNone(a2.speedup)

    def test_intervals_contain_the_estimate(self):
        for d in self.d.values():
            for e in (d.wall, d.cpu, d.gil_speedup, d.gil_inflation):
                if e is not None and e.lo is not None:
                    self.assertLessEqual(e.lo, e.value)
                    self.assertGreaterEqual(e.hi, e.value)

    def test_failed_runs_are_counted_not_averaged(self):
        p = find(self.pts, "atomic", 2)
        self.assertEqual(len(p.ok), 3)
        self.assertEqual(p.failed, 1)

    def test_impossible_scaling_is_flagged(self):
        # atomic: 1.65 s at 1 thread, 1.1 s at 2: scaling 3.0 on 2 cores.
        flags = self.d[find(self.pts, "atomic", 2).key].flags
        self.assertTrue(any("min(N, cores) = 2" in f for f in flags), flags)

    def test_table_and_plots_are_written(self):
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), FIXTURE, "-o", d],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            md = read(os.path.join(d, "report.md"))
            self.assertIn("| gilectomy | atomic | model | 2 | 20 | 3 | 1 | 1.1000 [1.0000, 1.2000] | "
                          "4.4000 [4.0000, 4.8000] | not recorded |", md)
            self.assertIn("+50.0%", md)
            self.assertIn("schema 1: settings and build id not recorded", md)
            self.assertIn("impossible: scaling", out.stderr)
            for name in ("cpu_vs_threads", "wall_vs_threads", "speedup_vs_threads", "overhead_inflation"):
                path = os.path.join(d, f"{name}.png")
                self.assertGreater(os.path.getsize(path), 1000, path)
                with open(path, "rb") as f:
                    head = f.read(32)
                self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
                self.assertEqual(head[25], 3, f"{path}: not a palette PNG (colour type {head[25]})")
            # One image format: no SVG beside the PNGs.
            self.assertEqual(sorted(f for f in os.listdir(d) if not f.endswith(".png")), ["report.html", "report.md"])
            self.assertTrue(os.path.getsize(os.path.join(d, "report.html")) > 1000)
            self.assertEqual([f for f in os.listdir(d) if f.startswith(".tmp-")], [], "temporary files left behind")


class SchemaTwo(unittest.TestCase):
    """v2_sweep.jsonl: families, baselines, peers, ceiling, mixed builds."""

    @classmethod
    def setUpClass(cls):
        cls.pts, cls.notes = load(V2)
        cls.d = derived.derive_all(cls.pts, 2)

    def test_against_the_records_baseline(self):
        # nogil's baseline is biased: wall 0.09 against 0.11 at 1 thread.
        n1 = self.d[find(self.pts, "nogil", 1).key]
        self.assertEqual(n1.base.config, "biased")
        self.assertAlmostEqual(n1.overhead.value, 0.0902 / 0.1100 - 1, places=2)
        # a family baseline against itself
        g2 = self.d[find(self.pts, "gil", 2).key]
        self.assertEqual(g2.base.config, "gil")
        # peers against their own base, never against a model
        gi = self.d[find(self.pts, "gilectomy", 2, kind="peer").key]
        self.assertEqual((gi.base.config, gi.base.kind), ("gilectomy-base", "peer"))

    def test_counters_show_what_the_records_have(self):
        c = table.counters(self.pts)
        # Software counters on every model point; hardware ones only on nogil's records.
        self.assertEqual(c.header, ["config", "threads", "n", "runs", "instructions / call", "cycles / call",
                                    "cache misses / call", "task-clock ns / call", "context switches / run",
                                    "CPU migrations / run", "page faults / run"])
        by = {(r[0], r[1]): r for r in c.rows}
        self.assertEqual(by[("nogil", "2")][4:7], ["1047", "1300", "0.25"])  # the totals over all calls
        self.assertEqual(by[("gil", "2")][4:7], ["—", "—", "—"])
        self.assertEqual(by[("gil", "2")][8:], ["86", "2", "820"])  # per run: totals over the threads
        gil2 = find(self.pts, "gil", 2)
        want = sorted(r["cpu_s"] * 1e9 / r["calls"] for r in gil2.ok)[len(gil2.ok) // 2]
        self.assertAlmostEqual(float(by[("gil", "2")][7]), want, delta=0.1)
        self.assertEqual(c.why, "")
        self.assertEqual([name for name, _ in c.missing], ["instructions", "cycles", "cache_misses"])
        self.assertIn("no PMU exposed", c.missing[0][1])
        md = report_md_body(self.pts, self.d)
        self.assertIn("### Counters", md)
        self.assertIn("- instructions: No such file or directory (ENOENT)", md)

    def test_counters_of_older_records(self):
        """Records from before software counters and `missing`: their context
        switches are shown, and the legacy reason is split per counter."""
        pts = {}
        for k, p in self.pts.items():
            p = copy.deepcopy(p)
            for r in p.ok:
                r["counters"] = {"available": False, "context_switches": 7, "per_thread": [],
                                 "reason": "instructions: No such file or directory; cycles: No such file or "
                                           "directory; cache_misses: No such file or directory"}
            pts[k] = p
        c = table.counters(pts)
        self.assertEqual(c.header[4:], ["context switches / run"])
        self.assertTrue(all(r[4] == "7" for r in c.rows))
        self.assertEqual(c.missing, [(n, "No such file or directory") for n in ("instructions", "cycles",
                                                                                 "cache_misses")])
        for p in pts.values():
            for r in p.ok:
                r["counters"] = {"available": False, "reason": "perf_event_open: not supported"}
        c = table.counters(pts)
        self.assertEqual((c.rows, c.missing, c.why), ([], [], "perf_event_open: not supported"))

    def test_mixed_builds_are_separate_rows(self):
        limits = [p for p in self.pts.values() if p.config == "limit"]
        self.assertEqual(len(limits), 2)
        self.assertEqual(sorted(len(p.ok) for p in limits), [3, 3])
        self.assertTrue(any("mixed builds/settings for config limit: 2 builds" in n for n in self.notes), self.notes)
        self.assertEqual(len({p.label for p in limits}), 2)

    def test_gil_configuration_that_scales_is_flagged(self):
        flags = self.d[find(self.pts, "gil-broken", 2).key].flags
        self.assertTrue(any("GIL configuration scales" in f for f in flags), flags)
        self.assertTrue(any("CPU inflation against itself" in f for f in flags), flags)
        self.assertFalse([f for f in self.d[find(self.pts, "gil", 2).key].flags if f.startswith("impossible")])

    def test_bimodal_point_reports_both_modes(self):
        d = self.d[find(self.pts, "remote", 2).key]
        self.assertIsNotNone(d.modes)
        self.assertEqual(d.modes.describe(), "bimodal: 1.5100 (2/5) | 3.7000 (3/5)")

    def test_ceiling(self):
        ceil = derived.ceiling(self.pts)
        self.assertAlmostEqual(ceil[(20, 1)].value, 1.0)
        self.assertAlmostEqual(ceil[(20, 2)].value, 1.9, places=1)

    def test_report_shows_ceiling_flags_and_calibration(self):
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), V2, "-o", d],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            md = read(os.path.join(d, "report.md"))
        self.assertIn("- machine ceiling: N × wall_ceiling(1) / wall_ceiling(N)", md)
        self.assertIn("N=2: 1.90", md)
        self.assertIn("| ceiling | ceiling | ceiling | 2 |", md)
        self.assertIn("**⚠ 3.33", md)
        self.assertIn("bimodal: 1.5100 (2/5) \\| 3.7000 (3/5)", md)
        self.assertIn("| gil | cpython-3.6 (real) | 20 | wall1 |", md)
        self.assertIn("limit [build fedcba98]", md)
        self.assertIn("warning: gil-broken at 2 threads, n=20: impossible: a GIL configuration scales", out.stderr)
        self.assertIn("warning: mixed builds/settings for config limit", out.stderr)

    def test_calibration_rows_keep_missing_pairs(self):
        rows = calibration.rows(self.pts)
        by = {(r.model, r.figure): r for r in rows}
        # One row per (pair, figure) of schema/calibration.json, pairs whose
        # points are missing from the fixture included.
        self.assertEqual(len(rows), sum(len(p["figures"]) for p in families.CALIBRATION))
        g = by[("gil", "wall1")]
        self.assertAlmostEqual(g.ratio.value, 0.1 / 0.189, places=2)
        gi = by[("gilectomy-2016-10", "overhead")]
        self.assertAlmostEqual(gi.real_value.value, 0.29 / 0.21 - 1, places=2)
        self.assertAlmostEqual(gi.model_value.value, 0.29 / 0.10 - 1, places=1)
        pts_no_peers = {k: p for k, p in self.pts.items() if p.config != "cpython-2.7"}
        miss = {(r.model, r.figure): r for r in calibration.rows(pts_no_peers)}[("gil-ticks", "scale:2")]
        self.assertIn("missing", miss.missing)
        self.assertIsNotNone(miss.model_value)


class Agree(unittest.TestCase):
    def test_a_sweep_agrees_with_itself_and_names_its_figures(self):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "agree.py"), V2, V2],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("| nogil | 2 | inflation |", out.stdout)
        self.assertNotIn("**no**", out.stdout)
        self.assertRegex(out.stderr, r"rclab agree: (\d+) of \1 intervals overlap")

    def test_disturbed_runs_can_be_left_out(self):
        recs = [{"disturbance": {"other_cpu_frac": x}} for x in (0.0, 0.1, 0.5)] + [{}]
        kept, note = rclab_records.drop_disturbed(recs, 0.2)
        self.assertEqual(len(kept), 3)  # the one without a disturbance stays
        self.assertIn("1 of 4 records left out", note)
        self.assertEqual(rclab_records.drop_disturbed(recs, None), (recs, None))
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "agree.py"), V2, V2, "--max-other-cpu", "2"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1)

    def test_missing_file_is_one_line_and_status_2(self):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "agree.py"), "/nonexistent", V2],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1)


class Variants(unittest.TestCase):
    """Records built in memory with the fixture generator's helpers."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(HERE, "fixtures"))
        import gen_fixtures
        cls.gen = gen_fixtures

    def points_of(self, recs):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write("".join(__import__("json").dumps(r) + "\n" for r in recs))
        self.addCleanup(os.unlink, f.name)
        return load(f.name)

    def test_mixed_settings_are_separate_rows_and_bases_match_settings(self):
        m = self.gen.model
        recs = []
        for r in (1, 2, 3):
            for si in (5000, 1000):
                for t in (1, 2):
                    rec = m("gil", "gil-models", "", t, 0.1 * t * (1 + si / 10000), 0.1 * t, gil="interval", repeat=r)
                    rec["settings"]["switch_interval_us"] = si
                    recs.append(rec)
        pts, notes = self.points_of(recs)
        self.assertEqual(len(pts), 4)
        self.assertTrue(any("2 settings" in n for n in notes), notes)
        d = derived.derive_all(pts, 2)
        for p in pts.values():
            self.assertIn("settings #", p.label)
            self.assertEqual(d[p.key].base.variant, p.variant)  # each against its own settings' 1-thread point

    def test_zero_cpu_baseline_gives_no_figure_not_a_crash(self):
        m = self.gen.model
        recs = [m("gil", "gil-models", "", 1, 0.1, 0.0, gil="interval", repeat=r) for r in (1, 2)]
        recs += [m("atomic", "gilectomy", "gil", 2, 0.2, 0.4, repeat=r) for r in (1, 2)]
        pts, _ = self.points_of(recs)
        d = derived.derive_all(pts, 2)
        a = d[find(pts, "atomic", 2).key]
        self.assertIsNone(a.inflation)
        self.assertIsNotNone(a.speedup)

    def test_live_blocks_make_a_run_failed(self):
        m = self.gen.model
        recs = [m("gil", "gil-models", "", 1, 0.1, 0.1, gil="interval", repeat=r) for r in (1, 2, 3)]
        recs[0]["live_blocks"] = 2
        pts, _ = self.points_of(recs)
        p = find(pts, "gil", 1)
        self.assertEqual((len(p.ok), p.failed), (2, 1))


class PointKey(unittest.TestCase):
    """The key is the schema's x-rclab-point-key list, nothing else: each field
    it names moves the key, and a spec without an entry makes a shorter key."""

    def record(self):
        return {k: v for k, v in rclab_records.read_records(V2, warn=io.StringIO())[0].items() if k != "_where"}

    def set_path(self, rec, path, value):
        rec = copy.deepcopy(rec)
        parts = path.split("/")
        d = rec
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = value
        return rec

    def test_the_key_follows_the_schema_list(self):
        spec = rclab_records.point_key_spec()
        rec = self.record()
        key = rclab_records.point_key(rec)
        self.assertEqual(len(key), len(spec))
        for i, e in enumerate(spec):
            if e["field"] == "kind":
                continue
            with self.subTest(field=e["field"]):
                old = key[i]
                new = {"n": 99, "threads": 99}.get(e["field"], {"x": 1} if isinstance(old, str) and old.startswith("{")
                                                   else "changed")
                moved = rclab_records.point_key(self.set_path(rec, e["field"], new))
                self.assertNotEqual(moved[i], old)
                self.assertEqual(moved[:i] + moved[i + 1:], key[:i] + key[i + 1:])

    def test_a_spec_without_an_entry_makes_a_shorter_key(self):
        saved = rclab_records._key_spec
        try:
            rclab_records._key_spec = [e for e in rclab_records.point_key_spec() if e["field"] != "machine/host_id"]
            self.assertEqual(len(rclab_records.point_key(self.record())), len(rclab_records._key_spec))
            self.assertNotIn("unknown", rclab_records.point_key(self.record()))
        finally:
            rclab_records._key_spec = saved

    def test_schema_spec_is_the_interface(self):
        self.assertEqual([e["field"] for e in rclab_records.point_key_spec()],
                         ["kind", "config", "policies", "settings", "n", "threads", "build/id", "workload",
                          "workload_code_sha256", "workload_source_sha256", "machine/host_id"])

    def test_missing_host_id_is_unknown(self):
        rec = self.record()
        rec["machine"].pop("host_id", None)
        self.assertEqual(rclab_records.point_key(rec)[-1], "unknown")
        self.assertEqual(rclab_records.host_of(rec), "unknown")
        del rec["machine"]
        self.assertEqual(rclab_records.host_of(rec), "unknown")

    def test_two_hosts_are_never_pooled(self):
        rec = self.record()
        x = [self.set_path(dict(rec, wall_s=1.0 + i / 100), "machine/host_id", "amd-23-1-2-0x1-aaaaaaaa")
             for i in range(3)]
        y = [self.set_path(dict(rec, wall_s=2.0 + i / 100), "machine/host_id", "amd-25-17-1-0x2-bbbbbbbb")
             for i in range(3)]
        unknown = [{k: v for k, v in dict(rec, wall_s=3.0).items()}]
        unknown[0]["machine"] = {k: v for k, v in rec["machine"].items() if k != "host_id"}
        pts, notes = points_mod.group(x + y + unknown)
        self.assertEqual(len(pts), 3)
        self.assertEqual(sorted(p.host for p in pts.values()),
                         ["amd-23-1-2-0x1-aaaaaaaa", "amd-25-17-1-0x2-bbbbbbbb", "unknown"])
        self.assertEqual(sorted(len(p.ok) for p in pts.values()), [1, 3, 3])
        self.assertTrue(all(p.label == "gil @" + p.host for p in pts.values()), [p.label for p in pts.values()])
        self.assertTrue(any("records from 3 hosts" in n for n in notes), notes)
        self.assertEqual(points_mod.hosts_of(pts), sorted(p.host for p in pts.values()))

    def test_a_base_is_never_taken_from_another_host(self):
        rec = self.record()
        one = self.set_path(dict(rec, threads=1), "machine/host_id", "host-a")
        two = self.set_path(dict(rec, threads=2), "machine/host_id", "host-b")
        pts, _ = points_mod.group([one, two])
        p2 = [p for p in pts.values() if p.threads == 2][0]
        self.assertIsNone(points_mod.find_base(pts, p2, p2.config))
        pts, _ = points_mod.group([one, self.set_path(two, "machine/host_id", "host-a")])
        p2 = [p for p in pts.values() if p.threads == 2][0]
        self.assertIsNotNone(points_mod.find_base(pts, p2, p2.config))

    def test_a_peer_is_keyed_by_its_executable(self):
        peer = [r for r in rclab_records.read_records(V2, warn=io.StringIO()) if r["kind"] == "peer"][0]
        peer = {k: v for k, v in peer.items() if k != "_where"}
        i = rclab_records.key_field_index("build/id")
        self.assertEqual(rclab_records.point_key(peer)[i], peer["peer"]["executable"])
        rebuilt = self.set_path(peer, "build/id", "ffffffffffffffff")
        self.assertEqual(rclab_records.point_key(rebuilt), rclab_records.point_key(peer))
        moved = self.set_path(peer, "peer/executable", "/elsewhere/python")
        self.assertNotEqual(rclab_records.point_key(moved), rclab_records.point_key(peer))

    def test_the_ceiling_has_no_workload(self):
        ceil = [r for r in rclab_records.read_records(V2, warn=io.StringIO()) if r["kind"] == "ceiling"][0]
        i = rclab_records.key_field_index("workload")
        self.assertEqual(rclab_records.point_key(dict(ceil, workload="queue"))[i], "")


class Hosts(unittest.TestCase):
    """v2_hosts.jsonl (gen_fixtures.py hosts()): gil and cpython-3.6 on two
    hosts of one kind (Zen 3: gil/real wall 0.95; Zen 1: 0.82) and
    cpython-3.6 alone in records without a host id."""

    @classmethod
    def setUpClass(cls):
        cls.recs = rclab_records.read_records(HOSTS, warn=io.StringIO())
        cls.pts, cls.notes = points_mod.group(cls.recs)
        cls.d = derived.derive_all(cls.pts, 2)

    def test_points_of_each_host_apart_and_labelled(self):
        self.assertEqual(points_mod.hosts_of(self.pts), sorted([ZEN1, ZEN3, "unknown"]))
        gil1 = [p for p in self.pts.values() if p.config == "gil" and p.threads == 1]
        self.assertEqual(sorted(p.host for p in gil1), sorted([ZEN1, ZEN3]))
        self.assertEqual(sorted(p.label for p in gil1), sorted([f"gil @{ZEN1}", f"gil @{ZEN3}"]))
        self.assertTrue(all(len(p.ok) == 3 for p in self.pts.values()))
        self.assertTrue(any("records from 3 hosts" in n for n in self.notes), self.notes)

    def test_every_figure_within_one_host(self):
        for p in self.pts.values():
            d = self.d[p.key]
            for base in (d.base, d.gil_base):
                if base is not None:
                    self.assertEqual(base.host, p.host, (p.label, base.label))
        # cpython-3.6 of the unknown host has no gil of its own host to be read against
        real = [p for p in self.pts.values() if p.host == "unknown" and p.threads == 1][0]
        self.assertIsNone(self.d[real.key].gil_base)

    def test_calibration_pairs_only_within_a_host(self):
        rows = [r for r in calibration.rows(self.pts) if r.model == "gil" and r.figure == "wall1"]
        by = {r.host: r for r in rows}
        self.assertEqual(set(by), {ZEN1, ZEN3, "unknown"})
        self.assertAlmostEqual(by[ZEN3].ratio.value, 0.156 / 0.164, places=2)
        self.assertAlmostEqual(by[ZEN1].ratio.value, 0.457 / 0.557, places=2)
        self.assertEqual(by["unknown"].missing, "missing: gil at 1 thread on host unknown")
        self.assertIsNone(by["unknown"].ratio)
        self.assertEqual(table.calibration_header(rows)[0], "host")
        self.assertEqual(table.calibration(rows)[0][0], rows[0].host)
        one_host = {k: p for k, p in self.pts.items() if p.host == ZEN3}
        self.assertEqual(table.calibration_header(calibration.rows(one_host)), table.CALIBRATION_HEADER)

    def test_report_shows_the_hosts(self):
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), HOSTS, "-o", d],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            md = read(os.path.join(d, "report.md"))
            page = read(os.path.join(d, "report.html"))
        for text in (md, page):
            self.assertIn(f"{ZEN1}`: AuthenticAMD family 23 model 1 stepping 2, microcode 0x8001250; 2 cores "
                          "(1 threads/core, 1 socket); caches L1d 32 KiB, L1i 64 KiB, L2 512 KiB, L3 32 MiB; "
                          "hypervisor KVM; probe: one uncontended lock add 7.4 ns, one cache-line round trip "
                          "between two cores 118 ns", text.replace("<code>", "`").replace("</code>", "`"))
            self.assertIn(TABLE_NOTE_START, text)
        self.assertIn("- host: unknown: 6 records (peer) carry no host id", md)
        self.assertIn(f"| {ZEN3} | gil | cpython-3.6 (real) | 30 | wall1 |", md)
        self.assertIn(f"| gil-models | gil @{ZEN1} | model |", md)
        self.assertIn(f"- machine ceiling @{ZEN1}: N × wall_ceiling(1)", md)
        self.assertIn("records from 3 hosts", out.stderr)

    def test_agree_refuses_a_file_of_several_hosts(self):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "agree.py"), HOSTS, V2], capture_output=True,
                             text=True)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
        self.assertIn("records from 3 hosts", out.stderr)
        self.assertEqual(out.stdout, "")

    def test_agree_shows_each_sides_host(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {}
            for host in (ZEN3, ZEN1):
                paths[host] = os.path.join(d, host + ".jsonl")
                with open(paths[host], "w") as f:
                    for line in read(HOSTS).splitlines():
                        if f'"host_id": "{host}"' in line:
                            f.write(line + "\n")
            out = subprocess.run([sys.executable, os.path.join(TOOLS, "agree.py"), paths[ZEN3], paths[ZEN1]],
                                 capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"- A ({ZEN3}.jsonl) host `{ZEN3}`: AuthenticAMD family 25 model 1 stepping 1", out.stdout)
        self.assertIn(f"- B ({ZEN1}.jsonl) host `{ZEN1}`: AuthenticAMD family 23 model 1 stepping 2", out.stdout)
        self.assertIn("A and B come from different hosts", out.stdout)
        same = subprocess.run([sys.executable, os.path.join(TOOLS, "agree.py"), V2, V2], capture_output=True,
                              text=True)
        self.assertNotIn("different hosts", same.stdout)

    def test_compare_names_the_host_axis(self):
        head = compare.differing_axes([p for p in self.pts.values() if p.host == ZEN3],
                                      [p for p in self.pts.values() if p.host == ZEN1])
        self.assertTrue(any(line.startswith("- **host differ**") for line in head), head)


TABLE_NOTE_START = "a model is never paired with a real interpreter measured on another host"


class Statistics(unittest.TestCase):
    def test_bimodal_rule(self):
        self.assertIsNotNone(stats.bimodal([1.5, 1.52, 3.5, 3.7, 3.8]))
        self.assertIsNone(stats.bimodal([1.0, 1.01, 1.02, 1.03, 1.2]))  # one outlier is not a mode
        self.assertIsNone(stats.bimodal([1.0, 1.1, 3.0]))              # too few repeats
        self.assertIsNone(stats.bimodal([1.0, 1.01, 1.02, 1.03]))       # even spacing: no gap

    def test_ratio_of_a_zero_median_is_no_figure(self):
        self.assertIsNone(stats.ratio([[0.0, 0.0], [1.0, 1.1]], lambda a, b: b / a))

    def test_single_repeat_has_no_interval(self):
        e = stats.median([1.0])
        self.assertEqual((e.value, e.lo, e.hi), (1.0, None, None))

    def test_reproducible(self):
        a = stats.ratio([[1.0, 1.2, 1.1, 1.3], [2.0, 2.1, 2.5]], lambda x, y: y / x)
        b = stats.ratio([[1.0, 1.2, 1.1, 1.3], [2.0, 2.1, 2.5]], lambda x, y: y / x)
        self.assertEqual((a.lo, a.hi), (b.lo, b.hi))


class Reading(unittest.TestCase):
    def write(self, text, mode="w"):
        f = tempfile.NamedTemporaryFile(mode, suffix=".jsonl", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_truncated_last_line_is_reported_with_its_number_and_skipped(self):
        path = self.write(read(FIXTURE) + '{"config": "gil", "threads": 1, "wall')
        warn = io.StringIO()
        recs = rclab_records.read_records(path, warn=warn)
        self.assertEqual(len(recs), 13)
        self.assertIn(f"{path}:14: truncated last record; skipped", warn.getvalue())

    def test_damaged_middle_line_is_reported_and_the_rest_kept(self):
        # A sweep resumed after a crash appends behind the cut line.
        lines = read(FIXTURE).splitlines()
        lines[2] = "garbage"
        path = self.write("\n".join(lines) + "\n")
        warn = io.StringIO()
        recs = rclab_records.read_records(path, warn=warn)
        self.assertEqual(len(recs), 12)
        self.assertIn(f"{path}:3: not a JSON record; skipped", warn.getvalue())

    def test_a_gzipped_file_reads_as_its_records(self):
        import gzip
        path = self.write(gzip.compress(read(FIXTURE).encode()), mode="wb")
        plain = self.write(read(FIXTURE))
        strip = lambda recs: [{k: v for k, v in r.items() if k != "_where"} for r in recs]
        self.assertEqual(strip(rclab_records.read_records(path, warn=io.StringIO())),
                         strip(rclab_records.read_records(plain, warn=io.StringIO())))
        cut = self.write(gzip.compress(read(FIXTURE).encode())[:-20], mode="wb")
        with self.assertRaisesRegex(rclab_records.BadInput, "does not decompress"):
            rclab_records.read_records(cut, warn=io.StringIO())

    def test_ok_needs_live_blocks_zero(self):
        self.assertTrue(rclab_records.is_ok({"result_ok": True}))
        self.assertFalse(rclab_records.is_ok({"result_ok": True, "live_blocks": 3}))
        self.assertFalse(rclab_records.is_ok({"result_ok": True, "live_objects": 1}))
        self.assertFalse(rclab_records.is_ok({"result_ok": True, "status": "failed"}))
        self.assertFalse(rclab_records.is_ok({}))

    def test_every_committed_result_file_is_valid(self):
        import glob
        files = [f for pat in ("*.jsonl", "*.jsonl.gz")
                 for f in glob.glob(os.path.join(os.path.dirname(HERE), "results", "*", pat))]
        self.assertTrue(files)
        for f in files:
            self.assertTrue(rclab_records.read_records(f, warn=io.StringIO()), f)


class Workloads(unittest.TestCase):
    """v2_workloads.jsonl (tests/fixtures/gen_fixtures.py workloads()): fib
    (n=20) and queue (n=500) on gil, gilectomy-2016-10, nogil and the peers
    they model, 1 and 2 threads, and the ceiling."""

    @classmethod
    def setUpClass(cls):
        cls.pts, _ = load(WORKLOADS)
        cls.d = derived.derive_all(cls.pts, 2)

    def test_point_keys_differ_by_workload(self):
        rec = rclab_records.read_records(WORKLOADS, warn=io.StringIO())[0]
        rec = {k: v for k, v in rec.items() if k != "_where"}
        other = dict(rec, workload="queue" if rec["workload"] != "queue" else "fib")
        self.assertNotEqual(rclab_records.point_key(rec), rclab_records.point_key(other))
        # Records from before workloads ran fib: without the field they are fib's points.
        fib = {k: v for k, v in dict(rec, workload="fib").items() if k != "workload_code_sha256"}
        bare = {k: v for k, v in fib.items() if k != "workload"}
        self.assertEqual(rclab_records.point_key(bare), rclab_records.point_key(fib))
        # Same config, n and threads are never pooled across workloads, even with equal n.
        same_n = dict(other, n=rec["n"])
        self.assertNotEqual(rclab_records.point_key(rec), rclab_records.point_key(same_n))
        ceil = [p for p in self.pts.values() if p.kind == "ceiling"]
        self.assertTrue(ceil and all(p.workload == "" for p in ceil))
        self.assertEqual(len({(p.config, p.workload) for p in self.pts.values() if p.config == "nogil"}), 2)

    def test_derived_figures_use_the_same_workloads_baseline(self):
        for p in self.pts.values():
            dd = self.d[p.key]
            for b in (dd.base, dd.gil_base):
                if b is not None and p.kind != "ceiling":
                    self.assertEqual(b.workload, p.workload, (p.label, p.workload))
        nq = self.d[find(self.pts, "nogil", 2, workload="queue").key]
        self.assertAlmostEqual(nq.speedup.value, 2 * 0.02 / 0.12, delta=0.01)   # against queue's gil(1)
        self.assertAlmostEqual(nq.scaling.value, 2 * 0.03 / 0.12, delta=0.01)
        nf = self.d[find(self.pts, "nogil", 2, workload="fib").key]
        self.assertAlmostEqual(nf.speedup.value, 2 * 0.10 / 0.09, delta=0.05)   # against fib's gil(1)
        g1 = self.d[find(self.pts, "gilectomy", 1, workload="queue").key]       # a peer against its base, same workload
        self.assertEqual(g1.base.config, "gilectomy-base")
        self.assertAlmostEqual(g1.overhead.value, 0.08 / 0.035 - 1, delta=0.05)
        # The ceiling is shared: no "vs gil" in a file of several workloads, one ceiling speedup per N.
        c2 = self.d[find(self.pts, "ceiling", 2).key]
        self.assertIsNone(c2.gil_base)
        self.assertEqual(sorted(t for _, t in derived.ceiling(self.pts)), [1, 2])

    def test_calibration_per_workload(self):
        sub = points_mod.of_workload(self.pts, "queue")
        rows = [r for r in calibration.rows(sub) if r.model == "nogil" and r.figure == "speedup:2"]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0].n, 500)
        self.assertAlmostEqual(rows[0].model_value.value, 2 * 0.02 / 0.12, delta=0.01)
        self.assertAlmostEqual(rows[0].real_value.value, 2 * 0.026 / 0.03, delta=0.02)

    def test_worst_workload_per_configuration(self):
        rows = per_workload.worst(self.pts, self.d)
        worst = {r.label: r.workload for r in rows if r.worst}
        self.assertEqual(worst, {"nogil": "queue", "gilectomy-2016-10": "fib"})
        nq = [r for r in rows if r.label == "nogil" and r.workload == "queue"][0]
        self.assertEqual(nq.threads, 2)
        self.assertAlmostEqual(nq.ratio.value, 0.12 / 0.03, delta=0.05)
        self.assertLessEqual(nq.ratio.lo, nq.ratio.value)
        self.assertAlmostEqual(nq.scaling.value, 0.5, delta=0.02)

    def test_ranking_agrees_on_fib_and_not_on_queue(self):
        rows = {(r.workload, r.threads): r for r in per_workload.ranking(self.pts)}
        self.assertEqual(sorted(rows), [("fib", 1), ("fib", 2), ("queue", 1), ("queue", 2)])
        for t in (1, 2):
            self.assertIs(rows[("fib", t)].agree, True)
            self.assertIs(rows[("queue", t)].agree, False)
        q2 = rows[("queue", 2)]
        self.assertEqual([n for n, _ in q2.model], ["gil", "nogil", "gilectomy-2016-10"])
        self.assertEqual([n for n, _ in q2.real], ["nogil-gil-off", "cpython-3.6", "gilectomy"])
        cells = per_workload.rank_cells([q2, rows[("fib", 2)]])
        self.assertEqual([c[4] for c in cells], ["no", "yes"])

    def test_ranking_says_what_is_missing(self):
        pts = {k: p for k, p in self.pts.items() if not (p.config == "gilectomy" and p.workload == "queue")}
        rows = {(r.workload, r.threads): r for r in per_workload.ranking(pts)}
        q1 = rows[("queue", 1)]
        self.assertIsNone(q1.agree)
        self.assertEqual(q1.missing, ["gilectomy (real)"])
        self.assertIs(q1.partial, False)  # gil < nogil in the model, nogil-gil-off < cpython-3.6 for real
        self.assertTrue(per_workload.rank_cells([q1])[0][4].startswith("missing: gilectomy (real)"))

    def test_report_has_a_section_and_plots_per_workload(self):
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), WORKLOADS, "-o", d],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            md = read(os.path.join(d, "report.md"))
            for title in ("## Worst workload per configuration", "## Ranking vs the real interpreters",
                          "## Workload `fib`", "## Workload `queue`", "## Machine ceiling (shared by every workload)"):
                self.assertEqual(md.count(title + "\n"), 1, title)
            self.assertLess(md.index("## Workload `fib`"), md.index("## Workload `queue`"))
            self.assertIn("- nogil: worst on queue (4.00× gil at 2 threads)", md)
            page = read(os.path.join(d, "report.html"))
            self.assertIn("<h2>Workload <code>queue</code></h2>", page)
            import re
            ids = re.findall(r'id="([^"]+)"', page)
            self.assertGreaterEqual(len(ids), 2)  # a flag in each workload's section
            self.assertEqual(len(ids), len(set(ids)), "footnote ids repeat across workload sections")
            self.assertTrue(set(re.findall(r'href="#([^"]+)"', page)) <= set(ids))
            for wl in ("fib", "queue"):
                for name in ("wall_vs_threads", "cpu_vs_threads", "speedup_vs_threads", "overhead_inflation"):
                    self.assertGreater(os.path.getsize(os.path.join(d, f"{name}.{wl}.png")), 1000)
                    self.assertIn(f"![{name}.{wl}.png]({name}.{wl}.png)", md)
                    self.assertIn(f'alt="{name}.{wl}.png"', page)
            self.assertFalse(os.path.exists(os.path.join(d, "wall_vs_threads.png")))

    def test_a_fib_only_file_reports_as_before_workloads(self):
        """fib's records with the workload fields read exactly as the same
        records without them (records from before workloads): same md, same
        html, same plots, and no trace of workloads."""
        import json
        recs = [json.loads(line) for line in read(WORKLOADS).splitlines()]
        recs = [r for r in recs if r.get("workload", "fib") == "fib"]
        bare = [{k: v for k, v in r.items() if not k.startswith("workload")} for r in recs]
        outs = []
        with tempfile.TemporaryDirectory() as d:
            for name, rs in (("with", recs), ("without", bare)):
                os.makedirs(os.path.join(d, name))
                path = os.path.join(d, name, "fib.jsonl")
                with open(path, "w") as f:
                    f.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in rs))
                out = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), path],
                                     capture_output=True, text=True)
                self.assertEqual(out.returncode, 0, out.stderr)
                files = sorted(os.listdir(os.path.join(d, name)))
                blobs = {}
                for f in files:
                    if f.endswith((".md", ".html", ".png")):
                        with open(os.path.join(d, name, f), "rb") as fh:
                            blobs[f] = fh.read()
                outs.append((files, blobs))
        self.assertEqual(outs[0][0], outs[1][0])
        self.assertIn("wall_vs_threads.png", outs[0][0])
        for f in outs[0][1]:
            self.assertEqual(outs[0][1][f], outs[1][1][f], f)
        md = outs[0][1]["report.md"].decode()
        self.assertNotIn("orkload", md)
        self.assertIn("## Calibration: each model beside the real system it models", md)

    def test_compare_and_agree_match_workloads(self):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), WORKLOADS, "--configs", "gil,nogil"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [line for line in out.stdout.splitlines() if line.startswith("| gil → nogil")]
        self.assertEqual(len(rows), 4, out.stdout)
        self.assertTrue(any(line.startswith("| gil → nogil [queue] | 2 | 500 |") for line in rows), rows)
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "agree.py"), WORKLOADS, WORKLOADS],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("| nogil | queue | 2 | speedup |", out.stdout)


class SharedFixtures(unittest.TestCase):
    """tests/fixtures/records/: the files the C++ reader tests against too."""
    DIR = os.path.join(HERE, "fixtures", "records")

    def test_schema_is_a_valid_draft7_schema(self):
        import json
        import jsonschema
        with open(rclab_records.SCHEMA_PATH, encoding="utf-8") as f:
            jsonschema.Draft7Validator.check_schema(json.load(f))

    def test_valid_records_are_accepted(self):
        names = sorted(os.listdir(os.path.join(self.DIR, "valid")))
        self.assertGreaterEqual(len(names), 5)
        for name in names:
            with self.subTest(name):
                self.assertTrue(rclab_records.read_records(os.path.join(self.DIR, "valid", name), warn=io.StringIO()))

    def test_invalid_records_are_refused_naming_the_field(self):
        names = sorted(os.listdir(os.path.join(self.DIR, "invalid")))
        self.assertGreaterEqual(len(names), 20)
        for name in names:
            field = name.split("--")[0]
            path = os.path.join(self.DIR, "invalid", name)
            with self.subTest(name):
                with self.assertRaises(rclab_records.BadInput) as cm:
                    rclab_records.read_records(path, warn=io.StringIO())
                self.assertIn(f"{path}:1: field '{field}'", str(cm.exception))


class Compare(unittest.TestCase):
    def run_compare(self, *args):
        return subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), *args],
                              capture_output=True, text=True)

    def test_smallest_possible_p(self):
        self.assertAlmostEqual(compare.smallest_p(3, 3), 0.1)
        self.assertAlmostEqual(compare.smallest_p(5, 5), 2 / 252)

    def test_separated_samples(self):
        p = compare.compare_samples([1.0, 1.1, 1.2, 1.3, 1.4], [2.0, 2.1, 2.2, 2.3, 2.4])
        self.assertAlmostEqual(p, 2 / 252)

    def test_two_configs_in_one_file(self):
        out = self.run_compare(FIXTURE, "--configs", "gil,atomic")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("| gil → atomic | 2 | 20 | 3/3 | 2.2000 | 1.1000 | 0.500 [0.417, 0.600] |", out.stdout)
        self.assertIn("too few repeats", out.stdout)

    def test_differing_axes_come_first(self):
        out = self.run_compare(V2, "--configs", "gil,atomic")
        self.assertEqual(out.returncode, 0, out.stderr)
        head = out.stdout.split("| point |")[0]
        self.assertIn("**policies differ**: gil: interval → none; refcount: plain → atomic", head)
        self.assertIn("same settings", head)
        self.assertIn("same build", head)

    def test_same_config_twice_is_refused(self):
        out = self.run_compare(FIXTURE, "--configs", "gil,gil")
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)

    def test_files_with_no_common_point_are_refused(self):
        other = os.path.join(HERE, "fixtures", "records", "valid", "peer.jsonl")
        out = self.run_compare(FIXTURE, other)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stderr.strip().splitlines(), ["rclab: compare: no point appears on both sides "
                                                           "(matched by config, n and threads)"])

    def test_unknown_config_is_refused_in_one_line(self):
        out = self.run_compare(FIXTURE, "--configs", "gil,nope")
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)



class Heatmap(unittest.TestCase):
    """tools/heatmap.py: the strategy x workload matrix at the top of a report of several workloads."""

    @classmethod
    def setUpClass(cls):
        cls.pts, _ = load(WORKLOADS)

    def test_cells_are_speedups_against_the_root_baseline_at_the_largest_n(self):
        n, workloads, rows, cells = heatmap.matrix(self.pts)
        self.assertEqual(n, 2)
        self.assertEqual(workloads, ["fib", "queue"])
        labels = [label for label, _ in rows]
        # Model rows first, then the real ones.
        kinds = [k for _, k in rows]
        self.assertEqual(kinds, sorted(kinds, key=lambda k: k != "model"))
        self.assertIn("gilectomy (real)", labels)
        # nogil on queue: 2 x gil's wall(1) / nogil's wall(2), as derived's speedup against gil.
        self.assertAlmostEqual(cells[("nogil", "queue")].value, 2 * 0.02 / 0.12, delta=0.01)
        # A peer against its own base; a root (gil, a base peer) shows its own scaling.
        g = derived.speedup(find(self.pts, "gilectomy", 2, workload="fib"),
                            find(self.pts, "gilectomy-base", 1, workload="fib"))
        self.assertAlmostEqual(cells[("gilectomy (real)", "fib")].value, g.value)
        self.assertIn(("gil", "fib"), cells)

    def test_a_row_whose_baseline_was_not_swept_shows_its_own_scaling(self):
        """nogil read against nogil-gil, which the file does not have: the row
        stays, against nogil's own single thread, rather than leaving the matrix."""
        import copy
        pts = {}
        for key, p in self.pts.items():
            if p.config == "nogil":
                p = copy.copy(p)
                p.baseline = "nogil-gil"
            pts[key] = p
        n, workloads, rows, cells = heatmap.matrix(pts)
        self.assertIn(("nogil", "queue"), cells)
        own = derived.speedup(find(pts, "nogil", 2, workload="queue"), find(pts, "nogil", 1, workload="queue"))
        self.assertAlmostEqual(cells[("nogil", "queue")].value, own.value)

    def test_best_and_worst_and_the_crossing_mark(self):
        m = heatmap.matrix(self.pts)
        lines = heatmap.best_worst(m)
        self.assertEqual(len(lines), len(m[2]))
        nogil = next(line for line in lines if line.startswith("nogil:"))
        self.assertRegex(nogil, r"^nogil: best fib .*, worst queue ")
        self.assertEqual(heatmap.cell_text(stats.Estimate(1.1, 0.9, 1.3)), "1.10 [0.90, 1.30] ~")
        self.assertEqual(heatmap.cell_text(stats.Estimate(1.5, 1.2, 1.8)), "1.50 [1.20, 1.80]")

    def test_thirty_rows_by_twenty_eight_workloads_are_drawn(self):
        """The size the issue asks to stay legible: one PNG, its size grown
        with the matrix (the picture itself was looked at by hand)."""
        import random
        rng = random.Random(7)
        workloads = [f"workload_{i:02d}" for i in range(28)]
        rows = [(f"config-{i:02d}", "model") for i in range(24)] + [(f"real-{i}", "peer") for i in range(6)]
        cells = {}
        for label, _ in rows:
            for w in workloads:
                v = 2 ** rng.uniform(-2.5, 2.5)
                cells[(label, w)] = stats.Estimate(v, v * 0.9, v * 1.1)
        out = tempfile.mkdtemp()
        try:
            files = heatmap.draw((4, workloads, rows, cells), out)
            self.assertEqual([os.path.basename(f) for f in files], ["heatmap.png"])
            from PIL import Image
            w, h = Image.open(files[0]).size
            self.assertGreater(w, 1500)
            self.assertGreater(h, 800)
        finally:
            shutil.rmtree(out)


class Scaling(unittest.TestCase):
    """tools/scaling.py: ftscalingbench's words over the report's own scaling figure."""

    def test_rows_read_like_ftscalingbench(self):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "scaling.py"), V2, "--configs", "gil,biased"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertIn("At 2 threads", lines)
        gil = next(ln for ln in lines if ln.strip().startswith("gil "))
        biased = next(ln for ln in lines if ln.strip().startswith("biased "))
        self.assertRegex(gil, r"1\.0x slower +1\.00 \[0\.\d\d, 1\.\d\d\]  ~$")  # a GIL: its interval holds 1
        self.assertRegex(biased, r"1\.8x faster +1\.82 \[1\.\d\d, 1\.\d\d\]$")
        self.assertLess(lines.index(gil), lines.index(biased), "--configs' order")

    def test_direction_is_ftscalingbenchs(self):
        self.assertEqual(scaling.direction(2.0), (2.0, "faster"))
        self.assertEqual(scaling.direction(1.0), (1.0, "faster"))
        self.assertEqual(scaling.direction(0.5), (2.0, "slower"))


if __name__ == "__main__":
    sys.exit(pyrunner.main())
