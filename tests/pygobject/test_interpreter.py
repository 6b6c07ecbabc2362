# test_interpreter.py: interpreters from a PyGObject application (hosted mode)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import math
import os
import sys
import threading
import time

import tap
from common import GLib, Interp, InterpTestCase, kwargs, variant_tuple

a = None
b = None


def setUpModule():
    global a, b
    a = Interp.Interpreter.new(None)
    b = Interp.Interpreter.new(None)


def tearDownModule():
    for interp in (a, b):
        if interp is not None:
            interp.close()


class RuntimeTests(InterpTestCase):
    def test_init_is_idempotent(self):
        self.assertTrue(Interp.init())
        self.assertTrue(Interp.init())

    def test_hosted_not_embedded(self):
        # Python was running before the library: PyGObject's own.
        self.assertTrue(Interp.init())
        self.assertFalse(Interp.is_embedded())

    def test_python_version_is_the_hosts(self):
        self.assertEqual(Interp.get_python_version(), sys.version)

    def test_supports_own_gil_matches_python(self):
        self.assertEqual(Interp.supports_own_gil(), sys.version_info >= (3, 12))


class CreationTests(InterpTestCase):
    def test_two_interpreters_have_distinct_ids(self):
        self.assertGreater(a.get_id(), 0)
        self.assertGreater(b.get_id(), 0)
        self.assertNotEqual(a.get_id(), b.get_id())
        self.assertEqual(a.props.id, a.get_id())

    def test_whence_and_state(self):
        for interp in (a, b):
            self.assertEqual(interp.get_whence(), Interp.Whence.LIBRARY)
            self.assertEqual(interp.props.whence, Interp.Whence.LIBRARY)
            self.assertFalse(interp.is_closed())
            self.assertFalse(interp.props.closed)
            self.assertFalse(interp.is_running())

    def test_default_gil(self):
        expected = Interp.Gil.OWN if Interp.supports_own_gil() else Interp.Gil.SHARED
        self.assertEqual(a.get_gil(), expected)
        self.assertEqual(a.props.gil, expected)

    def test_interpreter_knows_its_own_id(self):
        try:
            mod = "_interpreters" if sys.version_info >= (3, 13) else "_xxsubinterpreters"
            # 3.13's get_current() gives (id, whence), earlier ones an InterpreterID.
            value = a.eval("(lambda c: int(c[0] if isinstance(c, tuple) else c))"
                           "(__import__(%r).get_current())" % mod, None)
        except GLib.Error as e:
            self.skipTest("CPython's private interpreters module is not importable: %s" % e.message)
        self.assertEqual(value.unpack(), a.get_id())

    def test_plain_constructor_needs_init(self):
        # PyGObject does not call g_initable_init() by itself.
        interp = Interp.Interpreter()
        self.assertEqual(interp.get_id(), -1)
        error = self.raises(interp.eval, "1", None)
        self.assertInterpError(error, Interp.Error.FAILED, "The interpreter is not initialized")
        self.assertTrue(interp.init(None))
        try:
            self.assertGreater(interp.get_id(), 0)
            self.assertEqual(interp.eval("6 * 7", None).unpack(), 42)
        finally:
            interp.close()

    def test_configured_interpreter(self):
        interp = Interp.Interpreter(gil=Interp.Gil.SHARED, use_main_obmalloc=True,
                                    check_multi_interp_extensions=False)
        interp.init(None)
        try:
            self.assertEqual(interp.get_gil(), Interp.Gil.SHARED)
            self.assertTrue(interp.props.use_main_obmalloc)
            self.assertEqual(interp.eval("'configured'", None).unpack(), "configured")
        finally:
            interp.close()

    def test_own_gil(self):
        interp = Interp.Interpreter(gil=Interp.Gil.OWN)
        if Interp.supports_own_gil():
            interp.init(None)
            self.assertEqual(interp.get_gil(), Interp.Gil.OWN)
            self.assertEqual(interp.eval("1 + 1", None).unpack(), 2)
            interp.close()
        else:
            error = self.raises(interp.init, None)
            self.assertInterpError(error, Interp.Error.UNSUPPORTED)
            self.assertIn("%d.%d" % sys.version_info[:2], error.message)

    def test_dropping_last_reference_closes(self):
        interp = Interp.Interpreter.new(None)
        interp_id = interp.get_id()
        self.assertIn(interp_id, [i.get_id() for i in Interp.list_all()])
        del interp
        gc.collect()
        # Closing happens on the executor thread; the suite's timeout
        # catches an interpreter that never goes away.
        while interp_id in [i.get_id() for i in Interp.list_all()]:
            time.sleep(0.01)


