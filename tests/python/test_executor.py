# test_executor.py: interp_glib.InterpreterPoolExecutor (CPython 3.14's, over InterpPool)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import concurrent.futures
import os
import subprocess
import sys
import textwrap
import threading
import _thread
import time
import unittest

import interp_glib
from interp_glib import InterpreterPoolExecutor, ExecutionFailed, NotShareableError


def square(x):
    return x * x


def where(_):
    import interp_glib
    return interp_glib.get_current().id


def fail(message):
    raise KeyError(message)


def _thread_name():
    import _thread
    return _thread._get_name()


def odd_fails(x):
    if x % 2:
        raise ValueError(f"odd {x}")
    return x


def spin():
    while True:
        pass


def remember(value):
    import __main__
    __main__.remembered = value


def recall():
    import __main__
    return __main__.remembered


def settings_seen_inside():
    """What the settings of the interpreter this runs in let its code do.

    fork and exec never happen: an audit hook (this interpreter's, for
    good) stops them once the setting let them through; a setting that
    refuses them raises RuntimeError first.
    """
    import os, sys, threading

    class Stop(Exception):
        pass

    def stop(event, args):
        if event in ("os.fork", "os.exec"):
            raise Stop(event)

    sys.addaudithook(stop)
    seen = {}
    # /bin/false: were it ever run, the test would fail, not pass.
    for name, start in (("fork", os.fork), ("exec", lambda: os.execv("/bin/false", ["false"]))):
        try:
            start()
        except Stop:
            seen[name] = True
        except RuntimeError:
            seen[name] = False
    for name, daemon in (("threads", False), ("daemon threads", True)):
        try:
            thread = threading.Thread(target=int, daemon=daemon)
            thread.start()
            thread.join()
            seen[name] = True
        except RuntimeError:
            seen[name] = False
    return seen


class Unpicklable:
    """Pickles, but its unpickling raises."""
    def __init__(self, value=0):
        if value == 1:
            raise RuntimeError("gotcha")

    def __reduce__(self):
        return (self.__class__, (1,))


class CustomError(Exception):
    pass


def custom_fail():
    raise CustomError("custom")


