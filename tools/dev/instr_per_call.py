#!/usr/bin/python3
"""Instructions per fib call, or per loop iteration of a workload, counted by
callgrind, for rclab's model and for a real interpreter, measured the same
way: the instructions of a long run minus those of a short one, divided by
the calls or iterations the long run has in excess. Start-up, set-up and
teardown cancel out; what remains is the steady state. Hardware counters
are not on every machine; callgrind is.

  instr_per_call.py --rclab BUILD/experiments/rclab --config gil [--n 20]
  instr_per_call.py --python /path/to/python [--n 20]
  instr_per_call.py --rclab BIN --config gil --workload shared_list [--ns N1,N2,N3]
  instr_per_call.py --python PY --workload workloads/shared_list.py
  instr_per_call.py --python PY --workload all [--cache-sim] [--json]

Per fib call (no --workload): fib(N) minus fib(0), over the extra calls
(2*fib(N) - 2). The model runs `rclab run --config C --threads 1 --n N`; a
real interpreter runs an inline copy of fib with -S. Prints one line,
`<what> <instructions per call>`; --json a record of both runs' totals.

Per iteration (--workload NAME, a path to workloads/NAME.py, or all): three
runs of work(n), at n = N1 < N2 < N3. The figure is (I(N3) - I(N1)) / (N3 -
N1) iterations; the check is the same from (N1, N2), and when the two differ
by more than 2% a warning says the run is not in its steady state (exit
status unchanged). The model runs `rclab run --config C --threads 1
--workload NAME --n K` (the model's own compiled copy of NAME; a path into
workloads/ names it by its stem, any other path is given to rclab as a
workload file); a real interpreter runs the file the way the peers do,
`PY tools/peer/peer_fib.py --name instr --threads 1 --workload FILE --n K`
(one thread: the thread's fixed cost cancels in the difference). For fib,
n is fib's argument and the figure is per call (2*fib(n) - 1 calls).
Defaults follow the workload's N (which sets a native run to a fraction of
a second): N1, N2, N3 = N/100, N/20, N/10, and 10, 18, 22 for fib (which
keeps them with all when --ns is given). Prints one line per workload,
`NAME <per iteration> (n N1..N3; N1..N2 gives X, D% apart)`; --json one
object, or an array with --workload all. With all, every workloads/*.py is
measured; one the configuration refuses (rclab exit 2) is said on stderr
and in the array, and skipped.

--cache-sim runs callgrind with --cache-sim=yes --branch-sim=yes and adds,
per call or iteration by the same difference, the simulated misses (I1mr,
D1mr, D1mw, ILmr, DLmr, DLmw: first level and last level, instruction
reads, data reads and writes) and branch mispredictions (Bcm conditional,
Bim indirect) after the Ir figure, as NAME=VALUE fields; --json has every
event callgrind counted (Dr, Dw, Bc, Bi too) and the simulated caches.
Those are fixed, not read from the host: 32 KiB 8-way I1 and D1, a 32 MiB
16-way LL, 64-byte lines (--valgrind-arg=--LL=SIZE,ASSOC,LINE overrides).

Every run has PYTHONHASHSEED=0 (a real interpreter's str hashes, so dict
probes, are the same from run to run) and every --env NAME=VALUE given; --rclab-arg ARG (repeatable) is appended
to every `rclab run` (a setting, a generation: whatever `rclab run --help`
offers). Exit status: 0 measured; 1 a run went wrong; 2 bad arguments, a
missing valgrind, or a run refusing its input (one line on stderr, never a
traceback). Run it niced: callgrind is single-threaded and ~50x slower than
native.
"""
import argparse
import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEER_FIB = os.path.join(ROOT, "tools", "peer", "peer_fib.py")
WORKLOADS_DIR = os.path.join(ROOT, "workloads")

# The benchmark as the peers run it (tools/peer/peer_fib.py), called from a
# function as real programs do; runs unchanged on Python 2 and 3.
FIB_SOURCE = """import sys
def fib(n):
    if n < 2: return 1
    return fib(n-1) + fib(n-2)
def main():
    fib(int(sys.argv[1]))
main()
"""

