# test_errors.py: Python exceptions and library errors as PyGObject sees them
#
# PyGObject turns a GError into a GLib.Error holding only domain, code and
# message, and frees the GError with its snapshot. The library's override
# (gi.overrides.Interp, loaded here from the source tree) raises
# Interp.ExecutionFailed instead, with the snapshot as attributes, which it
# takes back with Interp.ExceptionInfo.steal_last(). The message itself is
# one line, `Type: message`, and is never parsed.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import sys
import threading
import unittest

import tap
from common import GLib, InterpTestCase, kwargs, variant_tuple
from gi.repository import Interp

interp = None


def setUpModule():
    global interp
    interp = Interp.Interpreter.new(None)
    interp.exec(
        "class MyError(Exception):\n"
        "    pass\n"
        "class Outer:\n"
        "    class Inner(ValueError):\n"
        "        pass\n"
        "def divide(a, b):\n"
        "    return a / b\n", None)


def tearDownModule():
    if interp is not None:
        interp.close()


def info_of(error):
    """Interp.ExceptionInfo of @error, or None."""
    return Interp.ExceptionInfo.from_error(error)


class OverrideTests(unittest.TestCase):
    def test_the_override_from_the_tree_is_loaded(self):
        module = sys.modules.get("gi.overrides.Interp")
        self.assertIsNotNone(module, "gi.overrides.Interp was not imported")
        expected = os.environ.get("INTERP_TEST_OVERRIDES_DIR")
        if expected:
            self.assertEqual(os.path.dirname(os.path.realpath(module.__file__)),
                             os.path.realpath(expected))
        self.assertTrue(issubclass(Interp.ExecutionFailed, GLib.Error))
        self.assertTrue(issubclass(Interp.ExecutionFailed, Interp.InterpreterError))


