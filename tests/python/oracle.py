# oracle.py: CPython's own Lib/test/test_interpreters/ run against interp_glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The tests are read from the running Python's installed Lib/test at run
# time (never copied). A thin adapter makes test.support.interpreters (the
# module they test, CPython 3.13's forerunner of concurrent.interpreters)
# be interp_glib, then the test modules run as they are. Their own helpers
# still use CPython's private modules (_interpreters, _interpqueues,
# _interpchannels) where they reach below the public API.
#
# Every test that does not pass is listed, with its reason, in
# oracle-expected-failures.txt beside this file; the output is TAP:
#   ok N - name                           passed
#   not ok N - name # TODO reason         listed and failed (expected)
#   ok N - name # TODO unexpected pass    listed but passed: fix the list
#   not ok N - name                       failed, not listed: a regression
#
# Two layouts of Lib/test, found at run time:
# - 3.13: a test_interpreters/ package (api, queues, channels, lifecycle,
#   stress) for the test.support.interpreters package;
# - 3.10 to 3.12: one test_interpreters.py for a test.support.interpreters
#   module, the PEP 554 draft API (create(isolated=), Interpreter.run(),
#   channels) that interp_glib keeps as its older forms. Debian ships it in
#   libpython3.X-testsuite.
#
# - 3.14 and later: the same package, testing concurrent.interpreters (and
#   test.support.channels), plus test_concurrent_futures's
#   test_interpreter_pool for concurrent.futures.InterpreterPoolExecutor.
#   The adapter makes those be interp_glib, interp_glib.queues,
#   interp_glib.channels and interp_glib.InterpreterPoolExecutor. Their
#   list is oracle-expected-failures-3.14.txt.
#
# Usage: oracle.py [module ...]   (default: every module of the layout;
#        "interpreters" is the one of the older layout, "interpreter_pool"
#        test_concurrent_futures's)

import fnmatch
import gc
import io
import os
import sys
import traceback
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ['test_api', 'test_queues', 'test_channels', 'test_lifecycle', 'test_stress']


def concurrent_layout():
    return sys.version_info >= (3, 14)


def _crossinterp_module(name):
    import interp_glib
    # The flags CPython's low-level modules take, which some tests read.
    crossinterp = types.ModuleType(name)
    crossinterp.__dict__.update(vars(interp_glib._crossinterp))
    crossinterp._UNBOUND_CONSTANT_TO_FLAG = {
        interp_glib.UNBOUND_REMOVE: 1, interp_glib.UNBOUND_ERROR: 2, interp_glib.UNBOUND: 3,
    }
    crossinterp._UNBOUND_FLAG_TO_CONSTANT = {
        v: k for k, v in crossinterp._UNBOUND_CONSTANT_TO_FLAG.items()}
    return crossinterp


def _module_like(name, interp_glib):
    fake = types.ModuleType(name, interp_glib.__doc__)
    for attr, value in vars(interp_glib).items():
        if not (attr.startswith('__') and attr.endswith('__')):
            setattr(fake, attr, value)
    fake.__path__ = []

    # Code the tests run in new interpreters imports the module too: each
    # new interpreter gets the adapter first.
    def create(*args, **kwargs):
        interp = interp_glib.create(*args, **kwargs)
        # One expression: no name is left in the new __main__, which the
        # tests list (dir(), globals()).
        interp.exec('(lambda sys: (sys.path.insert(0, %r), '
                    '__import__("oracle").install_adapter(), '
                    'sys.path.pop(0)))(__import__("sys"))\n' % HERE)
        return interp
    fake.create = create
    return fake


def install_adapter():
    if concurrent_layout():
        install_concurrent_adapter()
    else:
        install_support_adapter()


def install_concurrent_adapter():
    import concurrent
    import concurrent.futures
    import interp_glib
    import test.support

    fake = _module_like('concurrent.interpreters', interp_glib)
    crossinterp = _crossinterp_module('concurrent.interpreters._crossinterp')
    fake._crossinterp = crossinterp
    fake._queues = interp_glib.queues
    sys.modules['concurrent.interpreters'] = fake
    sys.modules['concurrent.interpreters._crossinterp'] = crossinterp
    sys.modules['concurrent.interpreters._queues'] = interp_glib.queues
    concurrent.interpreters = fake
    # test_channels tests test.support.channels, CPython's channels over its
    # private _interpchannels: interp_glib.channels is the same API.
    sys.modules['test.support.channels'] = interp_glib.channels
    test.support.channels = interp_glib.channels

    pool = types.ModuleType('concurrent.futures.interpreter')
    for name in ('InterpreterPoolExecutor', 'BrokenInterpreterPool', 'ExecutionFailed'):
        setattr(pool, name, getattr(interp_glib, name))
    sys.modules['concurrent.futures.interpreter'] = pool
    concurrent.futures.interpreter = pool
    concurrent.futures.InterpreterPoolExecutor = interp_glib.InterpreterPoolExecutor


def install_support_adapter():
    import interp_glib
    import test.support

    fake = _module_like('test.support.interpreters', interp_glib)
    crossinterp = _crossinterp_module('test.support.interpreters._crossinterp')
    fake._crossinterp = crossinterp
    fake.queues = interp_glib.queues
    fake.channels = interp_glib.channels
    sys.modules['test.support.interpreters'] = fake
    sys.modules['test.support.interpreters._crossinterp'] = crossinterp
    sys.modules['test.support.interpreters.queues'] = interp_glib.queues
    sys.modules['test.support.interpreters.channels'] = interp_glib.channels
    test.support.interpreters = fake


