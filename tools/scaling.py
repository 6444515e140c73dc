#!/usr/bin/python3
"""rclab scaling: ftscalingbench's table from a sweep file.

Usage: scaling.py FILE.jsonl [--threads N,...] [--configs A,B,...]

CPython's Tools/ftscalingbench/ftscalingbench.py runs each pattern once on
one thread and once on each of N threads and prints

    NAME                      1.4x faster      (t1 * N / tN >= 1)
    NAME                      1.3x slower      (its inverse, when below 1)

For people who know that table, this prints it from rclab's records: per
workload, per configuration (model) and per real interpreter (peer), the
same figure at each N, t1 * N / tN = N x wall(1) / wall(N), each side the
median of its repeats, with its 95% bootstrap interval (tools/stats.py,
the report's "scaling" column: tools/derived.py). "faster"/"slower" is read
from the median as ftscalingbench reads its one run; a row whose interval
contains 1 is marked "~": the repeats cannot tell faster from slower.
Points of several hosts are labelled and never pooled (tools/points.py).

--threads: the thread counts shown (default every N > 1 in the file).
--configs: the configurations and peers shown, in that order (default all;
a name the file does not have is refused).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from derived import derive_all  # noqa: E402
from points import cores_of, group  # noqa: E402
from rclab_records import BadInput, Parser, check_input, read_records, run_cli  # noqa: E402

PROG = "scaling"


def direction(value):
    """ftscalingbench's words: (factor, 'faster'|'slower')."""
    return (value, "faster") if value >= 1 else (1 / value, "slower")


def row(label, kind, est):
    factor, word = direction(est.value)
    crosses = est.lo is not None and est.lo <= 1 <= est.hi
    interval = f"[{est.lo:.2f}, {est.hi:.2f}]" if est.lo is not None else "[no interval: < 2 runs]"
    who = label + (" (real)" if kind == "peer" else "")
    return f"  {who:<32} {round(factor, 1):>4}x {word:<6}  {est.value:5.2f} {interval}{'  ~' if crosses else ''}"


def table(records, threads=None, configs=None):
    """The table's lines."""
    points, notes = group(records)
    derived = derive_all(points, cores_of(records))
    have = {p.config for p in points.values() if p.kind in ("model", "peer")}
    if configs:
        missing = [c for c in configs if c not in have]
        if missing:
            raise BadInput(f"--configs: {', '.join(missing)} not in the file (it has {', '.join(sorted(have))})")
    ns = sorted({p.threads for p in points.values() if p.threads > 1 and p.kind in ("model", "peer")})
    if threads:
        absent = [n for n in threads if n not in ns]
        if absent:
            raise BadInput(f"--threads: no point at {', '.join(map(str, absent))} threads "
                           f"(the file has {', '.join(map(str, ns)) or 'none above 1'})")
        ns = threads
    if not ns:
        raise BadInput("no point above 1 thread: scaling needs 1 and N threads of one configuration")
    order = {c: i for i, c in enumerate(configs or [])}
    lines = ["# t1 * N / tN (ftscalingbench's speedup): median of the repeats, 95% bootstrap interval; "
             "~ = the interval contains 1"] + [f"# note: {n}" for n in notes]
    for n in ns:
        lines.append("")
        lines.append(f"At {n} threads")
        wls = sorted({p.workload for p in points.values() if p.workload and p.threads == n})
        for wl in wls:
            pts = [p for p in points.values() if p.workload == wl and p.threads == n and p.kind in ("model", "peer")
                   and (not configs or p.config in order)]
            pts.sort(key=lambda p: (order.get(p.config, 0), p.kind != "model", p.label))
            shown = [(p, derived[p.key].scaling) for p in pts if derived[p.key].scaling is not None]
            if not shown:
                continue
            lines.append(wl)
            lines.extend(row(p.label, p.kind, est) for p, est in shown)
            lacking = [p.label for p in pts if derived[p.key].scaling is None]
            if lacking:
                lines.append(f"  (no 1-thread point, or no ok run: {', '.join(lacking)})")
    return lines


def main():
    ap = Parser(PROG, description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--threads", help="comma-separated thread counts (default: every N > 1 in the file)")
    ap.add_argument("--configs", help="comma-separated configurations and peers, in the order shown")
    args = ap.parse_args()
    threads = None
    if args.threads:
        try:
            threads = [int(t) for t in args.threads.split(",")]
        except ValueError:
            raise BadInput(f"--threads expects comma-separated whole numbers, got '{args.threads}'")
        if any(t < 2 for t in threads):
            raise BadInput(f"--threads: scaling is defined above 1 thread, got '{args.threads}'")
    configs = None
    if args.configs is not None:
        configs = args.configs.split(",")
        if any(not c for c in configs):
            raise BadInput(f"--configs '{args.configs}' has an empty item")
    check_input(args.file)
    print("\n".join(table(read_records(args.file), threads, configs)))


if __name__ == "__main__":
    run_cli(PROG, main)
