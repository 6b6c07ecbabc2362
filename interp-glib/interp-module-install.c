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
#include <marshal.h>  /* not part of Python.h */

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

/* The code of the resource's Python files, compiled once for the process
 * and kept marshalled: compiling in every interpreter took most of a new
 * interpreter's setup (about 200 KiB and 5 ms for _bootstrap.py alone,
 * 3.13) and of its first `import interp_glib`. A code object cannot cross
 * interpreters; its marshalled form, read back with the same Python,
 * gives each interpreter its own. */
static GHashTable *code_cache;  /* resource path -> GBytes */
static GMutex code_cache_lock;

/* Keeps @data (marshalled code, which it consumes) for the next
 * interpreter that loads @path. */
static void
cache_code (const char *path,
            PyObject   *data)
{
  g_mutex_lock (&code_cache_lock);
  if (code_cache == NULL)
    code_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  if (!g_hash_table_contains (code_cache, path))
    g_hash_table_insert (code_cache, g_strdup (path),
                         g_bytes_new (PyBytes_AS_STRING (data), PyBytes_GET_SIZE (data)));
  g_mutex_unlock (&code_cache_lock);
  Py_DECREF (data);
}

/* The code object of the resource file @path (a new reference); None if
 * there is no such file; NULL with an exception set. */
static PyObject *
load_code (const char *path)
{
  g_autoptr(GBytes) marshalled = NULL;
  g_autoptr(GBytes) source = NULL;
  g_autofree char *text = NULL;
  g_autofree char *filename = NULL;
  PyObject *code, *data;

  g_mutex_lock (&code_cache_lock);
  if (code_cache != NULL && (marshalled = g_hash_table_lookup (code_cache, path)) != NULL)
    g_bytes_ref (marshalled);
  g_mutex_unlock (&code_cache_lock);
  if (marshalled != NULL)
    return PyMarshal_ReadObjectFromString (g_bytes_get_data (marshalled, NULL),
                                           g_bytes_get_size (marshalled));

  source = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (source == NULL)
    Py_RETURN_NONE;
  text = g_strndup (g_bytes_get_data (source, NULL), g_bytes_get_size (source));
  filename = g_strconcat ("resource://", path, NULL);
  code = Py_CompileString (text, filename, Py_file_input);
  data = code ? PyMarshal_WriteObjectToString (code, Py_MARSHAL_VERSION) : NULL;
  if (data == NULL)
    {
      /* The code still runs here; the next interpreter tries again. */
      PyErr_Clear ();
      return code;
    }
  cache_code (path, data);
  return code;
}

/* _code(path) -> code or None: a file of the library's Python resource,
 * compiled. */
static PyObject *
code_resource (PyObject *self,
               PyObject *arg)
{
  const char *path = PyUnicode_AsUTF8 (arg);

  if (path == NULL)
    return NULL;
  if (!g_str_has_prefix (path, RESOURCE_PREFIX) || strstr (path, "..") != NULL)
    Py_RETURN_NONE;
  return load_code (path);
}

static PyMethodDef code_def = {
  "_code", code_resource, METH_O, "Compiles a file of interp-glib's Python resource.",
};

/* An InterpExecutorHooks.started: makes _interp_glib and interp_glib
 * importable in the new interpreter by running the resource's
 * _bootstrap.py. */
static gboolean
install (InterpExecutor  *executor,
         GError         **error)
{
  PyObject *load = PyCFunction_New (&load_def, _interp_executor_get_cancel_exception (executor));
  PyObject *read = load ? PyCFunction_New (&read_def, NULL) : NULL;
  PyObject *compiled = read ? PyCFunction_New (&code_def, NULL) : NULL;
  PyObject *globals = compiled ? PyDict_New () : NULL;
  PyObject *name = globals ? PyUnicode_FromString ("_interp_glib_bootstrap") : NULL;
  PyObject *code = NULL;
  PyObject *result = NULL;
  gboolean ok;

  /* The package itself is built when first imported: it imports threading,
   * which in an interpreter whose main thread is not ours (hosted mode)
   * must happen on an application thread. */
  _interp_module_sync_with_main ();

  if (name != NULL &&
      PyDict_SetItemString (globals, "__builtins__", PyEval_GetBuiltins ()) == 0 &&
      PyDict_SetItemString (globals, "__name__", name) == 0 &&
      PyDict_SetItemString (globals, "_read", read) == 0 &&
      PyDict_SetItemString (globals, "_code", compiled) == 0 &&
      PyDict_SetItemString (globals, "_load_c", load) == 0)
    code = load_code (RESOURCE_PREFIX "_bootstrap.py");
  if (code == Py_None)
    {
      Py_CLEAR (code);
      PyErr_SetString (PyExc_ImportError, "the library lacks its Python resource");
    }
  if (code != NULL)
    result = PyEval_EvalCode (code, globals, globals);
  ok = result != NULL;
  Py_XDECREF (result);
  Py_XDECREF (code);
  Py_XDECREF (name);
  Py_XDECREF (globals);
  Py_XDECREF (compiled);
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
