/* interp-module-install.c: _interp_glib and interp_glib in every interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An InterpExecutorHooks.started, registered when the library is loaded,
 * runs the resource's _bootstrap.py in each new interpreter: it installs
 * an importer that makes both the C module (interp-module.c, through
 * _load_c) and the interp_glib package (interp-glib/python/, read from
 * the library's GResource through _read) importable.
 */

#include "interp-module-parts-private.h"
#include "interp-error.h"
#include "interp-executor-private.h"

#include <string.h>

/* The finder's loader calls this with the spec; self is CancelledError. */
static PyObject *
load_module (PyObject *cancelled_error,
             PyObject *spec)
{
  return _interp_module_new (spec, cancelled_error);
}

#define RESOURCE_PREFIX "/org/interp-glib/python/"

/* _read(path) -> bytes or None: a file of the library's Python resource. */
static PyObject *
read_resource (PyObject *self,
               PyObject *arg)
{
  const char *path = PyUnicode_AsUTF8 (arg);
  GBytes *bytes;
  PyObject *data;
  gsize size;
  const char *buf;

  if (path == NULL)
    return NULL;
  if (!g_str_has_prefix (path, RESOURCE_PREFIX) || strstr (path, "..") != NULL)
    Py_RETURN_NONE;
  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    Py_RETURN_NONE;
  buf = g_bytes_get_data (bytes, &size);
  data = PyBytes_FromStringAndSize (buf, size);
  g_bytes_unref (bytes);
  return data;
}

static PyMethodDef load_def = {
  "_load_c", load_module, METH_O, "Creates the _interp_glib module for the import system.",
};

static PyMethodDef read_def = {
  "_read", read_resource, METH_O, "Reads a file of interp-glib's Python resource.",
};

/* The main interpreter's sys.path[0] (hosted mode: the application's
 * script directory), which new interpreters get too, as in CPython 3.13. */
static char *main_path0;
static GMutex main_path0_lock;

static void
sync_path0 (void)
{
  PyObject *path = PySys_GetObject ("path");  /* borrowed */
  PyObject *first;

  if (path == NULL || !PyList_Check (path))
    return;
  if (PyInterpreterState_Get () == PyInterpreterState_Main ())
    {
      const char *utf8;

      if (PyList_GET_SIZE (path) == 0 || !PyUnicode_Check (PyList_GET_ITEM (path, 0)))
        return;
      utf8 = PyUnicode_AsUTF8 (PyList_GET_ITEM (path, 0));
      if (utf8 == NULL)
        {
          PyErr_Clear ();
          return;
        }
      g_mutex_lock (&main_path0_lock);
      g_free (main_path0);
      main_path0 = g_strdup (utf8);
      g_mutex_unlock (&main_path0_lock);
      return;
    }

  g_mutex_lock (&main_path0_lock);
  first = main_path0 ? PyUnicode_FromString (main_path0) : NULL;
  g_mutex_unlock (&main_path0_lock);
  if (first == NULL)
    {
      PyErr_Clear ();
      return;
    }
  if (PyList_GET_SIZE (path) == 0 ||
      PyObject_RichCompareBool (PyList_GET_ITEM (path, 0), first, Py_EQ) != 1)
    {
      PyErr_Clear ();
      if (PyList_Insert (path, 0, first) < 0)
        PyErr_Clear ();
    }
  Py_DECREF (first);
}

/* An InterpExecutorHooks.started: makes _interp_glib and interp_glib
 * importable in the new interpreter by running the resource's
 * _bootstrap.py. */
static gboolean
install (InterpExecutor  *executor,
         GError         **error)
{
  PyObject *load = PyCFunction_New (&load_def, _interp_executor_get_cancel_exception (executor));
  PyObject *read = load ? PyCFunction_New (&read_def, NULL) : NULL;
  PyObject *globals = read ? PyDict_New () : NULL;
  PyObject *name = globals ? PyUnicode_FromString ("_interp_glib_bootstrap") : NULL;
  PyObject *code = NULL;
  PyObject *result = NULL;
  GBytes *source;
  gboolean ok;

  /* The package itself is built when first imported: it imports threading,
   * which in an interpreter whose main thread is not ours (hosted mode)
   * must happen on an application thread. */
  sync_path0 ();

  source = g_resources_lookup_data (RESOURCE_PREFIX "_bootstrap.py", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (source == NULL)
    PyErr_SetString (PyExc_ImportError, "the library lacks its Python resource");
  else if (name != NULL &&
           PyDict_SetItemString (globals, "__builtins__", PyEval_GetBuiltins ()) == 0 &&
           PyDict_SetItemString (globals, "__name__", name) == 0 &&
           PyDict_SetItemString (globals, "_read", read) == 0 &&
           PyDict_SetItemString (globals, "_load_c", load) == 0)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (source, NULL), g_bytes_get_size (source));

      code = Py_CompileString (text, "resource://" RESOURCE_PREFIX "_bootstrap.py", Py_file_input);
      if (code != NULL)
        result = PyEval_EvalCode (code, globals, globals);
    }
  g_clear_pointer (&source, g_bytes_unref);
  ok = result != NULL;
  Py_XDECREF (result);
  Py_XDECREF (code);
  Py_XDECREF (name);
  Py_XDECREF (globals);
  Py_XDECREF (read);
  Py_XDECREF (load);

  if (!ok)
    {
      g_autofree char *why = _interp_python_take_error_text ();

      g_set_error (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                   "Could not create the interp_glib module: %s", why ? why : "unknown error");
    }
  return ok;
}

/* The executor, at the bottom of the library's layers, knows nothing of
 * this module: it installs it in every new interpreter through a hook,
 * registered when the library is loaded, before any interpreter can
 * start. */
#if defined (__GNUC__)
static void register_hooks (void) __attribute__ ((constructor));
#else
# error "interp-glib needs a compiler with __attribute__((constructor)) (GCC or Clang)"
#endif

static void
register_hooks (void)
{
  static const InterpExecutorHooks hooks = { .started = install };

  _interp_executor_add_hooks (&hooks);
}