class ExecEvalCallTests(InterpTestCase):
    def test_exec_then_eval(self):
        self.assertTrue(a.exec("x = 40\ny = x + 2", None))
        result = a.eval("y", None)
        self.assertEqual(result.get_type_string(), "x")
        self.assertEqual(result.unpack(), 42)

    def test_exec_dedents(self):
        a.exec("""
            def dedented():
                return 'ok'
            """, None)
        self.assertEqual(a.eval("dedented()", None).unpack(), "ok")

    def test_eval_strips_whitespace(self):
        self.assertEqual(a.eval("  1 + 2\n", None).unpack(), 3)

    def test_call_with_args_and_kwargs(self):
        a.exec("def f(n, s, *, scale=1, suffix=''):\n"
               "    return [n * scale, s + suffix, None, (1, 2.5), {'k': b'by'}]", None)
        result = a.call("f", variant_tuple("xs", 3, "ab"),
                        kwargs(scale=GLib.Variant("x", 5), suffix=GLib.Variant("s", "!")), None)
        self.assertEqual(result.get_type_string(), "av")
        self.assertEqual(result.unpack(), [15, "ab!", None, (1, 2.5), {"k": [98, 121]}])

    def test_call_args_only_and_none(self):
        self.assertEqual(a.call("len", variant_tuple("s", "hello"), None, None).unpack(), 5)
        a.exec("def nothing():\n    pass", None)
        result = a.call("nothing", None, None, None)
        self.assertEqual(result.get_type_string(), "mv")
        self.assertIsNone(result.unpack())

    def test_call_kwargs_of_any_value_type(self):
        a.exec("def kw(**k):\n    return sorted(k.items())", None)
        result = a.call("kw", None, GLib.Variant("a{si}", {"p": 1, "q": 2}), None)
        self.assertEqual(result.unpack(), [("p", 1), ("q", 2)])

    def test_call_forms(self):
        a.exec("import os\nclass Box:\n    class Inner:\n        @staticmethod\n"
               "        def twice(v):\n            return v * 2", None)
        self.assertEqual(a.call("Box.Inner.twice", variant_tuple("x", 21), None, None).unpack(), 42)
        self.assertEqual(a.call("os.path.join", variant_tuple("ss", "a", "b"), None, None).unpack(), "a/b")
        self.assertEqual(a.call("os.path:join", variant_tuple("ss", "c", "d"), None, None).unpack(), "c/d")
        self.assertEqual(a.call("json:dumps", variant_tuple("as", ["x"]), None, None).unpack(), '["x"]')
        self.assertEqual(a.call("builtins:max", variant_tuple("xx", 3, 9), None, None).unpack(), 9)

    def test_result_types(self):
        cases = [
            ("True", "b", True),
            ("False", "b", False),
            ("None", "mv", None),
            ("-2**63", "x", -2 ** 63),
            ("2**63 - 1", "x", 2 ** 63 - 1),
            ("2**64 - 1", "t", 2 ** 64 - 1),
            ("1.5e300", "d", 1.5e300),
            ("'é☃'", "s", "é☃"),
            ("''", "s", ""),
            ("b'\\x00\\xff'", "ay", [0, 255]),
            ("bytearray(b'ab')", "ay", [97, 98]),
            ("memoryview(b'cd')", "ay", [99, 100]),
            ("(1, 's', 2.0)", "(xsd)", (1, "s", 2.0)),
            ("()", "()", ()),
            ("[1, 'two']", "av", [1, "two"]),
            ("[]", "av", []),
            ("[1, 2]", "ax", [1, 2]),
            ("[0.5]", "ad", [0.5]),
            ("['a', 'b']", "as", ["a", "b"]),
            ("[True, False]", "ab", [True, False]),
            ("[1, True]", "av", [1, True]),
            ("{'a': 1}", "a{sv}", {"a": 1}),
            ("{}", "a{sv}", {}),
            ("{1: 'one', -2: 'minus'}", "a{xv}", {1: "one", -2: "minus"}),
            ("{'n': [1, {'m': None}]}", "a{sv}", {"n": [1, {"m": None}]}),
        ]
        for expr, type_string, expected in cases:
            with self.subTest(expr=expr):
                result = a.eval(expr, None)
                self.assertEqual(result.get_type_string(), type_string)
                self.assertEqual(result.unpack(), expected)

    def test_nan(self):
        result = a.eval("float('nan')", None)
        self.assertEqual(result.get_type_string(), "d")
        self.assertTrue(math.isnan(result.unpack()))

    def test_argument_types_reach_python(self):
        a.exec("def kinds(*args):\n    return [type(v).__name__ + ':' + repr(v) for v in args]", None)
        args = GLib.Variant("(ybnqiuxtdsogvmsmsayaia{sv}a{is}(ii)h)", (
            7, True, -2, 3, -4, 5, -6, 7, 1.5, "s", "/o", "g", GLib.Variant("i", 9),
            "m", None, b"ab", [1, 2], {"k": GLib.Variant("s", "v")}, {1: "a"}, (1, 2), 0))
        result = a.call("kinds", args, None, None).unpack()
        self.assertEqual(result, [
            "int:7", "bool:True", "int:-2", "int:3", "int:-4", "int:5", "int:-6", "int:7",
            "float:1.5", "str:'s'", "str:'/o'", "str:'g'", "int:9", "str:'m'", "NoneType:None",
            "bytes:b'ab'", "list:[1, 2]", "dict:{'k': 'v'}", "dict:{1: 'a'}", "tuple:(1, 2)",
            "int:0",
        ])

    def test_round_trip(self):
        value = GLib.Variant("a{sv}", {
            "list": GLib.Variant("av", [GLib.Variant("x", 1), GLib.Variant("s", "two")]),
            "tuple": GLib.Variant("(xd)", (3, 4.5)),
            "bytes": GLib.Variant("ay", b"\x00\x01"),
            "none": GLib.Variant("mv", None),
        })
        result = a.call("dict", GLib.Variant.new_tuple(value), None, None)
        self.assertEqual(result.unpack(), value.unpack())

    def test_prepare_main(self):
        self.assertTrue(a.prepare_main(GLib.Variant("a{sv}", {
            "prepared_n": GLib.Variant("i", 5),
            "prepared_s": GLib.Variant("s", "name"),
        })))
        self.assertEqual(a.eval("(prepared_n, prepared_s)", None).unpack(), (5, "name"))
        self.assertTrue(a.prepare_main(GLib.Variant("a{ss}", {"prepared_s": "other"})))
        self.assertEqual(a.eval("prepared_s", None).unpack(), "other")
        self.assertTrue(a.prepare_main(None))

    def test_state_persists_across_calls(self):
        a.exec("counter = 0\ndef bump():\n    global counter\n    counter += 1\n    return counter", None)
        self.assertEqual([a.call("bump", None, None, None).unpack() for _ in range(3)], [1, 2, 3])
        self.assertEqual(a.eval("counter", None).unpack(), 3)

    def test_code_runs_on_an_executor_thread(self):
        main_thread = threading.get_ident()
        executor_thread = a.eval("__import__('threading').get_ident()", None).unpack()
        self.assertNotEqual(executor_thread, main_thread)
        # Serial executor: every call of one interpreter runs on the same thread.
        self.assertEqual(a.eval("__import__('threading').get_ident()", None).unpack(), executor_thread)
        self.assertFalse(a.is_running())

    def test_same_process(self):
        self.assertEqual(a.call("os:getpid", None, None, None).unpack(), os.getpid())