class ExecutionFailedTests(InterpTestCase):
    def test_zero_division_is_a_glib_error(self):
        error = self.raises(interp.exec, "1/0", None)
        self.assertIsInstance(error, GLib.GError)
        self.assertIsInstance(error, Interp.ExecutionFailed)
        self.assertIs(GLib.Error, GLib.GError)
        self.assertEqual(error.domain, "interp-error-quark")
        self.assertEqual(error.code, Interp.Error.EXECUTION_FAILED)
        # One line, and str() is that line, not 'interp-error-quark: ...'.
        self.assertEqual(error.message, "ZeroDivisionError: division by zero")
        self.assertEqual(str(error), "ZeroDivisionError: division by zero")
        self.assertEqual(error.interpreter_id, interp.get_id())

    def test_exception_info_attributes(self):
        error = self.raises(interp.exec, "1/0", None)
        info = error.exception_info
        self.assertIsNotNone(info)
        self.assertIs(Interp.ExceptionInfo.from_error(error), info)
        self.assertEqual(info.get_type_name(), "ZeroDivisionError")
        self.assertEqual(error.type_name, "ZeroDivisionError")
        self.assertEqual(error.qualname, "ZeroDivisionError")
        self.assertEqual(error.module, "builtins")
        self.assertEqual(error.exception_message, "division by zero")
        self.assertEqual(info.get_interpreter_id(), interp.get_id())
        traceback = error.traceback
        self.assertEqual(traceback, info.get_traceback())
        self.assertTrue(traceback.startswith("Traceback (most recent call last):\n"), traceback)
        # Code run without a name is named for the call and its text.
        self.assertIn('File "<exec: 1/0>", line 1, in <module>\n    1/0\n', traceback)
        self.assertTrue(traceback.endswith("ZeroDivisionError: division by zero\n"), traceback)

    def test_each_error_gets_its_own_snapshot(self):
        first = self.raises(interp.eval, "[][1]", None)
        second = self.raises(interp.eval, "{}['k']", None)
        self.assertEqual(first.type_name, "IndexError")
        self.assertEqual(first.exception_message, "list index out of range")
        self.assertEqual(second.type_name, "KeyError")
        # Nothing is left over for an error made by hand.
        self.assertIsNone(Interp.ExceptionInfo.steal_last())

    def test_snapshots_per_thread(self):
        results = {}

        def fail(n):
            worker = Interp.Interpreter.new(None)
            try:
                for _ in range(20):
                    try:
                        worker.exec("raise ValueError('thread %d')" % n, None)
                    except Interp.ExecutionFailed as e:
                        results.setdefault(n, set()).add((e.message, e.exception_message,
                                                          e.interpreter_id == worker.get_id()))
            finally:
                worker.close()

        threads = [threading.Thread(target=fail, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for n in range(3):
            self.assertEqual(results[n], {("ValueError: thread %d" % n, "thread %d" % n, True)})

    def test_filename_names_the_code(self):
        interp.exec_full("def helper(n):\n    return n / (n - n)\n", "helpers.py", None)
        error = self.raises(interp.call, "helper", variant_tuple("x", 2), None, None)
        self.assertEqual(error.message, "ZeroDivisionError: division by zero")
        self.assertIn('File "helpers.py", line 2, in helper\n    return n / (n - n)\n', error.traceback)

    def test_traceback_through_functions(self):
        error = self.raises(interp.call, "divide", variant_tuple("xx", 1, 0), None, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED,
                               "ZeroDivisionError: division by zero")
        info = Interp.ExceptionInfo.from_error(error)
        self.assertIn(", in divide\n", info.get_traceback())
        self.assertIn("\n    return a / b\n", info.get_traceback())
        self.assertEqual(info.get_module(), "builtins")

    def test_custom_exception_in_main(self):
        error = self.raises(interp.exec, "raise MyError('boom')", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "MyError: boom")
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "MyError")
        self.assertEqual(info.get_qualname(), "MyError")
        self.assertEqual(info.get_module(), "__main__")
        self.assertEqual(info.get_message(), "boom")
        self.assertTrue(info.get_traceback().endswith("MyError: boom\n"))

    def test_nested_class_qualname(self):
        # The message itself has ': ' in it.
        error = self.raises(interp.exec, "raise Outer.Inner('key: value')", None)
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "Inner")
        self.assertEqual(info.get_qualname(), "Outer.Inner")
        self.assertEqual(info.get_module(), "__main__")
        self.assertEqual(info.get_message(), "key: value")

    def test_local_class_qualname(self):
        error = self.raises(interp.exec,
                            "def make():\n    class Local(Exception): pass\n    raise Local('x')\nmake()",
                            None)
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "Local")
        self.assertEqual(info.get_qualname(), "make.<locals>.Local")

    def test_stdlib_module_exception(self):
        error = self.raises(interp.call, "json:loads", variant_tuple("s", "{"), None, None)
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "JSONDecodeError")
        self.assertEqual(info.get_module(), "json.decoder")
        self.assertTrue(info.get_message().startswith("Expecting property name"))
        self.assertIn("json", info.get_traceback())

    def test_multiline_and_empty_messages(self):
        error = self.raises(interp.exec, "raise ValueError('line1\\nline2')", None)
        self.assertEqual(error.message, "ValueError: line1 …")
        self.assertEqual(Interp.ExceptionInfo.from_error(error).get_message(), "line1\nline2")
        error = self.raises(interp.exec, "raise ValueError", None)
        self.assertEqual(error.message, "ValueError")
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "ValueError")
        self.assertEqual(info.get_message(), "")

    def test_unicode_message(self):
        error = self.raises(interp.exec, "raise Exception('é☃ ünïcode')", None)
        self.assertEqual(error.message, "Exception: é☃ ünïcode")
        self.assertEqual(Interp.ExceptionInfo.from_error(error).get_message(), "é☃ ünïcode")

    def test_chained_exception(self):
        error = self.raises(interp.exec, "raise ValueError('outer') from KeyError('inner')", None)
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "ValueError")
        self.assertEqual(info.get_message(), "outer")
        self.assertIn("KeyError: 'inner'", info.get_traceback())
        self.assertIn("direct cause", info.get_traceback())

    @unittest.skipIf(sys.version_info < (3, 11), "ExceptionGroup is Python 3.11+")
    def test_exception_group(self):
        error = self.raises(interp.exec,
                            "raise ExceptionGroup('eg', [ValueError(1), TypeError(2)])", None)
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "ExceptionGroup")
        self.assertEqual(info.get_message(), "eg (2 sub-exceptions)")
        self.assertIn("ValueError: 1", info.get_traceback())
        self.assertIn("TypeError: 2", info.get_traceback())

    def test_unprintable_exception(self):
        error = self.raises(interp.exec,
                            "class Unprintable(Exception):\n"
                            "    def __str__(self):\n"
                            "        raise RuntimeError('no str')\n"
                            "raise Unprintable()", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "Unprintable: <unprintable")
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "Unprintable")
        self.assertEqual(info.get_module(), "__main__")

    def test_error_in_eval_and_call(self):
        error = self.raises(interp.eval, "{}['missing']", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "KeyError: 'missing'")
        error = self.raises(interp.call, "int", variant_tuple("s", "nope"), None, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED,
                               "ValueError: invalid literal for int() with base 10: 'nope'")

    def test_unexpected_keyword(self):
        error = self.raises(interp.call, "divide", variant_tuple("x", 1),
                            kwargs(c=GLib.Variant("x", 2)), None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "TypeError: ")
        self.assertIn("'c'", error.message)

    def test_interpreter_usable_after_exceptions(self):
        for _ in range(3):
            self.raises(interp.exec, "1/0", None)
        self.assertEqual(interp.eval("2 + 2", None), 4)

    def test_info_of_other_errors_is_none(self):
        # Not an EXECUTION_FAILED error: no snapshot.
        self.assertIsNone(info_of(GLib.Error("not from Python", "g-io-error-quark", 1)))
        not_found = GLib.Error("Interpreter 99 is closed", "interp-error-quark",
                               int(Interp.Error.NOT_FOUND))
        self.assertIsNone(info_of(not_found))

    def test_info_of_foreign_message_is_none(self):
        # Right domain and code, made by hand: the message is never parsed.
        foreign = GLib.Error("ValueError: just some text", "interp-error-quark",
                             int(Interp.Error.EXECUTION_FAILED))
        self.assertIsNone(info_of(foreign))

    def test_message_that_looks_like_another_error(self):
        error = self.raises(interp.exec,
                            "raise ValueError('KeyError: x\\n\\nTraceback (most recent call last):\\nfake')",
                            None)
        self.assertEqual(error.message, "ValueError: KeyError: x …")
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_module(), "builtins")
        self.assertEqual(info.get_qualname(), "ValueError")
        self.assertEqual(info.get_message(), "KeyError: x\n\nTraceback (most recent call last):\nfake")

    def test_other_errors_are_interpreter_errors(self):
        error = self.raises(interp.call, "a b", None, None, None)
        self.assertIsInstance(error, Interp.InterpreterError)
        self.assertNotIsInstance(error, Interp.ExecutionFailed)
        self.assertEqual(str(error), error.message)
        self.assertNotIn("\n", error.message)


