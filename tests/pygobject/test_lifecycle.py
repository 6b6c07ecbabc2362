# test_lifecycle.py: starting, shutting down and exiting in hosted mode
#
# Each test runs a small PyGObject program in a child process: how that
# process ends (exit status, stderr, time) is what is tested.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import subprocess
import sys
import textwrap
import time
import unittest

import tap
from common import run_python

HERE = os.path.dirname(os.path.abspath(__file__))

PRELUDE = """
import sys, time, threading
sys.path.insert(0, %r)
from common import AsyncCapture, GLib, Gio, Interp, run_loop, variant_tuple
""" % HERE


class ChildTestCase(unittest.TestCase):
    def run_child(self, code, timeout=20.0):
        started = time.monotonic()
        try:
            result = run_python(PRELUDE + textwrap.dedent(code), timeout=timeout)
        except subprocess.TimeoutExpired as e:
            self.fail("the child process hung for %.0f s; its output:\n%s\n%s"
                      % (timeout, e.stdout or "", e.stderr or ""))
        result.elapsed = time.monotonic() - started
        return result

    def assertCleanExit(self, result, status=0):
        self.assertEqual(result.returncode, status,
                         "exit status %d, stderr:\n%s" % (result.returncode, result.stderr))
        self.assertEqual(result.stderr, "", "unexpected error output")

    def lines(self, result):
        return result.stdout.splitlines()


class StartTests(ChildTestCase):
    def test_hosted_mode_from_the_start(self):
        result = self.run_child("""
            print(Interp.is_embedded())           # nothing started yet
            print(Interp.init())
            print(Interp.is_embedded())           # PyGObject's Python: hosted
            print(Interp.get_python_version() == sys.version)
            main = Interp.get_main()
            print(main.get_id(), main.get_whence() == Interp.Whence.RUNTIME)
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["False", "True", "False", "True", "0 True"])

    def test_first_use_starts_the_runtime(self):
        # No interp_init(): creating an interpreter joins the host's Python.
        result = self.run_child("""
            interp = Interp.Interpreter.new(None)
            print(Interp.is_embedded(), interp.eval("40 + 2", None).unpack())
            print(sorted(i.get_id() for i in Interp.list_all()))
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["False 42", "[0, 1]"])


class ExitTests(ChildTestCase):
    def test_exit_with_live_interpreters(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            b = Interp.Interpreter.new(None)
            a.exec("import json\\ndata = json.dumps({'a': 1})", None)
            b.exec("values = [i * i for i in range(1000)]", None)
            Interp.get_main().exec("from_main = 1", None)
            print(a.eval("data", None).unpack(), b.eval("sum(values)", None).unpack())
            # No close(), no shutdown(): the atexit hook cleans up.
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ['{"a": 1} %d' % sum(i * i for i in range(1000))])

    def test_exit_while_code_runs(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            done = AsyncCapture(lambda s, r: s.exec_finish(r))
            a.exec_async("import time\\nwhile True:\\n    time.sleep(0.002)", None, done)
            run_loop(a.is_running, timeout=5)
            print("leaving while running")
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["leaving while running"])

    def test_exit_with_queued_work(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            for _ in range(5):
                a.exec_async("import time\\ntime.sleep(0.05)", None, None)
            print("queued")
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["queued"])

    def test_exit_while_an_interpreter_thread_runs(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            a.exec("import threading, time\\n"
                   "t = threading.Thread(target=time.sleep, args=(0.2,))\\n"
                   "t.start()", None)
            print(a.eval("t.is_alive()", None).unpack())
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["True"])

    def test_released_with_a_daemon_thread_lingers(self):
        result = self.run_child("""
            gate = Interp.Queue.new(0)
            a = Interp.Interpreter.new(None)
            ident = a.get_id()
            a.exec("import interp_glib, threading\\n"
                   "gate = interp_glib.Queue(%d)\\n"
                   "threading.Thread(target=gate.get, daemon=True).start()" % gate.get_id(), None)
            print(Interp.list_lingering())
            del a
            deadline = time.monotonic() + 15
            while ident not in Interp.list_lingering() and time.monotonic() < deadline:
                time.sleep(0.01)
            print(ident in Interp.list_lingering(),
                  ident in [i.get_id() for i in Interp.list_all()])
            gate.put(GLib.Variant("s", "go"), -1, None)
            """)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.lines(result), ["[]", "True False"])
        self.assertIn("was released but stays alive until interp_shutdown()", result.stderr)

    def test_exit_status_is_kept(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            a.exec("x = 1", None)
            sys.exit(3)
            """)
        self.assertCleanExit(result, status=3)

    def test_uncaught_exception_in_host(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            a.exec("x = 1", None)
            raise RuntimeError("host failure")
            """)
        self.assertEqual(result.returncode, 1)
        self.assertIn("RuntimeError: host failure", result.stderr)
        # Only the host's own traceback: nothing from the library.
        self.assertTrue(result.stderr.startswith("Traceback"), result.stderr)
        self.assertEqual(result.stderr.count("Traceback"), 1, result.stderr)

    def test_system_exit_in_interpreter_does_not_exit(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            for target in (a, Interp.get_main()):
                for code in ("raise SystemExit(5)", "import os, sys; sys.exit(6)",
                             "raise KeyboardInterrupt"):
                    try:
                        target.exec(code, None)
                    except GLib.Error as e:
                        print(e.message.split("\\n")[0])
            print("still running")
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["SystemExit: 5", "SystemExit: 6", "KeyboardInterrupt"] * 2
                         + ["still running"])