class IsolationTests(InterpTestCase):
    def test_globals_are_separate(self):
        a.exec("isolated_value = 'from a'", None)
        b.exec("isolated_value = 'from b'", None)
        self.assertEqual(a.eval("isolated_value", None).unpack(), "from a")
        self.assertEqual(b.eval("isolated_value", None).unpack(), "from b")
        import __main__
        self.assertFalse(hasattr(__main__, "isolated_value"))

    def test_name_from_one_is_unknown_in_other(self):
        a.exec("only_in_a = 1", None)
        error = self.raises(b.eval, "only_in_a", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED,
                               "NameError: name 'only_in_a' is not defined")

    def test_modules_are_separate(self):
        a.exec("import sys\nsys.isolation_probe = 'a'", None)
        self.assertTrue(a.eval("hasattr(sys, 'isolation_probe')", None).unpack())
        self.assertFalse(b.eval("hasattr(__import__('sys'), 'isolation_probe')", None).unpack())
        self.assertFalse(hasattr(sys, "isolation_probe"))
        self.assertNotEqual(a.eval("id(__import__('sys'))", None).unpack(),
                            b.eval("id(__import__('sys'))", None).unpack())

    def test_host_state_is_invisible(self):
        sys.host_only_probe = 1
        try:
            self.assertFalse(a.eval("hasattr(__import__('sys'), 'host_only_probe')", None).unpack())
        finally:
            del sys.host_only_probe

    def test_main_module_name(self):
        self.assertEqual(a.eval("__name__", None).unpack(), "__main__")
        self.assertEqual(b.eval("__import__('__main__').__name__", None).unpack(), "__main__")


