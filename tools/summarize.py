#!/usr/bin/python3
"""Summarise a JSON Lines file of `rclab run --json` records as a table.

Median and min-max wall and CPU time per (config, threads), with CPU
inflation and speedup against `gil` at 1 thread from the same file:

  CPU inflation(N) = CPU(N) / (N x CPU_gil(1))     ideal 1.0
  speedup(N)       = N x wall_gil(1) / wall(N)     ideal min(N, cores)

Standard library only (json, statistics), so it runs before anything else
is installed. Usage: summarize.py FILE.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    points = defaultdict(list)
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{path}:{lineno}: not a JSON record ({e.msg}); skipped", file=sys.stderr)
                continue
            points[(rec["config"], rec["threads"])].append(rec)
    if not points:
        sys.exit(f"{path}: no records")

    def med(recs, key):
        return statistics.median(r[key] for r in recs)

    base = points.get(("gil", 1))
    print(f"{'config':<12} {'thr':>3} {'n':>3} {'runs':>4} {'wall s (min-max)':>24} {'cpu s (min-max)':>24}"
          f" {'cpu infl':>8} {'speedup':>7} {'ok':>3}")
    for (config, threads), recs in sorted(points.items()):
        wall = [r["wall_s"] for r in recs]
        cpu = [r["cpu_s"] for r in recs]
        # live_objects is absent from records of real CPython (it cannot be measured there).
        ok = all(r["result_ok"] and r.get("live_objects", 0) == 0 for r in recs)
        infl = speed = "-"
        if base:
            infl = f"{med(recs, 'cpu_s') / (threads * med(base, 'cpu_s')):.2f}"
            speed = f"{threads * med(base, 'wall_s') / med(recs, 'wall_s'):.2f}"
        print(f"{config:<12} {threads:>3} {recs[0]['n']:>3} {len(recs):>4}"
              f" {statistics.median(wall):>8.4f} ({min(wall):.4f}-{max(wall):.4f})"
              f" {statistics.median(cpu):>8.4f} ({min(cpu):.4f}-{max(cpu):.4f})"
              f" {infl:>8} {speed:>7} {'yes' if ok else 'NO':>3}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
