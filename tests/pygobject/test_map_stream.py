# test_map_stream.py: Interp.Pool.map_stream() through the PyGObject
# override: the model is iterable, items give plain values and their
# errors as the override raises them; a failing item, a cancel, 10,000
# items.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys

import tap
from common import GLib, Gio, InterpTestCase, run_loop
from gi.repository import Interp

INITIALIZER = """
def square(x):
    return x * x
def fail_at(x, bad):
    if x in bad:
        raise ValueError(f'bad item {x}')
    return {'x': x, 'tags': [x, str(x)]}
def spin_from(x, first):
    while x >= first:
        pass
    return x
"""

pool = None


def setUpModule():
    global pool
    pool = Interp.Pool(max_workers=2, min_workers=2, initializer=INITIALIZER)


def tearDownModule():
    if pool is not None:
        pool.shutdown(False, None)


def wait(results, cancellable=None):
    """Waits for every item; returns True, or the exception the wait raised."""
    outcome = []

    def done(source, result):
        try:
            outcome.append(source.wait_finish(result))
        except GLib.Error as e:
            outcome.append(e)

    results.wait_async(cancellable, done)
    run_loop(lambda: outcome, 60)
    return outcome[0]


class MapStreamTests(InterpTestCase):
    def test_iterable_with_plain_values(self):
        results = pool.map_stream("square", [(i,) for i in range(200)], 3, None)
        self.assertIsInstance(results, Interp.MapResults)
        self.assertEqual(len(results), 200)
        self.assertTrue(results.is_loading())
        self.assertFalse(any(item.done for item in results))
        self.assertIs(wait(results), True)
        items = list(results)
        self.assertEqual([item.index for item in items], list(range(200)))
        self.assertEqual([item.value for item in items], [i * i for i in range(200)])
        self.assertTrue(all(item.done and item.error is None for item in items))
        self.assertEqual(results[-1].value, 199 * 199)
        self.assertEqual(results.get_n_done(), 200)
        self.assertEqual(results.props.fraction, 1.0)
        self.assertFalse(results.props.loading)

    def test_failing_item(self):
        results = pool.map_stream("fail_at", [(i, [3, 7]) for i in range(10)], 4, None)
        error = wait(results)
        self.assertIsInstance(error, Interp.ExecutionFailed)
        self.assertEqual(str(error), "ValueError: bad item 3 (item 3)")
        self.assertEqual(results.get_n_failed(), 2)
        for item in results:
            if item.index in (3, 7):
                self.assertIsNone(item.value)
                self.assertIsInstance(item.error, Interp.ExecutionFailed)
                self.assertEqual(str(item.error), "ValueError: bad item %d" % item.index)
                self.assertEqual(item.error.type_name, "ValueError")
                self.assertIn("raise ValueError", item.error.traceback)
            else:
                self.assertIsNone(item.error)
                self.assertEqual(item.value, {"x": item.index, "tags": [item.index, str(item.index)]})

    def test_cancel_keeps_what_is_done(self):
        cancellable = Gio.Cancellable()
        # Items from 4 on spin until cancelled.
        results = pool.map_stream("spin_from", [(i, 4) for i in range(30)], 1, cancellable)
        run_loop(lambda: results.get_n_done() >= 4, 60)
        cancellable.cancel()
        error = wait(results)
        self.assertCancelled(error)
        self.assertEqual(error.message, "Operation was cancelled (item 4)")
        for item in results:
            if item.index < 4:
                self.assertEqual(item.value, item.index)
            else:
                self.assertIsNone(item.value)
                self.assertCancelled(item.error)
                # The override's one-line exception, as a call's cancel.
                self.assertIsInstance(item.error, Interp.CancelledError)
                self.assertEqual(str(item.error), "Operation was cancelled")

    def test_ten_thousand_items(self):
        seen = []
        results = pool.map_stream("square", [(i,) for i in range(10000)], 0, None)
        results.connect("items-done", lambda _, position, n: seen.extend(range(position, position + n)))
        self.assertIs(wait(results), True)
        self.assertEqual(sorted(seen), list(range(10000)))
        self.assertEqual(sum(item.value for item in results), sum(i * i for i in range(10000)))


if __name__ == "__main__":
    sys.exit(tap.main())
