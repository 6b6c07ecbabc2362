# test_hosted_pygobject.py: interp_glib in a PyGObject application (hosted mode)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The application's Python is the main interpreter; interp_glib's
# interpreters and PyGObject's Interp.Interpreter are the same ones.

import os
import sys
import unittest

import gi
gi.require_version("Interp", "1.0")
from gi.repository import GLib, Interp  # noqa: E402


def setUpModule():
    Interp.init()


def fail():
    raise ValueError("from the other side")


class HostedTests(unittest.TestCase):
    def test_module_from_the_resource(self):
        import interp_glib
        self.assertTrue(interp_glib.__file__.startswith("resource:///org/interp-glib/python/"))

    def test_same_interpreters(self):
        import interp_glib as interpreters
        from_python = interpreters.create()
        from_gi = Interp.Interpreter.new(None)
        try:
            self.assertEqual(sorted(i.id for i in interpreters.list_all()),
                             sorted(i.get_id() for i in Interp.list_all()))
            self.assertEqual(from_python.call(pow, 2, 10), 1024)
            other = interpreters.Interpreter(from_gi.get_id())
            self.assertEqual(other.call(divmod, 7, 2), (3, 1))
            # What Python put in __main__, C reads back as a GVariant.
            other.prepare_main(answer=42)
            self.assertEqual(from_gi.eval("answer", None).unpack(), 42)
            with self.assertRaises(interpreters.ExecutionFailed) as cm:
                from_python.call(fail)
            self.assertEqual(cm.exception.excinfo.formatted, "ValueError: from the other side")
        finally:
            from_gi.close()
            from_python.close()
        self.assertTrue(from_gi.is_closed())

    def test_pool_executor_beside_the_main_loop(self):
        # A GLib main loop runs in the host while an InterpreterPoolExecutor
        # works; its futures complete without the loop's help.
        import interp_glib as interpreters
        loop = GLib.MainLoop()
        ticks = []

        def tick():
            ticks.append(1)
            return GLib.SOURCE_CONTINUE

        with interpreters.InterpreterPoolExecutor(max_workers=2) as ex:
            futures = [ex.submit(pow, 3, n) for n in range(8)]
            GLib.timeout_add(5, tick)

            def check():
                if all(f.done() for f in futures):
                    loop.quit()
                    return GLib.SOURCE_REMOVE
                return GLib.SOURCE_CONTINUE
            GLib.timeout_add(10, check)
            GLib.timeout_add_seconds(60, loop.quit)
            loop.run()
            self.assertEqual([f.result(0) for f in futures], [3 ** n for n in range(8)])
        self.assertGreater(len(ticks), 0)

    def test_queue_between_python_and_gi(self):
        # A queue made by interp_glib is the InterpQueue PyGObject sees.
        import interp_glib as interpreters
        q = interpreters.create_queue()
        same = Interp.Queue.new_for_id(q.id)
        interp = interpreters.create()
        try:
            interp.prepare_main(q=q)
            interp.exec("q.put(('from', 'python', 2 ** 70))")
            self.assertEqual(q.get(timeout=30), ("from", "python", 2 ** 70))
            same.put(GLib.Variant("s", "from gi"), -1, None)
            interp.exec("q.put(q.get(timeout=30) + ', back')")
            self.assertEqual(q.get(timeout=30), "from gi, back")
        finally:
            interp.close()


if __name__ == "__main__":
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pygobject"))
    import tap
    sys.exit(tap.main())
