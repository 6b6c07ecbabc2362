/* interp-module-pool.c: the InterpPool primitives of _interp_glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What interp_glib.InterpreterPoolExecutor stands on: an InterpPool
 * (_Pool), a call on it that waits with the GIL released, and a
 * GCancellable (_Cancellable) that interrupts one running call. A call
 * carries one pickled payload (bytes) to interp_glib._executor:_run in a
 * worker and gets one pickled outcome back.
 */

#include "interp-module-private.h"
#include "interp-config-private.h"
#include "interp-interpreter.h"
#include "interp-pool.h"

#define RUN_CALLABLE "interp_glib._executor:_run"

/* ------------------------------------------------------------------ */
/* _Cancellable                                                        */

typedef struct
{
  PyObject_HEAD
  GCancellable *cancellable;
} CancellableObject;

static void
cancellable_dealloc (PyObject *self)
{
  PyTypeObject *type = Py_TYPE (self);

  g_clear_object (&((CancellableObject *) self)->cancellable);
  type->tp_free (self);
  Py_DECREF (type);
}

static PyObject *
cancellable_new (PyTypeObject *type,
                 PyObject     *args,
                 PyObject     *kwargs)
{
  CancellableObject *self;

  if ((args != NULL && PyTuple_GET_SIZE (args) > 0) || (kwargs != NULL && PyDict_GET_SIZE (kwargs) > 0))
    {
      PyErr_SetString (PyExc_TypeError, "_Cancellable() takes no arguments");
      return NULL;
    }
  self = (CancellableObject *) type->tp_alloc (type, 0);
  if (self != NULL)
    self->cancellable = g_cancellable_new ();
  return (PyObject *) self;
}

