# -*- coding: utf-8 -*-
"""Compiles workloads/*.py with a real CPython into the marshal files rclab loads, per generation.

    PYTHON tools/compile_workloads.py [--generation GEN] [--check] [--out DIR] [--workloads-dir DIR]
    python3 tools/compile_workloads.py --generation GEN --file PATH.py [--cache DIR] [--compiler PY]...

The second form is what `rclab run|sweep --workload PATH.py` runs (file
mode, below); the first regenerates the committed workloads/compiled/.

A generation is one interpreter rclab models and the CPython whose bytecode
it runs: each is a folder runtime/GEN/ with its opcodes.json (its
"generation" and "python", major.minor), and that file is the one list of
generations (py36: 3.6, the default; py313: 3.13). Run it with that CPython
itself, e.g. `$(pyenv prefix 3.6.15)/bin/python3.6 tools/compile_workloads.py`
or `$(pyenv prefix 3.13.0)/bin/python3.13 tools/compile_workloads.py
--generation py313`; any other interpreter is refused with exit 2 and one
line, and so is one whose bytecode magic is not the generation's (when
opcodes.json names one). For every NAME.py in the workloads folder:

- `code = compile(source, "workloads/NAME.py", "exec", dont_inherit=True,
  optimize=0)` from the file's bytes, in a fresh `pythonX.Y -I -S` process
  per file (why: below), and `marshal.dumps(code)` (marshal version 4);
- every code object, recursively through co_consts, is checked against the
  subset the generation models (runtime/GEN/opcodes.json), its constants
  against the values rclab has (ints in 64 bits, str, None, True, False,
  tuples of those, code), and its global names against what the module
  stores plus the host's builtins (range, object, len, Queue, round), and
  the builtin exception classes (opcodes.json's exception_classes_modelled):
  anywhere on a generation that raises (py313), in handler code on py36.
  py36: COMPARE_OP only the comparisons of compare_op_modelled (`exception
  match` only ever runs in a handler); MAKE_FUNCTION only the flags listed
  (defaults and a closure). py313: COMPARE_OP only the comparisons of
  compare_op_modelled (dis's argval: the oparg is `(cmp << 5) | flags`),
  BINARY_OP only the operators of binary_op_modelled, SET_FUNCTION_ATTRIBUTE
  only the flags listed, LOAD_CONST and RETURN_CONST only the values above,
  the exception handlers' opcodes (handler_opcodes_modelled) only in the
  handlers co_exceptiontable names, and every
  instruction followed by exactly opcodes.json's "caches" CACHE units (dis
  walks instructions without them; co_code is checked unit by unit). A file
  that breaks the subset is refused — one line per violation naming file,
  code object (its qualified name), opcode and offset — exit 2, and nothing
  is written;
- the module must set N to an int constant and define work and expect.

Writes DIR/NAME.marshal (default workloads/compiled/GEN/) and
DIR/MANIFEST.json: the generation, the command, the interpreter's
sys.version, marshal's version and the bytecode magic, and per workload its
name, N, marshal path and source and the sha256 of each.

--check compiles into a temporary folder and compares: exit 1 naming each
stale, missing or extra file, 0 when everything is current. The marshal
files must be byte-identical; MANIFEST.json must be identical except for
sys.version past major.minor (another build or bugfix release of the same
CPython that writes the same bytes is current: 3.13.0 and 3.13.15 are).

Determinism: marshal writes a back-reference flag (FLAG_REF) on an object
only when its reference count is above 1 at the time of dumping, so the
bytes depend on what else in the process holds the same objects — interned
strings above all (a workload's name `n` is the same object as any other
`n` the process interned). A fresh process per file, started with -I -S
(no site, no user site-packages, no PYTHON* variables) and the same small
child program, makes those counts the same on every run and every machine
with a stock CPython of that version.

File mode (--file): one workload file outside the tree, compiled for one
generation and cached. Any Python may start it: it finds the generation's
CPython (the --compiler given of that major.minor; else pyenv's newest
X.Y.Z of it; else pythonX.Y on PATH) and runs itself again under it. The
file is refused, one line each and exit 2, for what the committed
workloads are refused for, and also when its stem is not a lowercase
identifier, or when work(k) != expect(k) for k in 0..3 on that real CPython
(the module run as the peer runner runs it, tools/peer/peer_fib.py's
load_workload, with the host's names). The code is compiled as
"workloads/NAME.py", as the committed ones are, so a file compiles to the
same bytes wherever it lives. Accepted, the marshal goes to
CACHE/GEN/NAME-SOURCESHA256.marshal with a .json beside it (default CACHE:
$RCLAB_CACHE/workloads, else ~/.cache/rclab/workloads), and stdout gets one
JSON object: name, path (absolute), generation, python_version,
source_sha256, marshal (the cached file), marshal_sha256, N,
crosses_threads, cached (whether it came from the cache). A cached entry is
used when its marshal still has its sha256; the model checks the bytes
again when it loads them.

This file parses on Python 2.7 and 3.x so that the refusal is one line
everywhere (no f-strings).
"""
from __future__ import print_function

