"""Running tools/peer_fib.py under real interpreters and judging what came back.

`run_peer_point(python, env, args, timeout)` runs `<python> peer_fib.py <args>`
once and returns one record: peer_fib's own record with "status": "ok" when it
exited 0 with a correct result, else a record with "status": "failed", a
one-line "failure" and the "stderr_tail" — for a missing or non-executable
interpreter, no record or garbage on stdout, exit 1 or 2, death by a signal,
or a timeout. A failed point is a record, never an exception, so a sweep over
peers goes on.

As a command, it runs a peers file (see tools/README.md) and appends the
records to a JSON Lines file:

    /usr/bin/python3 tools/peers.py PEERS.json --threads 1,2 --n 30 --repeat 3 [--only a,b] [--out FILE]
    /usr/bin/python3 tools/peers.py PEERS.json --workload workloads/X.py [--n K] ...

--workload is passed through to peer_fib.py, with --n only when given (the
workload's own N otherwise; fib's 30 when there is no --workload).
"""
import argparse
import json
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_FIB = os.path.join(HERE, "peer_fib.py")
STDERR_TAIL = 2000


def _arg(args, flag, default=None):
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a[len(flag) + 1:]
    return default


def _int_or(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _workload_n(path):
    """A workload's default N (its `N = <int>` line), so that a failed point
    without --n is placed where its ok runs are; 0 when unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            m = re.search(r"^N = ([0-9]+)\s*$", f.read(), re.M)
        return int(m.group(1)) if m else 0
    except (OSError, ValueError):
        return 0


def _failed(python, args, failure, stderr=""):
    name = _arg(args, "--name", "")
    return {
        "schema": 2,
        "kind": "peer",
        "config": name,
        "family": _arg(args, "--family", "peers"),
        "baseline": _arg(args, "--base", ""),
        "policies": {},
        "threads": _int_or(_arg(args, "--threads"), 0),
        "n": _int_or(_arg(args, "--n"), _workload_n(_arg(args, "--workload")) if _arg(args, "--workload") else 0),
        "peer": {"name": name, "executable": python},
        "workload": os.path.splitext(os.path.basename(_arg(args, "--workload", "") or "fib"))[0],
        "result_ok": False,
        "status": "failed",
        "failure": failure,
        "stderr_tail": stderr[-STDERR_TAIL:],
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _signal_name(num):
    try:
        return signal.Signals(num).name
    except ValueError:
        return "signal %d" % num


def _proc_stat():
    """(busy, steal, total) jiffies over all CPUs, or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    total = sum(fields[:8])  # guest time is already inside user and nice
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    steal = fields[7] if len(fields) > 7 else 0
    return total - idle - steal, steal, total


def _cpu_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            mhz = [float(line.split(":", 1)[1]) for line in f if line.startswith("cpu MHz")]
        return sum(mhz) / len(mhz) if mhz else None
    except (OSError, ValueError):
        return None


def disturbance(before, after, child_cpu_s):
    """What else the machine did during a point, as rclab sweep records it:
    steal and other processes' CPU as shares of all CPUs' time."""
    out = {"loadavg_1m": os.getloadavg()[0], "steal_frac": 0.0, "other_cpu_frac": 0.0, "cpu_mhz": _cpu_mhz()}
    if before and after and after[2] > before[2]:
        hz = os.sysconf("SC_CLK_TCK")
        total = after[2] - before[2]
        out["steal_frac"] = min(1.0, max(0.0, (after[1] - before[1]) / total))
        other = (after[0] - before[0]) - child_cpu_s * hz
        out["other_cpu_frac"] = min(1.0, max(0.0, other / total))
    return out


def run_peer_point(python, env, args, timeout):
    """Runs peer_fib.py once under `python` with `env` added to this process's
    environment; `args` is peer_fib's argument list. Returns one record dict
    (see the module's docstring); never raises for a failed run."""
    args = [str(a) for a in args]
    full_env = dict(os.environ)
    full_env.update({str(k): str(v) for k, v in (env or {}).items()})
    try:
        proc = subprocess.Popen([python, PEER_FIB] + args, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except FileNotFoundError:
        return _failed(python, args, "interpreter not found: %s" % python)
    except PermissionError:
        return _failed(python, args, "interpreter not executable: %s" % python)
    except OSError as e:
        return _failed(python, args, "interpreter could not be started: %s: %s" % (python, e))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the interpreter and anything it started
        except OSError:
            proc.kill()
        out, err = proc.communicate()
        return _failed(python, args, "timed out after %g s" % timeout, err.decode("utf-8", "replace"))
    err = err.decode("utf-8", "replace")
    rc = proc.returncode
    if rc < 0:
        return _failed(python, args, "killed by %s" % _signal_name(-rc), err)
    if rc == 2:
        line = err.strip().splitlines()[-1] if err.strip() else "(no message)"
        return _failed(python, args, "bad arguments (exit 2): %s" % line, err)
    lines = [line for line in out.decode("utf-8", "replace").split("\n") if line.strip()]
    if not lines:
        return _failed(python, args, "no record on stdout (exit %d)" % rc, err)
    if len(lines) > 1:
        return _failed(python, args, "%d lines on stdout, expected one record (exit %d)" % (len(lines), rc), err)
    try:
        rec = json.loads(lines[0])
    except ValueError:
        rec = None
    if not isinstance(rec, dict) or rec.get("schema") != 2 or rec.get("kind") != "peer":
        return _failed(python, args, "stdout is not a peer record (exit %d): %.80r" % (rc, lines[0]), err)
    if rc != 0 or rec.get("result_ok") is not True:
        rec["status"] = "failed"
        errors = "; ".join(rec.get("thread_errors") or [])
        if rec.get("result_ok") is not True:
            rec["failure"] = "wrong result %s, expected %s%s (exit %d)" % (
                rec.get("result"), rec.get("expected"), (": " + errors) if errors else "", rc)
        else:
            rec["failure"] = "exit %d" % rc
        rec["result_ok"] = False
        rec["stderr_tail"] = err[-STDERR_TAIL:]
        return rec
    rec["status"] = "ok"
    return rec


def load_peers(path):
    """The peers file: {"peers": [{"name", "python", "env", "base", "models"}, ...]}."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    peers = data.get("peers") if isinstance(data, dict) else None
    if not isinstance(peers, list) or not peers:
        raise ValueError("%s: expected {\"peers\": [ ... ]} with at least one peer" % path)
    names = set()
    for i, p in enumerate(peers):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str) or not p["name"] \
                or not isinstance(p.get("python"), str) or not p["python"]:
            raise ValueError("%s: peer %d: needs a non-empty \"name\" and \"python\"" % (path, i + 1))
        if p["name"] in names:
            raise ValueError("%s: peer %r named twice" % (path, p["name"]))
        names.add(p["name"])
        env = p.setdefault("env", {})
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise ValueError("%s: peer %r: \"env\" must map names to strings" % (path, p["name"]))
        p.setdefault("base", "")
        p.setdefault("models", "")
    for p in peers:
        if p["base"] and p["base"] not in names:
            raise ValueError("%s: peer %r: base %r is not a peer in the file" % (path, p["name"], p["base"]))
    return peers


def peer_args(peer, threads, n, long_run=False, workload=""):
    """peer_fib's arguments for one point; n None leaves --n out (the
    workload's own N)."""
    args = ["--name", peer["name"], "--threads", str(threads)]
    if n is not None:
        args += ["--n", str(n)]
    args += ["--family", peer.get("family", "peers")]
    if workload:
        args += ["--workload", workload]
    if peer.get("base"):
        args += ["--base", peer["base"]]
    if long_run:
        args.append("--long")
    return args


def main(argv=None):
    ap = argparse.ArgumentParser(prog="peers.py", description="Run peer_fib.py for every peer in a peers file.")
    ap.add_argument("peers")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--n", type=int, default=None, help="default 30 for fib, the workload's N with --workload")
    ap.add_argument("--workload", default="", help="a workloads/*.py file, passed to peer_fib.py")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated peer names")
    ap.add_argument("--out", default="", help="append records here (JSON Lines); default stdout")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--long", action="store_true")
    a = ap.parse_args(argv)
    if a.n is None and not a.workload:
        a.n = 30
    try:
        peers = load_peers(a.peers)
        threads = [int(t) for t in a.threads.split(",")]
    except (OSError, ValueError) as e:
        print("rclab: peers: %s" % e, file=sys.stderr)
        return 2
    if a.only:
        wanted = a.only.split(",")
        unknown = [w for w in wanted if w not in {p["name"] for p in peers}]
        if unknown:
            print("rclab: peers: unknown peer %s" % ", ".join(unknown), file=sys.stderr)
            return 2
        peers = [p for p in peers if p["name"] in wanted]
    if a.repeat < 1:
        print("rclab: peers: --repeat must be >= 1", file=sys.stderr)
        return 2
    points = [(p, t, r) for p in peers for t in threads for r in range(1, a.repeat + 1)]
    random.Random(a.seed).shuffle(points)
    sweep_id = uuid.uuid4().hex[:12]
    out = open(a.out, "a", encoding="utf-8") if a.out else sys.stdout
    got = {}
    failed = 0
    for p, t, r in points:
        st0, ru0 = _proc_stat(), resource.getrusage(resource.RUSAGE_CHILDREN)
        rec = run_peer_point(p["python"], p["env"], peer_args(p, t, a.n, a.long, a.workload), a.timeout)
        st1, ru1 = _proc_stat(), resource.getrusage(resource.RUSAGE_CHILDREN)
        child = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        rec.update({"repeat": r, "seed": a.seed, "preset": "", "sweep_id": sweep_id,
                    "disturbance": disturbance(st0, st1, child)})
        out.write(json.dumps(rec, sort_keys=True) + "\n")
        out.flush()
        if out is not sys.stdout:
            os.fsync(out.fileno())
        if rec["status"] == "ok":
            got.setdefault((p["name"], t), []).append(rec)
        else:
            failed += 1
            print("%s threads=%d repeat=%d: %s" % (p["name"], t, r, rec["failure"]), file=sys.stderr)
    print("peer threads runs wall_s(median) cpu_s(median) gil_mode other_cpu_frac(median)", file=sys.stderr)
    for p in peers:
        for t in threads:
            recs = got.get((p["name"], t), [])
            if recs:
                print("%s %d %d %.4f %.4f %s %.2f" % (p["name"], t, len(recs),
                      statistics.median(x["wall_s"] for x in recs), statistics.median(x["cpu_s"] for x in recs),
                      recs[0]["settings"]["gil_mode"],
                      statistics.median(x["disturbance"]["other_cpu_frac"] for x in recs)), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
