#!/usr/bin/python3
"""What some tests need from the machine, in one place.

Each condition names what a test needs, how it is detected, which ctest
tests need it and what to do to satisfy it. A test takes its skip decision
from here and nowhere else (`@conditions.needs("chromium")`), so:

- a test whose condition is met runs, and fails when what it needs is
  broken (chromium installed but not starting, a 3.6.15 that does not run,
  a peers file naming a broken peer): never a skip then;
- a test whose condition is not met skips as a whole suite (tests/pyrunner.py
  exits 77, ctest's SKIP_RETURN_CODE), printing `SKIPPED: SUITE: REASON`,
  where REASON begins with the condition's name; tests/skip_report.py finds
  the condition again by that name and prints what would satisfy it.

    /usr/bin/python3 tests/conditions.py      # the table, and what this machine has

Reads the machine only (PATH, pyenv, the cache folder); nothing is timed.
"""
import os
import shutil
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYENV = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))


class Condition:
    def __init__(self, name, what, detected, satisfy, needed_by, detect):
        self.name = name            # short, unique: the first word of every skip reason it gives
        self.what = what            # what the tests need, in words
        self.detected = detected    # how it is detected
        self.satisfy = satisfy      # what to do so that the tests run
        self.needed_by = needed_by  # the ctest tests that skip without it
        self._detect = detect       # () -> (met, detail): detail is a path when met, why not otherwise
        self._result = None

    def check(self):
        """(met, detail), detected once per process."""
        if self._result is None:
            self._result = self._detect()
        return self._result

    @property
    def met(self):
        return self.check()[0]

    @property
    def value(self):
        """What was found (a path) when met, else None."""
        met, detail = self.check()
        return detail if met else None

    def reason(self):
        """The skip reason: `NAME: why not (satisfy: ...)`."""
        return f"{self.name}: {self.check()[1]} (to run it: {self.satisfy})"


def _pyenv_candidates(version, exe):
    """Where pyenv's VERSION keeps EXE: `pyenv prefix VERSION`/bin/EXE, then
    $PYENV_ROOT/versions/VERSION/bin/EXE (whether they exist or not)."""
    candidates = []
    try:
        p = subprocess.run(["pyenv", "prefix", version], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=60)
        if p.returncode == 0 and p.stdout.strip():
            candidates.append(os.path.join(p.stdout.decode().strip(), "bin", exe))
    except (OSError, subprocess.SubprocessError):
        pass
    candidates.append(os.path.join(PYENV, "versions", version, "bin", exe))
    return candidates


def _python36():
    """pyenv's CPython 3.6.15: `pyenv prefix 3.6.15`, else $PYENV_ROOT/versions/3.6.15."""
    candidates = _pyenv_candidates("3.6.15", "python3.6")
    for exe in candidates:
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return True, exe
    return False, f"no executable {candidates[-1]} (nor from `pyenv prefix 3.6.15`)"