import argparse
import glob
import hashlib
import inspect
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The peer runner's module: its command-line parser (bad arguments: one line,
# exit 2) and its loader, which runs a workload as a peer does (file mode's
# expect check). Both parse on 2.7 and 3.x, as this file does.
sys.path.insert(0, os.path.join(ROOT, "tools", "peer"))
import peer_fib  # noqa: E402
from peer_fib import ArgumentError, Parser  # noqa: E402
WORKLOADS = os.path.join(ROOT, "workloads")
RUNTIME = os.path.join(ROOT, "runtime")
MANIFEST = "MANIFEST.json"
DEFAULT_GENERATION = "py36"
# The interpreter each CPython version is compiled with, as the commands
# say it (MANIFEST.json's "command"); any build of that major.minor is run.
INTERPRETERS = {"3.6": "$(pyenv prefix 3.6.15)/bin/python3.6",
                "3.13": "$(pyenv prefix 3.13.0)/bin/python3.13"}
HOST_NAMES = frozenset(["range", "object", "len", "Queue", "round", "tuple", "id",
                        "__name__"])          # a class body reads __name__ for __module__
INT64 = (-((1 << 63) - 1), (1 << 63) - 1)   # runtime/marshal_reader.h: |x| <= INT64_MAX


class Generation(object):
    """One generation, from runtime/NAME/opcodes.json: what the model runs."""

    def __init__(self, name, path):
        with open(path) as f:
            spec = json.load(f)
        if spec.get("generation") != name:
            raise ValueError("%s says generation %r, its folder %r" % (path, spec.get("generation"), name))
        self.name = name
        self.path = os.path.relpath(path, ROOT)
        self.python = spec["python"]                          # "3.6", "3.13"
        self.version = tuple(int(x) for x in self.python.split("."))
        self.magic = spec.get("magic")                        # the bytecode magic, when the file names it
        self.allowed = frozenset(spec["opcodes"])
        self.caches = dict(spec.get("caches", {}))            # name -> CACHE units after it (3.11+)
        self.compare = frozenset(spec["compare_op_modelled"])
        self.make_function = frozenset(spec.get("make_function_flags_modelled", []))   # 3.6: 8 is a closure
        self.binary_op = dict(spec.get("binary_op_modelled", {}))                       # 3.13: NB_* -> oparg
        self.function_attribute = frozenset(spec.get("set_function_attribute_modelled", []))
        self.modules = tuple(spec.get("import_name_modelled", []))                         # runtime/modules.h
        self.handler_only = frozenset(spec.get("handler_opcodes_modelled", []))            # 3.13: only in handlers
        # The builtin exception classes (runtime/exceptions.h): any code may
        # name them where the generation raises (runs RAISE_VARARGS);
        # elsewhere only handler code (handler_start), which nothing reaches.
        self.exception_names = frozenset(e.split(":")[0] for e in spec.get("exception_classes_modelled", []))
        self.raises = "RAISE_VARARGS" in self.allowed
        self.has_caches = "caches" in spec
        interpreter = INTERPRETERS.get(self.python, "python" + self.python)
        self.command = "%s tools/compile_workloads.py --generation %s" % (interpreter, name)


