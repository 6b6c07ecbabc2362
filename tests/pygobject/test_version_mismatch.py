# test_version_mismatch.py: the library refuses a Python it was not built for
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: OTHER_PYTHON test_version_mismatch.py LIBRARY BUILT_MAJOR.MINOR
#
# Runs under a Python whose major.minor differs from the one the library
# was built against (no PyGObject there: ctypes only). Loading the library
# into that process and starting it must fail cleanly with
# INTERP_ERROR_RUNTIME, never crash or start a second Python.

import ctypes
import os
import platform
import subprocess
import sys
import unittest

import tap

INTERP_ERROR_RUNTIME = 9

if len(sys.argv) >= 3:
    LIBRARY, BUILT = sys.argv[1], sys.argv[2]
else:
    LIBRARY, BUILT = os.environ.get("INTERP_GLIB_LIBRARY", ""), os.environ.get("INTERP_BUILT_FOR", "")
RUNNING = "%d.%d" % sys.version_info[:2]


def resolve_library(path):
    """meson passes the path relative to the build directory (the working
    directory of tests); fall back to LD_LIBRARY_PATH for other callers."""
    if path and os.path.exists(path):
        return os.path.abspath(path)
    for directory in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, os.path.basename(path) or "libinterp-glib-1.0.so.0")
        if directory and os.path.exists(candidate):
            return os.path.abspath(candidate)
    return path


LIBRARY = resolve_library(LIBRARY)


class GError(ctypes.Structure):
    _fields_ = [("domain", ctypes.c_uint32), ("code", ctypes.c_int), ("message", ctypes.c_char_p)]


GErrorP = ctypes.POINTER(GError)


def load():
    lib = ctypes.CDLL(LIBRARY)
    glib = ctypes.CDLL("libglib-2.0.so.0")
    lib.interp_init.argtypes = [ctypes.POINTER(GErrorP)]
    lib.interp_init.restype = ctypes.c_int
    lib.interp_error_quark.restype = ctypes.c_uint32
    lib.interp_is_embedded.restype = ctypes.c_int
    lib.interp_get_main.restype = ctypes.c_void_p
    lib.interp_list_all.restype = ctypes.c_void_p
    lib.interp_interpreter_new.argtypes = [ctypes.c_void_p, ctypes.POINTER(GErrorP)]
    lib.interp_interpreter_new.restype = ctypes.c_void_p
    lib.interp_get_python_version.restype = ctypes.c_char_p
    lib.interp_supports_own_gil.restype = ctypes.c_int
    glib.g_error_free.argtypes = [GErrorP]
    return lib, glib


class VersionMismatchTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not LIBRARY or not BUILT:
            raise unittest.SkipTest("usage: test_version_mismatch.py LIBRARY BUILT_MAJOR.MINOR")
        if RUNNING == BUILT:
            raise unittest.SkipTest("this Python is %s, the version the library was built for" % BUILT)
        cls.lib, cls.glib = load()

    def call_failing(self, func, *args):
        """Calls func(*args, &error); returns (result, code, domain, message)."""
        error = GErrorP()
        result = func(*(args + (ctypes.byref(error),)))
        self.assertTrue(error, "no GError set")
        code, domain, message = error.contents.code, error.contents.domain, error.contents.message
        self.glib.g_error_free(error)
        return result, code, domain, message.decode("utf-8")

    def assertMismatchError(self, code, domain, message):
        self.assertEqual(domain, self.lib.interp_error_quark())
        self.assertEqual(code, INTERP_ERROR_RUNTIME)
        # Names both versions.
        self.assertIn("built for Python %s" % BUILT, message)
        self.assertIn("running Python is %s" % platform.python_version(), message)

    def test_init_fails_with_runtime_error(self):
        ok, code, domain, message = self.call_failing(self.lib.interp_init)
        self.assertEqual(ok, 0)
        self.assertMismatchError(code, domain, message)

    def test_init_keeps_failing(self):
        for _ in range(3):
            ok, code, domain, message = self.call_failing(self.lib.interp_init)
            self.assertEqual(ok, 0)
            self.assertMismatchError(code, domain, message)

    def test_creating_an_interpreter_fails(self):
        interp, code, domain, message = self.call_failing(self.lib.interp_interpreter_new, None)
        self.assertIsNone(interp)
        self.assertMismatchError(code, domain, message)

    def test_nothing_started(self):
        self.assertIsNone(self.lib.interp_get_main())
        self.assertIsNone(self.lib.interp_list_all())      # an empty GList
        self.assertEqual(self.lib.interp_is_embedded(), 0)
        # The version it reports is the one really running.
        self.assertTrue(self.lib.interp_get_python_version().decode().startswith(platform.python_version()))

    def test_fresh_process_exits_cleanly(self):
        # First call ever in a process is interp_interpreter_new(): no crash,
        # no second Python started, a clean exit.
        code = (
            "import ctypes, sys\n"
            "lib = ctypes.CDLL(sys.argv[1])\n"
            "lib.interp_interpreter_new.restype = ctypes.c_void_p\n"
            "lib.interp_interpreter_new.argtypes = [ctypes.c_void_p, ctypes.c_void_p]\n"
            "print(lib.interp_interpreter_new(None, None))\n"
            "lib.interp_shutdown.argtypes = [ctypes.c_void_p]\n"
            "print(lib.interp_shutdown(None))\n"
        )
        result = subprocess.run([sys.executable, "-c", code, LIBRARY], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.stdout.split(), ["None", "1"])


if __name__ == "__main__":
    sys.exit(tap.main())
