# common.py: shared helpers of the PyGObject suite (hosted mode)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import subprocess
import sys
import textwrap
import time
import unittest

import gi

gi.require_version("Interp", "1.0")
gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
from gi.module import get_introspection_module  # noqa: E402
from gi.repository import GLib, Gio  # noqa: E402

# These suites test the introspected API itself, so they take the typelib's
# module even when the library's override (gi.overrides.Interp) is on the
# path; test_errors.py and test_override.py import the override.
Interp = get_introspection_module("Interp")

INTERP_DOMAIN = "interp-error-quark"
IO_DOMAIN = "g-io-error-quark"


def variant_tuple(signature, *values):
    return GLib.Variant("(%s)" % signature, values)


def kwargs(**values):
    return GLib.Variant("a{sv}", values)


class LoopTimeout(AssertionError):
    pass


def run_loop(until, timeout=10.0):
    """Runs a GLib main loop until until() is true or @timeout passes."""
    loop = GLib.MainLoop.new(None, False)
    deadline = time.monotonic() + timeout
    timed_out = []

    def check():
        if until():
            loop.quit()
        elif time.monotonic() > deadline:
            timed_out.append(True)
            loop.quit()
        return GLib.SOURCE_CONTINUE

    if until():
        return
    # Checked after every dispatch that matters: a 5 ms tick is enough.
    tick = GLib.timeout_add(5, check)
    try:
        loop.run()
    finally:
        GLib.source_remove(tick)
    if timed_out:
        raise LoopTimeout("main loop timed out after %.1f s" % timeout)


class AsyncCapture:
    """A GAsyncReadyCallback that finishes the operation and keeps the result."""

    def __init__(self, finish):
        self.finish = finish
        self.done = False
        self.value = None
        self.error = None
        self.info = None
        self.thread = None
        self.when = None

    def __call__(self, source, result, *user_data):
        import threading

        self.thread = threading.get_ident()
        self.when = time.monotonic()
        try:
            self.value = self.finish(source, result)
        except GLib.Error as e:
            self.error = e
            # PyGObject freed the GError: its snapshot is this thread's to take.
            self.info = Interp.ExceptionInfo.steal_last()
        self.done = True

    def wait(self, timeout=10.0):
        run_loop(lambda: self.done, timeout)
        return self


def run_python(code, timeout=30.0, env=None):
    """Runs @code with this Python in a fresh process, in the test environment."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
    )


class InterpTestCase(unittest.TestCase):
    """Assertion helpers for GLib.Error values coming out of the library."""

    def assertInterpError(self, error, code, message_start=None):
        self.assertIsInstance(error, GLib.Error)
        self.assertEqual(error.domain, INTERP_DOMAIN, error.message)
        self.assertEqual(error.code, int(code), error.message)
        self.assertTrue(error.matches(Interp.error_quark(), code))
        if message_start is not None:
            self.assertTrue(error.message.startswith(message_start),
                            "%r does not start with %r" % (error.message, message_start))

    def assertCancelled(self, error):
        self.assertIsInstance(error, GLib.Error)
        self.assertEqual(error.domain, IO_DOMAIN, error.message)
        self.assertEqual(error.code, int(Gio.IOErrorEnum.CANCELLED), error.message)
        self.assertTrue(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))

    def raises(self, func, *args):
        """Calls func(*args), which must raise GLib.Error; returns the error."""
        with self.assertRaises(GLib.Error) as cm:
            func(*args)
        return cm.exception
