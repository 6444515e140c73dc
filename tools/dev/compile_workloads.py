# -*- coding: utf-8 -*-
"""Compiles workloads/*.py with a real CPython 3.6 into the marshal files rclab loads.

    $(pyenv prefix 3.6.15)/bin/python3.6 tools/dev/compile_workloads.py [--check] [--out DIR] [--workloads-dir DIR]

Run it with CPython 3.6 itself (the bytecode rclab's interpreter models is
3.6's wordcode); any other interpreter is refused with exit 2 and one line.
For every NAME.py in the workloads folder:

- `code = compile(source, "workloads/NAME.py", "exec", dont_inherit=True,
  optimize=0)` from the file's bytes, in a fresh `python3.6 -I -S` process
  per file (why: below), and `marshal.dumps(code)` (3.6's marshal version 4);
- every code object, recursively through co_consts, is checked against the
  subset rclab models (runtime/py36_opcodes.json; COMPARE_OP only <, <=, ==, !=, >, >=,
  is, is not; MAKE_FUNCTION only with flags 0 or 8), its constants against
  the values rclab has (ints in 64 bits, str, None, True, False, tuples of
  those, code), and its global names against what the module stores plus
  the host's builtins (range, object, len, Queue). A file that breaks the
  subset is refused — one line per violation naming file, code object,
  opcode and offset — exit 2, and nothing is written;
- the module must set N to an int constant and define work and expect.

Writes DIR/NAME.marshal (default workloads/compiled/) and DIR/MANIFEST.json:
the command, the interpreter's sys.version, marshal's version and 3.6's
bytecode magic, and per workload its name, N and the sha256 of the .py and
of the .marshal.

--check compiles into a temporary folder and compares: exit 1 naming each
stale, missing or extra file, 0 when everything is current. The marshal
files must be byte-identical; MANIFEST.json must be identical except for
sys.version's build details (a different 3.6 build that writes the same
bytes is current).

Determinism: marshal writes a back-reference flag (FLAG_REF) on an object
only when its reference count is above 1 at the time of dumping, so the
bytes depend on what else in the process holds the same objects — interned
strings above all (a workload's name `n` is the same object as any other
`n` the process interned). A fresh process per file, started with -I -S
(no site, no user site-packages, no PYTHON* variables) and the same small
child program, makes those counts the same on every run and every machine
with a stock 3.6.

This file parses on Python 2.7 and 3.x so that the refusal is one line
everywhere (no f-strings).
"""
from __future__ import print_function

import argparse
import hashlib
import json
import marshal
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = os.path.join(ROOT, "workloads")
COMMAND = "$(pyenv prefix 3.6.15)/bin/python3.6 tools/dev/compile_workloads.py"
MANIFEST = "MANIFEST.json"

# What the model runs: runtime/py36_opcodes.json, the one list the C++
# loader is generated from too.
with open(os.path.join(ROOT, "runtime", "py36_opcodes.json")) as _f:
    SUBSET = json.load(_f)
ALLOWED = frozenset(SUBSET["opcodes"])
ALLOWED_COMPARE = frozenset(SUBSET["compare_op_modelled"])
ALLOWED_MAKE_FUNCTION = frozenset(SUBSET["make_function_flags_modelled"])   # 8: a closure; no defaults, annotations
HOST_NAMES = frozenset(["range", "object", "len", "Queue",
                        "__name__"])          # a class body reads __name__ for __module__
INT64 = (-(1 << 63), (1 << 63) - 1)

# The child: compile one file and write its marshal to stdout. The same text
# every time, so that the interned strings it holds are the same.
CHILD = (
    "import sys, marshal\n"
    "f = open(sys.argv[1], 'rb')\n"
    "src = f.read()\n"
    "f.close()\n"
    "code = compile(src, sys.argv[2], 'exec', dont_inherit=True, optimize=0)\n"
    "sys.stdout.buffer.write(marshal.dumps(code))\n"
)


class Refused(Exception):
    """Bad input: exit 2, the message's lines on stderr."""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def instructions(code):
    import dis
    return list(dis.get_instructions(code))


