#!/usr/bin/python3
"""rclab report: the table and the plots of a sweep.

Usage: report.py FILE.jsonl [-o DIR]

Writes DIR/report.md (a Markdown table: median and min-max wall and CPU time
per point, CPU inflation, speedup and single-thread overhead against `gil` at
1 thread from the same file and n) and DIR/{cpu,wall,speedup}_vs_threads.
{png,svg}. DIR defaults to the file's folder. Definitions (DESIGN.md §5):

  CPU inflation(N)       = CPU(N) / (N x CPU_gil(1))      ideal 1.0
  speedup(N)             = N x wall_gil(1) / wall(N)      ideal min(N, cores)
  single-thread overhead = wall(1) / wall_gil(1) - 1      ideal 0
"""
import argparse
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rclab_records import fail, group, median, read_records, write_atomically  # noqa: E402

PROG = "report"
BASELINE = "gil"


def fmt_s(recs, field):
    vals = [r[field] for r in recs]
    return f"{median(recs, field):.4f} ({min(vals):.4f}–{max(vals):.4f})"


def derived(points, key):
    """CPU inflation, speedup and single-thread overhead of one point, or None
    for each when the file has no `gil` 1-thread baseline at that n."""
    config, n, threads = key
    base = points.get((BASELINE, n, 1), {}).get("ok")
    recs = points[key]["ok"]
    if not base or not recs:
        return None, None, None
    infl = median(recs, "cpu_s") / (threads * median(base, "cpu_s"))
    speed = threads * median(base, "wall_s") / median(recs, "wall_s")
    over = median(recs, "wall_s") / median(base, "wall_s") - 1 if threads == 1 else None
    return infl, speed, over


def provenance(records):
    machines = {(r.get("machine", {}).get("cpu_model", "?"), r.get("machine", {}).get("cores", "?"),
                 r.get("machine", {}).get("kernel", "?")) for r in records if "machine" in r}
    builds = {(r.get("build", {}).get("git_rev", "?"), r.get("build", {}).get("compiler", "?"),
               r.get("build", {}).get("flags", "?").strip()) for r in records if "build" in r}
    times = sorted(r["time"] for r in records if "time" in r)
    out = []
    for m in sorted(machines, key=str):
        out.append(f"- machine: {m[0]}, {m[1]} cores, {m[2]}")
    for b in sorted(builds, key=str):
        out.append(f"- build: git {b[0]}, {b[1]}, flags `{b[2]}`")
    pys = sorted({r["python_version"] for r in records if "python_version" in r})
    for v in pys:
        out.append(f"- CPython {v} (tools/cpython_fib.py)")
    if times:
        out.append(f"- runs between {times[0]} and {times[-1]}")
    return out


def table(path, records, points):
    o = io.StringIO()
    o.write(f"# rclab report: `{os.path.basename(path)}`\n\n")
    for line in provenance(records):
        o.write(line + "\n")
    o.write("\nMedian over repeats, (min–max) beside it. CPU inflation, speedup and single-thread overhead are "
            f"against `{BASELINE}` at 1 thread, same n, same file.\n\n")
    # A helper thread's share of the CPU (buffered counting's commit thread),
    # as a column only when some run had one.
    helper = any(r.get("helper_cpu_s", 0) > 0 for p in points.values() for r in p["ok"])
    o.write("| config | threads | n | runs | failed | wall s | CPU s | CPU inflation | speedup | 1-thread overhead |"
            + (" helper CPU share |" if helper else "") + "\n")
    o.write("|---|---:|---:|---:|---:|---|---|---:|---:|---:|" + ("---:|" if helper else "") + "\n")
    for key in sorted(points):
        config, n, threads = key
        p = points[key]
        recs = p["ok"]
        infl, speed, over = derived(points, key)
        cell = lambda v, f: "—" if v is None else f.format(v)  # noqa: E731
        o.write(f"| {config} | {threads} | {n} | {len(recs)} | {p['failed']} | "
                f"{fmt_s(recs, 'wall_s') if recs else '—'} | {fmt_s(recs, 'cpu_s') if recs else '—'} | "
                f"{cell(infl, '{:.2f}')} | {cell(speed, '{:.2f}')} | {cell(over, '{:+.1%}')} |")
        if helper:
            has = recs and all(r.get("helper_cpu_s", 0) > 0 for r in recs) and median(recs, "cpu_s") > 0
            share = median(recs, "helper_cpu_s") / median(recs, "cpu_s") if has else None
            o.write(f" {cell(share, '{:.1%}')} |")
        o.write("\n")
    if not any(k[0] == BASELINE and k[2] == 1 for k in points):
        o.write(f"\nNo `{BASELINE}` run at 1 thread in this file: derived columns are left empty.\n")
    return o.getvalue()