class BaseExceptionTests(InterpTestCase):
    """SystemExit and KeyboardInterrupt never end or interrupt the host."""

    def test_system_exit(self):
        for code, message in (("raise SystemExit(3)", "3"), ("raise SystemExit", ""),
                              ("import sys; sys.exit('bye')", "bye")):
            with self.subTest(code=code):
                error = self.raises(interp.exec, code, None)
                self.assertInterpError(error, Interp.Error.EXECUTION_FAILED)
                self.assertEqual(error.message, "SystemExit: " + message if message else "SystemExit")
                info = Interp.ExceptionInfo.from_error(error)
                self.assertEqual(info.get_type_name(), "SystemExit")
                self.assertEqual(info.get_module(), "builtins")
                self.assertEqual(info.get_message(), message)
        # Still here, and so is the interpreter.
        self.assertEqual(interp.eval("'alive'", None), "alive")

    def test_system_exit_from_call(self):
        error = self.raises(interp.call, "sys:exit", variant_tuple("x", 0), None, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "SystemExit: 0")

    def test_keyboard_interrupt(self):
        error = self.raises(interp.exec, "raise KeyboardInterrupt", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "KeyboardInterrupt")
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "KeyboardInterrupt")
        self.assertEqual(info.get_module(), "builtins")
        self.assertEqual(interp.eval("1", None), 1)

    def test_generator_exit(self):
        error = self.raises(interp.exec, "raise GeneratorExit", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "GeneratorExit")

    def test_system_exit_in_main_interpreter(self):
        # The main interpreter is the test process's own: it must not exit.
        error = self.raises(Interp.get_main().exec, "raise SystemExit(4)", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "SystemExit: 4")
        self.assertEqual(error.message, "SystemExit: 4")
        self.assertEqual(error.interpreter_id, 0)
        self.assertEqual(Interp.ExceptionInfo.from_error(error).get_message(), "4")

    def test_keyboard_interrupt_in_main_interpreter(self):
        error = self.raises(Interp.get_main().exec, "raise KeyboardInterrupt", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "KeyboardInterrupt")