static PyObject *
cancellable_cancel (PyObject *self,
                    PyObject *unused)
{
  GCancellable *cancellable = ((CancellableObject *) self)->cancellable;

  /* Its handlers take executor and pool locks, never the GIL. */
  Py_BEGIN_ALLOW_THREADS
  g_cancellable_cancel (cancellable);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyMethodDef cancellable_methods[] = {
  { "cancel", cancellable_cancel, METH_NOARGS, "Interrupts the call (once)." },
  { NULL },
};

static PyType_Slot cancellable_slots[] = {
  { Py_tp_new, cancellable_new },
  { Py_tp_dealloc, cancellable_dealloc },
  { Py_tp_methods, cancellable_methods },
  { Py_tp_doc, (void *) "A GCancellable: cancel() interrupts the call it was given to." },
  { 0, NULL },
};

static PyType_Spec cancellable_spec = {
  .name = "_interp_glib._Cancellable",
  .basicsize = sizeof (CancellableObject),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
  .slots = cancellable_slots,
};

/* ------------------------------------------------------------------ */
/* _Pool                                                               */

typedef struct
{
  PyObject_HEAD
  InterpPool *pool;
} PoolObject;

static void
pool_dealloc (PyObject *self)
{
  PyTypeObject *type = Py_TYPE (self);
  InterpPool *pool = g_steal_pointer (&((PoolObject *) self)->pool);

  /* The last reference shuts the pool down without waiting. */
  g_clear_object (&pool);
  type->tp_free (self);
  Py_DECREF (type);
}

static PyType_Slot pool_slots[] = {
  { Py_tp_dealloc, pool_dealloc },
  { Py_tp_doc, (void *) "An InterpPool." },
  { 0, NULL },
};

static PyType_Spec pool_spec = {
  .name = "_interp_glib._Pool",
  .basicsize = sizeof (PoolObject),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
  .slots = pool_slots,
};

static PoolObject *
check_pool (InterpModuleState *mod,
            PyObject          *object)
{
  return _interp_module_check_type (object, mod->pool_type, "a pool");
}

/* A pool whose workers have the isolated settings, or the legacy ones,
 * exactly as interp_glib.create() gives them. */
static InterpPool *
new_pool (guint        max_workers,
          const char  *initializer,
          guint        task_timeout,
          gboolean     isolated,
          GError     **error)
{
  InterpConfig config = _interp_config_named (isolated ? INTERP_CONFIG_ISOLATED : INTERP_CONFIG_LEGACY);
  const char *names[3 + INTERP_CONFIG_N_SETTINGS] = { "max-workers", "initializer", "task-timeout" };
  GValue values[3 + INTERP_CONFIG_N_SETTINGS] = { G_VALUE_INIT, };
  GObject *pool;

  g_value_set_uint (g_value_init (&values[0], G_TYPE_UINT), max_workers);
  g_value_set_string (g_value_init (&values[1], G_TYPE_STRING), initializer);
  g_value_set_uint (g_value_init (&values[2], G_TYPE_UINT), task_timeout);
  pool = _interp_config_new_object (INTERP_TYPE_POOL, &config, 3, names, values);
  if (!g_initable_init (G_INITABLE (pool), NULL, error))
    g_clear_object (&pool);
  return (InterpPool *) pool;
}

/* _pool_new(max_workers, initializer or None, task_timeout_ms, isolated) */
static PyObject *
mod_pool_new (PyObject *module,
              PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  long long max_workers, task_timeout;
  const char *initializer;
  int isolated;
  InterpPool *pool;
  GError *error = NULL;
  PoolObject *self;

  /* "I" would wrap silently: 2**32 + 1 workers became 1. */
  if (!PyArg_ParseTuple (args, "LzLp:_pool_new", &max_workers, &initializer, &task_timeout, &isolated))
    return NULL;
  if (max_workers < 0 || max_workers > G_MAXUINT || task_timeout < 0 || task_timeout > G_MAXUINT)
    {
      PyErr_Format (PyExc_OverflowError,
                    "_pool_new: max_workers and task_timeout_ms must be from 0 to %u", G_MAXUINT);
      return NULL;
    }

  Py_BEGIN_ALLOW_THREADS
  pool = new_pool ((guint) max_workers, initializer, (guint) task_timeout, isolated, &error);
  Py_END_ALLOW_THREADS

  if (pool == NULL)
    return _interp_module_raise_error (mod, INTERP_MODULE_RAISE_DEFAULT, error);
  self = (PoolObject *) ((PyTypeObject *) mod->pool_type)->tp_alloc ((PyTypeObject *) mod->pool_type, 0);
  if (self == NULL)
    {
      g_object_unref (pool);
      return NULL;
    }
  self->pool = pool;
  return (PyObject *) self;
}

/* _pool_call(pool, payload: bytes, cancellable or None) -> bytes
 * Raises TimeoutError, interp_glib.CancelledError... see _executor.py. */
static PyObject *
mod_pool_call (PyObject *module,
               PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target, *cancel_obj;
  Py_buffer payload;
  PoolObject *self;
  GCancellable *cancellable = NULL;
  GVariant *call_args, *result;
  GError *error = NULL;
  PyObject *out;

  if (!PyArg_ParseTuple (args, "Oy*O:_pool_call", &target, &payload, &cancel_obj))
    return NULL;
  if ((self = check_pool (mod, target)) == NULL)
    {
      PyBuffer_Release (&payload);
      return NULL;
    }
  if (cancel_obj != Py_None)
    {
      if (!PyObject_TypeCheck (cancel_obj, (PyTypeObject *) mod->cancellable_type))
        {
          PyBuffer_Release (&payload);
          PyErr_SetString (PyExc_TypeError, "expected a _Cancellable or None");
          return NULL;
        }
      cancellable = g_object_ref (((CancellableObject *) cancel_obj)->cancellable);
    }
  call_args = g_variant_ref_sink (g_variant_new ("(@ay)",
                                                 g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, payload.buf,
                                                                            payload.len, 1)));
  PyBuffer_Release (&payload);

  Py_BEGIN_ALLOW_THREADS
  result = interp_pool_call (self->pool, RUN_CALLABLE, call_args, NULL, cancellable, &error);
  g_variant_unref (call_args);
  g_clear_object (&cancellable);
  Py_END_ALLOW_THREADS

  /* Cancelled through its _Cancellable or by a shutdown that cancels
   * what is pending: CancelledError, not the cancellation of a job. */
  if (result == NULL)
    return _interp_module_raise_error (mod, INTERP_MODULE_RAISE_CALL_CANCELLABLE, error);
  if (g_variant_is_of_type (result, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize len;
      const char *data = g_variant_get_fixed_array (result, &len, 1);

      out = PyBytes_FromStringAndSize (data, len);
    }
  else
    {
      PyErr_Format (mod->interpreter_error, "a pool call returned a %s, not bytes",
                    g_variant_get_type_string (result));
      out = NULL;
    }
  g_variant_unref (result);
  return out;
}

/* _pool_shutdown(pool, cancel_pending) waits for the running calls. */
static PyObject *
mod_pool_shutdown (PyObject *module,
                   PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target;
  int cancel_pending;
  PoolObject *self;
  GError *error = NULL;
  gboolean ok;

  if (!PyArg_ParseTuple (args, "Op:_pool_shutdown", &target, &cancel_pending) ||
      (self = check_pool (mod, target)) == NULL)
    return NULL;

  Py_BEGIN_ALLOW_THREADS
  ok = interp_pool_shutdown (self->pool, cancel_pending, NULL, &error);
  Py_END_ALLOW_THREADS

  if (!ok)
    return _interp_module_raise_error (mod, INTERP_MODULE_RAISE_DEFAULT, error);
  Py_RETURN_NONE;
}

static PyMethodDef pool_methods[] = {
  { "_pool_new", mod_pool_new, METH_VARARGS, NULL },
  { "_pool_call", mod_pool_call, METH_VARARGS, NULL },
  { "_pool_shutdown", mod_pool_shutdown, METH_VARARGS, NULL },
  { NULL },
};

static gboolean
pool_part_exec (PyObject          *module,
                InterpModuleState *mod)
{
  mod->pool_type = PyType_FromModuleAndSpec (module, &pool_spec, NULL);
  mod->cancellable_type = PyType_FromModuleAndSpec (module, &cancellable_spec, NULL);
  return mod->pool_type != NULL && mod->cancellable_type != NULL &&
         PyModule_AddObjectRef (module, "_Cancellable", mod->cancellable_type) == 0;
}

const InterpModulePart _interp_module_pool_part = {
  .methods = pool_methods,
  .exec = pool_part_exec,
};