# The events --cache-sim prints after Ir (--json has all of them).
SHOWN_EVENTS = ("I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw", "Bcm", "Bim")
# The simulated caches, fixed so that the misses do not depend on the host
# (valgrind otherwise reads cpuid, which on some VMs reports a 320 MB
# direct-mapped L3): 32 KiB 8-way first levels, a 32 MiB 16-way last level,
# 64-byte lines. --valgrind-arg=--LL=... comes after and wins.
CACHES = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=33554432,16,64")
STEADY = 0.02            # the two estimates of a workload agree within this, or a warning
FIB_NS = (10, 18, 22)    # fib's defaults with --workload: 177, 8361 and 57313 calls
MAX_FIB_N = 25           # callgrind is ~50x slower than native
MAX_ITERATIONS = 10 ** 8


class BadInput(Exception):
    """Exit 2: bad arguments, or a run that refused its input."""


class Refused(BadInput):
    """A run exited 2: the configuration or interpreter refused the input."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BadInput(message)


def fib_value(n):
    a, b = 1, 1
    for _ in range(n - 1):
        a, b = b, a + b
    return b if n >= 1 else 1


def calls(n):
    return 2 * fib_value(n) - 1


def parse_callgrind(path):
    """{event: count} of a callgrind output file (its `events:` line names
    the columns of `summary:`, else `totals:`), and its `desc:` lines."""
    events, values, desc = None, None, []
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("desc:"):
                desc.append(line[len("desc:"):].strip())
            elif values is None and re.match(r"^(?:summary|totals):", line):
                values = [int(v) for v in line.split()[1:]]
    if events is None or values is None:
        return None, desc
    values += [0] * (len(events) - len(values))  # callgrind may leave trailing zeros out
    return dict(zip(events, values)), desc


def last_line(text):
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    return lines[-1] if lines else ""


def run_checked(cmd, env, what):
    """Runs cmd natively (a cheap first run of the smallest n): a refusal
    (exit 2) is a BadInput, any other failure a RuntimeError."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    except OSError as e:
        raise BadInput("%s: %s" % (cmd[0], e.strerror or e))
    if p.returncode == 2:
        raise Refused("%s refused: %s" % (what, last_line(p.stderr) or "exit 2"))
    if p.returncode != 0:
        raise RuntimeError("run failed (%d): %s: %s" % (p.returncode, " ".join(cmd), last_line(p.stderr)))


