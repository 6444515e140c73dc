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
    counters: "Counters" = None
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

CALIBRATION_NOTE = (
    "Each row pairs a model with the real interpreter it models measured on the same host (the records' "
    "`machine.host_id`; records without one are host `unknown`): a model is never paired with a real "
    "interpreter measured on another host.")


def _multi_host(cal_rows):
    return len({r.host for r in cal_rows}) > 1


def calibration_header(cal_rows):
    """CALIBRATION_HEADER, with a host column first when the rows come from several hosts."""
    return (["host"] if _multi_host(cal_rows) else []) + CALIBRATION_HEADER


def calibration(cal_rows):
    out = []
    multi = _multi_host(cal_rows)
    for r in cal_rows:
        spec = "{:+.1%}" if r.figure == "overhead" else "{:.3f}"
        out.append(([r.host] if multi else []) + [r.model, r.real + " (real)", "—" if r.n is None else str(r.n),
                                                  r.figure, _est(r.model_value, spec), _est(r.real_value, spec),
                                                  r.missing or _est(r.ratio, "{:.2f}")])
    return out


# The counters a record may carry (docs/records.md `counters`), in the order
# the table shows them, each per fib call (a workload's calls are its
# iterations) or per run, with the format of its cell.
COUNTERS = [
    ("instructions", "instructions / call", "call", "{:.0f}"),
    ("cycles", "cycles / call", "call", "{:.0f}"),
    ("cache_misses", "cache misses / call", "call", "{:.2f}"),
    ("task_clock_ns", "task-clock ns / call", "call", "{:.1f}"),
    ("context_switches", "context switches / run", "run", "{:.0f}"),
    ("cpu_migrations", "CPU migrations / run", "run", "{:.0f}"),
    ("page_faults", "page faults / run", "run", "{:.0f}"),
]


@dataclass
class Counters:
    """The counters section: a table of what the records counted (medians over
    each point's repeats), and which counters were missing and why."""
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    missing: list = field(default_factory=list)   # [(counter, why)] from the records' counters.missing
    why: str = ""                                 # no record had any counter: why not (legacy `reason`)


def _legacy_missing(reason):
    """{counter: why} from a `reason` written before records had `missing`
    ("instructions: why; cycles: why"); {} when it is not of that form."""
    known = {name for name, *_ in COUNTERS}
    out = {}
    for part in (reason or "").split("; "):
        name, sep, why = part.partition(": ")
        if not sep or name not in known:
            return {}
        out[name] = why
    return out


def counters(points):
    """Every counter the model records of `points` carry: hardware ones per
    call (instructions, cycles, cache misses: why a configuration inflates,
    not only that it does), task-clock per call, context switches, CPU
    migrations and page faults per run. A column only for a counter some
    record has; a cell "—" where a point's records lack it. Then each counter
    that did not open, with the reasons the records give (counters.missing)."""
    import statistics
    present = set()
    missing = {}
    reasons = set()
    model_points = [p for p in sorted(points.values(), key=sort_key) if p.kind == "model" and p.ok]
    for p in model_points:
        for r in p.ok:
            c = r.get("counters") or {}
            present |= {name for name, *_ in COUNTERS if isinstance(c.get(name), (int, float))}
            for name, why in (c.get("missing") or _legacy_missing(c.get("reason", ""))).items():
                missing.setdefault(name, set()).add(why)
            if c.get("reason") and not c.get("missing") and not _legacy_missing(c["reason"]):
                reasons.add(c["reason"])
    cols = [(name, head, per, fmt) for name, head, per, fmt in COUNTERS if name in present]
    out = Counters(header=["config", "threads", "n", "runs"] + [head for _, head, _, _ in cols])
    for p in model_points:
        cells, any_value = [], False
        for name, _, per, fmt in cols:
            vals = []
            for r in p.ok:
                c = r.get("counters") or {}
                if isinstance(c.get(name), (int, float)) and (per == "run" or r.get("calls")):
                    vals.append(c[name] if per == "run" else c[name] / r["calls"])
            if len(vals) == len(p.ok):
                cells.append(fmt.format(statistics.median(vals)))
                any_value = True
            else:
                cells.append("—")
        if any_value:
            out.rows.append([p.label or p.config, str(p.threads), str(p.n), str(len(p.ok))] + cells)
    known = [name for name, *_ in COUNTERS]
    order = [n for n in known if n in missing] + sorted(n for n in missing if n not in known)
    out.missing = [(name, "; ".join(sorted(missing[name]))) for name in order]
    if not out.rows:
        out.why = "; ".join(sorted(reasons)) or ("no record carries counters" if not missing else
                                                 "no counter opened")
    return out
