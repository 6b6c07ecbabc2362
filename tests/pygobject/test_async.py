# test_async.py: _async calls on a GLib.MainLoop, cancellation, threads
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import subprocess
import sys
import threading
import time
import unittest

import tap
from common import (AsyncCapture, GLib, Gio, Interp, InterpTestCase, kwargs, run_loop,
                    run_python, variant_tuple)

interp = None
other = None
MAIN_THREAD = threading.get_ident()
HERE = os.path.dirname(os.path.abspath(__file__))

# Code that runs until it is cancelled, releasing the GIL all the time.
SLEEP_FOREVER = "import time\nwhile True:\n    time.sleep(0.002)\n"


def setUpModule():
    global interp, other
    interp = Interp.Interpreter.new(None)
    other = Interp.Interpreter.new(None)
    interp.exec("import time\ndef add(a, b=0):\n    return a + b\n", None)


def tearDownModule():
    # `other` stays open: the atexit hook closes it when the process exits.
    if interp is not None:
        interp.close()


def exec_finish(source, result):
    return source.exec_finish(result)


def eval_finish(source, result):
    return source.eval_finish(result)


def call_finish(source, result):
    return source.call_finish(result)


def close_finish(source, result):
    return source.close_finish(result)


def new_finish(source, result):
    return Interp.Interpreter.new_finish(result)


class AsyncTests(InterpTestCase):
    def test_new_async(self):
        done = AsyncCapture(new_finish)
        Interp.Interpreter.new_async(None, done)
        done.wait()
        self.assertIsNone(done.error)
        created = done.value
        try:
            self.assertIsInstance(created, Interp.Interpreter)
            self.assertGreater(created.get_id(), 0)
            self.assertIn(created.get_id(), [i.get_id() for i in Interp.list_all()])
            self.assertEqual(created.eval("'made async'", None).unpack(), "made async")
        finally:
            created.close()

    def test_exec_async(self):
        done = AsyncCapture(exec_finish)
        interp.exec_async("async_value = 'set'", None, done)
        done.wait()
        self.assertIsNone(done.error)
        self.assertTrue(done.value)
        self.assertEqual(interp.eval("async_value", None).unpack(), "set")

    def test_eval_async(self):
        done = AsyncCapture(eval_finish)
        interp.eval_async("[1, 'a', None]", None, done)
        done.wait()
        self.assertIsNone(done.error)
        self.assertEqual(done.value.get_type_string(), "av")
        self.assertEqual(done.value.unpack(), [1, "a", None])

    def test_call_async(self):
        done = AsyncCapture(call_finish)
        interp.call_async("add", variant_tuple("x", 40), kwargs(b=GLib.Variant("x", 2)), None, done)
        done.wait()
        self.assertIsNone(done.error)
        self.assertEqual(done.value.unpack(), 42)

    def test_callback_runs_in_the_callers_thread(self):
        done = AsyncCapture(eval_finish)
        interp.eval_async("1", None, done)
        done.wait()
        self.assertEqual(done.thread, MAIN_THREAD)

    def test_async_returns_before_completion(self):
        done = AsyncCapture(exec_finish)
        interp.exec_async("time.sleep(0.05)", None, done)
        # The callback can only run from the main loop.
        self.assertFalse(done.done)
        done.wait()
        self.assertIsNone(done.error)

    def test_async_exception(self):
        done = AsyncCapture(exec_finish)
        interp.exec_async("raise KeyError('async')", None, done)
        done.wait()
        self.assertInterpError(done.error, Interp.Error.EXECUTION_FAILED, "KeyError: 'async'")
        info = done.info
        self.assertEqual(info.get_type_name(), "KeyError")
        self.assertEqual(info.get_summary(), done.error.message)
        self.assertEqual(info.get_module(), "builtins")

    def test_async_invalid_argument_completes_with_error(self):
        done = AsyncCapture(call_finish)
        interp.call_async("not a name", None, None, None, done)
        done.wait()
        self.assertInterpError(done.error, Interp.Error.INVALID_ARGUMENT)
        done = AsyncCapture(call_finish)
        interp.call_async("len", GLib.Variant("s", "x"), None, None, done)
        done.wait()
        self.assertInterpError(done.error, Interp.Error.INVALID_ARGUMENT)

    def test_async_calls_complete_in_order(self):
        results = []
        captures = []
        for n in range(8):
            capture = AsyncCapture(call_finish)
            captures.append(capture)
            interp.call_async("add", variant_tuple("xx", n, 100), None, None,
                              lambda s, r, c=capture: (c(s, r), results.append(c.value.unpack())))
        run_loop(lambda: all(c.done for c in captures))
        self.assertEqual(results, [n + 100 for n in range(8)])

    def test_many_interpreters_async(self):
        captures = []
        for i, target in enumerate((interp, other, Interp.get_main())):
            capture = AsyncCapture(eval_finish)
            captures.append(capture)
            target.eval_async("%d * 10" % i, None, capture)
        run_loop(lambda: all(c.done for c in captures))
        self.assertEqual([c.value.unpack() for c in captures], [0, 10, 20])

    def test_close_async(self):
        target = Interp.Interpreter.new(None)
        running = AsyncCapture(exec_finish)
        queued = AsyncCapture(eval_finish)
        closed = AsyncCapture(close_finish)
        target.exec_async("import time\ntime.sleep(0.1)\nfinished = True", None, running)
        run_loop(target.is_running, timeout=5)
        target.eval_async("'never runs'", None, queued)
        target.close_async(None, closed)
        run_loop(lambda: running.done and queued.done and closed.done)
        # The running call finishes, the queued one is dropped.
        self.assertIsNone(running.error)
        self.assertInterpError(queued.error, Interp.Error.NOT_FOUND)
        self.assertIsNone(closed.error)
        self.assertTrue(closed.value)
        self.assertTrue(target.is_closed())
        late = AsyncCapture(eval_finish)
        target.eval_async("1", None, late)
        late.wait()
        self.assertInterpError(late.error, Interp.Error.NOT_FOUND)


