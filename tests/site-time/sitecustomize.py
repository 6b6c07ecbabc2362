# sitecustomize.py: first use of interp-glib while `site` is imported
# (tests/test_site_time.py puts this directory on PYTHONPATH).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import ctypes
import os
import sys


class GError(ctypes.Structure):
    _fields_ = [("domain", ctypes.c_uint32), ("code", ctypes.c_int), ("message", ctypes.c_char_p)]


lib = ctypes.CDLL(os.environ["INTERP_GLIB_LIBRARY"])
lib.interp_init.argtypes = [ctypes.POINTER(ctypes.POINTER(GError))]
lib.interp_init.restype = ctypes.c_int
error = ctypes.POINTER(GError)()
initialized = ctypes.pythonapi.Py_IsInitialized()
ok = lib.interp_init(ctypes.byref(error))
sys.interp_glib_site_time = {
    "py_is_initialized": initialized,
    "ok": ok,
    "code": error.contents.code if error else None,
    "message": error.contents.message.decode() if error else None,
}