class SyntaxErrorTests(InterpTestCase):
    def test_exec_syntax_error(self):
        error = self.raises(interp.exec, "def (:", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "SyntaxError: ")
        info = Interp.ExceptionInfo.from_error(error)
        self.assertEqual(info.get_type_name(), "SyntaxError")
        self.assertEqual(info.get_module(), "builtins")
        self.assertIn("def (:", info.get_traceback())

    def test_eval_rejects_statements(self):
        error = self.raises(interp.eval, "x = 1", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "SyntaxError: ")

    def test_indentation_error(self):
        error = self.raises(interp.exec, "if True:\nprint(1)", None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "IndentationError: ")
        self.assertEqual(Interp.ExceptionInfo.from_error(error).get_type_name(), "IndentationError")


class CallableTests(InterpTestCase):
    def test_unknown_callable(self):
        error = self.raises(interp.call, "no_such_function", None, None, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED,
                               "NameError: name 'no_such_function' is not defined")
        self.assertEqual(Interp.ExceptionInfo.from_error(error).get_type_name(), "NameError")

    def test_unknown_attribute(self):
        error = self.raises(interp.call, "Outer.missing", None, None, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED, "AttributeError: ")

    def test_unknown_module(self):
        error = self.raises(interp.call, "no_such_module_xyz:f", None, None, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED,
                               "ModuleNotFoundError: No module named 'no_such_module_xyz'")

    def test_not_callable(self):
        interp.exec("not_callable = 5", None)
        error = self.raises(interp.call, "not_callable", None, None, None)
        self.assertInterpError(error, Interp.Error.EXECUTION_FAILED,
                               "TypeError: 'int' object is not callable")

    def test_malformed_callables(self):
        for name in ("", " ", "a..b", ".a", "a.", "a b", "f()", "x:y:z", ":", ":x", "os:",
                     "os:.join", "os:path.", "a\nb"):
            with self.subTest(name=name):
                error = self.raises(interp.call, name, None, None, None)
                self.assertInterpError(error, Interp.Error.INVALID_ARGUMENT)
                self.assertIn("is not a callable name", error.message)
        self.assertEqual(interp.eval("'still fine'", None), "still fine")


class VariantTypeTests(InterpTestCase):
    def test_args_must_be_a_tuple(self):
        error = self.raises(interp.call, "len", GLib.Variant("s", "abc"), None, None)
        self.assertInterpError(error, Interp.Error.INVALID_ARGUMENT)
        self.assertIn("'s'", error.message)
        error = self.raises(interp.call, "len", GLib.Variant("as", ["abc"]), None, None)
        self.assertInterpError(error, Interp.Error.INVALID_ARGUMENT)

    def test_kwargs_must_have_string_keys(self):
        for bad in (GLib.Variant("as", ["x"]), GLib.Variant("(s)", ("x",)),
                    GLib.Variant("a{iv}", {1: GLib.Variant("i", 1)})):
            with self.subTest(kwargs=bad.get_type_string()):
                error = self.raises(interp.call, "dict", None, bad, None)
                self.assertInterpError(error, Interp.Error.INVALID_ARGUMENT)
                self.assertIn(bad.get_type_string(), error.message)

    def test_prepare_main_needs_a_dictionary(self):
        error = self.raises(interp.prepare_main, GLib.Variant("as", ["x"]))
        self.assertInterpError(error, Interp.Error.INVALID_ARGUMENT)


class ResultConversionTests(InterpTestCase):
    def test_not_shareable(self):
        for expr, needle in (("object()", "object"), ("lambda: 0", "function"), ("set()", "set"),
                             ("iter([])", "list_iterator"), ("{1: 2, 'a': 3}", "keys"),
                             ("{(1, 2): 3}", "keys"), ("'a\\0b'", "NUL")):
            with self.subTest(expr=expr):
                error = self.raises(interp.eval, expr, None)
                self.assertInterpError(error, Interp.Error.NOT_SHAREABLE)
                self.assertIn(needle, error.message)
                self.assertIsNone(info_of(error))

    def test_recursive_container(self):
        interp.exec("loop = []\nloop.append(loop)", None)
        error = self.raises(interp.eval, "loop", None)
        self.assertInterpError(error, Interp.Error.NOT_SHAREABLE)

    def test_out_of_range(self):
        for expr in ("2**64", "-2**63 - 1", "[1, 2**100]"):
            with self.subTest(expr=expr):
                error = self.raises(interp.eval, expr, None)
                self.assertInterpError(error, Interp.Error.OUT_OF_RANGE)

    def test_call_result_not_shareable(self):
        error = self.raises(interp.call, "object", None, None, None)
        self.assertInterpError(error, Interp.Error.NOT_SHAREABLE)
        self.assertEqual(interp.eval("1", None), 1)


if __name__ == "__main__":
    sys.exit(tap.main())