class CancellationTests(InterpTestCase):
    def test_cancel_running_exec_async(self):
        cancellable = Gio.Cancellable()
        done = AsyncCapture(exec_finish)
        interp.exec_async(SLEEP_FOREVER, cancellable, done)
        run_loop(interp.is_running, timeout=5)
        self.assertTrue(interp.is_running())
        started = time.monotonic()
        cancellable.cancel()
        done.wait(timeout=5)
        print("# interrupted %.1f ms after cancel" % ((done.when - started) * 1000))
        self.assertCancelled(done.error)
        self.assertFalse(interp.is_running())
        # The interpreter stays usable.
        self.assertEqual(interp.eval("'usable'", None).unpack(), "usable")
        self.assertEqual(interp.call("add", variant_tuple("xx", 1, 2), None, None).unpack(), 3)

    def test_cancellation_is_not_swallowed_by_except_exception(self):
        cancellable = Gio.Cancellable()
        done = AsyncCapture(exec_finish)
        # The code says when it is inside the outer try: a cancel before
        # that would leave seen None (ordering, not timing).
        inside = Interp.Queue.new(0)
        interp.exec_async(
            "import interp_glib, time\n"
            "seen = None\n"
            "try:\n"
            "    interp_glib.Queue(%d).put(True)\n"
            "    while True:\n"
            "        try:\n"
            "            time.sleep(0.002)\n"
            "        except Exception:\n"
            "            pass\n"
            "except BaseException as e:\n"
            "    seen = (type(e).__module__, type(e).__name__, isinstance(e, Exception))\n"
            "    raise\n" % inside.get_id(), cancellable, done)
        self.assertTrue(inside.get(30 * 1000 * 1000, None).unpack())
        GLib.timeout_add(20, lambda: cancellable.cancel() or GLib.SOURCE_REMOVE)
        done.wait(timeout=5)
        self.assertCancelled(done.error)
        self.assertEqual(interp.eval("seen", None).unpack(), ("interp_glib", "CancelledError", False))

    def test_cancel_sync_exec_from_another_thread(self):
        cancellable = Gio.Cancellable()
        timer = threading.Timer(0.1, cancellable.cancel)
        timer.start()
        try:
            error = self.raises(interp.exec, SLEEP_FOREVER, cancellable)
        finally:
            timer.join()
        self.assertCancelled(error)
        self.assertEqual(interp.eval("2", None).unpack(), 2)

    def test_cancel_queued_call(self):
        blocker = AsyncCapture(exec_finish)
        queued = AsyncCapture(exec_finish)
        cancellable = Gio.Cancellable()
        interp.exec_async("queued_ran = False\ntime.sleep(0.1)", None, blocker)
        interp.exec_async("queued_ran = True", cancellable, queued)
        cancellable.cancel()
        run_loop(lambda: blocker.done and queued.done)
        self.assertIsNone(blocker.error)
        self.assertCancelled(queued.error)
        self.assertFalse(interp.eval("queued_ran", None).unpack())

    def test_already_cancelled(self):
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        interp.exec("pre_cancelled_ran = False", None)
        error = self.raises(interp.exec, "pre_cancelled_ran = True", cancellable)
        self.assertCancelled(error)
        done = AsyncCapture(eval_finish)
        interp.eval_async("1", cancellable, done)
        done.wait()
        self.assertCancelled(done.error)
        done = AsyncCapture(call_finish)
        interp.call_async("add", variant_tuple("x", 1), None, cancellable, done)
        done.wait()
        self.assertCancelled(done.error)
        self.assertFalse(interp.eval("pre_cancelled_ran", None).unpack())

    def test_cancel_busy_loop(self):
        self._cancel_busy_loop(timeout=30)

    def _cancel_busy_loop(self, timeout):
        # In a child process, so that a hang cannot take the suite with it.
        try:
            result = run_python("""
                import sys, time
                sys.path.insert(0, %r)
                from common import AsyncCapture, Gio, GLib, Interp, run_loop
                interp = Interp.Interpreter.new(None)
                cancellable = Gio.Cancellable()
                done = AsyncCapture(lambda s, r: s.exec_finish(r))
                interp.exec_async("while True: pass", cancellable, done)
                run_loop(interp.is_running, timeout=5)
                started = time.monotonic()
                cancellable.cancel()
                done.wait(timeout=5)
                assert done.error is not None and done.error.matches(
                    Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED), done.error
                print("cancelled after %%.3f s" %% (done.when - started))
                assert interp.eval("'usable'", None).unpack() == "usable"
                print("usable")
                """ % HERE, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            self.fail("the child process hung for %d s; its output: %r" % (timeout, e.stdout))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.stdout.split("\n")[1], "usable")
        print("# child: " + result.stdout.split("\n")[0])


