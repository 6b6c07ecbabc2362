# tap.py: run a unittest module and report it as TAP for meson
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Stdlib only, and only syntax every Python 3 understands: the version
# mismatch test runs it under a Python other than the one with PyGObject.
#
#   ok N - test_name
#   ok N - test_name # SKIP reason
#   not ok N - test_name # TODO expected failure: reason   (a known bug)
#   ok N - test_name # TODO unexpected success             (fixed: meson fails it)
#   not ok N - test_name                                    (+ '# ' diagnostics)

import faulthandler
import functools
import re
import sys
import time
import traceback
import unittest

# A hang dumps every thread's stack before meson's own timeout kills us.
WATCHDOG_SECONDS = 100


class KnownBug(AssertionError):
    """A test failed the way a known library bug makes it fail."""


def known_bug(description, pattern):
    """Marks a test that fails because of a known bug.

    The test reports "not ok # TODO" only when it fails with an assertion
    whose text matches @pattern (a regular expression); any other failure or
    error is a real failure, and so is passing: the bug is then fixed and the
    marker must go.
    """
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            try:
                func(self, *args, **kwargs)
            except AssertionError as e:
                if re.search(pattern, str(e), re.S):
                    raise KnownBug("%s\n%s" % (description, e))
                raise
            self.fail("the known bug (%s) did not show: if it is fixed, remove @known_bug"
                      % description)
        wrapper.known_bug = description
        return wrapper
    return decorator


def _name(test):
    return "%s.%s" % (type(test).__name__, test._testMethodName)


def _comment(text):
    for line in text.rstrip("\n").split("\n"):
        sys.stdout.write("# %s\n" % line)


class TapResult(unittest.TestResult):
    def __init__(self, *args, **kwargs):
        super(TapResult, self).__init__(*args, **kwargs)
        self.number = 0
        self.reported_number = 0
        self.started = 0.0

    def _line(self, text):
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def startTest(self, test):
        super(TapResult, self).startTest(test)
        self.number += 1
        self.started = time.monotonic()

    def _elapsed(self):
        return " (%.2f s)" % (time.monotonic() - self.started)

    def addSuccess(self, test):
        super(TapResult, self).addSuccess(test)
        self._line("ok %d - %s%s" % (self.number, _name(test), self._elapsed()))

    def addFailure(self, test, err):
        if issubclass(err[0], KnownBug):
            self.expectedFailures.append((test, str(err[1])))
            text = str(err[1]).split("\n")
            self._line("not ok %d - %s # TODO known bug: %s" % (self.number, _name(test), text[0]))
            _comment("\n".join(text[1:]))
            return
        super(TapResult, self).addFailure(test, err)
        self._line("not ok %d - %s" % (self.number, _name(test)))
        _comment(self.failures[-1][1])

    def addError(self, test, err):
        super(TapResult, self).addError(test, err)
        self._line("not ok %d - %s" % (self.number, _name(test)))
        _comment(self.errors[-1][1])

    def addSkip(self, test, reason):
        super(TapResult, self).addSkip(test, reason)
        self._line("ok %d - %s # SKIP %s" % (self.number, _name(test), reason.replace("\n", " ")))

    def addExpectedFailure(self, test, err):
        super(TapResult, self).addExpectedFailure(test, err)
        doc = (test._testMethodDoc or "known bug").strip().split("\n")[0]
        self._line("not ok %d - %s # TODO expected failure: %s" % (self.number, _name(test), doc))
        _comment("".join(traceback.format_exception_only(err[0], err[1])))

    def addUnexpectedSuccess(self, test):
        super(TapResult, self).addUnexpectedSuccess(test)
        self._line("ok %d - %s # TODO unexpected success: the known bug is fixed, "
                   "remove @expectedFailure" % (self.number, _name(test)))

    def addSubTest(self, test, subtest, err):
        # A failed subtest is the test's only report: unittest calls neither
        # addFailure nor addSuccess for the test itself then.
        super(TapResult, self).addSubTest(test, subtest, err)
        if err is None:
            return
        if self.reported_number != self.number:
            self.reported_number = self.number
            self._line("not ok %d - %s" % (self.number, _name(test)))
        failed = self.failures if issubclass(err[0], test.failureException) else self.errors
        _comment("subtest %s:\n%s" % (subtest._subDescription(), failed[-1][1]))


def main(module="__main__"):
    """Runs every test of @module, prints TAP, exits 0 when all passed."""
    faulthandler.enable()
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)

    if isinstance(module, str):
        module = sys.modules[module]
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    sys.stdout.write("TAP version 13\n")
    sys.stdout.write("1..%d\n" % suite.countTestCases())
    sys.stdout.flush()

    result = TapResult()
    # unittest's suite runs setUpModule/tearDownModule and the class fixtures.
    suite.run(result)
    faulthandler.cancel_dump_traceback_later()

    # Errors outside any test (setUpModule, setUpClass) are not numbered.
    for test, text in result.errors:
        if not isinstance(test, unittest.TestCase):
            sys.stdout.write("Bail out! %s\n" % str(test))
            _comment(text)
    sys.stdout.flush()
    return 0 if result.wasSuccessful() else 1