class ExecutorTests(unittest.TestCase):
    def test_is_an_executor(self):
        self.assertTrue(issubclass(InterpreterPoolExecutor, concurrent.futures.Executor))
        with self.assertRaises(ValueError):
            InterpreterPoolExecutor(0)

    def test_from_inside_an_interpreter(self):
        # Code running in an interpreter drives a pool of its own.
        interp = interp_glib.create()
        try:
            interp.exec("""
                import interp_glib
                def cube(x):
                    return x ** 3
                def worker_id(_):
                    import interp_glib
                    return interp_glib.get_current().id
                # Stateless functions: they travel as their code.
                with interp_glib.InterpreterPoolExecutor(max_workers=2) as ex:
                    cubes = list(ex.map(cube, range(6)))
                    ids = set(ex.map(worker_id, range(4)))
                here = interp_glib.get_current().id
                """)
            q = interp_glib.create_queue()
            interp.prepare_main(q=q)
            interp.exec("q.put((cubes, here in ids, len(ids)))")
            cubes, ran_here, n_ids = q.get(timeout=60)
            self.assertEqual(cubes, [x ** 3 for x in range(6)])
            self.assertFalse(ran_here)
            self.assertGreaterEqual(n_ids, 1)
        finally:
            interp.close()

    def test_submit_and_map(self):
        with InterpreterPoolExecutor(max_workers=2) as ex:
            self.assertEqual(ex.submit(square, 12).result(60), 144)
            self.assertEqual(ex.submit(pow, 2, 100).result(60), 2 ** 100)
            self.assertEqual(list(ex.map(square, range(20))), [x * x for x in range(20)])
            self.assertEqual(list(ex.map(square, range(20), chunksize=4)), [x * x for x in range(20)])
            self.assertEqual(list(ex.map(lambda a, b: a - b, [5, 6], [1, 2])), [4, 4])

    def test_chunked_map_sends_each_chunk_to_one_worker(self):
        with InterpreterPoolExecutor(max_workers=2) as ex:
            ids = list(ex.map(where, range(12), chunksize=6))
        self.assertEqual(len(set(ids[:6])), 1)
        self.assertEqual(len(set(ids[6:])), 1)
        with InterpreterPoolExecutor(max_workers=2) as ex:
            with self.assertRaises(ValueError):
                ex.map(square, range(3), chunksize=0)

    def test_chunked_map_failure_comes_in_order(self):
        with InterpreterPoolExecutor(max_workers=2) as ex:
            for chunksize in (1, 2, 5):
                results = ex.map(odd_fails, [0, 2, 4, 5, 6, 7], chunksize=chunksize)
                self.assertEqual([next(results) for _ in range(3)], [0, 2, 4])
                with self.assertRaises(ValueError) as cm:
                    next(results)
                self.assertEqual(str(cm.exception), "odd 5")
                self.assertIsInstance(cm.exception.__cause__, ExecutionFailed)
            # A function that cannot be sent fails the map at its first item.
            local = 3
            results = ex.map(lambda x: x + local, range(4), chunksize=2)
            with self.assertRaises(NotShareableError):
                next(results)

    def test_runs_in_other_interpreters(self):
        with InterpreterPoolExecutor(max_workers=2) as ex:
            ids = set(ex.map(where, range(8)))
        self.assertNotIn(0, ids)
        self.assertTrue(ids)

    def test_exception_with_execution_failed_cause(self):
        with InterpreterPoolExecutor(max_workers=1) as ex:
            future = ex.submit(fail, "spam")
            with self.assertRaises(KeyError) as cm:
                future.result(60)
            cause = cm.exception.__cause__
            self.assertIsInstance(cause, ExecutionFailed)
            self.assertEqual(cause.excinfo.type.__name__, "KeyError")
            self.assertIn("spam", cause.excinfo.errdisplay)
            # An exception class the caller has (from this test's __main__) comes back too.
            with self.assertRaises(CustomError):
                ex.submit(custom_fail).result(60)

    def test_initializer_runs_in_each_worker(self):
        with InterpreterPoolExecutor(max_workers=1, initializer=remember, initargs=("init",)) as ex:
            self.assertEqual(ex.submit(recall).result(60), "init")

    def test_broken_initializer(self):
        with InterpreterPoolExecutor(max_workers=1, initializer=fail, initargs=("x",)) as ex:
            with self.assertRaises(interp_glib.BrokenInterpreterPool):
                ex.submit(square, 2).result(60)
        self.assertTrue(issubclass(interp_glib.BrokenInterpreterPool,
                                   concurrent.futures.thread.BrokenThreadPool))

    def test_interrupt(self):
        with InterpreterPoolExecutor(max_workers=1) as ex:
            future = ex.submit(spin)
            deadline = time.monotonic() + 60
            while not future.running() and time.monotonic() < deadline:
                time.sleep(0.01)
            queued = ex.submit(square, 3)
            self.assertTrue(ex.interrupt(future))
            with self.assertRaises(interp_glib.CancelledError):
                future.result(60)
            # The worker stays usable for the next call.
            self.assertEqual(queued.result(60), 9)
            self.assertFalse(ex.interrupt(queued))

    def test_task_timeout(self):
        # Long enough for a fresh worker's first call on a loaded machine
        # (it imports the executor's helpers), short for spin().
        with InterpreterPoolExecutor(max_workers=1, task_timeout=2) as ex:
            with self.assertRaises(TimeoutError):
                ex.submit(spin).result(60)
            self.assertEqual(ex.submit(square, 4).result(60), 16)

    def test_task_timeout_message_in_seconds(self):
        # In the unit task_timeout is given in, not InterpPool's ms.
        # (Only the message is checked: 0.2 s may end the call before it
        # ever starts on a loaded machine, and either way it times out.)
        with InterpreterPoolExecutor(max_workers=1, task_timeout=0.2) as ex:
            with self.assertRaises(TimeoutError) as caught:
                ex.submit(spin).result(60)
        self.assertEqual(str(caught.exception),
                         "The call ran longer than the pool's task timeout (0.2 s)")

    def test_shutdown(self):
        ex = InterpreterPoolExecutor(max_workers=1)
        first = ex.submit(time.sleep, 0.2)
        rest = [ex.submit(square, i) for i in range(5)]
        # A call runs once a worker took it (the first waits for the
        # worker to be made): it is then no longer cancelled.
        deadline = time.monotonic() + 60
        while not first.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertTrue(first.running())
        self.assertFalse(first.cancel())
        self.assertFalse(rest[-1].running())
        ex.shutdown(wait=True, cancel_futures=True)
        self.assertIsNone(first.result(60))
        self.assertTrue(all(f.done() for f in rest))
        self.assertTrue(any(f.cancelled() for f in rest))
        with self.assertRaises(RuntimeError):
            ex.submit(square, 1)

    def test_argument_ranges(self):
        # Out of range: an exception, as CPython's argument parsing gives,
        # never a silent wrap (2**32 + 1 workers once became 1).
        with self.assertRaises(OverflowError):
            InterpreterPoolExecutor(2**32 + 1)
        with self.assertRaises(OverflowError):
            InterpreterPoolExecutor(1, task_timeout=2**32)
        with self.assertRaises(TypeError):
            InterpreterPoolExecutor(1.5)
        with self.assertRaises(ValueError):
            InterpreterPoolExecutor(1, task_timeout=-1)

    def test_long_task_timeout(self):
        # Two hours is an ordinary batch timeout: no GLib warning, and the
        # pool takes it (it once fell back to no timeout at all).
        code = textwrap.dedent("""
            import interp_glib
            with interp_glib.InterpreterPoolExecutor(1, task_timeout=7200) as ex:
                print(ex.submit(abs, -7).result(60))
        """)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "7")
        self.assertNotIn("WARNING", proc.stderr)
        self.assertNotIn("CRITICAL", proc.stderr)

    def run_script(self, source):
        """Runs @source as a script file (its __main__ has a __file__, as
        a user's script has); returns the finished process."""
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "script.py")
            with open(path, "w") as f:
                f.write(textwrap.dedent(source))
            return subprocess.run([sys.executable, path], capture_output=True, text=True,
                                  timeout=120)

    def test_unguarded_main_script(self):
        # A function of __main__ that uses its globals travels by
        # reference: a worker imports the script as __mp_main__, and the
        # script, lacking its guard, starts interpreters again. As with
        # multiprocessing, that fails with one line saying what to write,
        # not a chain of tracebacks ending in "No module named
        # '__mp_main__'" and "Exception ignored" noise at exit.
        prologue = """
            import interp_glib
            FACTOR = 3

            def scale(x):
                return x * FACTOR

        """
        for start in ("with interp_glib.InterpreterPoolExecutor(max_workers=2) as pool:\n"
                      "    print(list(pool.map(scale, range(5))))\n",
                      "print(interp_glib.create().call(scale, 2))\n",
                      "with interp_glib.InterpreterPoolExecutor(1, initializer=scale,\n"
                      "                                         initargs=(1,)) as pool:\n"
                      "    print(pool.submit(abs, -6).result())\n"):
            with self.subTest(start=start.split("(")[0]):
                proc = self.run_script(textwrap.dedent(prologue) + start)
                self.assertNotEqual(proc.returncode, 0)
                lines = proc.stderr.strip().splitlines()
                self.assertTrue(lines[-1].startswith("RuntimeError: "), proc.stderr)
                self.assertIn("if __name__ == '__main__':", lines[-1])
                self.assertEqual(proc.stderr.count("Traceback"), 1, proc.stderr)
                self.assertNotIn("__mp_main__", proc.stderr)
                self.assertNotIn("Exception ignored", proc.stderr)
                # With the guard, the same script works.
                guarded = textwrap.dedent(prologue) + "if __name__ == '__main__':\n" + \
                    textwrap.indent(start, "    ")
                proc = self.run_script(guarded)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn(proc.stdout.strip(), ("[0, 3, 6, 9, 12]", "6"))

    def test_unsendable_calls_fail_their_future(self):
        # As CPython 3.14's: submit() takes the call, its future fails.
        state = 1

        def closure():
            return state

        class Local:
            pass

        with InterpreterPoolExecutor(max_workers=1) as ex:
            for fn in (closure, Local, Local().__init__):
                future = ex.submit(fn)
                with self.assertRaises(NotShareableError):
                    future.result(60)
            future = ex.submit(square, threading.Lock())
            with self.assertRaises(NotShareableError):
                future.result(60)
            # A callable that pickles but cannot be unpickled there.
            future = ex.submit(Unpicklable())
            with self.assertRaisesRegex(NotShareableError, 'args not shareable') as cm:
                future.result(60)
            self.assertIn('unpickled', str(cm.exception.__cause__))
            # The pool is fine.
            self.assertEqual(ex.submit(square, 5).result(60), 25)

    def test_failing_initializer_is_logged_and_breaks(self):
        with self.assertLogs('concurrent.futures', level='CRITICAL') as logs:
            with InterpreterPoolExecutor(max_workers=1, initializer=fail, initargs=('boom',)) as ex:
                future = ex.submit(square, 2)
                with self.assertRaises(interp_glib.BrokenInterpreterPool):
                    future.result(60)
                # Broken for good: submit() refuses, as CPython's does.
                with self.assertRaises(interp_glib.BrokenInterpreterPool):
                    ex.submit(square, 3)
        text = '\n'.join(logs.output)
        self.assertIn('Exception in initializer:', text)
        self.assertIn("ExecutionFailed: KeyError: 'boom'", text)
        self.assertIn('Uncaught in the interpreter:', text)

    def test_unsendable_initializer_breaks_at_first_call(self):
        count = 0

        def init():
            nonlocal count
            count += 1

        with self.assertLogs('concurrent.futures', level='CRITICAL') as logs:
            with InterpreterPoolExecutor(max_workers=1, initializer=init) as ex:
                future = ex.submit(square, 2)
                with self.assertRaises(interp_glib.BrokenInterpreterPool):
                    future.result(60)
        self.assertIn('NotShareableError', '\n'.join(logs.output))

    def test_thread_names(self):
        # CPython's: the prefix, or InterpreterPoolExecutor-N by default,
        # names the threads the calls run on; _threads counts the workers
        # (what CPython's tests look at).
        with InterpreterPoolExecutor(max_workers=1) as ex:
            ex.submit(square, 1).result(60)
            self.assertEqual(len(ex._threads), 1)
            self.assertRegex(ex._thread_name_prefix, r'^InterpreterPoolExecutor-\d+$')
            if hasattr(_thread, '_get_name'):
                self.assertEqual(ex.submit(_thread_name).result(60)[:15],
                                 (ex._thread_name_prefix + '_worker')[:15])
        with InterpreterPoolExecutor(max_workers=1, thread_name_prefix='Spam') as ex:
            self.assertEqual(ex._thread_name_prefix, 'Spam')
            if hasattr(_thread, '_get_name'):
                self.assertEqual(ex.submit(_thread_name).result(60), 'Spam_worker')

    def test_not_shareable(self):
        with InterpreterPoolExecutor(max_workers=1) as ex:
            with self.assertRaises(NotShareableError):
                ex.submit(len, threading.Lock()).result(60)

    def test_isolated_false_is_create_isolated_false(self):
        # The workers of isolated=False have exactly the settings of
        # create(isolated=False), the legacy ones: what their code may do
        # is the same, and so is CPython's own view of all seven settings
        # where it has one (its private _interpreters.get_config(), 3.13
        # on). tests/test-pool.c compares the seven properties everywhere.
        try:
            from _interpreters import get_config
        except ImportError:
            get_config = None
        legacy = {"fork": True, "exec": True, "threads": True, "daemon threads": True}
        isolated = ({"fork": False, "exec": False, "threads": True, "daemon threads": False}
                    if sys.version_info >= (3, 12) else legacy)
        for flag, expected in ((False, legacy), (True, isolated)):
            with self.subTest(isolated=flag):
                interp = interp_glib.create(isolated=flag)
                try:
                    self.assertEqual(interp.call(settings_seen_inside), expected)
                    with InterpreterPoolExecutor(max_workers=1, isolated=flag) as ex:
                        self.assertEqual(ex.submit(settings_seen_inside).result(60), expected)
                        worker = ex.submit(where, None).result(60)
                        if get_config is not None:
                            self.assertEqual(vars(get_config(worker)), vars(get_config(interp.id)))
                            if not flag:
                                self.assertEqual(vars(get_config(worker)), {
                                    "use_main_obmalloc": True, "allow_fork": True,
                                    "allow_exec": True, "allow_threads": True,
                                    "allow_daemon_threads": True,
                                    "check_multi_interp_extensions": False, "gil": "shared"})
                finally:
                    interp.close()


if __name__ == "__main__":
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pygobject"))
    import tap
    sys.exit(tap.main())
