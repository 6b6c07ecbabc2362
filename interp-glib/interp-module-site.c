/* interp-module-site.c: what a new interpreter takes from the main one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run by the module's installation (interp-module-install.c) in every
 * interpreter the library sets up, the main one first. On the main
 * interpreter it records its sys.path[0] (hosted mode: the application's
 * script directory), which new interpreters get too, as in CPython 3.13.
 *
 * `site` is the largest part of a new interpreter's cost: importing the
 * module alone takes about 500 KiB and a third of CPython's create() time
 * (3.13). Where the main interpreter ran it and new ones skip it (embedded
 * mode: interp-runtime.c starts Python without it, runs it in the main
 * interpreter, and new interpreters copy that configuration), a new
 * interpreter gets what `site` would have given it from the main one
 * instead: the main interpreter's sys.path, sys.prefix and
 * sys.exec_prefix, and the builtins of `site` that programs use (exit,
 * quit, help), made from _sitebuiltins as site.py makes them. `site`
 * itself, sitecustomize, usercustomize and the code lines of .pth files
 * then run in the main interpreter only.
 */

#include "interp-module-parts-private.h"

static struct
{
  GMutex lock;
  char *path0;
  char **site_path;    /* NULL: new interpreters run site themselves */
  char *prefix;
  char *exec_prefix;
} main_state;

/* ------------------------------------------------------------------ */
/* On the main interpreter                                             */

static char *
dup_str (PyObject *value)
{
  const char *utf8 = value != NULL && PyUnicode_Check (value) ? PyUnicode_AsUTF8 (value) : NULL;

  PyErr_Clear ();
  return g_strdup (utf8);
}

/* The str items of @list (NULL if it is not a list). */
static char **
dup_str_list (PyObject *list)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  if (list == NULL || !PyList_Check (list))
    return NULL;
  builder = g_strv_builder_new ();
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE (list); i++)
    {
      g_autofree char *item = dup_str (PyList_GET_ITEM (list, i));

      if (item != NULL)
        g_strv_builder_add (builder, item);
    }
  return g_strv_builder_end (builder);
}

static void
record_main (PyObject *path)
{
  gboolean ran_site = PyDict_GetItemString (PyImport_GetModuleDict (), "site") != NULL;

  g_mutex_lock (&main_state.lock);
  g_clear_pointer (&main_state.path0, g_free);
  g_clear_pointer (&main_state.site_path, g_strfreev);
  g_clear_pointer (&main_state.prefix, g_free);
  g_clear_pointer (&main_state.exec_prefix, g_free);
  if (PyList_GET_SIZE (path) > 0)
    main_state.path0 = dup_str (PyList_GET_ITEM (path, 0));
  if (ran_site)
    {
      main_state.site_path = dup_str_list (path);
      main_state.prefix = dup_str (PySys_GetObject ("prefix"));
      main_state.exec_prefix = dup_str (PySys_GetObject ("exec_prefix"));
    }
  g_mutex_unlock (&main_state.lock);
}

/* ------------------------------------------------------------------ */
/* On a new interpreter                                                */

static PyObject *
new_str_list (char **strv)
{
  guint n = g_strv_length (strv);
  PyObject *list = PyList_New (n);

  for (guint i = 0; list != NULL && i < n; i++)
    {
      PyObject *item = PyUnicode_FromString (strv[i]);

      if (item == NULL)
        Py_CLEAR (list);
      else
        PyList_SET_ITEM (list, i, item);
    }
  return list;
}

static void
set_builtin (PyObject   *builtins,
             const char *name,
             PyObject   *value)
{
  if (value != NULL)
    PyDict_SetItemString (builtins, name, value);
  Py_XDECREF (value);
  PyErr_Clear ();
}

/* site.setquit() and site.sethelper(): exit(), quit() and help(). Not
 * site.setcopyright(): copyright, credits and license are for the
 * interactive prompt, and _sitebuiltins._Printer imports os (about
 * 440 KiB, 3.13). */
static void
add_site_builtins (void)
{
  PyObject *sitebuiltins = PyImport_ImportModule ("_sitebuiltins");
  PyObject *builtins = PyEval_GetBuiltins ();  /* borrowed */
#ifdef G_OS_WIN32
  const char *eof = "Ctrl-Z plus Return";
#else
  const char *eof = "Ctrl-D (i.e. EOF)";
#endif

  if (sitebuiltins != NULL && builtins != NULL)
    {
      set_builtin (builtins, "quit", PyObject_CallMethod (sitebuiltins, "Quitter", "ss", "quit", eof));
      set_builtin (builtins, "exit", PyObject_CallMethod (sitebuiltins, "Quitter", "ss", "exit", eof));
      set_builtin (builtins, "help", PyObject_CallMethod (sitebuiltins, "_Helper", NULL));
    }
  Py_XDECREF (sitebuiltins);
  PyErr_Clear ();
}

static void
set_sys_str (const char *name,
             const char *value)
{
  PyObject *str = value ? PyUnicode_FromString (value) : NULL;

  if (str != NULL)
    PySys_SetObject (name, str);
  Py_XDECREF (str);
  PyErr_Clear ();
}

static void
take_from_main (PyObject *path)
{
  gboolean skipped_site = PyDict_GetItemString (PyImport_GetModuleDict (), "site") == NULL;
  PyObject *first = NULL;
  PyObject *site_path = NULL;

  g_mutex_lock (&main_state.lock);
  if (skipped_site && main_state.site_path != NULL)
    {
      site_path = new_str_list (main_state.site_path);
      /* In place: the import system holds this list. */
      if (site_path != NULL && PyList_SetSlice (path, 0, PyList_GET_SIZE (path), site_path) == 0)
        {
          set_sys_str ("prefix", main_state.prefix);
          set_sys_str ("exec_prefix", main_state.exec_prefix);
        }
    }
  else if (main_state.path0 != NULL)
    first = PyUnicode_FromString (main_state.path0);
  g_mutex_unlock (&main_state.lock);
  if (site_path != NULL)
    add_site_builtins ();
  Py_XDECREF (site_path);

  if (first != NULL &&
      (PyList_GET_SIZE (path) == 0 ||
       PyObject_RichCompareBool (PyList_GET_ITEM (path, 0), first, Py_EQ) != 1))
    {
      PyErr_Clear ();
      PyList_Insert (path, 0, first);
    }
  Py_XDECREF (first);
  PyErr_Clear ();
}

void
_interp_module_sync_with_main (void)
{
  PyObject *path = PySys_GetObject ("path");  /* borrowed */

  if (path == NULL || !PyList_Check (path))
    return;
  if (PyInterpreterState_Get () == PyInterpreterState_Main ())
    record_main (path);
  else
    take_from_main (path);
}
