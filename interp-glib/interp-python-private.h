/* interp-python-private.h: include Python.h the one way the library does
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* Python.h sets feature macros (_POSIX_C_SOURCE, _XOPEN_SOURCE, ...) that
 * system headers read, so it must come before all of them: include this
 * header first in every file that uses Python. Otherwise the macros clash
 * ("_POSIX_C_SOURCE redefined" with 3.15's 202405L): fail on every version,
 * not only on the Python whose values differ from the C library's. */
#if defined(_FEATURES_H) && !defined(Py_PYTHON_H)
# error "include interp-python-private.h first: Python.h must precede GLib and system headers"
#endif

#define PY_SSIZE_T_CLEAN
/* Python 3.12's inline functions declare variables after statements,
 * which the project warns about in its own code: not in Python's. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeclaration-after-statement"
#include <Python.h>
#pragma GCC diagnostic pop

#include <glib.h>

#if PY_VERSION_HEX >= 0x030C0000
# define INTERP_PY_HAS_OWN_GIL 1
#else
# define INTERP_PY_HAS_OWN_GIL 0
#endif

/* The pending exception, normalized, with its traceback attached; clears
 * the error indicator. NULL when none is pending. */
static inline PyObject *
_interp_python_take_exception (void)
{
#if PY_VERSION_HEX >= 0x030C0000
  return PyErr_GetRaisedException ();
#else
  PyObject *type, *value, *tb;

  PyErr_Fetch (&type, &value, &tb);
  if (type == NULL)
    return NULL;
  PyErr_NormalizeException (&type, &value, &tb);
  if (value != NULL && tb != NULL)
    PyException_SetTraceback (value, tb);
  Py_XDECREF (type);
  Py_XDECREF (tb);
  return value;
#endif
}

/* Makes @exc (a reference, taken) the pending exception again. */
static inline void
_interp_python_restore_exception (PyObject *exc)
{
#if PY_VERSION_HEX >= 0x030C0000
  PyErr_SetRaisedException (exc);
#else
  PyObject *type = Py_NewRef ((PyObject *) Py_TYPE (exc));
  PyObject *tb = PyException_GetTraceback (exc);

  PyErr_Restore (type, exc, tb);
#endif
}

/* Takes the pending exception and describes it as "Type: message" for a
 * GError; NULL when none is pending. Clears the error indicator. */
static inline char *
_interp_python_take_error_text (void)
{
  PyObject *exc = _interp_python_take_exception ();
  PyObject *str;
  const char *text;
  char *description;

  if (exc == NULL)
    return NULL;
  str = PyObject_Str (exc);
  text = str ? PyUnicode_AsUTF8 (str) : NULL;
  description = g_strdup_printf ("%s: %s", Py_TYPE (exc)->tp_name, text ? text : "(unprintable)");
  PyErr_Clear ();
  Py_XDECREF (str);
  Py_DECREF (exc);
  return description;
}
