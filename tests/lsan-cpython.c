/* lsan-cpython.c: CPython's own leaks, without interp-glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Justifies tests/lsan.supp: what this program leaks under LeakSanitizer
 * is CPython's alone. It does what the library does to Python (initialize
 * without signal handlers, one isolated sub-interpreter with its own GIL,
 * imports, code compiled with PyRun_String, end it, finalize) and nothing
 * else. build-aux/run-hardening.sh runs it without the suppressions (it
 * must report leaks) and with them (it must be clean).
 */

#include <Python.h>

#include <stdio.h>

static const char code[] =
  "import pickle, traceback, json, decimal, functools, contextlib\n"
  "import signal, asyncio, subprocess\n"
  "class Outer:\n"
  "    class Inner:\n"
  "        def method(self):\n"
  "            return 'identifier_like_constant'\n"
  "def outer():\n"
  "    def inner():\n"
  "        return 'another_constant'\n"
  "    return inner\n"
  "outer()()\n"
  "'abc'.encode('latin-1')\n"
  "try:\n"
  "    1 / 0\n"
  "except ZeroDivisionError as e:\n"
  "    traceback.format_exception(e)\n";

/* Only in the isolated sub-interpreter: a single-phase extension refused. */
static const char sub_code[] =
  "try:\n"
  "    import _testsinglephase\n"
  "except ImportError:\n"
  "    pass\n";

static int
run (const char *source)
{
  PyObject *globals = PyDict_New ();
  PyObject *result;

  if (globals == NULL)
    return -1;
  result = PyRun_String (source, Py_file_input, globals, globals);
  Py_DECREF (globals);
  if (result == NULL)
    {
      PyErr_Print ();
      return -1;
    }
  Py_DECREF (result);
  return 0;
}

int
main (void)
{
  PyConfig config;
  PyInterpreterConfig sub_config = {
    .use_main_obmalloc = 0,
    .allow_fork = 0,
    .allow_exec = 0,
    .allow_threads = 1,
    .allow_daemon_threads = 0,
    .check_multi_interp_extensions = 1,
    .gil = PyInterpreterConfig_OWN_GIL,
  };
  PyThreadState *main_tstate;
  PyThreadState *sub_tstate = NULL;
  PyStatus status;

  PyConfig_InitPythonConfig (&config);
  config.install_signal_handlers = 0;
  status = Py_InitializeFromConfig (&config);
  PyConfig_Clear (&config);
  if (PyStatus_Exception (status))
    return 1;
  main_tstate = PyThreadState_Get ();
  if (run (code) < 0)
    return 1;

  status = Py_NewInterpreterFromConfig (&sub_tstate, &sub_config);
  if (PyStatus_Exception (status))
    return 1;
  if (run (code) < 0 || run (sub_code) < 0)
    return 1;
  Py_EndInterpreter (sub_tstate);
  PyThreadState_Swap (main_tstate);

  if (Py_FinalizeEx () < 0)
    return 1;
  printf ("lsan-cpython: done\n");
  return 0;
}