class ListAllTests(InterpTestCase):
    def test_list_all(self):
        interps = Interp.list_all()
        ids = [i.get_id() for i in interps]
        self.assertEqual(ids[0], 0)
        self.assertEqual(interps[0].get_whence(), Interp.Whence.RUNTIME)
        self.assertIn(a.get_id(), ids)
        self.assertIn(b.get_id(), ids)
        self.assertEqual(len(ids), len(set(ids)))
        for interp in interps[1:]:
            self.assertEqual(interp.get_whence(), Interp.Whence.LIBRARY)

    def test_list_all_returns_same_objects(self):
        by_id = {i.get_id(): i for i in Interp.list_all()}
        self.assertIs(by_id[a.get_id()], a)

    def test_get_current_outside_interpreters_is_main(self):
        current = Interp.get_current()
        self.assertEqual(current.get_id(), 0)
        self.assertIs(current, Interp.get_main())


class MainInterpreterTests(InterpTestCase):
    """In hosted mode the main interpreter is the test process's own Python."""

    def setUp(self):
        self.main = Interp.get_main()

    def test_main_identity(self):
        self.assertIsNotNone(self.main)
        self.assertEqual(self.main.get_id(), 0)
        self.assertEqual(self.main.get_whence(), Interp.Whence.RUNTIME)
        self.assertEqual(self.main.get_gil(), Interp.Gil.OWN)
        self.assertFalse(self.main.is_closed())

    def test_main_eval(self):
        self.assertEqual(self.main.eval("6 * 7", None).unpack(), 42)
        self.assertEqual(self.main.eval("__name__", None).unpack(), "__main__")

    def test_main_exec_writes_the_hosts_main_module(self):
        import __main__
        self.main.exec("hosted_marker = 123", None)
        try:
            self.assertEqual(getattr(__main__, "hosted_marker", None), 123)
        finally:
            del __main__.hosted_marker
        # And the other way round: the host's __main__ names are visible.
        __main__.set_by_host = "hello"
        try:
            self.assertEqual(self.main.eval("set_by_host", None).unpack(), "hello")
        finally:
            del __main__.set_by_host

    def test_main_shares_the_hosts_modules(self):
        sys.main_probe = 7
        try:
            self.assertEqual(self.main.eval("__import__('sys').main_probe", None).unpack(), 7)
            self.assertEqual(self.main.eval("id(__import__('sys'))", None).unpack(), id(sys))
        finally:
            del sys.main_probe

    def test_main_runs_on_its_own_thread(self):
        ident = self.main.eval("__import__('threading').get_ident()", None).unpack()
        self.assertNotEqual(ident, threading.get_ident())

    def test_main_call(self):
        self.assertEqual(self.main.call("os:getpid", None, None, None).unpack(), os.getpid())

    def test_main_cannot_be_closed(self):
        error = self.raises(self.main.close)
        self.assertInterpError(error, Interp.Error.FAILED)
        self.assertFalse(self.main.is_closed())
        self.assertEqual(self.main.eval("1", None).unpack(), 1)


class CloseTests(InterpTestCase):
    def test_close_then_not_found(self):
        interp = Interp.Interpreter.new(None)
        interp_id = interp.get_id()
        interp.exec("x = 1", None)
        self.assertTrue(interp.close())
        self.assertTrue(interp.is_closed())
        self.assertTrue(interp.props.closed)
        self.assertNotIn(interp_id, [i.get_id() for i in Interp.list_all()])
        for call in (lambda: interp.eval("x", None),
                     lambda: interp.exec("x = 2", None),
                     lambda: interp.call("len", variant_tuple("s", "ab"), None, None),
                     lambda: interp.prepare_main(GLib.Variant("a{sv}", {}))):
            with self.subTest():
                error = self.raises(call)
                self.assertInterpError(error, Interp.Error.NOT_FOUND)
                self.assertIn(str(interp_id), error.message)
        # Closing again succeeds; the others are untouched.
        self.assertTrue(interp.close())
        self.assertEqual(a.eval("1 + 1", None).unpack(), 2)
        # The id is not reused for a new interpreter.
        fresh = Interp.Interpreter.new(None)
        self.assertNotEqual(fresh.get_id(), interp_id)
        fresh.close()


if __name__ == "__main__":
    sys.exit(tap.main())