def generations():
    """[(name, path of its opcodes.json)] for every runtime/*/opcodes.json,
    oldest Python first (py36, py313): the one list of generations."""
    found = []
    for path in glob.glob(os.path.join(RUNTIME, "*", "opcodes.json")):
        with open(path) as f:
            python = json.load(f).get("python", "0")
        found.append((tuple(int(x) for x in python.split(".")), os.path.basename(os.path.dirname(path)), path))
    return [(name, path) for _, name, path in sorted(found)]


def load_generation(name):
    paths = dict(generations())
    if name not in paths:
        raise KeyError(name)
    return Generation(name, paths[name])

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


def instructions(code, gen):
    """dis's instructions of `code`, without the CACHE units 3.11+ writes
    after an instruction that has caches."""
    import dis
    if gen.has_caches:
        return list(dis.get_instructions(code, show_caches=False))
    return list(dis.get_instructions(code))


def code_objects(code, qual=None):
    """(qualified name, code) for `code` and every code object in its
    constants, depth first: co_qualname where the code has it (3.11+),
    else the names joined by dots."""
    if hasattr(code, "co_qualname"):
        qual = code.co_qualname
    else:
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
    if isinstance(value, float):
        return True
    if isinstance(value, str) or isinstance(value, code_type):
        return True
    if isinstance(value, tuple):
        return all(const_ok(v, code_type) for v in value)
    return False


def nb_op_name(arg):
    """BINARY_OP's oparg as (NB_ name, symbol): 3.13's opcode._nb_ops."""
    import opcode
    ops = getattr(opcode, "_nb_ops", [])
    if 0 <= arg < len(ops):
        return ops[arg]
    return ("NB_%d" % arg, "?")


def check_caches(gen, code, ins_list, where):
    """3.11+: every instruction is followed by exactly the CACHE units
    opcodes.json says (its "caches"), in dis's cache_info and in co_code
    itself, and the next instruction starts right after them."""
    import opcode
    problems = []
    raw = code.co_code
    cache_op = opcode.opmap.get("CACHE", 0)
    for k, ins in enumerate(ins_list):
        if ins.opname not in gen.allowed:
            continue  # refused already
        at = "%s: %s at offset %d" % (where, ins.opname, ins.offset)
        want = gen.caches.get(ins.opname, 0)
        info = sum(size for _, size, _ in (ins.cache_info or []))
        units = 0
        pos = ins.offset + 2
        while pos < len(raw) and raw[pos] == cache_op:
            units += 1
            pos += 2
        nxt = ins_list[k + 1].offset if k + 1 < len(ins_list) else len(raw)  # an EXTENDED_ARG is one of them
        if info != want or units != want or pos != nxt:
            problems.append("%s: %d cache entries (%d CACHE units in co_code), %s says %d"
                            % (at, info, units, gen.path, want))
    return problems


class UnreadableTable(Exception):
    """co_exceptiontable could not be parsed here."""


def handler_start(gen, code, ins_list):
    """The offset from which a code object's instructions are exception
    handlers' (None: it has none): 3.11+'s first handler in
    co_exceptiontable, which 3.12+ places after the rest; 3.6's first
    SETUP_EXCEPT target (its handlers are inline, after their try body).
    Raises UnreadableTable when the table cannot be read."""
    if not gen.has_caches:
        targets = [ins.argval for ins in ins_list if ins.opname == "SETUP_EXCEPT"]
        return min(targets) if targets else None
    import dis
    if not getattr(code, "co_exceptiontable", b""):
        return None
    try:
        entries = dis._parse_exception_table(code)
    except Exception:  # a private helper: refuse what cannot be read
        raise UnreadableTable()
    return min(e.target for e in entries) if entries else None


def check_exception_table(gen, handlers, ins_list, where):
    """3.11+: the exception handlers' own opcodes (opcodes.json's
    handler_opcodes_modelled) only at or after the first handler
    co_exceptiontable names (`handlers`) — 3.12+ moves handler code to the
    end of the code object, where only an exception reaches it. Anywhere
    else (TO_BOOL of a bare truth test, a handler without a table) they are
    refused, one line each."""
    return ["%s: %s at offset %d: only in exception handlers (from offset %s, the first the exception table names)"
            % (where, ins.opname, ins.offset, "-" if handlers is None else handlers)
            for ins in ins_list
            if ins.opname in gen.handler_only and (handlers is None or ins.offset < handlers)]