class ShutdownTests(ChildTestCase):
    def test_explicit_shutdown(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            a.exec("x = 1", None)
            print(Interp.shutdown())
            print(a.is_closed())
            for call in (lambda: Interp.Interpreter.new(None), lambda: Interp.init()):
                try:
                    call()
                except GLib.Error as e:
                    print(e.domain, e.code == Interp.Error.RUNTIME, e.message)
            try:
                a.eval("x", None)
            except GLib.Error as e:
                print(e.domain, e.code == Interp.Error.NOT_FOUND)
            print(len(Interp.list_all()), Interp.get_main(), Interp.is_embedded())
            print(Interp.shutdown())              # a second time is fine
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), [
            "True",
            "True",
            "interp-error-quark True interp-glib was shut down",
            "interp-error-quark True interp-glib was shut down",
            "interp-error-quark True",
            "0 None False",
            "True",
        ])

    def test_shutdown_interrupts_running_code(self):
        result = self.run_child("""
            a = Interp.Interpreter.new(None)
            running = AsyncCapture(lambda s, r: s.exec_finish(r))
            queued = AsyncCapture(lambda s, r: s.eval_finish(r))
            a.exec_async("import time\\nwhile True:\\n    time.sleep(0.002)", None, running)
            run_loop(a.is_running, timeout=5)
            a.eval_async("1", None, queued)
            started = time.monotonic()
            print(Interp.shutdown())
            print(time.monotonic() - started < 5)
            run_loop(lambda: running.done and queued.done, timeout=5)
            print(running.error.code == Interp.Error.RUNTIME, running.error.message)
            print(queued.error.code == Interp.Error.NOT_FOUND)
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), [
            "True", "True",
            "True interp-glib was shut down while the job ran",
            "True",
        ])


class CreationCancelledTests(ChildTestCase):
    """Cancelling Interp.Interpreter.new_async() must leave nothing behind."""

    def test_new_async_cancelled_before_the_call(self):
        # Once made shutdown, and so the exit, hang for ever: the executor
        # stayed registered though its thread never started.
        result = self.run_child("""
            cancellable = Gio.Cancellable()
            cancellable.cancel()
            done = AsyncCapture(lambda s, r: Interp.Interpreter.new_finish(r))
            Interp.Interpreter.new_async(cancellable, done)
            done.wait()
            print(done.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
            print(sorted(i.get_id() for i in Interp.list_all()))
            """, timeout=3)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["True", "[0]"])

    def test_new_async_cancelled_while_queued(self):
        # Cancelled right after the call: the setup job is usually still
        # queued, and is then dropped; or it already runs and completes.
        # Either outcome is fine, but repeated, so that both happen.
        result = self.run_child("""
            outcomes = []
            while len(outcomes) < 20:
                cancellable = Gio.Cancellable()
                done = AsyncCapture(lambda s, r: Interp.Interpreter.new_finish(r))
                Interp.Interpreter.new_async(cancellable, done)
                cancellable.cancel()
                done.wait()
                if done.error is not None:
                    assert done.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
                    outcomes.append("cancelled")
                else:
                    assert done.value.eval("1", None).unpack() == 1
                    done.value.close()
                    outcomes.append("created")
                del done
            print("cancelled" in outcomes)
            print(sorted(i.get_id() for i in Interp.list_all()))
            """, timeout=10)
        if result.returncode == 0 and self.lines(result)[:1] == ["False"]:
            self.skipTest("the cancellation never caught a queued setup job")
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["True", "[0]"])

    def test_new_cancelled_sync(self):
        result = self.run_child("""
            cancellable = Gio.Cancellable()
            cancellable.cancel()
            try:
                Interp.Interpreter.new(cancellable)
            except GLib.Error as e:
                print(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
            print(sorted(i.get_id() for i in Interp.list_all()))
            print(Interp.shutdown())
            """)
        self.assertCleanExit(result)
        self.assertEqual(self.lines(result), ["True", "[0]", "True"])


if __name__ == "__main__":
    sys.exit(tap.main())
