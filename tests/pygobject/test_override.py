# test_override.py: the PyGObject override, gi.overrides.Interp
#
# Loaded from the source tree (tests/pygobject/meson.build puts it on
# PYTHONPATH). It initializes objects made with properties, takes plain
# Python values wherever the API takes a GLib.Variant, gives plain values
# back, and raises the library's errors as Interp.InterpreterError and
# Interp.ExecutionFailed (test_errors.py covers those in depth).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import contextlib
import sys
import unittest

import tap
from common import AsyncCapture, GLib, Gio, InterpTestCase, run_loop
from gi.repository import Interp

interp = None


def setUpModule():
    global interp
    interp = Interp.Interpreter.new(None)
    interp.exec(
        "def echo(*args, **kwargs):\n"
        "    return [args, kwargs]\n"
        "def kinds(*args):\n"
        "    return [type(a).__name__ for a in args]\n", None)


def tearDownModule():
    if interp is not None:
        interp.close()


class InitTests(InterpTestCase):
    def test_properties_give_an_initialized_interpreter(self):
        other = Interp.Interpreter(gil=Interp.Gil.SHARED)
        try:
            self.assertGreater(other.get_id(), 0)
            self.assertEqual(other.props.gil, Interp.Gil.SHARED)
            self.assertEqual(other.eval("6 * 7"), 42)
            self.assertIn(other.get_id(), [i.get_id() for i in Interp.list_all()])
        finally:
            other.close()

    def test_no_properties_give_an_initialized_interpreter(self):
        other = Interp.Interpreter()
        try:
            self.assertGreater(other.get_id(), 0)
            self.assertEqual(other.eval("'ready'"), "ready")
        finally:
            other.close()

    def test_impossible_configuration_fails_clearly(self):
        with self.assertRaises(Interp.InterpreterError) as cm:
            Interp.Interpreter(gil=Interp.Gil.OWN, use_main_obmalloc=True)
        error = cm.exception
        self.assertIn(error.code, (int(Interp.Error.UNSUPPORTED), int(Interp.Error.INVALID_ARGUMENT)))
        self.assertNotIn("\n", error.message)
        self.assertNotIn("interp_", error.message)
        self.assertEqual(str(error), error.message)

    def test_constructors_still_work(self):
        other = Interp.Interpreter.new(None)
        self.assertIsInstance(other, Interp.Interpreter)
        self.assertEqual(other.eval("1 + 1"), 2)
        other.close()


class ValueTests(InterpTestCase):
    def test_plain_arguments(self):
        args, kwargs = interp.call("echo", (1, -2**63, 2**64 - 1, 1.5, "s", True, None, b"\x00b"),
                                   {"k": [1, "two"], "d": {"x": 1}, "t": (1,)})
        self.assertEqual(args, (1, -2**63, 2**64 - 1, 1.5, "s", True, None, b"\x00b"))
        self.assertEqual(kwargs, {"k": [1, "two"], "d": {"x": 1}, "t": (1,)})

    def test_python_types_arrive_as_themselves(self):
        kinds = interp.call("kinds", [None, True, 3, 2.0, "s", b"b", bytearray(b"x"), (1,), [1], {"a": 1}, {1: 2}])
        self.assertEqual(kinds, ["NoneType", "bool", "int", "float", "str", "bytes", "bytes",
                                 "tuple", "list", "dict", "dict"])

    def test_args_as_a_list_and_no_args(self):
        self.assertEqual(interp.call("echo", [1, 2]), [(1, 2), {}])
        self.assertEqual(interp.call("echo"), [(), {}])
        self.assertEqual(interp.call("echo", None, None, None), [(), {}])

    def test_variants_still_accepted(self):
        args, kwargs = interp.call("echo", GLib.Variant("(is)", (7, "x")),
                                   GLib.Variant("a{sv}", {"k": GLib.Variant("u", 3)}))
        self.assertEqual(args, (7, "x"))
        self.assertEqual(kwargs, {"k": 3})
        # A Variant among plain values.
        self.assertEqual(interp.call("echo", [GLib.Variant("y", 5), 6]), [(5, 6), {}])

    def test_results_are_plain_values(self):
        self.assertEqual(interp.eval("{'n': None, 'l': [1, 'a'], 'b': b'z', 't': (1.5,)}"),
                         {"n": None, "l": [1, "a"], "b": b"z", "t": (1.5,)})
        self.assertIsNone(interp.eval("None"))
        self.assertEqual(interp.eval("{1: 'one'}"), {1: "one"})

    def test_prepare_main_with_a_dict(self):
        interp.prepare_main({"greeting": "hi", "count": 3})
        self.assertEqual(interp.eval("greeting * count"), "hihihi")

    def test_values_without_a_form(self):
        with self.assertRaises(TypeError):
            interp.call("echo", [object()])
        with self.assertRaises(TypeError):
            interp.call("echo", [{1: 2, "a": 3}])
        with self.assertRaises(TypeError):
            interp.call("echo", None, {1: 2})
        with self.assertRaises(OverflowError):
            interp.call("echo", [2**64])
        self.assertEqual(interp.eval("'still fine'"), "still fine")

    def test_str_with_a_nul_is_refused_not_cut(self):
        queue = Interp.Queue.new(0)
        for call in (lambda: interp.call("echo", ("a\0b",)),
                     lambda: interp.call("echo", [["x", "a\0b"]]),
                     lambda: interp.call("echo", [{"a\0b": 1}]),
                     lambda: interp.call("echo", None, {"a\0b": 1}),
                     lambda: queue.put("\0", -1, None)):
            with self.assertRaises(ValueError) as cm:
                call()
            message = str(cm.exception)
            self.assertTrue(message.startswith("a str with an embedded NUL (at index "), message)
            self.assertIn("has no GLib.Variant 's' form", message)
            self.assertNotIn("\n", message)
        with self.assertRaises(Interp.InterpreterError):
            queue.get(0, None)   # nothing was put
        # bytes carry a NUL; a str without one passes.
        self.assertEqual(interp.call("echo", (b"a\0b", "ab")), [(b"a\0b", "ab"), {}])

    def test_lone_surrogate_is_refused(self):
        for value in ("\ud800", "x\udc00", ["\udbff"], {"k\ud800": 1}):
            with self.assertRaises(UnicodeEncodeError) as cm:
                interp.call("echo", (value,))
            self.assertIn("surrogates not allowed", str(cm.exception))
        self.assertEqual(interp.call("echo", ("\U0001F600\u00e9",)), [("\U0001F600\u00e9",), {}])

    def test_unpack(self):
        self.assertEqual(Interp.unpack(GLib.Variant("(aymv)", (b"ab", None))), (b"ab", None))
        self.assertEqual(Interp.unpack(GLib.Variant("av", [GLib.Variant("x", 1)])), [1])