def check_code(display, module_code, gen):
    """Every violation of the generation's subset in the module, as lines;
    and the module's N. Raises nothing."""
    problems = []
    code_type = type(module_code)
    stored = set()
    listing = []
    for qual, code in code_objects(module_code):
        listing.append((qual, code, instructions(code, gen)))
    for qual, code, ins_list in listing:
        for ins in ins_list:
            if ins.opname in ("STORE_NAME", "STORE_GLOBAL") and qual == "<module>":
                stored.add(ins.argval)
            elif ins.opname == "STORE_GLOBAL":
                stored.add(ins.argval)
    host = ", ".join(sorted(HOST_NAMES - set(["__name__"])))
    for qual, code, ins_list in listing:
        where = "%s: %s" % (display, qual)
        local_names = set(i.argval for i in ins_list if i.opname == "STORE_NAME")
        table_ok = True
        try:
            handlers = handler_start(gen, code, ins_list)
        except UnreadableTable:
            handlers, table_ok = None, False
            problems.append("%s: exception table of %d bytes: unreadable here"
                            % (where, len(getattr(code, "co_exceptiontable", b""))))
        for ins in ins_list:
            at = "%s: %s at offset %d" % (where, ins.opname, ins.offset)
            if ins.opname not in gen.allowed:
                problems.append("%s: opcode not in rclab's subset" % at)
            elif ins.opname == "IMPORT_NAME" and ins.argval not in gen.modules:
                problems.append("%s: module %r not among the modules rclab builds (%s)"
                                % (at, ins.argval, ", ".join(gen.modules)))
            elif ins.opname == "COMPARE_OP" and ins.argval not in gen.compare:
                problems.append("%s: comparison %r not in rclab's subset" % (at, ins.argval))
            elif ins.opname == "MAKE_FUNCTION" and ins.arg is not None and ins.arg not in gen.make_function:
                problems.append("%s: flags %d (keyword-only defaults or annotations) not in rclab's subset"
                                % (at, ins.arg))
            elif ins.opname == "SET_FUNCTION_ATTRIBUTE" and ins.arg not in gen.function_attribute:
                problems.append("%s: flag %d (%s) not in rclab's subset" % (at, ins.arg, ins.argrepr))
            elif ins.opname == "BINARY_OP" and ins.arg not in gen.binary_op.values():
                nb, symbol = nb_op_name(ins.arg)
                problems.append("%s: operator %s (%s) not in rclab's subset" % (at, nb, symbol))
            elif ins.opname in ("LOAD_CONST", "RETURN_CONST") and not const_ok(ins.argval, code_type):
                problems.append("%s: constant %r of type %s not in rclab's values"
                                % (at, ins.argval, type(ins.argval).__name__))
            elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval not in stored \
                    and ins.argval not in HOST_NAMES \
                    and not (ins.argval in gen.exception_names
                             and (gen.raises or (handlers is not None and ins.offset >= handlers))):
                # a class body's LOAD_NAME of its own earlier names is fine
                if not (ins.opname == "LOAD_NAME" and qual != "<module>" and ins.argval in local_names):
                    problems.append("%s: name %r is neither the module's nor the host's (%s)"
                                    % (at, ins.argval, host))
        # 3.12+ inlines a comprehension in a module or class body with
        # "hidden" fast locals (CO_FAST_HIDDEN) in a code object that
        # otherwise has none; the py313 loader refuses them, so refuse here.
        if gen.has_caches and not code.co_flags & inspect.CO_OPTIMIZED and code.co_nlocals:
            problems.append("%s: a comprehension outside a function (its hidden locals) not in rclab's subset"
                            % where)
        if gen.has_caches:
            if table_ok:
                problems.extend(check_exception_table(gen, handlers, ins_list, where))
            problems.extend(check_caches(gen, code, ins_list, where))
    n_value = None
    module_ins = listing[0][2]
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