class ResponsivenessTests(InterpTestCase):
    """The host's own Python threads keep running while an interpreter works."""

    def test_host_responsive_during_busy_code(self):
        # The interpreter spins in pure Python, holding its GIL, until the
        # host puts an item; the host first needs the GIL back several
        # times (after each sleep). If the host starved, this would hang
        # (and the suite's timeout would fail it): no timing is asserted.
        # On Python 3.11 all interpreters share one GIL, which CPython 3.11
        # does not hand across interpreters by itself: the library makes
        # the busy interpreter take turns.
        queue = Interp.Queue.new(0)
        done = AsyncCapture(exec_finish)
        interp.exec_async("import interp_glib\n"
                          "q = interp_glib.Queue(%d)\n"
                          "spins = 0\n"
                          "while q.empty():\n"
                          "    spins += 1\n" % queue.get_id(), None, done)
        while not interp.is_running():
            time.sleep(0.001)
        host_steps = 0
        for _ in range(5):
            time.sleep(0.01)
            host_steps += 1
        queue.put(GLib.Variant("b", True), -1, None)
        done.wait()
        self.assertIsNone(done.error)
        self.assertEqual(host_steps, 5)
        self.assertGreater(interp.eval("spins", None).unpack(), 0)

    def test_host_responsive_during_blocking_code(self):
        # Code that releases the GIL (sleep) lets the host run: it waits for
        # the host's item, which would never come if the host starved.
        queue = Interp.Queue.new(0)
        done = AsyncCapture(exec_finish)
        interp.exec_async("import interp_glib, time\n"
                          "q = interp_glib.Queue(%d)\n"
                          "while q.empty():\n"
                          "    time.sleep(0.001)\n" % queue.get_id(), None, done)
        while not interp.is_running():
            time.sleep(0.001)
        time.sleep(0.02)
        queue.put(GLib.Variant("b", True), -1, None)
        done.wait()
        self.assertIsNone(done.error)


class ThreadTests(InterpTestCase):
    def test_calls_from_many_threads(self):
        interp.exec("def tag(thread, n):\n    return [thread, n, n * n]", None)
        other.exec("def tag(thread, n):\n    return [thread, n, -n]", None)
        main = Interp.get_main()
        errors = []
        results = {}
        barrier = threading.Barrier(8)

        def worker(index):
            try:
                barrier.wait()
                got = []
                for n in range(25):
                    target = (interp, other)[(index + n) % 2]
                    value = target.call("tag", variant_tuple("xx", index, n), None, None).unpack()
                    expected = [index, n, n * n if target is interp else -n]
                    got.append(value == expected)
                    got.append(target.eval("%d + %d" % (index, n), None).unpack() == index + n)
                got.append(main.eval("%d * 3" % index, None).unpack() == index * 3)
                results[index] = got
            except Exception as e:  # reported below
                errors.append((index, e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertFalse(any(t.is_alive() for t in threads), "a worker thread hangs")
        self.assertEqual(errors, [])
        self.assertEqual(sorted(results), list(range(8)))
        for index, got in results.items():
            self.assertEqual(len(got), 51)
            self.assertTrue(all(got), "thread %d got a wrong result" % index)

    def test_errors_from_many_threads(self):
        errors = {}
        infos = {}

        def worker(index):
            try:
                interp.exec("raise ValueError('thread %d')" % index, None)
            except GLib.Error as e:
                errors[index] = e
                # Each thread takes the snapshot of its own error.
                infos[index] = Interp.ExceptionInfo.steal_last()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(sorted(errors), list(range(6)))
        for index, error in errors.items():
            self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "ValueError: thread %d" % index)
            self.assertEqual(infos[index].get_message(), "thread %d" % index)

    def test_new_and_close_from_threads(self):
        ids = []
        failures = []

        def worker():
            try:
                created = Interp.Interpreter.new(None)
                ids.append(created.get_id())
                if created.eval("7 * 6", None).unpack() != 42:
                    failures.append("wrong result")
                created.close()
            except Exception as e:
                failures.append(e)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(failures, [])
        self.assertEqual(len(set(ids)), 4)
        listed = [i.get_id() for i in Interp.list_all()]
        for interp_id in ids:
            self.assertNotIn(interp_id, listed)


if __name__ == "__main__":
    sys.exit(tap.main())