class AsyncTests(InterpTestCase):
    def test_call_async_with_plain_values(self):
        done = AsyncCapture(Interp.Interpreter.call_finish)
        interp.call_async("echo", [1, "a"], {"k": None}, None, done)
        self.assertEqual(done.wait().value, [(1, "a"), {"k": None}])

    def test_async_error_carries_the_snapshot(self):
        done = AsyncCapture(Interp.Interpreter.eval_finish)
        interp.eval_async("1 / 0", None, done)
        error = done.wait().error
        self.assertIsInstance(error, Interp.ExecutionFailed)
        self.assertEqual(error.message, "ZeroDivisionError: division by zero")
        self.assertIn("\n    1 / 0\n", error.traceback)


class QueueTests(InterpTestCase):
    def test_put_and_get_plain_values(self):
        queue = Interp.Queue.new(0)
        queue.put({"a": [1, 2]}, -1, None)
        queue.put(None, -1, None)
        self.assertEqual(queue.get(-1, None), {"a": [1, 2]})
        self.assertIsNone(queue.get(-1, None))

    def test_empty_queue_error(self):
        queue = Interp.Queue.new(0)
        with self.assertRaises(Interp.InterpreterError) as cm:
            queue.get(0, None)
        self.assertTrue(cm.exception.matches(Interp.error_quark(), Interp.Error.QUEUE_EMPTY))


class PoolTests(InterpTestCase):
    def test_pool_with_properties_and_plain_values(self):
        pool = Interp.Pool(max_workers=2)
        try:
            self.assertEqual(pool.call("math:pow", (2, 10)), 1024.0)
            self.assertEqual(pool.call("dict", None, {"a": [1, 2]}), {"a": [1, 2]})
            self.assertEqual(pool.map("math:factorial", [(1,), [2], (3,), (4,)], 0), [1, 2, 6, 24])
            with self.assertRaises(Interp.ExecutionFailed) as cm:
                pool.call("math:sqrt", (-1,))
            self.assertEqual(cm.exception.message, "ValueError: math domain error")
            self.assertEqual(cm.exception.type_name, "ValueError")
            # A builtin called directly: no Python frame, just the exception.
            self.assertEqual(cm.exception.traceback, "ValueError: math domain error\n")
        finally:
            pool.shutdown(False, None)

    def test_pool_errors_are_interpreter_errors(self):
        pool = Interp.Pool(max_workers=1)
        pool.shutdown(False, None)
        with self.assertRaises(Interp.InterpreterError) as cm:
            pool.call("len", ("x",))
        self.assertTrue(cm.exception.matches(Interp.error_quark(), Interp.Error.SHUT_DOWN), cm.exception)