def compile_one(path, display, shown=None):
    """marshal bytes of `path` compiled by a fresh process of this
    interpreter, as the file `display` (its co_filename); a refusal names
    `shown` (default: display) and the line the compiler names."""
    p = subprocess.Popen([sys.executable, "-I", "-S", "-c", CHILD, path, display],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    if p.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        where = [m.group(1) for m in (re.search(r'^  File ".*", line (\d+)', l) for l in lines) if m]
        raise Refused("%s: does not compile: %s%s" % (shown or display, "line %s: " % where[-1] if where else "",
                                                     lines[-1] if lines else "exit %d" % p.returncode))
    return out


def sources(workloads_dir):
    try:
        names = sorted(f for f in os.listdir(workloads_dir) if f.endswith(".py") and not f.startswith("."))
    except OSError as e:
        raise Refused("%s: cannot list: %s" % (workloads_dir, e.strerror))
    if not names:
        raise Refused("%s: no workloads (*.py)" % workloads_dir)
    return names


def build(workloads_dir, gen):
    """{file name: bytes} of every output, MANIFEST.json included; refuses
    (Refused) when any workload breaks the generation's subset."""
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
        found, n_value = check_code(display, code, gen)
        problems.extend(found)
        outputs[name + ".marshal"] = data
        entries.append({"name": name, "source": display, "source_sha256": sha256(src),
                        "marshal": "workloads/compiled/%s/%s.marshal" % (gen.name, name),
                        "marshal_sha256": sha256(data), "N": n_value})
    if problems:
        raise Refused("\n".join(problems))
    manifest = {
        "generation": gen.name,
        "python": gen.python,
        "command": gen.command,
        "python_version": sys.version,
        "marshal_version": marshal.version,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "workloads": entries,
    }
    outputs[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return outputs


def write(out_dir, outputs):
    for fname in sorted(outputs):
        write_atomic(os.path.join(out_dir, fname), outputs[fname])


def write_atomic(path, data):
    """`data` into `path` through a temporary file beside it and a rename:
    a reader sees the old file or the new one, never half of one."""
    d = os.path.dirname(path)
    if not os.path.isdir(d):
        os.makedirs(d)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def manifest_for_check(data):
    """The manifest with sys.version cut to major.minor (3.13): the build
    date, compiler and bugfix release do not change the bytes, which are
    compared byte for byte."""
    m = json.loads(data.decode("utf-8"))
    m["python_version"] = ".".join(m.get("python_version", "").split(" ")[0].split(".")[:2])
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


def refuse_interpreter(gen):
    """The one line refusing this interpreter for `gen`, or None."""
    if tuple(sys.version_info[:len(gen.version)]) != gen.version:
        return ("compile_workloads.py: generation %s needs CPython %s (rclab's %s interpreter models %s's "
                "bytecode), this is %s; run %s" % (gen.name, gen.python, gen.name, gen.python,
                                                  sys.version.split()[0], gen.command))
    if gen.magic is not None:
        import importlib.util
        magic = importlib.util.MAGIC_NUMBER
        have = magic[0] | (magic[1] << 8)
        if have != gen.magic:
            return ("compile_workloads.py: generation %s needs bytecode magic %d (%s), this %s writes %d; run %s"
                    % (gen.name, gen.magic, gen.path, sys.version.split()[0], have, gen.command))
    return None


# ---- file mode (--file) ------------------------------------------------------

NAME_PATTERN = "^[a-z][a-z0-9_]*$"   # the record schema's "workload" pattern
EXPECT_KS = (0, 1, 2, 3)             # work(k) == expect(k) is checked for these
VERSION_PROBE = "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"


def default_cache():
    base = os.environ.get("RCLAB_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "rclab")
    return os.path.join(base, "workloads")


def probe_version(python):
    """'X.Y' of the interpreter at `python`; Refused (one line) when it is
    missing, not executable or not a Python."""
    if not os.path.exists(python):
        raise Refused("--compiler %s: no such file" % python)
    if os.path.isdir(python) or not os.access(python, os.X_OK):
        raise Refused("--compiler %s: not an executable file" % python)
    try:
        p = subprocess.Popen([python, "-I", "-S", "-c", VERSION_PROBE], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        out, _ = p.communicate()
    except OSError as e:
        raise Refused("--compiler %s: cannot run: %s" % (python, e.strerror or e))
    version = out.decode("ascii", "replace").strip()
    if p.returncode != 0 or not version.replace(".", "").isdigit():
        raise Refused("--compiler %s: does not run as a CPython (%s)"
                      % (python, "exit %d" % p.returncode if p.returncode else "printed %r" % version[:40]))
    return version


def pyenv_compiler(gen):
    """pyenv's newest CPython X.Y.Z of the generation's X.Y, or None."""
    root = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    best = None
    for d in glob.glob(os.path.join(root, "versions", "*")):
        m = re.match(r"^(\d+)\.(\d+)\.(\d+)$", os.path.basename(d))   # not 3.13t, not 3.13-dev
        if not m or (int(m.group(1)), int(m.group(2))) != gen.version:
            continue
        python = os.path.join(d, "bin", "python" + gen.python)
        if os.access(python, os.X_OK) and (best is None or int(m.group(3)) > best[0]):
            best = (int(m.group(3)), python)
    return best[1] if best else None


def find_compiler(gen, given):
    """The CPython that compiles for `gen`: one of `given` (--compiler) of its
    major.minor, else pyenv's, else pythonX.Y on PATH. Refused, one line,
    when there is none."""
    if given:
        seen = []
        for python in given:
            version = probe_version(python)
            if version == gen.python:
                return python
            seen.append("%s is %s" % (python, version))
        raise Refused("--compiler: generation %s needs CPython %s (rclab's %s interpreter runs %s's bytecode); "
                      "%s" % (gen.name, gen.python, gen.name, gen.python, ", ".join(seen)))
    found = pyenv_compiler(gen)
    if found is None:
        for d in os.environ.get("PATH", "").split(os.pathsep):
            candidate = os.path.join(d, "python" + gen.python)
            if d and os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
                found = candidate
                break
    if found is None:
        raise Refused("no CPython %s found for generation %s (not in pyenv, no python%s on PATH): "
                      "pyenv install %s.x, or give --compiler PATH" % (gen.python, gen.name, gen.python, gen.python))
    return found


def check_expect(path, display):
    """Runs the module on this CPython as the peer runner does and checks
    work(k) == expect(k) for small k. Refused, one line, when they differ."""
    try:
        module = peer_fib.load_workload(path)[0]
    except peer_fib.ArgumentError as e:
        raise Refused("%s: %s" % (display, str(e).split(": ", 2)[-1]))
    for k in EXPECT_KS:
        got = []
        for fn in ("work", "expect"):
            try:
                got.append(module[fn](k))
            except Exception as e:
                raise Refused("%s: %s(%d) raised %s: %s on %s" % (display, fn, k, type(e).__name__,
                                                                 str(e).replace("\n", " "), sys.version.split()[0]))
        if got[0] != got[1] or type(got[0]) is not int:
            raise Refused("%s: work(%d) returned %r, expect(%d) %r, on CPython %s: they must agree (an int)"
                          % (display, k, got[0], k, got[1], sys.version.split()[0]))
    return bool(module.get("CROSSES_THREADS") is True)


def compile_file(gen, path, cache):
    """File mode under the generation's own CPython: the entry (a dict),
    from the cache or compiled, checked and cached now."""
    display = path
    try:
        with open(path, "rb") as f:
            src = f.read()
    except (IOError, OSError) as e:
        raise Refused("%s: cannot read: %s" % (display, e.strerror or e))
    stem = os.path.splitext(os.path.basename(path))[0]
    if not path.endswith(".py") or not re.match(NAME_PATTERN, stem):
        raise Refused("%s: a workload file is NAME.py with NAME a lowercase identifier (%s), the workload's "
                      "name in the records" % (display, NAME_PATTERN))
    source_sha = sha256(src)
    base = os.path.join(cache, gen.name, "%s-%s" % (stem, source_sha))
    try:
        with open(base + ".json") as f:
            entry = json.load(f)
        with open(base + ".marshal", "rb") as f:
            if sha256(f.read()) == entry["marshal_sha256"]:
                entry.update({"path": os.path.abspath(path), "cached": True})
                return entry
    except (IOError, OSError, ValueError, KeyError, TypeError):
        pass  # absent or damaged: compiled again below
    data = compile_one(path, "workloads/%s.py" % stem, display)
    problems, n_value = check_code(display, marshal.loads(data), gen)
    if problems:
        raise Refused("\n".join(problems))
    crosses = check_expect(path, display)
    entry = {"name": stem, "path": os.path.abspath(path), "generation": gen.name,
             "python_version": sys.version.split()[0], "source_sha256": source_sha,
             "marshal": base + ".marshal", "marshal_sha256": sha256(data), "N": n_value,
             "crosses_threads": crosses}
    write_atomic(base + ".marshal", data)
    write_atomic(base + ".json", (json.dumps(entry, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    entry["cached"] = False
    return entry


def file_mode(args, gen):
    """--file: finds the compiler and runs this file again under it (unless
    this is it), which compiles, checks and prints the entry."""
    cache = os.path.abspath(args.cache or default_cache())
    if not args.as_compiler:
        compiler = find_compiler(gen, args.compiler or [])
        cmd = [compiler, "-I", "-S", os.path.abspath(__file__), "--generation", gen.name, "--file",
               args.file, "--cache", cache, "--as-compiler"]
        return subprocess.call(cmd)   # its stdout and stderr are ours
    refusal = refuse_interpreter(gen)
    if refusal:
        raise Refused(refusal.split(": ", 1)[1])
    entry = compile_file(gen, args.file, cache)
    sys.stdout.write(json.dumps(entry, sort_keys=True) + "\n")
    return 0


def main(argv):
    known = [name for name, _ in generations()]
    try:
        ap = Parser(prog="compile_workloads.py", description=__doc__.splitlines()[0])
        ap.add_argument("--generation", default=DEFAULT_GENERATION,
                        help="the interpreter generation (runtime/GEN/opcodes.json): %s; default %s"
                        % (", ".join(known), DEFAULT_GENERATION))
        ap.add_argument("--check", action="store_true",
                        help="compile to a temporary folder; exit 1 naming each stale or missing file")
        ap.add_argument("--out", help="default workloads/compiled/GEN")
        ap.add_argument("--workloads-dir", default=WORKLOADS)
        ap.add_argument("--file", help="file mode: compile this one workload file, check it and cache it")
        ap.add_argument("--cache", help="file mode: the cache folder (default $RCLAB_CACHE/workloads, "
                        "else ~/.cache/rclab/workloads)")
        ap.add_argument("--compiler", action="append",
                        help="file mode: a CPython to compile with (repeatable; the one of the generation's "
                        "major.minor is used; default: pyenv's, else pythonX.Y on PATH)")
        ap.add_argument("--as-compiler", action="store_true", help=argparse.SUPPRESS)
        args = ap.parse_args(argv)
        if args.generation not in known:
            raise ArgumentError("no generation %r (runtime/*/opcodes.json has %s)"
                                % (args.generation, ", ".join(known) or "none"))
    except ArgumentError as e:
        sys.stderr.write("compile_workloads.py: %s\n" % str(e).replace("\n", " "))
        return 2
    gen = load_generation(args.generation)
    if args.file is not None:
        try:
            return file_mode(args, gen)
        except Refused as e:
            for line in str(e).splitlines():
                sys.stderr.write("compile_workloads.py: %s\n" % line)
            return 2
    refusal = refuse_interpreter(gen)
    if refusal:
        sys.stderr.write(refusal + "\n")
        return 2
    try:
        outputs = build(os.path.abspath(args.workloads_dir), gen)
    except Refused as e:
        for line in str(e).splitlines():
            sys.stderr.write("compile_workloads.py: %s\n" % line)
        return 2
    out_dir = os.path.abspath(args.out or os.path.join(WORKLOADS, "compiled", gen.name))
    if args.check:
        tmp = tempfile.mkdtemp(prefix="rclab-workloads-")
        try:
            write(tmp, outputs)  # what a regeneration would write, compared byte for byte
            stale = check(out_dir, outputs)
        finally:
            shutil.rmtree(tmp)
        for line in stale:
            sys.stderr.write("compile_workloads.py: %s; regenerate with %s\n" % (line, gen.command))
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
