#!/usr/bin/python3
"""per4m's per-thread GIL table from `perf script` text of the four GIL
uprobes, so rclab trace's in-process table can be checked against what perf
sees from outside (README, "Watching the GIL from outside").

    B=build/release/experiments/rclab
    perf probe -x $B take_gil && perf probe -x $B 'take_gil%return'
    perf probe -x $B drop_gil && perf probe -x $B 'drop_gil%return'
    perf record -k CLOCK_MONOTONIC -e 'probe_rclab:*' -- $B trace --config gil -o t.json
    perf script --ns | /usr/bin/python3 tools/dev/perf_gil_table.py
    perf probe -d 'probe_rclab:*'

The definitions are those of per4m's `perf2trace gil` (maartenbreddels/per4m,
per4m/perf2trace.py), written anew here:

  * total    = a thread's last event - its first event (every event line of
               that thread counts, as in per4m)
  * has GIL  = sum of (drop_gil returns - take_gil returned): a forced
               switch's wait inside drop_gil counts as holding
  * GIL wait = sum of (take_gil returns - take_gil entered)
  * no GIL   = total - has GIL - GIL wait

Edge cases follow per4m: a drop_gil return with no take_gil return before it
(the recording began while the thread held the GIL) counts from the first
event of the whole input, with a warning; a take_gil return with no entry
before it counts its wait from the thread's first event. Two differences:
per4m drops each timestamp's last digit (10 ns with `perf script --ns`,
10 us without) and needs `--ns`-style single-word comms; this reads
timestamps exactly and allows spaces in comm.

Threads are numbered 0, 1, ... in the order of their first event, as rclab
numbers its workers in the order they start. Exit status 2 with one line on
stderr for input that is not perf script text of these probes.
"""
import argparse
import json
import re
import sys

# "  rclab 4242 [001] 12345.123456789: probe_rclab:take_gil__return: (55d1 <- 55d2)"
# comm may contain spaces; "pid/tid" appears with -F pid,tid; [cpu] may be absent.
EVENT_LINE = re.compile(
    r"^\s*(?P<comm>.*?)\s+(?:\d+/)?(?P<tid>\d+)\s+(?:\[(?P<cpu>\d+)\]\s+)?"
    r"(?P<time>\d+\.\d+):\s+(?:\d+\s+)?(?P<event>\S+?):(?:\s+(?P<rest>.*))?$")
# callchain lines (perf record -g): "        55d0c0a0b1c0 take_gil+0x0 (/path/rclab)"
STACK_LINE = re.compile(r"^\s+[0-9a-f]+\s")

KINDS = ("take_gil", "take_gil__return", "drop_gil", "drop_gil__return")


class BadInput(Exception):
    pass


def parse_time_ns(text):
    """'12345.123456789' or '12345.123456' (seconds) -> integer ns, exactly."""
    sec, frac = text.split(".")
    if len(frac) > 9:
        raise ValueError(text)
    return int(sec) * 1_000_000_000 + int(frac.ljust(9, "0"))


def parse_events(lines, group="probe_rclab"):
    """[(tid, t_ns, kind)], kind one of KINDS or None for another event."""
    events = []
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#") or STACK_LINE.match(line):
            continue
        m = EVENT_LINE.match(line)
        if m is None:
            raise BadInput(f"line {number}: not a perf script event line: {line.strip()[:80]!r}")
        g, _, name = m.group("event").partition(":")
        kind = name if g == group and name in KINDS else None
        events.append((int(m.group("tid")), parse_time_ns(m.group("time")), kind))
    if not any(kind for _, _, kind in events):
        raise BadInput(f"no {group}:take_gil/take_gil__return/drop_gil/drop_gil__return events in the input")
    return events


def summarize(events, warn=lambda msg: None):
    """Per-thread rows in order of first appearance: dicts with thread, tid,
    events, total/has/wait/no_gil in ns, and the percentages."""
    time_first = events[0][1]
    first, last, count = {}, {}, {}
    entered, took = {}, {}
    has, wait = {}, {}
    for tid, t, kind in events:
        first.setdefault(tid, t)
        last[tid] = t
        count[tid] = count.get(tid, 0) + 1
        has.setdefault(tid, 0)
        wait.setdefault(tid, 0)
        if kind == "take_gil":
            entered[tid] = t
        elif kind == "take_gil__return":
            wait[tid] += t - max(first[tid], entered.pop(tid, first[tid]))
            took[tid] = t
        elif kind == "drop_gil__return":
            if tid not in took:
                warn(f"thread {tid} returns from drop_gil but was never seen taking the GIL; "
                     "counting from the first event")
            has[tid] += t - took.pop(tid, time_first)
    rows = []
    for i, tid in enumerate(first):  # dicts keep first-appearance order
        total = last[tid] - first[tid]
        no_gil = total - has[tid] - wait[tid]
        pct = (lambda x: 100.0 * x / total) if total > 0 else (lambda x: float("nan"))
        rows.append({"thread": i, "tid": tid, "events": count[tid], "total_ns": total,
                     "has_gil_ns": has[tid], "wait_ns": wait[tid], "no_gil_ns": no_gil,
                     "no_gil_pct": pct(no_gil), "has_gil_pct": pct(has[tid]), "wait_pct": pct(wait[tid])})
    return rows


def table(rows):
    out = ["thread      tid    total      no GIL   has GIL   GIL wait   events"]
    for r in rows:
        out.append(f"{r['thread']:6d}  {r['tid']:7d}  {r['total_ns'] * 1e-9:8.4f} s  {r['no_gil_pct']:6.1f}%  "
                   f"{r['has_gil_pct']:6.1f}%  {r['wait_pct']:7.1f}%  {r['events']:7d}")
    out.append("per4m's definitions (perf uprobes): has GIL = take_gil return to drop_gil return, "
               "GIL wait = take_gil entry to return, no GIL = the rest")
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description="per4m's GIL table from `perf script --ns` text")
    ap.add_argument("input", nargs="?", default="-", help="perf script text (default: stdin)")
    ap.add_argument("--group", default="probe_rclab", help="the probes' group (default: %(default)s)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    try:
        if args.input == "-":
            text = sys.stdin.read()
        else:
            with open(args.input, encoding="utf-8", errors="replace") as f:
                text = f.read()
        rows = summarize(parse_events(text.splitlines(), args.group),
                         warn=lambda msg: print(f"perf_gil_table: {msg}", file=sys.stderr))
    except (BadInput, OSError) as e:
        print(f"perf_gil_table: {e}", file=sys.stderr)
        return 2
    if args.json:  # a thread with a single event has no total: null, not NaN
        rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in rows]
    sys.stdout.write(json.dumps(rows, indent=1) + "\n" if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
