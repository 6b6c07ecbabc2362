/* interp-module-pool.c: the InterpPool primitives of _interp_glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What interp_glib.InterpreterPoolExecutor stands on: an InterpPool
 * (_Pool), calls on it, and a GCancellable (_Cancellable) that interrupts
 * one running call. A call carries one pickled payload (bytes) to
 * interp_glib._executor:_run in a worker and gets one pickled outcome
 * back.
 *
 * _pool_submit() queues a call and returns at once; the calls complete in
 * the _Pool's own GMainContext, which one thread of the executor (its
 * completer) iterates in _pool_collect(), the GIL released, and gets the
 * outcomes back in batches: no thread of the caller's interpreter waits
 * for one call, and one wake-up of the completer serves every call that
 * finished meanwhile.
 */

#include "interp-module-private.h"
#include "interp-config-private.h"
#include "interp-pool-private.h"
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

/* Where submitted calls land once complete, until collected. Shared by
 * the _Pool and each call in flight: a call that completes after its
 * _Pool is gone finds it still there (and nobody collects it). */
typedef struct
{
  gatomicrefcount ref_count;
  GMutex lock;
  GPtrArray *done;            /* Done, completed and not collected */
  guint n_outstanding;        /* submitted and not collected */
  gboolean stopping;          /* _pool_collect() returns None once none is outstanding */
} Sink;

typedef struct
{
  Sink *sink;
  PyObject *future;           /* a strong reference: touched with the GIL only */
  GVariant *result;
  GError *error;
} Done;

static Sink *
sink_ref (Sink *sink)
{
  g_atomic_ref_count_inc (&sink->ref_count);
  return sink;
}

static void
sink_unref (Sink *sink)
{
  if (!g_atomic_ref_count_dec (&sink->ref_count))
    return;
  g_assert (sink->done->len == 0);
  g_ptr_array_unref (sink->done);
  g_mutex_clear (&sink->lock);
  g_free (sink);
}

static void
done_free (Done *done)
{
  g_clear_pointer (&done->result, g_variant_unref);
  g_clear_error (&done->error);
  sink_unref (done->sink);
  g_free (done);
}

typedef struct
{
  PyObject_HEAD
  InterpPool *pool;
  GMainContext *context;      /* where submitted calls complete */
  Sink *sink;
} PoolObject;

static void
pool_dealloc (PyObject *self)
{
  PoolObject *pool_object = (PoolObject *) self;
  PyTypeObject *type = Py_TYPE (self);
  InterpPool *pool = g_steal_pointer (&pool_object->pool);
  Sink *sink = g_steal_pointer (&pool_object->sink);

  /* The last reference shuts the pool down without waiting. */
  g_clear_object (&pool);
  if (sink != NULL)
    {
      /* Collected by nobody now: their futures are let go. */
      for (guint i = 0; i < sink->done->len; i++)
        {
          Done *done = sink->done->pdata[i];

          Py_CLEAR (done->future);
          done_free (done);
        }
      g_ptr_array_set_size (sink->done, 0);
      sink_unref (sink);
    }
  g_clear_pointer (&pool_object->context, g_main_context_unref);
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
  self->context = g_main_context_new ();
  self->sink = g_new0 (Sink, 1);
  g_atomic_ref_count_init (&self->sink->ref_count);
  g_mutex_init (&self->sink->lock);
  self->sink->done = g_ptr_array_new ();
  return (PyObject *) self;
}

/* In the _Pool's context, on the completer's thread (the GIL released). */
static void
submit_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Done *done = user_data;
  Sink *sink = done->sink;

  done->result = interp_pool_call_finish (INTERP_POOL (source), result, &done->error);
  g_mutex_lock (&sink->lock);
  g_ptr_array_add (sink->done, done);
  g_mutex_unlock (&sink->lock);
}

static void
call_capsule_free (PyObject *capsule)
{
  _interp_pool_task_unref (PyCapsule_GetPointer (capsule, "interp_glib._call"));
}

