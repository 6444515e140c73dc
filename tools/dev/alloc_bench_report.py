#!/usr/bin/python3
"""Tables from alloc_bench's Google Benchmark JSON files (medians of the
repetitions), and the issue's allocator targets checked against them.

    /usr/bin/python3 tools/dev/alloc_bench_report.py DIR/alloc_bench*.json > DIR/report.md

Throughput is items_per_second (blocks allocated and freed per second, all
threads together, over real time). Run with --benchmark_repetitions and
--benchmark_report_aggregates_only so the files hold medians.
"""
import json
import sys


def load(paths):
    """{(pattern, allocator, threads): median items/s}, plus each file's context."""
    points, contexts = {}, []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        contexts.append((path, data.get("context", {})))
        for b in data["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            pattern, alloc = b["run_name"].split("/")[:2]
            points[(pattern, alloc, b["threads"])] = b["items_per_second"]
    return points, contexts


def main(paths):
    points, contexts = load(paths)
    out = ["# alloc_bench: medians of 5 repetitions", ""]
    for path, c in contexts:
        out.append(f"- `{path.split('/')[-1]}`: {c.get('date', '?')}, {c.get('num_cpus', '?')} CPUs, "
                   f"git {c.get('git_rev', '?')}, malloc {c.get('malloc', '?')}, build {c.get('build', '?')}")
    out.append("")
    allocs = sorted({a for _, a, _ in points})
    threads = sorted({t for _, _, t in points})
    for pattern, what in (("local32", "thread-local alloc/free of 32-byte blocks"),
                          ("mixed", "mixed sizes 16..512, thread-local"),
                          ("xthread", "producer/consumer pairs: every block freed by another thread")):
        out.append(f"## {pattern}: {what} (million blocks per second)")
        out.append("")
        out.append("| allocator | " + " | ".join(f"{t} thr" for t in threads) + " |")
        out.append("|---|" + "---:|" * len(threads))
        for a in allocs:
            cells = [f"{points[(pattern, a, t)] / 1e6:.1f}" if (pattern, a, t) in points else "—" for t in threads]
            if any(c != "—" for c in cells):
                out.append(f"| {a} | " + " | ".join(cells) + " |")
        out.append("")

    def ratio(p1, a1, t1, p2, a2, t2):
        x, y = points.get((p1, a1, t1)), points.get((p2, a2, t2))
        return None if x is None or y is None else x / y

    out.append("## Targets")
    out.append("")
    out.append("| target | measured | met |")
    out.append("|---|---:|---|")

    def target(label, value, need):
        if value is None:
            out.append(f"| {label} | — | not measured |")
        else:
            out.append(f"| {label} | {value:.2f} | {'yes' if value >= need else 'no'} |")

    for t in (1, 2):
        target(f"per_thread / mimalloc, local32, {t} thread(s) (>= 0.8)",
               ratio("local32", "per_thread+pymalloc", t, "local32", "mimalloc", t), 0.8)
        target(f"per_thread / tbb, local32, {t} thread(s) (>= 0.8)",
               ratio("local32", "per_thread+pymalloc", t, "local32", "tbb", t), 0.8)
    target("two_stage / global, local32, 2 threads (>= 1.3)",
           ratio("local32", "two_stage+pymalloc", 2, "local32", "global+pymalloc", 2), 1.3)
    target("two_stage / global, mixed, 2 threads (>= 1.3)",
           ratio("mixed", "two_stage+pymalloc", 2, "mixed", "global+pymalloc", 2), 1.3)
    target("per_thread / mimalloc, xthread, 2 threads (>= 0.5: within 2x)",
           ratio("xthread", "per_thread+pymalloc", 2, "xthread", "mimalloc", 2), 0.5)
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: alloc_bench_report.py FILE.json...")
    main(sys.argv[1:])
