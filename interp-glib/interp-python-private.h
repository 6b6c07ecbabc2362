/* interp-python-private.h: include Python.h the one way the library does
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

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
