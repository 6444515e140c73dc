"""Reading rclab result files (JSON Lines), shared by the tools.

A line that is not a JSON object — typically a last line cut short by a crash
— is reported on stderr with its line number and skipped: never silently
dropped, never fatal to the records around it (the same rule as the C++
reader in experiments/records.cpp).
"""
import json
import os
import statistics
import sys
import tempfile


def read_records(path, warn=sys.stderr):
    records = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    # A file that ends with a newline leaves one empty string at the end.
    last = len(lines) - 1 if lines and lines[-1] == "" else len(lines)
    for lineno, line in enumerate(lines[:last], 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError:
            cut = lineno == last and not (lines and lines[-1] == "")
            what = "truncated last record" if cut else "not a JSON record"
            print(f"{path}:{lineno}: {what}; skipped", file=warn)
            continue
        records.append(rec)
    return records


def is_ok(rec):
    # Sweep records carry a status; single `rclab run --json` records and real
    # CPython's records do not, and count when their result was right.
    return rec.get("status", "ok") == "ok" and rec.get("result_ok", False) and rec.get("live_objects", 0) == 0


def point_key(rec):
    return (rec["config"], int(rec["n"]), int(rec["threads"]))


def group(records):
    """{(config, n, threads): {"ok": [records], "failed": int}}"""
    points = {}
    for r in records:
        try:
            key = point_key(r)
        except (KeyError, ValueError, TypeError):
            continue
        p = points.setdefault(key, {"ok": [], "failed": 0})
        if is_ok(r):
            p["ok"].append(r)
        else:
            p["failed"] += 1
    return points


def median(recs, field):
    return statistics.median(r[field] for r in recs)


def write_atomically(path, data, mode="w"):
    """Writes to a temporary file beside `path`, then renames it into place,
    so a crash never leaves a half-written report or plot."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def fail(prog, msg):
    """One line on stderr and exit status 2: rclab's rule for bad input."""
    print(f"rclab: {prog}: {msg}", file=sys.stderr)
    sys.exit(2)
