/* interp-glib-host.c: `import interp_glib` in a plain host Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small extension module named interp_glib, built against the Python
 * the library embeds and linked to the library. Importing it joins the
 * host's Python (the library's hosted mode: interp_init()), which makes
 * the library run its _bootstrap.py in the host's main interpreter; this
 * module then becomes the interp_glib package itself, filled from the
 * library's GResource like in every other interpreter. It needs no
 * PyGObject. Interpreters the library runs never load it: their finder
 * comes first on sys.meta_path.
 */

#define PY_SSIZE_T_CLEAN
/* As in interp-python-private.h: 3.12's headers declare after statements. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeclaration-after-statement"
#include <Python.h>
#pragma GCC diagnostic pop

#include <interp-glib.h>

static PyObject *
find_finder (void)
{
  PyObject *meta_path = PySys_GetObject ("meta_path");  /* borrowed */

  for (Py_ssize_t i = 0; meta_path != NULL && i < PyList_Size (meta_path); i++)
    {
      PyObject *finder = PyList_GET_ITEM (meta_path, i);
      PyObject *flag = PyObject_GetAttrString (finder, "_interp_glib_finder");
      int is_ours = flag != NULL && PyObject_IsTrue (flag) == 1;

      PyErr_Clear ();
      Py_XDECREF (flag);
      if (is_ours)
        return Py_NewRef (finder);
    }
  PyErr_SetString (PyExc_ImportError, "interp_glib: the library did not install its importer");
  return NULL;
}

static int
host_exec (PyObject *module)
{
  GError *error = NULL;
  PyObject *finder;
  PyObject *result;
  PyObject *atexit;
  gboolean ok;

  /* The library's main-interpreter thread takes the GIL to set up, and
   * finds atexit in sys.modules: it must not import while this thread
   * may hold the import lock (an import hook importing interp_glib). */
  atexit = PyImport_ImportModule ("atexit");
  if (atexit == NULL)
    return -1;
  Py_DECREF (atexit);
  Py_BEGIN_ALLOW_THREADS
  ok = interp_init (&error);
  Py_END_ALLOW_THREADS

  if (!ok)
    {
      PyErr_Format (PyExc_ImportError, "interp_glib: %s", error->message);
      g_error_free (error);
      return -1;
    }
  finder = find_finder ();
  if (finder == NULL)
    return -1;
  result = PyObject_CallMethod (finder, "exec_package", "O", module);
  Py_DECREF (finder);
  Py_XDECREF (result);
  return result != NULL ? 0 : -1;
}

static PyModuleDef_Slot host_slots[] = {
  { Py_mod_exec, host_exec },
  { 0, NULL },
};

static PyModuleDef host_def = {
  PyModuleDef_HEAD_INIT,
  .m_name = "interp_glib",
  .m_doc = "Multiple interpreters in the same process (interp-glib).",
  .m_size = 0,
  .m_slots = host_slots,
};

PyMODINIT_FUNC PyInit_interp_glib (void);

PyMODINIT_FUNC
PyInit_interp_glib (void)
{
  return PyModuleDef_Init (&host_def);
}