def code_objects(code, qual=None):
    """(qualified name, code) for `code` and every code object in its
    constants, depth first."""
    qual = qual or code.co_name
    yield qual, code
    for c in code.co_consts:
        if isinstance(c, type(code)):
            for item in code_objects(c, qual + "." + c.co_name if qual != "<module>" else c.co_name):
                yield item


def const_ok(value, code_type):
    if value is None or value is True or value is False:
        return True
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return INT64[0] <= value <= INT64[1]
    if isinstance(value, str) or isinstance(value, code_type):
        return True
    if isinstance(value, tuple):
        return all(const_ok(v, code_type) for v in value)
    return False


def check_code(display, module_code):
    """Every violation of the subset in the module, as lines; and the
    module's N. Raises nothing."""
    problems = []
    code_type = type(module_code)
    stored = set()
    for qual, code in code_objects(module_code):
        for ins in instructions(code):
            if ins.opname in ("STORE_NAME", "STORE_GLOBAL") and qual == "<module>":
                stored.add(ins.argval)
            elif ins.opname == "STORE_GLOBAL":
                stored.add(ins.argval)
    for qual, code in code_objects(module_code):
        where = "%s: %s" % (display, qual)
        for ins in instructions(code):
            at = "%s: %s at offset %d" % (where, ins.opname, ins.offset)
            if ins.opname not in ALLOWED:
                problems.append("%s: opcode not in rclab's subset" % at)
            elif ins.opname == "COMPARE_OP" and ins.argval not in ALLOWED_COMPARE:
                problems.append("%s: comparison %r not in rclab's subset" % (at, ins.argval))
            elif ins.opname == "MAKE_FUNCTION" and ins.arg not in ALLOWED_MAKE_FUNCTION:
                problems.append("%s: flags %d (defaults or annotations) not in rclab's subset" % (at, ins.arg))
            elif ins.opname == "LOAD_CONST" and not const_ok(ins.argval, code_type):
                problems.append("%s: constant %r of type %s not in rclab's values"
                                % (at, ins.argval, type(ins.argval).__name__))
            elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval not in stored \
                    and ins.argval not in HOST_NAMES:
                # a class body's LOAD_NAME of its own earlier names is fine
                if not (ins.opname == "LOAD_NAME" and qual != "<module>"
                        and ins.argval in {i.argval for i in instructions(code) if i.opname == "STORE_NAME"}):
                    problems.append("%s: name %r is neither the module's nor the host's (%s)"
                                    % (at, ins.argval, ", ".join(sorted(HOST_NAMES - {"__name__"}))))
    n_value = None
    module_ins = instructions(module_code)
    for i, ins in enumerate(module_ins):
        if ins.opname == "STORE_NAME" and ins.argval == "N":
            prev = module_ins[i - 1] if i else None
            if n_value is not None or prev is None or prev.opname != "LOAD_CONST" \
                    or not isinstance(prev.argval, int) or isinstance(prev.argval, bool) or prev.argval < 0:
                problems.append("%s: <module>: N must be set once, to a non-negative int constant" % display)
            else:
                n_value = prev.argval
    if n_value is None and not any("N must" in p for p in problems):
        problems.append("%s: <module>: no N (the default argument of work)" % display)
    for name in ("work", "expect"):
        if name not in stored:
            problems.append("%s: <module>: defines no %s" % (display, name))
    return problems, n_value