static gboolean
check_cancellable (InterpModuleState  *mod,
                   PyObject           *object,
                   GCancellable      **cancellable)
{
  *cancellable = NULL;
  if (object == Py_None)
    return TRUE;
  if (!PyObject_TypeCheck (object, (PyTypeObject *) mod->cancellable_type))
    {
      PyErr_SetString (PyExc_TypeError, "expected a _Cancellable or None");
      return FALSE;
    }
  *cancellable = ((CancellableObject *) object)->cancellable;
  return TRUE;
}

/* _pool_submit(pool, payload: bytes, cancellable or None, future) -> a
 * call (for _pool_drop), or None if it completed at once. The future
 * comes back from _pool_collect() with the outcome. */
static PyObject *
mod_pool_submit (PyObject *module,
                 PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target, *cancel_obj, *future;
  Py_buffer payload;
  PoolObject *self;
  GCancellable *cancellable;
  GVariant *call_args;
  PoolTask *task;
  Done *done;

  if (!PyArg_ParseTuple (args, "Oy*OO:_pool_submit", &target, &payload, &cancel_obj, &future))
    return NULL;
  if ((self = check_pool (mod, target)) == NULL || !check_cancellable (mod, cancel_obj, &cancellable))
    {
      PyBuffer_Release (&payload);
      return NULL;
    }
  call_args = g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, payload.buf,
                                                                 payload.len, 1));
  PyBuffer_Release (&payload);

  done = g_new0 (Done, 1);
  done->sink = sink_ref (self->sink);
  done->future = Py_NewRef (future);
  g_mutex_lock (&self->sink->lock);
  self->sink->n_outstanding++;
  g_mutex_unlock (&self->sink->lock);
  /* The GIL stays: the pool never waits for one under its lock. */
  task = _interp_pool_call_async_task (self->pool, RUN_CALLABLE, call_args, cancellable,
                                       self->context, submit_done, done);
  if (task == NULL)
    Py_RETURN_NONE;
  return PyCapsule_New (task, "interp_glib._call", call_capsule_free);
}

/* The exception set now, taken. */
static PyObject *
take_exception (void)
{
#if PY_VERSION_HEX >= 0x030C0000
  return PyErr_GetRaisedException ();
#else
  PyObject *type, *value, *traceback;

  PyErr_Fetch (&type, &value, &traceback);
  PyErr_NormalizeException (&type, &value, &traceback);
  if (traceback != NULL)
    PyException_SetTraceback (value, traceback);
  Py_XDECREF (type);
  Py_XDECREF (traceback);
  return value;
#endif
}

/* (future, outcome bytes or None, exception or None) for @done; takes
 * its future. */