def plots(points, records, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cores = next((r["machine"]["cores"] for r in records if "machine" in r), None)
    by_config = {}
    for (config, n, threads), p in points.items():
        if p["ok"]:
            by_config.setdefault((config, n), []).append((threads, p["ok"]))
    if not by_config:
        return []
    all_threads = sorted({t for series in by_config.values() for t, _ in series})
    ns = sorted({n for _, n in by_config})
    label = lambda c, n: c if len(ns) == 1 else f"{c} (n={n})"  # noqa: E731

    def figure(metric, stem, ylabel, title, ideal):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for (config, n), series in sorted(by_config.items()):
            series.sort()
            xs = [t for t, _ in series]
            if metric == "speedup":
                base = points.get((BASELINE, n, 1), {}).get("ok")
                if not base:
                    continue
                ys = [t * median(base, "wall_s") / median(r, "wall_s") for t, r in series]
                lo = [t * median(base, "wall_s") / max(x["wall_s"] for x in r) for t, r in series]
                hi = [t * median(base, "wall_s") / min(x["wall_s"] for x in r) for t, r in series]
            else:
                ys = [median(r, metric) for _, r in series]
                lo = [min(x[metric] for x in r) for _, r in series]
                hi = [max(x[metric] for x in r) for _, r in series]
            err = [[y - l for y, l in zip(ys, lo)], [h - y for y, h in zip(ys, hi)]]
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=label(config, n))
        ideal(ax)
        if metric != "speedup":
            # Strategies differ by 20x and more: on a linear axis the
            # fast ones and their ideal lines sit on top of each other.
            ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ax.set_xticks(all_threads)
        ax.set_xticklabels([str(t) for t in all_threads])
        ax.set_xlabel("threads (each computes fib(n))")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        written = []
        for ext in ("png", "svg"):
            buf = io.BytesIO()
            fig.savefig(buf, format=ext, dpi=120)
            out = os.path.join(outdir, f"{stem}_vs_threads.{ext}")
            write_atomically(out, buf.getvalue(), "wb")
            written.append(out)
        plt.close(fig)
        return written

    def ideal_cpu(ax):
        for n in ns:
            base = points.get((BASELINE, n, 1), {}).get("ok")
            if base:
                ax.plot(all_threads, [t * median(base, "cpu_s") for t in all_threads], "k--", lw=1,
                        label=f"ideal: N × CPU_{BASELINE}(1)" + ("" if len(ns) == 1 else f" n={n}"))

    def ideal_wall(ax):
        for n in ns:
            base = points.get((BASELINE, n, 1), {}).get("ok")
            if base:
                w = median(base, "wall_s")
                if cores:
                    ax.plot(all_threads, [w * max(1.0, t / cores) for t in all_threads], "k--", lw=1,
                            label=f"ideal without a GIL ({cores} cores)")
                ax.plot(all_threads, [w * t for t in all_threads], "k:", lw=1, label="serialised (N × 1 thread)")

    def ideal_speedup(ax):
        if cores:
            ax.plot(all_threads, [min(t, cores) for t in all_threads], "k--", lw=1, label=f"ideal: min(N, {cores})")

    out = []
    out += figure("cpu_s", "cpu", "process CPU time, s", "CPU time vs threads (median, min–max)", ideal_cpu)
    out += figure("wall_s", "wall", "wall time, s", "Wall time vs threads (median, min–max)", ideal_wall)
    out += figure("speedup", "speedup", f"speedup vs {BASELINE} at 1 thread", "Speedup vs threads", ideal_speedup)
    return out


class Parser(argparse.ArgumentParser):
    def error(self, message):
        fail(PROG, message)


def main():
    ap = Parser(prog="rclab report", description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--out-dir")
    args = ap.parse_args()
    if not os.path.isfile(args.file):
        fail(PROG, f"no such file: {args.file}")
    outdir = args.out_dir or os.path.dirname(os.path.abspath(args.file))
    os.makedirs(outdir, exist_ok=True)
    records = read_records(args.file)
    if not records:
        fail(PROG, f"{args.file}: no records")
    points = group(records)
    md = table(args.file, records, points)
    written = plots(points, records, outdir)
    if written:
        md += "\n" + "\n".join(f"![{os.path.basename(p)}]({os.path.basename(p)})" for p in written if p.endswith(".png")) + "\n"
    report = os.path.join(outdir, "report.md")
    write_atomically(report, md)
    sys.stdout.write(md)
    print(f"rclab report: wrote {report} and {len(written)} plots", file=sys.stderr)


if __name__ == "__main__":
    main()
