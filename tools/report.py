#!/usr/bin/python3
"""rclab report: the table, the calibration table and the plots of a sweep.

Usage: report.py FILE.jsonl [-o DIR]

Writes DIR/report.md and DIR/report.html (the same tables; the HTML file is
self-contained, plots inline) and the plots DIR/{wall,cpu,speedup}_vs_threads
and DIR/overhead_inflation (PNG, one format). DIR defaults to the file's folder.
A file of several workloads gets a section per workload (its tables and its
plots, DIR/STEM.WORKLOAD.png), after two tables across them: each
configuration's worst workload and the ranking against the real
interpreters (tools/per_workload.py).
Definitions are in tools/derived.py; statistics in tools/stats.py.

Exit status 2 with one line on stderr for input it refuses (tools/rclab_records.py).
Without matplotlib the tables are still written and the plots skipped, with
one warning.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attribution  # noqa: E402
import calibration  # noqa: E402
import derived as derived_mod  # noqa: E402
import heatmap  # noqa: E402
import html_report  # noqa: E402
import per_workload  # noqa: E402
import provenance  # noqa: E402
import report_md  # noqa: E402
import table  # noqa: E402
from points import cores_of, group, hosts_of, of_workload, workloads_of  # noqa: E402
from rclab_records import (BadInput, Parser, check_input, drop_disturbed, prepare_outdir,  # noqa: E402
                           read_records, run_cli, write_atomically)

PROG = "report"


def analyse(records):
    points, notes = group(records)
    cores = cores_of(records)
    derived = derived_mod.derive_all(points, cores)
    return points, notes, cores, derived


def main():
    ap = Parser(PROG, description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--out-dir")
    ap.add_argument("--max-other-cpu", type=float, default=None, metavar="SHARE",
                    help="leave out runs during which other processes took more than SHARE (0..1) of the CPUs")
    args = ap.parse_args()
    if args.max_other_cpu is not None and not 0 <= args.max_other_cpu <= 1:
        raise BadInput(f"--max-other-cpu {args.max_other_cpu} is not a share between 0 and 1")
    check_input(args.file)
    outdir = prepare_outdir(args.out_dir or os.path.dirname(os.path.abspath(args.file)))
    records, dropped = drop_disturbed(read_records(args.file), args.max_other_cpu)
    points, notes, cores, derived = analyse(records)
    if dropped:
        notes.append(dropped)
    if not any(p.ok for p in points.values()):
        raise BadInput(f"{args.file}: no successful runs to report ({sum(p.failed for p in points.values())} failed)")
    wls = workloads_of(points)
    multi = len(wls) > 1
    hosts = hosts_of(points)
    # One host: its ceiling. Several: each host's in the provenance, none in
    # the plots (a panel would show one machine's ceiling beside another's points).
    ceilings = {h: derived_mod.ceiling(points, h) for h in hosts}
    ceiling = ceilings[hosts[0]] if len(hosts) == 1 else {}
    for n in notes:
        print(f"rclab report: warning: {n}", file=sys.stderr)
    for p in sorted(points.values(), key=table.sort_key):
        for f in derived[p.key].flags:
            if f.startswith("impossible") or "bimodal" in f:
                wl = f", workload {p.workload}" if multi and p.workload else ""
                print(f"rclab report: warning: {p.label} at {p.threads} threads, n={p.n}{wl}: {f}", file=sys.stderr)
    try:
        import plots
        if multi:
            drawn = {w: plots.draw(of_workload(points, w), derived, ceiling, cores, outdir, sys.stderr, workload=w)
                     for w in wls}
            written = [f for w in wls for f in drawn[w]]
        else:
            written = plots.draw(points, derived, ceiling, cores, outdir, sys.stderr)
    except ImportError as e:  # matplotlib missing: the tables still matter
        print(f"rclab report: warning: plots skipped ({e.name or e} is not installed)", file=sys.stderr)
        written, drawn = [], {}
    sections = summary = None
    if multi:
        # One section per workload (its table, calibration, counters, plots), then the ceiling's rows.
        sections = []
        for w in wls:
            sub = {k: p for k, p in points.items() if p.workload == w and p.kind != "ceiling"}
            sections.append(table.Section(w, table.build(sub, derived), calibration.rows(sub), table.counters(sub),
                                          drawn.get(w, [])))
        ceil = {k: p for k, p in points.items() if p.kind == "ceiling"}
        if ceil:
            sections.append(table.Section("", table.build(ceil, derived)))
        # Which strategy, where: the matrix first, drawn when matplotlib is there.
        m = heatmap.matrix(points)
        heat = None
        if m is not None:
            try:
                heat = (m, heatmap.draw(m, outdir))
            except ImportError:
                heat = (m, [])
            written = heat[1] + written
        summary = (per_workload.worst(points, derived), per_workload.ranking(points), attribution.rows(points),
                   calibration.order_agreement(points), heat)
        rows, cal = [], []
    else:
        rows = table.build(points, derived)
        cal = calibration.rows(points)
    prov = provenance.summary(records)
    if wls != ["fib"]:
        prov.append(("workloads", ", ".join(wls) + ("" if multi else " (n is its iteration count)")))
    for h, ceil in ceilings.items():  # the machine's achievable parallelism beside the ideal, in one line
        if ceil:
            prov.append(("machine ceiling" + (f" @{h}" if len(hosts) > 1 else ""),
                         "N × wall_ceiling(1) / wall_ceiling(N) of the share-nothing loop: " + "; ".join(
                             f"N={t}{f' n={n}' if len({k[0] for k in ceil}) > 1 else ''}: {e.fmt('{:.2f}')}"
                             for (n, t), e in sorted(ceil.items())) + (f" (ideal: min(N, {cores}))" if cores else "")))
    systems = provenance.systems(records)
    dist = provenance.disturbance(records)
    counts = table.counters(points)
    md = report_md.render(args.file, prov, systems, dist, notes, rows, cal, written, counts, sections, summary)
    page = html_report.render(args.file, prov, systems, dist, notes, rows, cal, written, counts, sections, summary)
    write_atomically(os.path.join(outdir, "report.md"), md)
    write_atomically(os.path.join(outdir, "report.html"), page)
    sys.stdout.write(md)
    print(f"rclab report: wrote {outdir}/report.md, report.html and {len(written)} plots", file=sys.stderr)


if __name__ == "__main__":
    run_cli(PROG, main)
