"""The report's table as data — header, rows of cells, each cell possibly
flagged — rendered by report_md.py and html_report.py alike, so the two
reports can never say different things.
"""
from dataclasses import dataclass, field

import families

SCHEMA1_NOTE = "schema 1: settings and build id not recorded"


@dataclass
class Cell:
    text: str
    flag: str = ""  # why the value cannot be true; "" when it is fine


@dataclass
class Row:
    cells: list
    notes: list = field(default_factory=list)


@dataclass
class Section:
    """One workload's part of a report of several (workload "" = the ceiling's rows)."""
    workload: str
    rows: list
    cal_rows: list = field(default_factory=list)
    counter_rows: list = field(default_factory=list)
    counters_why: str = ""
    plots: list = field(default_factory=list)


WORKLOADS_EXPLAIN = (
    "This file holds several workloads (`n` is each workload's own: fib's n, or its iteration count). Each has "
    "a section of its own below, and every figure is taken within one workload: a row's base, `gil` and its own "
    "1-thread run are points of the same workload. The machine ceiling runs no workload and serves them all.")


HEADER = ["family", "config", "kind", "threads", "n", "runs", "failed", "wall s", "CPU s",
          "base", "1-thread overhead", "CPU inflation", "speedup",
          "vs gil: overhead", "vs gil: CPU inflation", "vs gil: speedup",
          "scaling", "notes"]

EXPLAIN = (
    "Medians over the ok repeats with their 95% bootstrap interval in brackets (percentile method, fixed seed; "
    "no interval with fewer than 2 repeats). **base** is the configuration each row's overhead, CPU inflation "
    "and speedup are taken against: the record's `baseline` at 1 thread, same file, same n (a family baseline "
    "against itself). The **vs gil** columns take the same figures against `gil` at 1 thread. "
    "**scaling** = N × wall(1) / wall(N) of the configuration against itself (for `ceiling` rows: the "
    "machine's achievable parallelism at that moment). Intervals of derived figures resample the repeats of "
    "both points independently. A cell marked ⚠ holds a value that cannot be true (see the notes column). "
    "Wall or CPU times whose repeats split in two modes (tools/stats.py: the largest gap between sorted repeats "
    "is > 3x the range within each side and > 10% of the lower mode, each side >= 2 repeats and >= 20%) are "
    "given as both modes with their shares instead of a median: the derived figures of such a point mix two "
    "behaviours and should not be read.")


def _est(e, spec="{:.3f}"):
    return "—" if e is None else e.fmt(spec)


def sort_key(p):
    return (families.family_sort_key(p.family), p.kind == "ceiling", p.config, p.label, p.n, p.threads)


def build(points, derived):
    rows = []
    for p in sorted(points.values(), key=sort_key):
        d = derived[p.key]
        flags = [f for f in d.flags if f.startswith("impossible")]
        wall = d.modes.describe() if d.modes else _est(d.wall, "{:.4f}")
        scaling = Cell(_est(d.scaling, "{:.2f}"), "; ".join(f for f in flags if "scal" in f))
        base = d.base.label if d.base else ("not recorded" if p.baseline is None else f"{p.baseline or p.config}: absent")
        if d.base and p.kind != "peer" and d.base.variant[2] != p.variant[2]:
            base += " (another build)"  # the only 1-thread base in the file is another build (a peer's base always is: another interpreter)
        notes = [f for f in d.flags if not f.startswith(("impossible", "wall bimodal", "CPU bimodal"))]
        if d.modes or d.cpu_modes:
            notes.append("two modes: derived figures mix them")
        infl = [f for f in flags if "inflation" in f]  # self-inflation: not a column of its own
        notes += infl
        if p.schema == 1:
            notes.append(SCHEMA1_NOTE)
        cells = [Cell(p.family), Cell(p.label), Cell(p.kind + (" (real)" if p.kind == "peer" else "")),
                 Cell(str(p.threads)), Cell(str(p.n)), Cell(str(len(p.ok))), Cell(str(p.failed)),
                 Cell(wall, "two modes" if d.modes else ""),
                 Cell(d.cpu_modes.describe() if d.cpu_modes else _est(d.cpu, "{:.4f}"), "two modes" if d.cpu_modes else ""),
                 Cell(base),
                 Cell(_est(d.overhead, "{:+.1%}")), Cell(_est(d.inflation, "{:.2f}")),
                 Cell(_est(d.speedup, "{:.2f}")),
                 Cell(_est(d.gil_overhead, "{:+.1%}")), Cell(_est(d.gil_inflation, "{:.2f}")),
                 Cell(_est(d.gil_speedup, "{:.2f}")),
                 scaling, Cell("; ".join(notes), "; ".join(infl))]
        rows.append(Row(cells, flags))
    return rows


CALIBRATION_HEADER = ["model", "real", "n", "figure", "model value", "real value", "model / real"]


def calibration(cal_rows):
    out = []
    for r in cal_rows:
        spec = "{:+.1%}" if r.figure == "overhead" else "{:.3f}"
        out.append([r.model, r.real + " (real)", "—" if r.n is None else str(r.n), r.figure,
                    _est(r.model_value, spec), _est(r.real_value, spec),
                    r.missing or _est(r.ratio, "{:.2f}")])
    return out


COUNTERS_HEADER = ["config", "threads", "n", "runs", "instructions / call", "cycles / call",
                   "cache misses / call", "context switches / run"]


def counters(points):
    """Hardware counters per fib call (medians over the repeats), for the
    points whose records have them, so a reader sees why a configuration
    inflates (misses per call), not only that it does. Returns (rows, why):
    why says what was missing when no record had a counter."""
    import statistics
    rows, reasons = [], set()
    for p in sorted(points.values(), key=sort_key):
        if p.kind != "model" or not p.ok:
            continue
        per_call = {}
        for name in ("instructions", "cycles", "cache_misses", "context_switches"):
            vals = []
            for r in p.ok:
                c = r.get("counters") or {}
                if name in c and r.get("calls"):
                    vals.append(c[name] if name == "context_switches" else c[name] / r["calls"])
            per_call[name] = statistics.median(vals) if len(vals) == len(p.ok) else None
        for r in p.ok:
            c = r.get("counters") or {}
            if c.get("reason"):
                reasons.add(c["reason"])
        if any(v is not None for k, v in per_call.items() if k != "context_switches"):
            fmt = lambda v, s: "—" if v is None else s.format(v)  # noqa: E731
            rows.append([p.label or p.config, str(p.threads), str(p.n), str(len(p.ok)),
                         fmt(per_call["instructions"], "{:.0f}"), fmt(per_call["cycles"], "{:.0f}"),
                         fmt(per_call["cache_misses"], "{:.2f}"), fmt(per_call["context_switches"], "{:.0f}")])
    why = "" if rows else ("; ".join(sorted(reasons)) or "no record carries counters")
    return rows, why
