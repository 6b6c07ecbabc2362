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


if __name__ == "__main__":
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pygobject"))
    import tap
    sys.exit(tap.main())
