"""Reading rclab result files (JSON Lines): the one reader, the one rule for
"ok" and the one point key, shared by report and compare.

The contract is docs/records.md; every record is validated against
schema/record.schema.json (the same file the C++ reader checks), so a record
the tools accept is one whose numbers they can use without further checks.

What is refused and what is skipped:
- a line that is not a JSON object is reported on stderr with its line
  number and skipped, as the C++ reader does (experiments/records.cpp): a
  crash cuts the last line short, and a sweep resumed after it appends
  behind that cut line, so it can sit in the middle of a good file;
- everything else that is wrong — a file that is binary, empty, not UTF-8,
  a record that breaks the schema (missing wall_s, a string where a number
  belongs), NaN or Infinity — raises BadInput with one line naming the
  file, the line and the field. The tools turn it into that one line on
  stderr and exit status 2, never a traceback.
"""
import argparse
import gzip
import json
import math
import os
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.path.join(os.path.dirname(HERE), "schema", "record.schema.json")


class BadInput(Exception):
    """Input the tools refuse; str() is the one line to print."""


# --- parsing -----------------------------------------------------------------

class NonFinite:
    """Stands in for NaN/Infinity (which Python's json accepts and JSON does
    not) so the reader can name the field that held one."""

    def __init__(self, text):
        self.text = text


def _parse_float(s):
    v = float(s)
    return v if math.isfinite(v) else NonFinite(s)  # 1e999 parses to inf


def _find_nonfinite(obj, path=()):
    if isinstance(obj, NonFinite):
        return path, obj.text
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        found = _find_nonfinite(v, path + (k,))
        if found:
            return found
    return None


def field_name(path):
    return ".".join(str(p) for p in path) or "(record)"


_validator = None


def validator():
    """The schema validator, built once. jsonschema is Debian's
    python3-jsonschema 4.10, draft 7 (what a hand-written C++ validator can follow too)."""
    global _validator
    if _validator is None:
        import jsonschema
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
        _validator = jsonschema.Draft7Validator(schema)
    return _validator


def schema_error(rec):
    """(field, message) of the most relevant schema violation, or None."""
    import jsonschema
    err = jsonschema.exceptions.best_match(validator().iter_errors(rec))
    if err is None:
        return None
    path = list(err.absolute_path)
    if err.validator == "required":
        # "'wall_s' is a required property": name the missing field itself.
        missing = [k for k in err.validator_value if isinstance(err.instance, dict) and k not in err.instance]
        if missing:
            path.append(missing[0])
            return field_name(path), "missing"
    msg = err.message
    if len(msg) > 120:
        msg = msg[:117] + "..."
    return field_name(path), msg


def parse_line(text):
    """A dict, or None when the line is not a JSON object (skipped by the
    caller). Raises BadInput(field: message) for a record it refuses."""
    try:
        rec = json.loads(text, parse_constant=NonFinite, parse_float=_parse_float)
    except (ValueError, RecursionError):  # RecursionError: [[[[... nested beyond the stack
        return None
    if not isinstance(rec, dict):
        return None
    bad = _find_nonfinite(rec)
    if bad:
        raise BadInput(f"field '{field_name(bad[0])}': {bad[1]} is not a finite number")
    err = schema_error(rec)
    if err:
        raise BadInput(f"field '{err[0]}': {err[1]}")
    return rec