static PyObject *
done_to_python (InterpModuleState *mod,
                Done              *done)
{
  PyObject *future = g_steal_pointer (&done->future);
  PyObject *data = NULL, *exception = NULL, *tuple;

  if (done->result != NULL && g_variant_is_of_type (done->result, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize len;
      const char *bytes = g_variant_get_fixed_array (done->result, &len, 1);

      data = PyBytes_FromStringAndSize (bytes, len);
    }
  else
    {
      if (done->result != NULL)
        PyErr_Format (mod->interpreter_error, "a pool call returned a %s, not bytes",
                      g_variant_get_type_string (done->result));
      else
        _interp_module_raise_error (mod, INTERP_MODULE_RAISE_CALL_CANCELLABLE,
                                    g_steal_pointer (&done->error));
      exception = take_exception ();
    }
  if (data == NULL && exception == NULL)
    exception = take_exception ();  /* out of memory */
  tuple = Py_BuildValue ("(NNN)", future, data ? data : Py_NewRef (Py_None),
                         exception ? exception : Py_NewRef (Py_None));
  done_free (done);
  return tuple;
}

/* _pool_collect(pool) -> [(future, outcome, exception)], waiting (the GIL
 * released) for at least one call to complete; None once _pool_stop()
 * was called and every submitted call was collected. One thread at a
 * time. */
static PyObject *
mod_pool_collect (PyObject *module,
                  PyObject *target)
{
  InterpModuleState *mod = get_state (module);
  PoolObject *self = check_pool (mod, target);
  GPtrArray *taken = NULL;
  gboolean stopped = FALSE;
  PyObject *list;

  if (self == NULL)
    return NULL;

  Py_BEGIN_ALLOW_THREADS
  while (taken == NULL && !stopped)
    {
      Sink *sink = self->sink;

      g_mutex_lock (&sink->lock);
      if (sink->done->len > 0)
        {
          taken = g_steal_pointer (&sink->done);
          sink->done = g_ptr_array_new ();
          sink->n_outstanding -= taken->len;
        }
      stopped = sink->stopping && sink->n_outstanding == 0;
      g_mutex_unlock (&sink->lock);
      if (taken == NULL && !stopped)
        g_main_context_iteration (self->context, TRUE);
    }
  Py_END_ALLOW_THREADS

  if (taken == NULL)
    Py_RETURN_NONE;
  list = PyList_New (taken->len);
  for (guint i = 0; i < taken->len; i++)
    {
      PyObject *item = done_to_python (mod, taken->pdata[i]);

      if (item == NULL || list == NULL)
        {
          /* Out of memory: the rest is dropped, futures and all. */
          Py_XDECREF (item);
          for (guint j = i + 1; j < taken->len; j++)
            {
              Done *done = taken->pdata[j];

              Py_CLEAR (done->future);
              done_free (done);
            }
          Py_CLEAR (list);
          break;
        }
      PyList_SET_ITEM (list, i, item);
    }
  g_ptr_array_unref (taken);
  return list;
}

/* _pool_stop(pool): the completer's _pool_collect() returns None once
 * every submitted call was collected. */
static PyObject *
mod_pool_stop (PyObject *module,
               PyObject *target)
{
  PoolObject *self = check_pool (get_state (module), target);

  if (self == NULL)
    return NULL;
  g_mutex_lock (&self->sink->lock);
  self->sink->stopping = TRUE;
  g_mutex_unlock (&self->sink->lock);
  g_main_context_wakeup (self->context);
  Py_RETURN_NONE;
}

/* _pool_drop(pool, call) -> bool: drops the call if it has not started
 * (it then completes with interp_glib.CancelledError). */
static PyObject *
mod_pool_drop (PyObject *module,
               PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target, *capsule;
  PoolObject *self;
  PoolTask *task;
  gboolean dropped;

  if (!PyArg_ParseTuple (args, "OO:_pool_drop", &target, &capsule) ||
      (self = check_pool (mod, target)) == NULL ||
      (task = PyCapsule_GetPointer (capsule, "interp_glib._call")) == NULL)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  dropped = _interp_pool_task_drop_if_pending (self->pool, task);
  Py_END_ALLOW_THREADS
  return PyBool_FromLong (dropped);
}

/* _pool_started(pool, call) -> bool: whether the call started (or ended). */
static PyObject *
mod_pool_started (PyObject *module,
                  PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *target, *capsule;
  PoolObject *self;
  PoolTask *task;

  if (!PyArg_ParseTuple (args, "OO:_pool_started", &target, &capsule) ||
      (self = check_pool (mod, target)) == NULL ||
      (task = PyCapsule_GetPointer (capsule, "interp_glib._call")) == NULL)
    return NULL;
  return PyBool_FromLong (_interp_pool_task_started (self->pool, task));
}

/* _pool_n_workers(pool) -> int: its workers, those being made included. */
static PyObject *
mod_pool_n_workers (PyObject *module,
                    PyObject *target)
{
  PoolObject *self = check_pool (get_state (module), target);

  return self != NULL ? PyLong_FromUnsignedLong (interp_pool_get_n_workers (self->pool)) : NULL;
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
  { "_pool_shutdown", mod_pool_shutdown, METH_VARARGS, NULL },
  { "_pool_submit", mod_pool_submit, METH_VARARGS, NULL },
  { "_pool_collect", mod_pool_collect, METH_O, NULL },
  { "_pool_stop", mod_pool_stop, METH_O, NULL },
  { "_pool_drop", mod_pool_drop, METH_VARARGS, NULL },
  { "_pool_started", mod_pool_started, METH_VARARGS, NULL },
  { "_pool_n_workers", mod_pool_n_workers, METH_O, NULL },
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