def one_line(test, error):
    """@error, still a GLib.Error, says its message and nothing else."""
    test.assertIsInstance(error, GLib.Error)
    test.assertEqual(str(error), error.message)
    test.assertNotIn("\n", str(error))
    test.assertFalse(str(error).endswith(")") and "quark" in str(error), str(error))


SLOW_POOL = "import time\ndef spin():\n    while True:\n        pass\n"


class CancelTests(InterpTestCase):
    def assertCancelledError(self, error):
        self.assertIsInstance(error, Interp.CancelledError)
        self.assertNotIsInstance(error, Interp.InterpreterError)
        self.assertCancelled(error)   # a GLib.Error: domain, code, matches()
        one_line(self, error)
        self.assertEqual(str(error), "Operation was cancelled")

    def test_cancelled_is_a_one_line_glib_error(self):
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(Interp.CancelledError) as cm:
            interp.exec("pass", cancellable)
        self.assertCancelledError(cm.exception)
        # Old code that catches GLib.Error catches it too.
        try:
            interp.eval("1", cancellable)
        except GLib.Error as e:
            self.assertCancelledError(e)
        else:
            self.fail("no error")

    def test_cancel_running_code_async(self):
        cancellable = Gio.Cancellable()
        done = AsyncCapture(Interp.Interpreter.exec_finish)
        interp.exec_async("while True:\n    pass\n", cancellable, done)
        GLib.timeout_add(50, lambda: cancellable.cancel() and False)
        self.assertCancelledError(done.wait(60).error)
        self.assertEqual(interp.eval("1 + 1"), 2)

    def test_pool_cancel_sync_and_async(self):
        pool = Interp.Pool(max_workers=1, initializer=SLOW_POOL)
        try:
            cancellable = Gio.Cancellable()
            GLib.timeout_add(50, lambda: cancellable.cancel() and False)
            done = {}
            pool.call_async("spin", cancellable=cancellable,
                            callback=lambda p, r: done.update(result=r))
            run_loop(lambda: done, 60)
            with self.assertRaises(Interp.CancelledError) as cm:
                pool.call_finish(done["result"])
            self.assertCancelledError(cm.exception)

            cancellable = Gio.Cancellable()
            cancellable.cancel()
            with self.assertRaises(Interp.CancelledError) as cm:
                pool.map("abs", [(-1,)], cancellable=cancellable)
            self.assertCancelledError(cm.exception)
        finally:
            pool.shutdown()


class TimeoutTests(InterpTestCase):
    def assertTimeoutError(self, error, suffix=""):
        self.assertIsInstance(error, Interp.TimeoutError)
        self.assertIsInstance(error, TimeoutError)     # the builtin one
        self.assertEqual(error.domain, "g-io-error-quark")
        self.assertTrue(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT))
        one_line(self, error)
        self.assertEqual(str(error), "The call ran longer than the pool's task timeout (0.3 s)" + suffix)

    def test_task_timeout_sync_and_async(self):
        pool = Interp.Pool(max_workers=1, initializer=SLOW_POOL, task_timeout=300)
        try:
            with self.assertRaises(TimeoutError) as cm:
                pool.call("spin")
            self.assertTimeoutError(cm.exception)

            done = {}
            pool.map_async("spin", [()], callback=lambda p, r: done.update(result=r))
            run_loop(lambda: done, 60)
            try:
                pool.map_finish(done["result"])
            except GLib.Error as e:    # as code written before the override did
                # A map's failure names its item.
                self.assertTimeoutError(e, " (item 0)")
            else:
                self.fail("no error")
            self.assertEqual(pool.call("abs", (-3,)), 3)
        finally:
            pool.shutdown()


@contextlib.contextmanager
def channel_and_other():
    """A new channel, and another interpreter, closed at the end, where
    `channels` is interp_glib.channels and `cid` the channel's id."""
    channel = Interp.Channel.new()
    other = Interp.Interpreter()
    try:
        other.exec("from interp_glib import channels\n")
        other.prepare_main({"cid": channel.get_id()})
        yield channel, other
    finally:
        other.close()