def read_records(path, warn=sys.stderr):
    """The records of one file, each with "_where" = "file:line" added.
    Raises BadInput (one line) for anything it refuses; warns on `warn` for
    the lines it skips."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror or e}")
    if data[:2] == b"\x1f\x8b":
        # gzip-compressed JSON Lines (committed results are: records repeat
        # their machine, system and policies, and compress about 19x).
        # Recognised by the magic bytes, whatever the file is called.
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise BadInput(f"{path}: a gzip file that does not decompress: {e}")
    if not data.strip():
        raise BadInput(f"{path}: empty file, no records")
    if b"\0" in data[:65536]:
        raise BadInput(f"{path}: binary file, not JSON Lines")
    lines = data.split(b"\n")
    ends_with_newline = lines[-1] == b""
    if ends_with_newline:
        lines.pop()
    records, problems = [], []
    for lineno, raw in enumerate(lines, 1):
        last_cut = lineno == len(lines) and not ends_with_newline
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            if last_cut:  # a crash can cut a multi-byte character in two
                problems.append(f"{path}:{lineno}: truncated last record; skipped")
                continue
            raise BadInput(f"{path}:{lineno}: not UTF-8 text (a binary file?)")
        if not text.strip():
            continue
        try:
            rec = parse_line(text)
        except BadInput as e:
            raise BadInput(f"{path}:{lineno}: {e}")
        if rec is None:
            what = "truncated last record" if last_cut else "not a JSON record"
            problems.append(f"{path}:{lineno}: {what}; skipped")
            continue
        rec["_where"] = f"{path}:{lineno}"
        records.append(rec)
    if not records:
        # One line, with the reason: the file held nothing usable.
        why = f" ({problems[0].split(': ', 1)[1]})" if problems else ""
        raise BadInput(f"{path}: no records{why}")
    for p in problems:
        print(p, file=warn)
    return records


# --- what a record means -------------------------------------------------------

def schema_of(rec):
    return rec.get("schema", 1)


def kind(rec):
    if "kind" in rec:
        return rec["kind"]
    # Schema 1: tools/cpython_fib.py's records carry python_version.
    return "peer" if "python_version" in rec else "model"


def is_ok(rec):
    """The one rule (docs/records.md "ok"), as the C++ reader has it."""
    return (rec.get("status", "ok") == "ok" and rec.get("result_ok", False) is True
            and rec.get("live_objects", 0) == 0 and rec.get("live_blocks", 0) == 0)


def drop_disturbed(records, max_other_cpu):
    """The records whose run other processes disturbed by at most
    `max_other_cpu` (the share of all CPUs' time they took during it, from
    the sweep's `disturbance`), and a note saying how many were left out.
    Records without a disturbance (single runs, schema 1) are kept. None:
    keep everything."""
    if max_other_cpu is None:
        return records, None
    kept = [r for r in records
            if (r.get("disturbance") or {}).get("other_cpu_frac", 0) <= max_other_cpu]
    dropped = len(records) - len(kept)
    return kept, (f"{dropped} of {len(records)} records left out: other processes took more than "
                  f"{max_other_cpu:.0%} of the CPUs during them (--max-other-cpu)")


def has_gil(rec):
    """True when the configuration runs under a GIL: then N threads can never
    finish sooner than one thread's work done N times."""
    if kind(rec) == "model":
        # `isolated` gives each thread a runtime of its own: no lock is shared.
        return rec.get("policies", {}).get("gil", "none") not in ("none", "isolated")
    if kind(rec) == "peer":
        mode = rec.get("settings", {}).get("gil_mode") or rec.get("peer", {}).get("gil_mode")
        if mode:
            return mode == "on"
        return "python_version" in rec  # schema 1: a stock CPython, GIL on
    return False


def canonical(obj):
    return "" if obj is None else json.dumps(obj, sort_keys=True, separators=(",", ":"))


def workload_of(rec):
    """What every thread ran: the record's `workload`; "fib" for records from
    before workloads (they have no field); "" for the ceiling, which runs no
    workload and is shared by all of them."""
    if kind(rec) == "ceiling":
        return ""
    return rec.get("workload", "fib")


_key_spec = None


def host_of(rec):
    """The host (kind) a record ran on: its key's machine/host_id, "unknown"
    (the schema's default) for records written before rclab recorded one."""
    return point_key(rec)[key_field_index("machine/host_id")]


def point_key_spec():
    """The schema's `x-rclab-point-key` list (schema/record.schema.json), read
    once: the one statement of what a point is, which the C++ sweep's resume
    key is built from too. Each entry names a '/'-separated `field`, its
    `default` when absent, and per-kind overrides ("peer": another path;
    "ceiling": a constant)."""
    global _key_spec
    if _key_spec is None:
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            _key_spec = json.load(f)["x-rclab-point-key"]
    return _key_spec


def key_field_index(field):
    """The position of `field` (as the schema names it) in a point key."""
    return [e["field"] for e in point_key_spec()].index(field)


_MISSING = object()


def _get_path(rec, path):
    v = rec
    for part in path.split("/"):
        if not isinstance(v, dict) or part not in v:
            return _MISSING
        v = v[part]
    return v


def point_key(rec):
    """The tuple of the schema's `x-rclab-point-key` values, in its order:
    (kind, config, policies, settings, n, threads, build id, workload,
    workload code hash, host id) today. Objects are canonical JSON; an absent
    field takes its `default` ("" when it has none: schema 1 recorded no
    settings or build id); a peer's identity is its executable, the ceiling's
    workload is "". Records without a host id are host "unknown", so two
    hosts are never pooled. The kind is the reader's (`kind`), which knows
    schema 1's peers."""
    k = kind(rec)
    out = []
    for e in point_key_spec():
        if e["field"] == "kind":
            v = k
        elif k == "ceiling" and "ceiling" in e:
            v = e["ceiling"]  # a constant: the ceiling runs no workload
        else:
            v = _get_path(rec, e.get(k, e["field"]))  # "peer": another path for peers
            if v is _MISSING or v is None:
                v = e.get("default", "")
        out.append(canonical(v) if isinstance(v, (dict, list)) else v)
    return tuple(out)


VARIANT_FIELDS = ("policies", "settings", "build/id", "machine/host_id")


def variant_of(key):
    """The part of a key that must not be pooled across: (policies, settings,
    build, host), by the schema's names; see points.Point.variant."""
    return tuple(key[key_field_index(f)] for f in VARIANT_FIELDS)


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


def check_input(path):
    """BadInput unless `path` is a regular file (a folder, a FIFO or
    /dev/zero would hang or mislead the reader)."""
    if not os.path.exists(path):
        raise BadInput(f"no such file: {path}")
    if not os.path.isfile(path):
        raise BadInput(f"{path}: not a regular file")


def prepare_outdir(path):
    """Creates the output folder; BadInput when it is a file or cannot be
    written, before any work is done."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise BadInput(f"-o {path}: exists and is not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise BadInput(f"-o {path}: cannot create: {e.strerror or e}")
    if not os.access(path, os.W_OK | os.X_OK):
        raise BadInput(f"-o {path}: not writable")
    return path


def fail(prog, msg):
    """One line on stderr and exit status 2: rclab's rule for bad input."""
    print(f"rclab: {prog}: {msg}", file=sys.stderr)
    sys.exit(2)


class Parser(argparse.ArgumentParser):
    """argparse that refuses bad arguments as rclab refuses bad input: one
    line, `rclab: PROG: ...`, status 2 (argparse's own error prints usage
    lines)."""

    def __init__(self, prog, **kw):
        super().__init__(prog="rclab " + prog, **kw)
        self._rclab_prog = prog

    def error(self, message):
        fail(self._rclab_prog, message)


def run_cli(prog, main):
    """Runs a tool's main: BadInput and refused writes become one line and
    status 2; anything else is a bug in the tools, said in one line with
    status 1 (never a traceback in the user's face)."""
    try:
        main()
    except BadInput as e:
        fail(prog, str(e))
    except BrokenPipeError:  # `| head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except OSError as e:  # writing the outputs: full disk, read-only folder
        fail(prog, f"{e.filename or ''}: {e.strerror or e}".lstrip(": "))
    except KeyboardInterrupt:
        print(f"rclab: {prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence
        tb = e.__traceback__
        while tb.tb_next:
            tb = tb.tb_next
        where = f"{os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
        print(f"rclab: {prog}: internal error (a bug in tools/, please report): "
              f"{type(e).__name__}: {e} at {where}", file=sys.stderr)
        sys.exit(1)