def compile_one(path, display):
    """marshal bytes of `path` compiled by a fresh 3.6 process."""
    p = subprocess.Popen([sys.executable, "-I", "-S", "-c", CHILD, path, display],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    if p.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise Refused("%s: does not compile: %s" % (display, lines[-1] if lines else "exit %d" % p.returncode))
    return out


def sources(workloads_dir):
    try:
        names = sorted(f for f in os.listdir(workloads_dir) if f.endswith(".py") and not f.startswith("."))
    except OSError as e:
        raise Refused("%s: cannot list: %s" % (workloads_dir, e.strerror))
    if not names:
        raise Refused("%s: no workloads (*.py)" % workloads_dir)
    return names


def build(workloads_dir):
    """{file name: bytes} of every output, MANIFEST.json included; refuses
    (Refused) when any workload breaks the subset."""
    import importlib.util
    outputs = {}
    entries = []
    problems = []
    for fname in sources(workloads_dir):
        name = fname[:-3]
        path = os.path.join(workloads_dir, fname)
        display = "workloads/" + fname
        with open(path, "rb") as f:
            src = f.read()
        data = compile_one(path, display)
        code = marshal.loads(data)
        found, n_value = check_code(display, code)
        problems.extend(found)
        outputs[name + ".marshal"] = data
        entries.append({"name": name, "source": display, "source_sha256": sha256(src),
                        "marshal": "workloads/compiled/" + name + ".marshal",
                        "marshal_sha256": sha256(data), "N": n_value})
    if problems:
        raise Refused("\n".join(problems))
    manifest = {
        "command": COMMAND,
        "python_version": sys.version,
        "marshal_version": marshal.version,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "workloads": entries,
    }
    outputs[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return outputs


def write(out_dir, outputs):
    if not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    for fname in sorted(outputs):
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(outputs[fname])
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(out_dir, fname))


def manifest_for_check(data):
    """The manifest with sys.version cut to its release (3.6.15): the
    build date and compiler do not change the bytes."""
    m = json.loads(data.decode("utf-8"))
    m["python_version"] = m.get("python_version", "").split(" ")[0]
    return m


def check(out_dir, outputs):
    """Lines naming each stale, missing or extra file in out_dir."""
    stale = []
    for fname in sorted(outputs):
        path = os.path.join(out_dir, fname)
        if not os.path.isfile(path):
            stale.append("missing: %s" % os.path.relpath(path, ROOT))
            continue
        with open(path, "rb") as f:
            have = f.read()
        if fname == MANIFEST:
            try:
                same = manifest_for_check(have) == manifest_for_check(outputs[fname])
            except ValueError:
                same = False
        else:
            same = have == outputs[fname]
        if not same:
            stale.append("stale: %s" % os.path.relpath(path, ROOT))
    if os.path.isdir(out_dir):
        for fname in sorted(os.listdir(out_dir)):
            if fname.endswith(".marshal") and fname not in outputs:
                stale.append("extra: %s (no workload of that name)" % os.path.relpath(os.path.join(out_dir, fname),
                                                                                      ROOT))
    return stale


class ArgumentError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ArgumentError(message)


def main(argv):
    if tuple(sys.version_info[:2]) != (3, 6):
        sys.stderr.write("compile_workloads.py: needs CPython 3.6 (rclab models 3.6's bytecode), this is %s; "
                         "run %s\n" % (sys.version.split()[0], COMMAND))
        return 2
    try:
        ap = Parser(prog="compile_workloads.py", description=__doc__.splitlines()[0])
        ap.add_argument("--check", action="store_true",
                        help="compile to a temporary folder; exit 1 naming each stale or missing file")
        ap.add_argument("--out", default=os.path.join(WORKLOADS, "compiled"))
        ap.add_argument("--workloads-dir", default=WORKLOADS)
        args = ap.parse_args(argv)
    except ArgumentError as e:
        sys.stderr.write("compile_workloads.py: %s\n" % str(e).replace("\n", " "))
        return 2
    try:
        outputs = build(os.path.abspath(args.workloads_dir))
    except Refused as e:
        for line in str(e).splitlines():
            sys.stderr.write("compile_workloads.py: %s\n" % line)
        return 2
    out_dir = os.path.abspath(args.out)
    if args.check:
        tmp = tempfile.mkdtemp(prefix="rclab-workloads-")
        try:
            write(tmp, outputs)  # what a regeneration would write, compared byte for byte
            stale = check(out_dir, outputs)
        finally:
            shutil.rmtree(tmp)
        for line in stale:
            sys.stderr.write("compile_workloads.py: %s; regenerate with %s\n" % (line, COMMAND))
        if stale:
            return 1
        print("compile_workloads.py: %d workloads current in %s" % (len(outputs) - 1, os.path.relpath(out_dir, ROOT)))
        return 0
    write(out_dir, outputs)
    print("compile_workloads.py: wrote %d workloads and %s to %s"
          % (len(outputs) - 1, MANIFEST, os.path.relpath(out_dir, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