def rclab_cache():
    """${RCLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rclab}: where scripts/peers.sh builds."""
    return os.environ.get("RCLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "rclab")


def pythons313():
    """Every real CPython 3.13 this machine has, in the order the condition
    prefers them: pyenv's 3.13.0 (`pyenv prefix 3.13.0`/bin/python3.13, else
    $PYENV_ROOT/versions/3.13.0/bin/python3.13), then the 3.13.15 that
    scripts/peers.sh builds (rclab_cache()/peers/cpython-3.13.15/bin/python3.13)."""
    candidates = _pyenv_candidates("3.13.0", "python3.13")
    candidates.append(os.path.join(rclab_cache(), "peers", "cpython-3.13.15", "bin", "python3.13"))
    found = []
    for exe in candidates:
        if os.path.isfile(exe) and os.access(exe, os.X_OK) and os.path.realpath(exe) not in \
                [os.path.realpath(f) for f in found]:
            found.append(exe)
    return found


def _python313():
    found = pythons313()
    if found:
        return True, found[0]
    return False, ("neither pyenv's 3.13.0 (%s) nor the built 3.13.15 (%s)" % (
        os.path.join(PYENV, "versions", "3.13.0", "bin", "python3.13"),
        os.path.join(rclab_cache(), "peers", "cpython-3.13.15", "bin", "python3.13")))


def _which(*names):
    def detect():
        for n in names:
            found = shutil.which(n)
            if found:
                return True, found
        return False, f"{' or '.join(names)} not found on PATH"
    return detect


def rclab_bin():
    """The rclab binary the tests run: the one ctest passes (tests/pyrunner.py
    puts it in $RCLAB_BIN), else the release build's. Not a condition: a test
    that needs rclab fails without it."""
    return os.environ.get("RCLAB_BIN") or os.path.join(ROOT, "build", "release", "experiments", "rclab")


def peers_file_path():
    """Where the hand-built peers' file is: $RCLAB_PEERS when set, else
    ${RCLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rclab}/peers/peers.json
    (scripts/peers.sh writes it there)."""
    if os.environ.get("RCLAB_PEERS"):
        return os.environ["RCLAB_PEERS"]
    return os.path.join(rclab_cache(), "peers", "peers.json")


def _peers_file():
    path = peers_file_path()
    if os.path.isfile(path):
        return True, path
    if os.environ.get("RCLAB_PEERS"):
        # Set, but wrong: that is a mistake to report, not a machine without peers.
        return True, path
    return False, f"no peers file at {path} (RCLAB_PEERS not set)"


CONDITIONS = [
    Condition("cpython-3.6.15", "pyenv's CPython 3.6.15, the interpreter the model is built after",
              "`pyenv prefix 3.6.15`/bin/python3.6, else $PYENV_ROOT/versions/3.6.15/bin/python3.6 (PYENV_ROOT "
              "defaults to ~/.pyenv), an executable file",
              "install pyenv and run `pyenv install 3.6.15`",
              ["instr_per_call_test", "workloads_generator_test", "workload_file_test"], _python36),
    Condition("cpython-3.13", "a real CPython 3.13, the interpreter the py313 generation is built after",
              "pyenv's 3.13.0 (`pyenv prefix 3.13.0`/bin/python3.13, else $PYENV_ROOT/versions/3.13.0/bin/python3.13), "
              "else the 3.13.15 scripts/peers.sh builds (${RCLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rclab}"
              "/peers/cpython-3.13.15/bin/python3.13), an executable file; the first found is used",
              "run `pyenv install 3.13.0`, or scripts/peers.sh (it builds 3.13.15)",
              ["workloads_generator_py313_test", "workload_file_test"], _python313),
    Condition("valgrind", "valgrind's callgrind, to count instructions per call",
              "`valgrind` on PATH", "scripts/install-deps.sh installs it (Debian's valgrind)",
              ["instr_per_call_test", "instr_per_iteration_test"], _which("valgrind")),
    Condition("chromium", "a browser to load report.html headless",
              "`chromium` or `chromium-browser` on PATH", "scripts/install-deps.sh installs it (Debian's chromium)",
              ["tools_html_report_test"], _which("chromium", "chromium-browser")),
    Condition("peers-file", "the hand-built real interpreters (the Gilectomy, nogil-3.9, ...)",
              "the file $RCLAB_PEERS when set (then it must exist), else "
              "${RCLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rclab}/peers/peers.json",
              "run scripts/peers.sh (it builds the peers and writes that file), or set RCLAB_PEERS=FILE",
              ["peer_real_test"], _peers_file),
]

BY_NAME = {c.name: c for c in CONDITIONS}


def get(name):
    return BY_NAME[name]


def needs(*names):
    """A decorator (for a TestCase class or a test): skip, with the first unmet
    condition's reason, unless every named condition is met."""
    conds = [BY_NAME[n] for n in names]

    def deco(obj):
        for c in conds:
            if not c.met:
                return unittest.skip(c.reason())(obj)
        return obj
    return deco


def condition_of(reason):
    """The condition a skip reason names (its first word before ':'), or None."""
    head = reason.strip().split(":", 1)[0].strip()
    return BY_NAME.get(head)


def main():
    print("| condition | needed by | detected by | here | to satisfy |")
    print("|---|---|---|---|---|")
    for c in CONDITIONS:
        met, detail = c.check()
        print(f"| {c.name} | {', '.join(c.needed_by)} | {c.detected} | {'yes: ' if met else 'no: '}{detail} "
              f"| {c.satisfy} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