class TrailingArgumentTests(InterpTestCase):
    """Trailing nullable arguments may be left out (None), and chunk_size
    (0), timeout_us (-1) and cancel_pending (False) too."""

    def test_every_trailing_nullable_argument_has_a_default(self):
        import inspect
        from gi._gi import Direction
        checked = 0
        for name in ("Interpreter", "Pool", "Queue", "Channel"):
            cls = getattr(Interp, name)
            for info in cls.__info__.get_methods():
                args = [a for a in info.get_arguments() if a.get_direction() == Direction.IN
                        and a.get_name() != "user_data"]
                wrapper = getattr(cls, info.get_name())
                params = inspect.signature(wrapper).parameters if args else {}
                for arg in reversed(args):
                    if not (arg.may_be_null() or arg.get_name() in
                            ("chunk_size", "timeout_us", "cancel_pending")):
                        break
                    self.assertIn(arg.get_name(), params, "%s.%s" % (name, info.get_name()))
                    self.assertIsNot(params[arg.get_name()].default, inspect.Parameter.empty,
                                     "%s.%s: %s" % (name, info.get_name(), arg.get_name()))
                    checked += 1
        self.assertGreater(checked, 40)

    def test_sync_calls(self):
        self.assertEqual(interp.call("echo"), [(), {}])
        self.assertEqual(interp.call("echo", (1,)), [(1,), {}])
        self.assertEqual(interp.call("echo", kwargs={"k": 2}), [(), {"k": 2}])
        self.assertTrue(interp.exec("x = 1"))
        self.assertEqual(interp.eval("x + 1"), 2)
        self.assertTrue(interp.exec_full("y = 2"))
        self.assertTrue(interp.prepare_main())
        pool = Interp.Pool.new(1)
        try:
            self.assertEqual(pool.call("abs", (-2,)), 2)
            self.assertEqual(pool.call("dict", kwargs={"a": 1}), {"a": 1})
            self.assertEqual(pool.map("abs", [(-1,), (-2,)]), [1, 2])
        finally:
            self.assertTrue(pool.shutdown())
        queue = Interp.Queue.new(0)
        queue.put(5)
        self.assertEqual(queue.get(), 5)
        with self.assertRaises(TypeError) as cm:
            interp.call()
        self.assertIn("'callable'", str(cm.exception))
        with self.assertRaises(TypeError):
            interp.call("echo", None, None, None, None)
        with self.assertRaises(TypeError):
            interp.call("echo", args=(), callable="echo")

    def test_async_calls(self):
        results = []

        def collect(finish):
            return lambda source, result, *data: results.append((finish(source, result), data))

        pool = Interp.Pool(max_workers=1)
        queue = Interp.Queue.new(0)
        other = Interp.Interpreter()
        Interp.Interpreter.new_async(callback=collect(lambda s, r: Interp.Interpreter.new_finish(r).close()))
        interp.call_async("echo", callback=collect(Interp.Interpreter.call_finish))
        interp.exec_async("z = 3", callback=collect(Interp.Interpreter.exec_finish))
        interp.exec_full_async("z = 4", callback=collect(Interp.Interpreter.exec_full_finish))
        interp.eval_async("6 * 7", callback=collect(Interp.Interpreter.eval_finish))
        interp.eval_async("1", None, collect(Interp.Interpreter.eval_finish), "data")
        other.close_async(callback=collect(Interp.Interpreter.close_finish))
        pool.call_async("abs", (-4,), callback=collect(Interp.Pool.call_finish))
        pool.map_async("abs", [(-5,)], callback=collect(Interp.Pool.map_finish))
        queue.put_async(7, callback=collect(Interp.Queue.put_finish))
        queue.get_async(callback=collect(Interp.Queue.get_finish))
        run_loop(lambda: len(results) == 11, 60)
        values = [value for value, _ in results]
        for expected in ([(), {}], 42, 4, [5], 7):
            self.assertIn(expected, values)
        self.assertIn((1, ("data",)), results)
        done = []
        pool.shutdown_async(callback=lambda p, r: done.append(p.shutdown_finish(r)))
        run_loop(lambda: done, 60)
        self.assertEqual(done, [True])

    def test_closed_channel_is_a_one_line_glib_error(self):
        with channel_and_other() as (channel, other):
            other.exec("channels.SendChannel(cid).close()\n")
            with self.assertRaises(Interp.ChannelClosedError) as cm:
                channel.recv(0)
            error = cm.exception
            self.assertTrue(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED))
            one_line(self, error)
            self.assertEqual(str(error), "Channel %d is closed" % channel.get_id())

    def test_channel(self):
        with channel_and_other() as (channel, other):
            # A receiver in the other interpreter (no callback given):
            # send() waits for it, for ever (timeout_us -1).
            other.exec_async("got = channels.RecvChannel(cid).recv()\n")
            channel.send(8)
            done = []
            channel.recv_async(callback=lambda c, r: done.append(c.recv_finish(r)))
            other.exec_async("channels.SendChannel(cid).send_nowait(9)\n")
            run_loop(lambda: done, 60)
            self.assertEqual(done, [9])
            self.assertEqual(other.eval("got"), 8)


if __name__ == "__main__":
    sys.exit(tap.main())
