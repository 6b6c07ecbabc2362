#!/usr/bin/python3
# hello.py: the smallest interp-glib program with PyGObject.
# SPDX-License-Identifier: LGPL-2.1-or-later
import sys

import gi
gi.require_version('Interp', '1.0')
from gi.repository import GLib, Interp

try:
    interp = Interp.Interpreter.new(None)
    interp.exec('def greet(name):\n    return f"Hello, {name}!"\n', None)
    result = interp.call('greet', GLib.Variant('(s)', ('PyGObject',)), None, None)
    print(result.unpack())  # Hello, PyGObject!
except GLib.Error as e:
    sys.exit(f'Python failed: {e.message}')
