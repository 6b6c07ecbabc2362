# smoke.py: interp-glib from PyGObject against an installed prefix, with the
# installed override (gi.overrides.Interp).
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import sys

import gi
gi.require_version("Interp", "1.0")
from gi.repository import Interp  # noqa: E402

override = sys.modules.get("gi.overrides.Interp")
if override is None or not override.__file__.startswith(os.environ["SMOKE_DESTDIR"]):
    sys.exit("PyGObject: the installed override was not used: %r" % override)

interp = Interp.Interpreter()
interp.exec_full("def area(w, h):\n    return {'area': w * h, 'sides': [w, h]}\n", "shapes.py")
result = interp.call("area", (3, 2.5))
if result != {"area": 7.5, "sides": [3, 2.5]}:
    sys.exit("PyGObject: unexpected result %r" % (result,))
try:
    interp.call("area", ("x", []))
    sys.exit("PyGObject: no exception")
except Interp.ExecutionFailed as e:
    if (str(e) != "TypeError: can't multiply sequence by non-int of type 'list'"
            or 'File "shapes.py", line 2, in area' not in e.traceback
            or e.interpreter_id != interp.get_id() or e.type_name != "TypeError"):
        sys.exit("PyGObject: unexpected error %r %r" % (str(e), e.traceback))
    print("PyGObject:", e)
interp.close()
