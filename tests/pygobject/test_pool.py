# test_pool.py: Interp.Pool from PyGObject (hosted mode): calls and maps,
# recycling, a broken initializer, timeouts over a call blocked in C,
# cancellation on the main loop, 8 threads at once, shutdown
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys
import threading

import tap
from common import AsyncCapture, GLib, Gio, Interp, InterpTestCase, kwargs, run_loop, variant_tuple

INITIALIZER = """
import interp_glib
calls = 0
def current_id():
    c = interp_glib.get_current()
    return getattr(c, 'id', c)
def square(x):
    global calls
    calls += 1
    return x * x
def spin():
    while True:
        pass
def meet(mine, other):
    interp_glib.Queue(mine).put(1)
    return interp_glib.Queue(other).get(timeout=60)
def fail_at(x, bad):
    if x in bad:
        raise ValueError(f'bad item {x}')
    return x
"""

IO_DOMAIN = "g-io-error-quark"


def new_pool(**props):
    props.setdefault("initializer", INITIALIZER)
    pool = Interp.Pool(**props)
    pool.init(None)
    return pool


def int_args(n):
    return GLib.Variant("a(x)", [(i,) for i in range(n)])


def call_finish(source, result):
    return source.call_finish(result)


def map_finish(source, result):
    return source.map_finish(result)


class PoolTests(InterpTestCase):
    def assertIOError(self, error, code):
        self.assertIsInstance(error, GLib.Error)
        self.assertEqual(error.domain, IO_DOMAIN, error.message)
        self.assertEqual(error.code, int(code), error.message)

    def test_call_and_map(self):
        pool = new_pool(max_workers=2, min_workers=2)
        self.assertEqual(pool.props.n_workers, 2)
        self.assertEqual(pool.call("square", variant_tuple("x", 12), None, None).unpack(), 144)
        self.assertEqual(pool.call("int", variant_tuple("s", "ff"), kwargs(base=GLib.Variant("x", 16)),
                                   None).unpack(), 255)
        results = pool.map("square", int_args(200), 9, None)
        self.assertEqual(results.get_type_string(), "av")
        self.assertEqual(results.unpack(), [i * i for i in range(200)])
        self.assertTrue(pool.shutdown(False, None))
        error = self.raises(pool.call, "square", variant_tuple("x", 1), None, None)
        self.assertInterpError(error, Interp.Error.SHUT_DOWN)

    def test_map_first_failure(self):
        pool = new_pool(max_workers=3, min_workers=3)
        args = GLib.Variant("a(xax)", [(i, [40, 41, 170]) for i in range(200)])
        error = self.raises(pool.map, "fail_at", args, 2, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "ValueError: bad item 40")
        # One line, naming the failing item.
        self.assertEqual(error.message, "ValueError: bad item 40 (item 40)")
        pool.shutdown(False, None)

    def test_map_async(self):
        pool = new_pool(max_workers=2)
        done = AsyncCapture(map_finish)
        pool.map_async("square", int_args(50), 0, None, done)
        done.wait(60)
        self.assertIsNone(done.error)
        self.assertEqual(done.value.unpack(), [i * i for i in range(50)])
        pool.shutdown(False, None)

    def test_recycle(self):
        pool = new_pool(max_workers=1, min_workers=1, max_tasks_per_worker=2)
        ids = [pool.call("current_id", None, None, None).unpack() for _ in range(6)]
        self.assertEqual(ids[0], ids[1])
        self.assertEqual(ids[2], ids[3])
        self.assertEqual(ids[4], ids[5])
        self.assertEqual(len({ids[0], ids[2], ids[4]}), 3, ids)
        pool.shutdown(False, None)

    def test_broken_initializer(self):
        pool = Interp.Pool(max_workers=2, initializer="raise KeyError('setup')")
        pool.init(None)
        error = self.raises(pool.call, "abs", variant_tuple("x", -1), None, None)
        self.assertInterpError(error, Interp.Error.BROKEN, "The pool is broken")
        self.assertIn("KeyError", error.message)
        self.assertTrue(pool.props.broken)
        with self.assertRaises(GLib.Error) as cm:
            Interp.Pool(max_workers=1, min_workers=1, initializer="1/0").init(None)
        self.assertInterpError(cm.exception, Interp.Error.BROKEN)

    def test_timeout_over_blocked_call(self):
        pool = new_pool(max_workers=2, min_workers=2, task_timeout=1500)
        # Not 600 s as in the C and GJS suites: this Python's exit waits for
        # the abandoned call (see interp_shutdown()).
        error = self.raises(pool.call, "time:sleep", variant_tuple("x", 4), None, None)
        self.assertIOError(error, Gio.IOErrorEnum.TIMED_OUT)
        # Two calls that can only finish together: the stuck worker was replaced.
        a = Interp.Queue.new(0)
        b = Interp.Queue.new(0)
        first = AsyncCapture(call_finish)
        second = AsyncCapture(call_finish)
        pool.call_async("meet", variant_tuple("xx", a.get_id(), b.get_id()), None, None, first)
        pool.call_async("meet", variant_tuple("xx", b.get_id(), a.get_id()), None, None, second)
        run_loop(lambda: first.done and second.done, 60)
        self.assertIsNone(first.error)
        self.assertIsNone(second.error)
        self.assertEqual((first.value.unpack(), second.value.unpack()), (1, 1))
        pool.shutdown(False, None)

    def test_cancel_on_main_loop(self):
        pool = new_pool(max_workers=1, min_workers=1)
        running = Gio.Cancellable()
        queued = Gio.Cancellable()
        spin = AsyncCapture(call_finish)
        square = AsyncCapture(call_finish)
        pool.call_async("spin", None, None, running, spin)
        pool.call_async("square", variant_tuple("x", 3), None, queued, square)
        run_loop(lambda: pool.props.n_busy == 1, 30)
        queued.cancel()
        running.cancel()
        run_loop(lambda: spin.done and square.done, 30)
        self.assertCancelled(spin.error)
        self.assertCancelled(square.error)
        self.assertEqual(pool.call("square", variant_tuple("x", 4), None, None).unpack(), 16)
        pool.shutdown(False, None)

    def test_eight_threads(self):
        pool = new_pool(max_workers=3, min_workers=1)
        sums = {}
        failures = []

        def worker(t):
            try:
                total = 0
                for i in range(100):
                    total += pool.call("square", variant_tuple("x", t * 1000 + i), None, None).unpack()
                sums[t] = total
            except Exception as e:  # pragma: no cover - reported below
                failures.append(e)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(failures, [])
        for t in range(8):
            self.assertEqual(sums[t], sum((t * 1000 + i) ** 2 for i in range(100)))
        pool.shutdown(False, None)

    def test_shutdown_cancel_pending(self):
        pool = new_pool(max_workers=1, min_workers=1)
        calls = [AsyncCapture(call_finish) for _ in range(20)]
        for i, done in enumerate(calls):
            pool.call_async("square", variant_tuple("x", i), None, None, done)
        self.assertTrue(pool.shutdown(True, None))
        run_loop(lambda: all(c.done for c in calls), 30)
        ran = [c for c in calls if c.error is None]
        for c in calls:
            if c.error is not None:
                self.assertCancelled(c.error)
        self.assertEqual(pool.props.n_workers, 0)
        self.assertLessEqual(len(ran), 20)


if __name__ == "__main__":
    sys.exit(tap.main())
