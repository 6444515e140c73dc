"""Runs one Python test suite for ctest, all or nothing.

Every Python test ends with `sys.exit(pyrunner.main())`. It runs the
module's unittest tests and exits
  0   every test ran and passed;
  1   a test failed or raised; or no test ran; or SOME tests skipped while
      others ran: a ctest test must test everything or nothing, so that
      "Passed" means it tested (split the suite: one per condition);
  77  every test skipped (ctest's SKIP_RETURN_CODE, set in tests/CMakeLists.txt),
      after one line on stdout: `SKIPPED: SUITE: REASON` (REASON from
      tests/conditions.py, which tests/skip_report.py reads again).

Arguments: `SUITE.py [RCLAB_BINARY] [-k PATTERN]...`. A binary given is put in
$RCLAB_BIN for the tests that run rclab (tests/conditions.py: rclab_bin);
-k selects tests as unittest's -k does.
"""
import os
import sys
import unittest


def _is_case(test):
    return isinstance(test, unittest.TestCase) and not type(test).__name__ == "_ErrorHolder"


def main(argv=None, module="__main__"):
    argv = list(sys.argv[1:] if argv is None else argv)
    mod = sys.modules[module]
    suite_name = os.path.splitext(os.path.basename(mod.__file__))[0]
    patterns = []
    while argv:
        a = argv.pop(0)
        if a == "-k" and argv:
            patterns.append(argv.pop(0))
        elif not a.startswith("-"):
            os.environ["RCLAB_BIN"] = os.path.abspath(a)
        else:
            print(f"{suite_name}: unknown argument {a}", file=sys.stderr)
            return 2
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = [p if "*" in p else f"*{p}*" for p in patterns]
    suite = loader.loadTestsFromModule(mod)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
    sys.stderr.flush()
    # Skips counted in testsRun are whole tests; a skip in setUpClass is not
    # in testsRun (an _ErrorHolder), and a subTest's skip leaves its test run.
    skipped_tests = {id(t) for t, _ in result.skipped if _is_case(t)}
    ran = result.testsRun - len(skipped_tests)
    reasons = sorted({why for _, why in result.skipped})
    if result.failures or result.errors or result.unexpectedSuccesses:
        print(f"FAILED: {suite_name}: {len(result.failures)} failures, {len(result.errors)} errors")
        return 1
    if result.skipped and ran > 0:
        print(f"FAILED: {suite_name}: {len(result.skipped)} skipped while {ran} ran — split this suite: "
              f"a ctest test runs all of its tests or none (skipped: {'; '.join(reasons)})")
        return 1
    if result.skipped:
        print(f"SKIPPED: {suite_name}: {'; '.join(reasons)}")
        sys.stdout.flush()
        return 77
    if ran == 0:
        print(f"FAILED: {suite_name}: no tests ran")
        return 1
    return 0


