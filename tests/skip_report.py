#!/usr/bin/python3
"""The closing skip list: every test ctest skipped in the given build
folders, with its reason and the condition (tests/conditions.py) that would
make it run.

    /usr/bin/python3 tests/skip_report.py BUILD_DIR [BUILD_DIR ...]

Reads each folder's Testing/Temporary/LastTest.log (the last `ctest` run
there). A test counts as skipped when
  - it printed tests/pyrunner.py's `SKIPPED: SUITE: REASON` (exit 77, ctest's
    SKIP_RETURN_CODE); REASON starts with a condition's name;
  - or ctest found gtest's `[  SKIPPED ]` (SKIP_REGULAR_EXPRESSION, set by
    gtest_discover_tests); the reason is the message GTEST_SKIP() printed,
    between `FILE:LINE: Skipped` and `[  SKIPPED ]`.
A failed test is not a skip, whatever it printed.

Exit 1 when a skip names a condition that IS met on this machine (the test
should have run here, so something is wrong with its detection), else 0:
skips are reported, not failures. scripts/test.sh calls it after each
preset's ctest and once at the end for all of them.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conditions  # noqa: E402

HEADER = re.compile(r"^\d+/\d+ Testing: (.*)$")


def blocks(log_text):
    """(test name, output, status line) for each test in a LastTest.log."""
    out = []
    name, lines = None, []
    for line in log_text.splitlines() + ["1/1 Testing: <end>"]:
        m = HEADER.match(line)
        if m:
            if name is not None:
                out.append(_parse(name, lines))
            name, lines = m.group(1), []
        elif name is not None:
            lines.append(line)
    return out


def _parse(name, lines):
    output, status = [], ""
    in_output = False
    for i, line in enumerate(lines):
        if line == "Output:":
            in_output = True
            continue
        if in_output:
            if line == "<end of output>":
                in_output = False
            elif not (line.startswith("------") and not output):
                output.append(line)
            continue
        if line.startswith("Test ") and ("Passed" in line or "Failed" in line or "Pass Reason" in line
                                          or "Not Run" in line or "Skipped" in line):
            status = line + (" " + lines[i + 1] if line.startswith("Test Pass Reason") and i + 1 < len(lines) else "")
    return name, output, status


def skip_of(output, status):
    """The reason a test skipped, or None when it did not."""
    if "Failed" in status or "Not Run" in status:
        return None
    for line in output:
        m = re.match(r"^SKIPPED: [^:]+: (.*)$", line)
        if m:
            return m.group(1)
    if "Skip regular expression found" in status or any(ln.startswith("[  SKIPPED ]") for ln in output):
        reasons = []
        msg = None
        for line in output:
            if re.search(r":\d+: Skipped$", line):
                msg = []
            elif line.startswith("[  SKIPPED ]"):
                if msg is not None:
                    reasons.append(" ".join(m.strip() for m in msg if m.strip()) or "(GTEST_SKIP without a message)")
                msg = None
            elif msg is not None:
                msg.append(line)
        return "; ".join(dict.fromkeys(reasons)) or "gtest skipped (no message)"
    return None


def skips(build_dir):
    """[(test, reason)] of the last ctest run in build_dir; None when it has no log."""
    log = os.path.join(build_dir, "Testing", "Temporary", "LastTest.log")
    if not os.path.isfile(log):
        return None
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = []
    for name, output, status in blocks(text):
        why = skip_of(output, status)
        if why is not None:
            out.append((name, why))
    return out


def report(build_dirs, stream=sys.stdout):
    """Prints the list; returns the exit status (1: a skip whose condition is met here)."""
    wrong = 0
    total = 0
    for d in build_dirs:
        found = skips(d)
        label = os.path.basename(os.path.normpath(d))
        if found is None:
            print(f"skips: {label}: no ctest log ({d}/Testing/Temporary/LastTest.log)", file=stream)
            continue
        total += len(found)
        if not found:
            print(f"skips: {label}: no test skipped", file=stream)
            continue
        print(f"skips: {label}: {len(found)} test(s) skipped:", file=stream)
        for name, why in found:
            c = conditions.condition_of(why)
            print(f"  SKIPPED {name}: {why}", file=stream)
            if c is None:
                print("      condition: none in tests/conditions.py names this skip", file=stream)
            elif c.met:
                wrong += 1
                print(f"      condition {c.name} IS met here ({c.value}): this test should have run", file=stream)
            else:
                print(f"      condition {c.name}: not met here (detected by: {c.detected})", file=stream)
    if len(build_dirs) > 1:
        print(f"skips: {total} skipped in {len(build_dirs)} build folders"
              + (f"; {wrong} of them should have run here" if wrong else ""), file=stream)
    return 1 if wrong else 0


def main(argv):
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    return report(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