def read_expected(path):
    expected = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            pattern, _, reason = line.partition(':')
            expected.append((pattern.strip(), reason.strip() or 'listed'))
    return expected


def reason_for(expected, name):
    for pattern, reason in expected:
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


class Result(unittest.TestResult):
    def __init__(self, expected, out):
        super().__init__()
        self.expected = expected
        self.out = out
        self.n = 0
        self.counts = {'pass': 0, 'expected': 0, 'unexpected_pass': 0, 'fail': 0, 'skip': 0}

    def _name(self, test):
        module = type(test).__module__.rsplit('.', 1)[-1]
        return '%s.%s.%s' % (module, type(test).__name__, test._testMethodName)

    def _emit(self, line, detail=None):
        self.n += 1
        self.out.write(line.replace('#N#', str(self.n)) + '\n')
        if detail:
            for text in detail.rstrip().split('\n')[-25:]:
                self.out.write('# ' + text + '\n')
        self.out.flush()

    def _done(self, test, failed, detail=None):
        name = self._name(test)
        reason = reason_for(self.expected, name)
        if failed and reason:
            self.counts['expected'] += 1
            self._emit('not ok #N# - %s # TODO %s' % (name, reason))
        elif failed:
            self.counts['fail'] += 1
            self._emit('not ok #N# - %s' % name, detail)
        elif reason:
            self.counts['unexpected_pass'] += 1
            self._emit('ok #N# - %s # TODO unexpected pass (listed: %s)' % (name, reason))
        else:
            self.counts['pass'] += 1
            self._emit('ok #N# - %s' % name)

    def startTest(self, test):
        # What earlier tests left (queues referenced from tracebacks) goes.
        gc.collect()
        super().startTest(test)
        self._failed = None

    def addError(self, test, err):
        self._failed = ''.join(traceback.format_exception(*err))

    def addFailure(self, test, err):
        self._failed = ''.join(traceback.format_exception(*err))

    def addSubTest(self, test, subtest, err):
        if err is not None and self._failed is None:
            self._failed = '%s\n%s' % (subtest, ''.join(traceback.format_exception(*err)))

    def addSkip(self, test, reason):
        self.counts['skip'] += 1
        self._emit('ok #N# - %s # SKIP %s' % (self._name(test), reason))
        self._failed = False

    def addExpectedFailure(self, test, err):
        self._failed = None

    def addUnexpectedSuccess(self, test):
        self._failed = None

    def stopTest(self, test):
        if self._failed is not False:
            self._done(test, self._failed is not None, self._failed)
        super().stopTest(test)


NOT_RUN = '[not run]'


def iter_tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from iter_tests(item)
        else:
            yield item


def mark_not_run(suite, expected):
    """Listed tests whose reason starts with [not run] would wait forever
    under interp_glib's semantics (a send that waits until received): they
    fail at once instead, still counted as listed. Returns how many."""
    n = 0
    for test in iter_tests(suite):
        module = type(test).__module__.rsplit('.', 1)[-1]
        name = '%s.%s.%s' % (module, type(test).__name__, test._testMethodName)
        reason = reason_for(expected, name)
        if reason and reason.startswith(NOT_RUN):
            def fail(test=test, reason=reason):
                test.fail('not run: ' + reason[len(NOT_RUN):].strip())
            setattr(test, test._testMethodName, fail)
            n += 1
    return n


def is_package_layout():
    import test
    return os.path.isdir(os.path.join(os.path.dirname(test.__file__), 'test_interpreters'))


def main(argv):
    package = is_package_layout()
    modules = ['test_' + m if not m.startswith('test_') else m for m in argv]
    default = MODULES + ['test_interpreter_pool'] if concurrent_layout() else MODULES
    modules = modules or (default if package else ['test_interpreters'])
    expected = read_expected(os.path.join(
        HERE, 'oracle-expected-failures-3.14.txt' if concurrent_layout()
        else 'oracle-expected-failures.txt'))
    import faulthandler
    install_adapter()
    import test.test_interpreters

    loader = unittest.TestLoader()
    suites = []
    for name in modules:
        if not package and name == 'test_interpreters':
            module = test.test_interpreters
        elif name == 'test_interpreter_pool':
            module = __import__('test.test_concurrent_futures.' + name, fromlist=['*'])
        else:
            module = __import__('test.test_interpreters.' + name, fromlist=['*'])
        suites.append(loader.loadTestsFromModule(module))
    suite = unittest.TestSuite(suites)
    not_run = mark_not_run(suite, expected)
    out = sys.stdout
    out.write('TAP version 13\n1..%d\n' % suite.countTestCases())
    out.write('# tests read from %s\n' % os.path.dirname(test.test_interpreters.__file__))
    result = Result(expected, out)
    # A hang shows every thread's stack before meson gives up.
    faulthandler.dump_traceback_later(1500, exit=True)
    # The tests print a lot (dumped scripts): keep stdout for TAP.
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()
    try:
        suite.run(result)
    finally:
        sys.stdout = real_stdout
    faulthandler.cancel_dump_traceback_later()
    c = result.counts
    out.write('# oracle: %d passed, %d expected failures (listed; %d of them not run), '
              '%d unexpected passes, %d failures, %d skipped\n'
              % (c['pass'], c['expected'], not_run, c['unexpected_pass'], c['fail'], c['skip']))
    return 0 if c['fail'] == 0 and c['unexpected_pass'] == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
