#!/usr/bin/python3
# hello.py: the smallest interp-glib program with PyGObject.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# With the library's gi.overrides.Interp (installed with it; the tests put
# the source tree's on PYTHONPATH) calls take and return plain values.
import sys

import gi
gi.require_version('Interp', '1.0')
from gi.repository import GLib, Interp

try:
    interp = Interp.Interpreter()
    interp.exec('def greet(name):\n    return f"Hello, {name}!"\n')
    print(interp.call('greet', ('PyGObject',)))  # Hello, PyGObject!
except GLib.Error as e:
    sys.exit(f'Python failed: {e}')
