#!/usr/bin/python3
"""rclab agree: do two sweeps of the same configurations agree?

Usage: agree.py A.jsonl B.jsonl

For every point in both files — matched by (kind, configuration, workload,
n, threads) — takes each derived figure (single-thread overhead, CPU
inflation and speedup against the point's base, and its own scaling) with
its 95% bootstrap interval from each file (tools/derived.py), and says
whether the two intervals overlap. Two back-to-back sweeps on one machine
should agree everywhere; where they do not, the machine changed between
them (see each record's disturbance) or an interval is too narrow to be
believed. Each side's host (machine.host_id: CPU, caches, hypervisor, the
probe's costs) is printed first; a file whose records come from more than
one host is refused (exit 2, one line): a sweep's figures mean something for
one host, so agreement is only asked of files of one host each (two hosts of
one kind are expected to disagree; the table then shows by how much).
Prints a Markdown table and a one-line summary; exit 0 (it is a report, not
a test).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import derived as derived_mod  # noqa: E402
import provenance  # noqa: E402
from points import cores_of, group  # noqa: E402
from rclab_records import BadInput, check_input, drop_disturbed, host_of, read_records, run_cli  # noqa: E402

PROG = "agree"
FIGURES = ("overhead", "inflation", "speedup", "scaling")


def load(path, max_other_cpu):
    check_input(path)
    records, dropped = drop_disturbed(read_records(path), max_other_cpu)
    if dropped:
        print(f"rclab agree: {path}: {dropped}", file=sys.stderr)
    if not records:
        raise BadInput(f"{path}: no records")
    hosts = sorted({host_of(r) for r in records})
    if len(hosts) > 1:
        raise BadInput(f"{path}: records from {len(hosts)} hosts ({', '.join(hosts)}): agree compares one host's "
                       "sweep with another's; split the file by machine.host_id")
    points, _ = group(records)
    d = derived_mod.derive_all(points, cores_of(records))
    return hosts[0], provenance.host_lines(records), \
        {(p.kind, p.config, p.workload, p.n, p.threads): (p, d[k]) for k, p in points.items()}


def overlap(a, b):
    return a.lo is not None and b.lo is not None and a.lo <= b.hi and b.lo <= a.hi


def main():
    ap = argparse.ArgumentParser(prog="rclab agree", description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--max-other-cpu", type=float, default=None, metavar="SHARE",
                    help="leave out runs during which other processes took more than SHARE (0..1) of the CPUs")
    args = ap.parse_args()
    if args.max_other_cpu is not None and not 0 <= args.max_other_cpu <= 1:
        raise BadInput(f"--max-other-cpu {args.max_other_cpu} is not a share between 0 and 1")
    (host_a, lines_a, side_a), (host_b, lines_b, side_b) = load(args.a, args.max_other_cpu), \
        load(args.b, args.max_other_cpu)
    common = sorted(set(side_a) & set(side_b))
    if not common:
        raise BadInput("no point appears in both files")
    print(f"# {os.path.basename(args.b)} against {os.path.basename(args.a)}\n")
    for side, path, lines in (("A", args.a, lines_a), ("B", args.b, lines_b)):
        for _, text in lines:
            print(f"- {side} ({os.path.basename(path)}) host {text}")
    if host_a != host_b:
        print(f"\n**A and B come from different hosts** (`{host_a}`, `{host_b}`): disagreement may be the machines'.")
    print()
    # A workload column only when some point ran another workload than fib:
    # fib-only files read as they always did.
    wl = any(k[2] not in ("fib", "") for k in common)
    print("| config |" + (" workload |" if wl else "") + " threads | figure | A [95%] | B [95%] | overlap |")
    print("|---|" + ("---|" if wl else "") + "---:|---|---|---|---|")
    total = agreed = 0
    for key in common:
        (pa, da), (_, db) = side_a[key], side_b[key]
        for f in FIGURES:
            ea, eb = getattr(da, f), getattr(db, f)
            if ea is None or eb is None or ea.lo is None or eb.lo is None:
                continue
            total += 1
            ok = overlap(ea, eb)
            agreed += ok
            print(f"| {pa.config} |" + (f" {pa.workload or '—'} |" if wl else "") + f" {pa.threads} | {f} | {ea.fmt('{:.3f}')} | {eb.fmt('{:.3f}')} | "
                  f"{'yes' if ok else '**no**'} |")
    print(f"\n{agreed} of {total} intervals overlap.")
    print(f"rclab agree: {agreed} of {total} intervals overlap", file=sys.stderr)


if __name__ == "__main__":
    run_cli(PROG, main)
