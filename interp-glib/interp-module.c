/* interp-module.c: the _interp_glib module, put together from its parts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The low-level _interp_glib module, as CPython splits _interpqueues from
 * concurrent.interpreters: a multi-phase module, its state per
 * interpreter, safe for per-interpreter GILs. This file only defines it;
 * its parts give their functions and set up what they add to each new
 * module, the core first (interp-module-private.h says how they are
 * layered), and interp-module-install.c makes it importable in every
 * interpreter. The package interp_glib on top (interp-glib/python/,
 * compiled in as a GResource) gives the API of CPython's
 * concurrent.interpreters.
 */

#include "interp-module-parts-private.h"

/* In this order: a part's exec may use what those before it set up. */
static const InterpModulePart *const parts[] = {
  &_interp_module_core_part,
  &_interp_module_queues_part,
  &_interp_module_channels_part,
  &_interp_module_interp_part,
  &_interp_module_pool_part,
};

static int
module_exec (PyObject *module)
{
  InterpModuleState *mod = get_state (module);

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      if (parts[i]->methods != NULL && PyModule_AddFunctions (module, parts[i]->methods) < 0)
        return -1;
      if (parts[i]->exec != NULL && !parts[i]->exec (module, mod))
        return -1;
    }
  return 0;
}

static PyModuleDef_Slot module_slots[] = {
  { Py_mod_exec, module_exec },
#if INTERP_PY_HAS_OWN_GIL
  { Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED },
#endif
  { 0, NULL },
};

static PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT,
  .m_name = "_interp_glib",
  .m_doc = "The C core of interp_glib: queues, channels and interpreters shared "
           "by the interpreters of an interp-glib application.",
  .m_size = sizeof (InterpModuleState),
  .m_slots = module_slots,
  .m_traverse = _interp_module_state_traverse,
  .m_clear = _interp_module_state_clear,
  .m_free = _interp_module_state_free,
};

PyObject *
_interp_module_new (PyObject *spec,
                    PyObject *cancelled_error)
{
  PyObject *module = PyModule_FromDefAndSpec (&module_def, spec);

  if (module == NULL)
    return NULL;
  if (PyModule_ExecDef (module, &module_def) < 0 ||
      !_interp_module_set_cancelled_error (module, cancelled_error))
    {
      Py_DECREF (module);
      return NULL;
    }
  return module;
}