def callgrind(cmd, env=None, cache_sim=False, valgrind_args=()):
    """({event: count}, desc lines) of one run under callgrind."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        # valgrind's own messages to a file, so that the program's stderr is its own
        vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, "--log-file=" + os.path.join(d, "vg.log")]
        if cache_sim:
            vg += ["--cache-sim=yes", "--branch-sim=yes"] + list(CACHES)
        vg += list(valgrind_args)
        p = subprocess.run(vg + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        bad = [l.strip() for l in p.stderr.splitlines() if re.match(r"valgrind: (Bad|Unknown) ", l)]
        if p.returncode != 0 and bad:  # valgrind refused an option (a --valgrind-arg)
            raise BadInput("; ".join(bad))
        if p.returncode != 0:
            why = last_line(p.stderr)
            if not why and os.path.exists(os.path.join(d, "vg.log")):  # valgrind's own (a bad --valgrind-arg)
                with open(os.path.join(d, "vg.log"), errors="replace") as f:
                    why = last_line(re.sub(r"^==\d+== ?", "", f.read(), flags=re.M))
            raise RuntimeError("run failed (%d): %s%s" % (p.returncode, " ".join(cmd), ": " + why if why else ""))
        if not os.path.exists(out):
            raise RuntimeError("callgrind wrote no totals for: " + " ".join(cmd))
        events, desc = parse_callgrind(out)
    if not events or "Ir" not in events:
        raise RuntimeError("callgrind wrote no totals for: " + " ".join(cmd))
    return events, desc


def callgrind_total(cmd, env=None, valgrind_args=()):
    """Total instructions (Ir) of one run under callgrind."""
    return callgrind(cmd, env, False, valgrind_args)[0]["Ir"]


def per_unit(big, small, units):
    return {e: (big[e] - small.get(e, 0)) / float(units) for e in big}


def measure(cmd_for_n, n, env=None, cache_sim=False, valgrind_args=()):
    """fib(n) against fib(0): the per-call mode."""
    if not cache_sim:
        big = callgrind_total(cmd_for_n(n), env, valgrind_args)
        small = callgrind_total(cmd_for_n(0), env, valgrind_args)
        return {"n": n, "instructions_n": big, "instructions_0": small,
                "calls": calls(n) - calls(0), "per_call": (big - small) / float(calls(n) - calls(0))}
    big, desc = callgrind(cmd_for_n(n), env, True, valgrind_args)
    small, _ = callgrind(cmd_for_n(0), env, True, valgrind_args)
    units = calls(n) - calls(0)
    r = {"n": n, "instructions_n": big["Ir"], "instructions_0": small["Ir"],
         "calls": units, "per_call": (big["Ir"] - small["Ir"]) / float(units)}
    r.update({"events_n": big, "events_0": small, "per_call_events": per_unit(big, small, units),
              "cache": desc})
    return r


def measure_workload(cmd_for_n, name, ns, env, cache_sim, what, command, valgrind_args=()):
    """Three runs at N1 < N2 < N3: the figure from (N1, N3), the check from (N1, N2)."""
    unit = "call" if name == "fib" else "iteration"
    units = (lambda n: calls(n)) if name == "fib" else (lambda n: n)
    run_checked(cmd_for_n(ns[0]), env, command)  # natively first: a refusal costs no callgrind run
    runs, desc = [], []
    for n in ns:
        events, desc = callgrind(cmd_for_n(n), env, cache_sim, valgrind_args)
        runs.append({"n": n, "units": units(n), "events": events})
    e1, e2, e3 = (r["events"] for r in runs)
    u1, u2, u3 = (r["units"] for r in runs)
    fig = per_unit(e3, e1, u3 - u1)
    check = per_unit(e2, e1, u2 - u1)
    rel = abs(fig["Ir"] - check["Ir"]) / abs(fig["Ir"]) if fig["Ir"] else float("inf")
    r = {"what": what, "workload": name, "unit": unit, "ns": list(ns), "runs": runs,
         "per_" + unit: fig["Ir"], "check": check["Ir"], "check_ns": [ns[0], ns[1]],
         "check_rel_diff": rel, "steady": rel <= STEADY}
    if cache_sim:
        r.update({"per_%s_events" % unit: fig, "check_events": check, "cache": desc})
    return r


def workload_n(path):
    """The module-level `N = <int>` of a workload's source, or None."""
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and node.targets[0].id == "N" and \
                isinstance(node.value, ast.Constant) and type(node.value.value) is int:
            return node.value.value
    return None


def default_ns(name, path):
    if name == "fib":
        return FIB_NS
    n = workload_n(path) if path else None
    if n is None or n < 1000:
        raise BadInput("--workload %s: no module-level N >= 1000 in %s to take defaults from: give --ns"
                       % (name, path or "workloads/"))
    return (n // 100, n // 20, n // 10)


def parse_ns(text):
    try:
        ns = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise BadInput("--ns must be three integers N1,N2,N3, got %r" % text)
    if len(ns) != 3 or not 0 <= ns[0] < ns[1] < ns[2]:
        raise BadInput("--ns must be three integers 0 <= N1 < N2 < N3, got %r" % text)
    return ns


def resolve_workloads(arg, workloads_dir):
    """[(name, path or None)] for --workload NAME, PATH or all."""
    if arg == "all":
        paths = sorted(glob.glob(os.path.join(workloads_dir, "*.py")))
        if not paths:
            raise BadInput("--workload all: no workloads in %s" % workloads_dir)
        return [(os.path.splitext(os.path.basename(p))[0], p) for p in paths]
    if arg.endswith(".py") or os.sep in arg:
        if not os.path.isfile(arg):
            raise BadInput("--workload %s: no such file" % arg)
        return [(os.path.splitext(os.path.basename(arg))[0], arg)]
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", arg):
        raise BadInput("--workload %r: not a workload name, a .py path or all" % arg)
    path = os.path.join(workloads_dir, arg + ".py")
    return [(arg, path if os.path.isfile(path) else None)]


def fmt_events(ev):
    # + 0.0: a difference that rounds to zero from below prints 0.0000, not -0.0000
    return " ".join("%s=%.4f" % (e, round(ev.get(e, 0.0), 4) + 0.0) for e in SHOWN_EVENTS)


def workload_line(r):
    unit = r["unit"]
    ns = r["ns"]
    line = "%s %.1f" % (r["workload"], r["per_" + unit])
    if "per_%s_events" % unit in r:
        line += " " + fmt_events(r["per_%s_events" % unit])
    line += " (n %d..%d; %d..%d gives %.1f, %.2f%% apart)" % (
        ns[0], ns[2], ns[0], ns[1], r["check"], 100 * r["check_rel_diff"])
    return line


def parse_env(items):
    env = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise BadInput("--env needs NAME=VALUE, got %r" % item)
        env[name] = value
    return env


def make_parser():
    ap = Parser(prog="instr_per_call.py", description=__doc__.split("\n\n")[0],
                epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--rclab", help="the rclab binary (with --config)")
    what.add_argument("--python", help="a real interpreter")
    ap.add_argument("--config", help="rclab configuration (with --rclab)")
    ap.add_argument("--n", type=int, default=None, help="fib(N) against fib(0) (default 20; not with --workload)")
    ap.add_argument("--workload", help="per iteration of a workload: NAME, a path to workloads/NAME.py, or all")
    ap.add_argument("--ns", help="with --workload: the three runs' n, N1,N2,N3 (default N/100,N/20,N/10 of "
                                 "the workload's N; 10,18,22 for fib, which keeps them with all)")
    ap.add_argument("--workloads-dir", default=WORKLOADS_DIR,
                    help="where NAME.py and all are looked up (default the repository's workloads/)")
    ap.add_argument("--cache-sim", action="store_true",
                    help="simulate caches and branches too (--cache-sim=yes --branch-sim=yes)")
    ap.add_argument("--rclab-arg", action="append", default=[], metavar="ARG",
                    help="append ARG to every `rclab run` (repeatable; use --rclab-arg=--x for a dash)")
    ap.add_argument("--valgrind-arg", action="append", default=[], metavar="ARG",
                    help="append ARG to valgrind's options (repeatable), e.g. --valgrind-arg=--LL=4194304,16,64")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="set in every run's environment (repeatable)")
    ap.add_argument("--json", action="store_true", help="print a JSON object (an array with --workload all)")
    return ap


def main(argv):
    try:
        try:
            a = make_parser().parse_args(argv)
        except SystemExit as e:  # --help
            return 2 if e.code else 0
        return run(a)
    except BadInput as e:
        print("instr_per_call: %s" % str(e).replace("\n", " "), file=sys.stderr)
        return 2


def run(a):
    if a.rclab:
        if not a.config:
            raise BadInput("--rclab needs --config")
    else:
        if a.config:
            raise BadInput("--config is for --rclab")
        if a.rclab_arg:
            raise BadInput("--rclab-arg is for --rclab")
    if a.workload is None and a.ns is not None:
        raise BadInput("--ns is for --workload (per-call fib takes --n)")
    if a.workload is not None and a.n is not None:
        raise BadInput("--n is fib's per-call mode; with --workload give --ns N1,N2,N3")
    extra_env = parse_env(a.env)
    if shutil.which("valgrind") is None:
        print("instr_per_call: valgrind is not installed (scripts/install-deps.sh installs it)", file=sys.stderr)
        return 2
    n = 20 if a.n is None else a.n
    if a.workload is None and not 2 <= n <= MAX_FIB_N:
        print("instr_per_call: --n must be in 2..25 (callgrind is ~50x slower than native)", file=sys.stderr)
        return 2
    exe = a.rclab or a.python
    if not os.access(exe, os.X_OK) or os.path.isdir(exe):
        print("instr_per_call: %s: not an executable" % exe, file=sys.stderr)
        return 2
    if a.workload is not None:
        return run_workloads(a, extra_env)

    if a.rclab:
        label = a.config
        cmd = lambda n: [a.rclab, "run", "--config", a.config, "--threads", "1", "--n", str(n)] + a.rclab_arg
        env = dict(os.environ, **extra_env) if extra_env else None
    else:
        label = a.python
        src = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
        src.write(FIB_SOURCE)
        src.close()
        cmd = lambda n: [a.python, "-S", src.name, str(n)]
        env = dict(os.environ, PYTHONHASHSEED="0", **extra_env)
    try:
        r = measure(cmd, n, env, a.cache_sim, a.valgrind_arg)
    except RuntimeError as e:
        print("instr_per_call: %s" % e, file=sys.stderr)
        return 1
    finally:
        if a.python:
            os.unlink(src.name)
    r["what"] = label
    if a.json:
        print(json.dumps(r))
    elif a.cache_sim:
        print("%s %.1f %s" % (label, r["per_call"], fmt_events(r["per_call_events"])))
    else:
        print("%s %.1f" % (label, r["per_call"]))
    return 0


def run_workloads(a, extra_env):
    if not os.path.isdir(a.workloads_dir):
        raise BadInput("--workloads-dir %s: not a folder" % a.workloads_dir)
    todo = resolve_workloads(a.workload, a.workloads_dir)
    given = parse_ns(a.ns) if a.ns is not None else None
    plans = []
    for name, path in todo:
        if a.python and path is None:
            raise BadInput("--workload %s: no %s.py in %s for the interpreter to run" % (name, name, a.workloads_dir))
        # with all, --ns is the iterations of the loops: fib (n its argument) keeps its own
        ns = given if given and not (name == "fib" and len(todo) > 1) else default_ns(name, path)
        if name == "fib" and ns[2] > MAX_FIB_N:
            raise BadInput("--ns: fib's n must be at most %d (callgrind is ~50x slower than native)" % MAX_FIB_N)
        if ns[2] > MAX_ITERATIONS:
            raise BadInput("--ns: at most %d iterations (callgrind is ~50x slower than native)" % MAX_ITERATIONS)
        plans.append((name, path, ns))
    if a.rclab:
        label = a.config
        env = dict(os.environ, **extra_env) if extra_env else None
    else:
        label = a.python
        if not os.path.isfile(PEER_FIB):
            raise BadInput("%s: missing (the peer runner)" % PEER_FIB)
        env = dict(os.environ, PYTHONHASHSEED="0", **extra_env)

    results, status = [], 0
    for name, path, ns in plans:
        if a.rclab:
            # A built-in workload by its name; any other file (a port in a
            # subfolder, a user's own) by its path, which rclab compiles and
            # caches outside the measured process (callgrind does not
            # follow the compiler's child).
            builtin = path is None or os.path.dirname(os.path.abspath(path)) == os.path.abspath(a.workloads_dir)
            spec = name if builtin else path
            cmd = lambda n, spec=spec: [a.rclab, "run", "--config", a.config, "--threads", "1",
                                        "--workload", spec, "--n", str(n)] + a.rclab_arg
            command = "rclab run --config %s --workload %s" % (a.config, spec)
        else:
            cmd = lambda n, path=path: [a.python, PEER_FIB, "--name", "instr", "--threads", "1",
                                        "--workload", path, "--n", str(n)]
            command = "%s peer_fib.py --workload %s" % (a.python, path)
        try:
            r = measure_workload(cmd, name, ns, env, a.cache_sim, label, command, a.valgrind_arg)
        except Refused as e:
            if len(plans) == 1:
                raise
            print("instr_per_call: %s: skipped: %s" % (name, e), file=sys.stderr)
            results.append({"what": label, "workload": name, "refused": str(e)})
            continue
        except RuntimeError as e:
            print("instr_per_call: %s: %s" % (name, e), file=sys.stderr)
            results.append({"what": label, "workload": name, "error": str(e)})
            status = 1
            continue
        results.append(r)
        if not r["steady"]:
            print("instr_per_call: warning: %s: %d..%d gives %.1f per %s, %d..%d %.1f: %.2f%% apart "
                  "(more than %d%%): not a steady state" % (
                      name, ns[0], ns[2], r["per_" + r["unit"]], r["unit"], ns[0], ns[1], r["check"],
                      100 * r["check_rel_diff"], round(100 * STEADY)), file=sys.stderr)
        if not a.json:
            print(workload_line(r))
            sys.stdout.flush()
    if all("refused" in r for r in results):
        raise BadInput("every workload was refused (%s)" % results[0]["refused"])
    if a.json:
        print(json.dumps(results if a.workload == "all" else results[0]))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
