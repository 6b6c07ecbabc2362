/* interp-module.c: the interp_glib module inside every interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The low-level _interp_glib module, as CPython splits _interpqueues from
 * concurrent.interpreters: a multi-phase module, its state per
 * interpreter, safe for per-interpreter GILs. It holds references to
 * queues (_Handle), exports memory of another interpreter (_SharedBuffer)
 * and does the blocking put/get with the GIL released. Its interpreter
 * primitives are in interp-module-interp.c. The package interp_glib on top
 * (interp-glib/python/, compiled in as a GResource) gives the API of
 * CPython's concurrent.interpreters; _bootstrap.py, run in every
 * interpreter, makes both importable.
 */

#include "interp-module-private.h"
#include "interp-error.h"
#include "interp-executor-private.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* _Handle: one reference to a queue or channel                        */

typedef struct
{
  PyObject_HEAD
  InterpQueueState *state;
} HandleObject;

static void
handle_dealloc (PyObject *self)
{
  PyTypeObject *type = Py_TYPE (self);

  g_clear_pointer (&((HandleObject *) self)->state, _interp_queue_state_unref);
  type->tp_free (self);
  Py_DECREF (type);
}

static PyObject *
handle_get_id (PyObject *self,
               void     *closure)
{
  return PyLong_FromLongLong (_interp_queue_state_get_id (((HandleObject *) self)->state));
}

static PyObject *
handle_get_maxsize (PyObject *self,
                    void     *closure)
{
  return PyLong_FromLong (_interp_queue_state_get_maxsize (((HandleObject *) self)->state));
}

static PyGetSetDef handle_getset[] = {
  { "id", handle_get_id, NULL, "The queue's or channel's ID.", NULL },
  { "maxsize", handle_get_maxsize, NULL, "The queue's maximum size (0: unbounded).", NULL },
  { NULL },
};

static PyType_Slot handle_slots[] = {
  { Py_tp_dealloc, handle_dealloc },
  { Py_tp_getset, handle_getset },
  { Py_tp_doc, (void *) "A reference to a cross-interpreter queue or channel." },
  { 0, NULL },
};

static PyType_Spec handle_spec = {
  .name = "_interp_glib._Handle",
  .basicsize = sizeof (HandleObject),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
  .slots = handle_slots,
};

static PyObject *
handle_new (InterpModuleState *mod,
            InterpQueueState  *state)
{
  PyTypeObject *type = (PyTypeObject *) mod->handle_type;
  HandleObject *self = (HandleObject *) type->tp_alloc (type, 0);

  if (self == NULL)
    return NULL;
  self->state = _interp_queue_state_ref (state);
  return (PyObject *) self;
}

static InterpQueueState *
handle_state (InterpModuleState *mod,
              PyObject          *object)
{
  if (!PyObject_TypeCheck (object, (PyTypeObject *) mod->handle_type))
    {
      PyErr_SetString (PyExc_TypeError, "expected a queue or channel handle");
      return NULL;
    }
  return ((HandleObject *) object)->state;
}

/* ------------------------------------------------------------------ */
/* _SharedBuffer: memory of another interpreter, without copying       */

typedef struct
{
  PyObject_HEAD
  InterpBufferShare *share;
} SharedBufferObject;

static void
shared_buffer_dealloc (PyObject *self)
{
  PyTypeObject *type = Py_TYPE (self);

  g_clear_pointer (&((SharedBufferObject *) self)->share, _interp_buffer_share_unref);
  type->tp_free (self);
  Py_DECREF (type);
}

static int
shared_buffer_getbuffer (PyObject  *self,
                         Py_buffer *view,
                         int        flags)
{
  return _interp_buffer_share_fill (((SharedBufferObject *) self)->share, self, view, flags) ? 0 : -1;
}

static PyType_Slot shared_buffer_slots[] = {
  { Py_tp_dealloc, shared_buffer_dealloc },
  { Py_bf_getbuffer, shared_buffer_getbuffer },
  { Py_tp_doc, (void *) "Memory that another interpreter shared; valid while this object lives." },
  { 0, NULL },
};

static PyType_Spec shared_buffer_spec = {
  .name = "_interp_glib._SharedBuffer",
  .basicsize = sizeof (SharedBufferObject),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
  .slots = shared_buffer_slots,
};

static PyObject *
new_shared_buffer (InterpCarrierContext *ctx,
                   InterpBufferShare    *share)
{
  InterpModuleState *mod = (InterpModuleState *) ctx;
  PyTypeObject *type = (PyTypeObject *) mod->buffer_type;
  SharedBufferObject *self = (SharedBufferObject *) type->tp_alloc (type, 0);

  if (self == NULL)
    return NULL;
  self->share = _interp_buffer_share_ref (share);
  return (PyObject *) self;
}

/* ------------------------------------------------------------------ */
/* Queue and channel ends as Python objects                            */

static InterpQueueState *
get_end (InterpCarrierContext *ctx,
         PyObject             *object,
         InterpEndKind        *kind)
{
  InterpModuleState *mod = (InterpModuleState *) ctx;
  PyObject *classes[] = { mod->queue_class, mod->recv_class, mod->send_class };
  const InterpEndKind kinds[] = { INTERP_END_QUEUE, INTERP_END_RECV, INTERP_END_SEND };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      PyObject *handle;
      InterpQueueState *state = NULL;

      if (classes[i] == NULL || !PyObject_TypeCheck (object, (PyTypeObject *) classes[i]))
        continue;
      handle = PyObject_GetAttrString (object, "_handle");
      if (handle != NULL && PyObject_TypeCheck (handle, (PyTypeObject *) mod->handle_type))
        state = ((HandleObject *) handle)->state;
      PyErr_Clear ();
      Py_XDECREF (handle);  /* the object keeps it alive */
      *kind = kinds[i];
      return state;
    }
  return NULL;
}

static PyObject *
wrap_end (InterpCarrierContext *ctx,
          InterpQueueState     *state,
          InterpEndKind         kind)
{
  InterpModuleState *mod = (InterpModuleState *) ctx;
  PyObject *cls;
  PyObject *handle;
  PyObject *object;

  /* A queue can arrive before this interpreter imported interp_glib. */
  if (!_interp_module_ensure_package (mod))
    return NULL;
  cls = kind == INTERP_END_QUEUE ? mod->queue_class :
        kind == INTERP_END_RECV ? mod->recv_class : mod->send_class;
  if (cls == NULL)
    {
      PyErr_SetString (PyExc_ImportError, "interp_glib did not register its queue classes");
      return NULL;
    }
  handle = handle_new (mod, state);
  if (handle == NULL)
    return NULL;
  object = PyObject_CallMethod (cls, "_from_handle", "O", handle);
  Py_DECREF (handle);
  return object;
}

/* ------------------------------------------------------------------ */
/* Module functions                                                    */

/* Raises the Python exception that matches @error (and frees it). */
PyObject *
_interp_module_raise_error (InterpModuleState *mod,
             gboolean           is_channel,
             GError            *error)
{
  PyObject *type = PyExc_RuntimeError;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      InterpExecutor *executor = _interp_executor_get_current ();
      PyObject *cancelled = executor ? _interp_executor_get_cancel_exception (executor) : NULL;

      _interp_executor_cancel_delivered ();
      type = cancelled ? cancelled : PyExc_KeyboardInterrupt;
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    type = mod->channel_closed;
  else if (error->domain == INTERP_ERROR)
    {
      switch (error->code)
        {
        case INTERP_ERROR_QUEUE_FULL:
          type = mod->queue_full;
          break;
        case INTERP_ERROR_QUEUE_EMPTY:
          type = is_channel ? mod->channel_empty : mod->queue_empty;
          break;
        case INTERP_ERROR_QUEUE_NOT_FOUND:
          type = is_channel ? mod->channel_not_found : mod->queue_not_found;
          break;
        case INTERP_ERROR_NOT_RECEIVED:
          type = mod->not_received;
          break;
        case INTERP_ERROR_ITEM_INTERPRETER_DESTROYED:
          type = mod->item_destroyed;
          break;
        case INTERP_ERROR_NOT_SHAREABLE:
          type = mod->carrier.not_shareable;
          break;
        case INTERP_ERROR_OUT_OF_RANGE:
          type = PyExc_OverflowError;
          break;
        case INTERP_ERROR_NOT_FOUND:
          type = mod->interpreter_not_found;
          break;
        case INTERP_ERROR_FAILED:
        case INTERP_ERROR_RUNNING:
        case INTERP_ERROR_EXECUTION_FAILED:
        case INTERP_ERROR_UNSUPPORTED:
        case INTERP_ERROR_RUNTIME:
          type = mod->interpreter_error;
          break;
        case INTERP_ERROR_INVALID_ARGUMENT:
          type = PyExc_ValueError;
          break;
        default:
          break;
        }
    }
  PyErr_SetString (type ? type : PyExc_RuntimeError, error->message);
  g_error_free (error);
  return NULL;
}

static PyObject *
mod_create (PyObject *module,
            PyObject *args,
            gboolean  is_channel)
{
  InterpModuleState *mod = get_state (module);
  int maxsize = 0;
  int unbound = 0;
  InterpQueueState *state;
  PyObject *handle;

  if (!PyArg_ParseTuple (args, "ii", &maxsize, &unbound))
    return NULL;
  if (maxsize < 0 || unbound < 0 || unbound > INTERP_UNBOUND_REMOVE)
    {
      PyErr_SetString (PyExc_ValueError, "maxsize must be >= 0");
      return NULL;
    }
  state = _interp_queue_state_new (maxsize, unbound, is_channel);
  handle = handle_new (mod, state);
  _interp_queue_state_unref (state);
  return handle;
}

static PyObject *
mod_queue_create (PyObject *module,
                  PyObject *args)
{
  return mod_create (module, args, FALSE);
}

static PyObject *
mod_channel_create (PyObject *module,
                    PyObject *args)
{
  return mod_create (module, args, TRUE);
}

static PyObject *
mod_lookup (PyObject *module,
            PyObject *arg,
            gboolean  is_channel)
{
  InterpModuleState *mod = get_state (module);
  GError *error = NULL;
  long long id = PyLong_AsLongLong (arg);
  InterpQueueState *state;
  PyObject *handle;

  if (id == -1 && PyErr_Occurred ())
    return NULL;
  state = _interp_queue_state_lookup (id, is_channel, &error);
  if (state == NULL)
    return _interp_module_raise_error (mod, is_channel, error);
  handle = handle_new (mod, state);
  _interp_queue_state_unref (state);
  return handle;
}

static PyObject *
mod_queue_lookup (PyObject *module,
                  PyObject *arg)
{
  return mod_lookup (module, arg, FALSE);
}

static PyObject *
mod_channel_lookup (PyObject *module,
                    PyObject *arg)
{
  return mod_lookup (module, arg, TRUE);
}

/* -1 to wait for ever, 0 not at all: block=True, timeout=None as in
 * queue.Queue. Returns FALSE with an exception set for a bad timeout. */
static gboolean
parse_timeout (int        block,
               PyObject  *timeout,
               gint64    *timeout_us)
{
  double seconds;

  if (!block)
    {
      *timeout_us = 0;
      return TRUE;
    }
  if (timeout == Py_None)
    {
      *timeout_us = -1;
      return TRUE;
    }
  seconds = PyFloat_AsDouble (timeout);
  if (seconds == -1.0 && PyErr_Occurred ())
    return FALSE;
  if (seconds < 0)
    {
      PyErr_SetString (PyExc_ValueError, "timeout value must be non-negative");
      return FALSE;
    }
  *timeout_us = MAX ((gint64) (seconds * G_USEC_PER_SEC), 1);
  return TRUE;
}

static gboolean
parse_unbound (InterpModuleState *mod,
               PyObject          *op,
               InterpUnbound     *unbound)
{
  if (op == Py_None)
    *unbound = INTERP_UNBOUND_DEFAULT;
  else if (op == mod->unbound)
    *unbound = INTERP_UNBOUND_REPLACE;
  else if (op == mod->unbound_error)
    *unbound = INTERP_UNBOUND_ERROR;
  else if (op == mod->unbound_remove)
    *unbound = INTERP_UNBOUND_REMOVE;
  else
    {
      PyErr_Format (PyExc_NotImplementedError, "unsupported unbound replacement op %R", op);
      return FALSE;
    }
  return TRUE;
}

/* _put(handle, obj, block, timeout, unbounditems, wait_received) */
static PyObject *
mod_put (PyObject *module,
         PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *handle, *object, *timeout, *unbound_op;
  int block, wait_received;
  gint64 timeout_us;
  InterpUnbound unbound;
  InterpQueueState *state;
  InterpCarrier *carrier;
  GError *error = NULL;
  gint64 owner;
  gboolean ok;

  if (!PyArg_ParseTuple (args, "OOpOOp", &handle, &object, &block, &timeout, &unbound_op, &wait_received) ||
      (state = handle_state (mod, handle)) == NULL ||
      !parse_timeout (block, timeout, &timeout_us) ||
      !parse_unbound (mod, unbound_op, &unbound))
    return NULL;

  carrier = _interp_carrier_from_python (object, &mod->carrier, &error);
  if (carrier == NULL)
    return _interp_module_raise_error (mod, _interp_queue_state_is_channel (state), error);

  owner = PyInterpreterState_GetID (PyInterpreterState_Get ());
  /* Try without waiting first, the GIL held (no queue lock is ever held
   * while waiting for a GIL); release the GIL only to wait, and only when
   * the queue was full (not when the channel is closed). */
  ok = !wait_received && _interp_queue_state_put (state, carrier, owner, unbound, FALSE,
                                                  0, NULL, FALSE, &error);
  if (!ok && (timeout_us != 0 || wait_received) &&
      (error == NULL || g_error_matches (error, INTERP_ERROR, INTERP_ERROR_QUEUE_FULL)))
    {
      g_clear_error (&error);
      Py_BEGIN_ALLOW_THREADS
      ok = _interp_queue_state_put (state, carrier, owner, unbound, wait_received,
                                    timeout_us, NULL, TRUE, &error);
      Py_END_ALLOW_THREADS
    }
  if (!ok)
    {
      _interp_carrier_free (carrier);
      return _interp_module_raise_error (mod, _interp_queue_state_is_channel (state), error);
    }
  Py_RETURN_NONE;
}

/* _get(handle, block, timeout) -> obj, or UNBOUND */
static PyObject *
mod_get (PyObject *module,
         PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *handle, *timeout;
  int block;
  gint64 timeout_us;
  InterpQueueState *state;
  InterpCarrier *carrier;
  InterpItemInfo info = { 0 };
  GError *error = NULL;
  PyObject *object;

  if (!PyArg_ParseTuple (args, "OpO", &handle, &block, &timeout) ||
      (state = handle_state (mod, handle)) == NULL ||
      !parse_timeout (block, timeout, &timeout_us))
    return NULL;

  /* As for put: without waiting and the GIL held first. */
  carrier = _interp_queue_state_get (state, 0, NULL, FALSE, &info, &error);
  if (timeout_us != 0 && g_error_matches (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY))
    {
      g_clear_error (&error);
      Py_BEGIN_ALLOW_THREADS
      carrier = _interp_queue_state_get (state, timeout_us, NULL, TRUE, &info, &error);
      Py_END_ALLOW_THREADS
    }
  if (error != NULL)
    return _interp_module_raise_error (mod, _interp_queue_state_is_channel (state), error);

  if (info.status == INTERP_ITEM_UNBOUND)
    return Py_NewRef (mod->unbound);
  if (info.status == INTERP_ITEM_DESTROYED)
    return _interp_module_raise_error (mod, FALSE,
                        g_error_new_literal (INTERP_ERROR, INTERP_ERROR_ITEM_INTERPRETER_DESTROYED,
                                             "the interpreter that put this item was destroyed"));

  object = _interp_carrier_to_python (carrier, &mod->carrier);
  if (object == NULL)
    {
      /* Could not be made here (say, a class this interpreter lacks):
       * the item goes back, nothing is lost. */
      _interp_queue_state_unget (state, carrier, &info);
      return NULL;
    }
  _interp_queue_state_done (state, &info);
  _interp_carrier_free (carrier);
  return object;
}

/* _offer(handle, obj, unbounditems) -> bool: SendChannel.send_nowait() */
static PyObject *
mod_offer (PyObject *module,
           PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *handle, *object, *unbound_op;
  InterpUnbound unbound;
  InterpQueueState *state;
  InterpCarrier *carrier;
  GError *error = NULL;

  if (!PyArg_ParseTuple (args, "OOO", &handle, &object, &unbound_op) ||
      (state = handle_state (mod, handle)) == NULL ||
      !parse_unbound (mod, unbound_op, &unbound))
    return NULL;
  carrier = _interp_carrier_from_python (object, &mod->carrier, &error);
  if (carrier == NULL)
    return _interp_module_raise_error (mod, TRUE, error);
  if (_interp_queue_state_offer (state, carrier, PyInterpreterState_GetID (PyInterpreterState_Get ()), unbound))
    Py_RETURN_TRUE;
  _interp_carrier_free (carrier);
  Py_RETURN_FALSE;
}

/* _keep_alive(handle): called from __reduce__(), see interp-carrier.c */
static PyObject *
mod_keep_alive (PyObject *module,
                PyObject *handle)
{
  InterpQueueState *state = handle_state (get_state (module), handle);

  if (state == NULL)
    return NULL;
  _interp_carrier_keep_alive (_interp_queue_state_ref (state),
                              (GDestroyNotify) _interp_queue_state_unref);
  Py_RETURN_NONE;
}

static PyObject *
mod_size (PyObject *module,
          PyObject *handle)
{
  InterpQueueState *state = handle_state (get_state (module), handle);

  return state ? PyLong_FromLong (_interp_queue_state_get_size (state)) : NULL;
}

static PyObject *
mod_has_waiting_getter (PyObject *module,
                        PyObject *handle)
{
  InterpQueueState *state = handle_state (get_state (module), handle);

  return state ? PyBool_FromLong (_interp_queue_state_has_waiting_getter (state)) : NULL;
}

/* A list of ints from @ids (gint64), which it frees. */
static PyObject *
list_from_ids (GArray *ids)
{
  PyObject *list = PyList_New (ids->len);

  for (guint i = 0; list != NULL && i < ids->len; i++)
    PyList_SET_ITEM (list, i, PyLong_FromLongLong (g_array_index (ids, gint64, i)));
  g_array_unref (ids);
  return list;
}

static PyObject *
mod_list_channels (PyObject *module,
                   PyObject *unused)
{
  return list_from_ids (_interp_queues_list_channels ());
}

static PyObject *
mod_is_shareable (PyObject *module,
                  PyObject *object)
{
  return PyBool_FromLong (_interp_carrier_is_shareable (object, &get_state (module)->carrier));
}

static PyObject *
mod_list_queues (PyObject *module,
                 PyObject *unused)
{
  return list_from_ids (_interp_queues_list_queues ());
}

/* _channel_close(handle, ends): ends is 1 (send), 2 (recv) or 3 (both). */
static PyObject *
mod_channel_close (PyObject *module,
                   PyObject *args)
{
  PyObject *handle;
  int ends;
  InterpQueueState *state;

  if (!PyArg_ParseTuple (args, "Oi", &handle, &ends) ||
      (state = handle_state (get_state (module), handle)) == NULL)
    return NULL;
  _interp_queue_state_close_ends (state, ends & 3);
  Py_RETURN_NONE;
}

static PyObject *
mod_channel_closed (PyObject *module,
                    PyObject *handle)
{
  InterpQueueState *state = handle_state (get_state (module), handle);

  return state ? PyLong_FromLong (_interp_queue_state_get_closed_ends (state)) : NULL;
}

/* The slots _register() fills: the Python package's classes. */
#define FOR_EACH_REGISTERED(X) \
  X (Queue, queue_class) X (RecvChannel, recv_class) X (SendChannel, send_class) \
  X (NotShareableError, carrier.not_shareable) X (QueueEmpty, queue_empty) \
  X (QueueFull, queue_full) X (QueueNotFoundError, queue_not_found) \
  X (ItemInterpreterDestroyed, item_destroyed) \
  X (ChannelNotFoundError, channel_not_found) X (ChannelEmptyError, channel_empty) \
  X (ChannelClosedError, channel_closed) \
  X (NotReceivedError, not_received) X (UNBOUND, unbound) \
  X (UNBOUND_ERROR, unbound_error) X (UNBOUND_REMOVE, unbound_remove) \
  X (InterpreterError, interpreter_error) \
  X (InterpreterNotFoundError, interpreter_not_found)

/* _register(**classes): the package tells the C module its classes. */
static PyObject *
mod_register (PyObject *module,
              PyObject *args,
              PyObject *kwargs)
{
  InterpModuleState *mod = get_state (module);
  PyObject *key, *value;
  Py_ssize_t pos = 0;

  if (PyTuple_GET_SIZE (args) != 0 || kwargs == NULL)
    {
      PyErr_SetString (PyExc_TypeError, "_register() takes keyword arguments only");
      return NULL;
    }
  while (PyDict_Next (kwargs, &pos, &key, &value))
    {
      const char *name = PyUnicode_AsUTF8 (key);
      PyObject **slot = NULL;

      if (name == NULL)
        return NULL;
#define MATCH(pyname, field) \
      if (slot == NULL && strcmp (name, #pyname) == 0) \
        slot = &mod->field;
      FOR_EACH_REGISTERED (MATCH)
#undef MATCH
      if (slot == NULL)
        {
          PyErr_Format (PyExc_TypeError, "_register(): unknown name %s", name);
          return NULL;
        }
      Py_XSETREF (*slot, Py_NewRef (value));
    }
  Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
  { "_queue_create", mod_queue_create, METH_VARARGS, NULL },
  { "_queue_lookup", mod_queue_lookup, METH_O, NULL },
  { "_channel_create", mod_channel_create, METH_VARARGS, NULL },
  { "_channel_lookup", mod_channel_lookup, METH_O, NULL },
  { "_channel_close", mod_channel_close, METH_VARARGS, NULL },
  { "_channel_closed", mod_channel_closed, METH_O, NULL },
  { "_put", mod_put, METH_VARARGS, NULL },
  { "_get", mod_get, METH_VARARGS, NULL },
  { "_offer", mod_offer, METH_VARARGS, NULL },
  { "_size", mod_size, METH_O, NULL },
  { "_keep_alive", mod_keep_alive, METH_O, NULL },
  { "_has_waiting_getter", mod_has_waiting_getter, METH_O, NULL },
  { "_list_channels", mod_list_channels, METH_NOARGS, NULL },
  { "_list_queues", mod_list_queues, METH_NOARGS, NULL },
  { "_register", (PyCFunction) (void (*) (void)) mod_register, METH_VARARGS | METH_KEYWORDS, NULL },
  { "is_shareable", mod_is_shareable, METH_O,
    "is_shareable(obj) -> bool\n\nWhether obj crosses between interpreters as itself "
    "(None, bool, int, float, str, bytes, memoryview, queues, channel ends and tuples "
    "of these) rather than as a pickled copy." },
  { NULL },
};

/* ------------------------------------------------------------------ */
/* The module                                                          */

static int
module_exec (PyObject *module)
{
  InterpModuleState *mod = get_state (module);

  mod->carrier.get_end = get_end;
  mod->carrier.wrap_end = wrap_end;
  mod->carrier.new_shared_buffer = new_shared_buffer;
  mod->carrier.end_ref = _interp_queue_state_ref;
  mod->carrier.end_unref = _interp_queue_state_unref;
  mod->handle_type = PyType_FromModuleAndSpec (module, &handle_spec, NULL);
  mod->buffer_type = PyType_FromModuleAndSpec (module, &shared_buffer_spec, NULL);
  if (mod->handle_type == NULL || mod->buffer_type == NULL)
    return -1;
  mod->carrier.pickle = PyImport_ImportModule ("pickle");
  if (mod->carrier.pickle == NULL)
    return -1;
  if (PyModule_AddFunctions (module, _interp_module_interp_methods) < 0 ||
      !_interp_module_interp_init (module, mod) ||
      PyModule_AddFunctions (module, _interp_module_pool_methods) < 0 ||
      !_interp_module_pool_init (module, mod))
    return -1;
  return 0;
}

/* Every PyObject in the module state, for traverse and clear. */
#define FOR_EACH_STATE_OBJECT(X) \
  X (handle_type) X (buffer_type) X (interp_type) X (pool_type) X (cancellable_type) X (queue_class) X (recv_class) \
  X (send_class) X (carrier.not_shareable) X (queue_empty) X (queue_full) X (queue_not_found) \
  X (item_destroyed) X (channel_not_found) X (channel_empty) X (channel_closed) X (not_received) \
  X (unbound) X (unbound_error) X (unbound_remove) X (carrier.pickle) X (marshal) \
  X (interpreter_error) X (interpreter_not_found)

static int
module_traverse (PyObject  *module,
                 visitproc  visit,
                 void      *arg)
{
  InterpModuleState *mod = get_state (module);

#define VISIT(field) Py_VISIT (mod->field);
  FOR_EACH_STATE_OBJECT (VISIT)
#undef VISIT
  return 0;
}

static int
module_clear (PyObject *module)
{
  InterpModuleState *mod = get_state (module);

#define CLEAR(field) Py_CLEAR (mod->field);
  FOR_EACH_STATE_OBJECT (CLEAR)
#undef CLEAR
  return 0;
}

static void
module_free (void *module)
{
  module_clear (module);
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
  .m_methods = module_methods,
  .m_slots = module_slots,
  .m_traverse = module_traverse,
  .m_clear = module_clear,
  .m_free = module_free,
};

InterpModuleState *
_interp_module_get_current_state (void)
{
  PyObject *module = PyImport_ImportModule ("_interp_glib");
  InterpModuleState *mod;

  if (module == NULL)
    return NULL;
  /* sys.modules keeps it alive. */
  mod = PyModule_GetDef (module) == &module_def ? get_state (module) : NULL;
  Py_DECREF (module);
  if (mod == NULL)
    PyErr_SetString (PyExc_ImportError, "_interp_glib is not interp-glib's module");
  return mod;
}

gboolean
_interp_module_ensure_package (InterpModuleState *mod)
{
  PyObject *package;

  if (mod->queue_class != NULL && mod->interpreter_error != NULL)
    return TRUE;
  package = PyImport_ImportModule ("interp_glib");
  Py_XDECREF (package);
  return package != NULL;
}

/* The finder's loader calls this with the spec; self is CancelledError. */
static PyObject *
load_module (PyObject *cancelled_error,
             PyObject *spec)
{
  PyObject *module = PyModule_FromDefAndSpec (&module_def, spec);

  if (module == NULL)
    return NULL;
  if (PyModule_ExecDef (module, &module_def) < 0 ||
      PyModule_AddObjectRef (module, "CancelledError", cancelled_error) < 0)
    {
      Py_DECREF (module);
      return NULL;
    }
  return module;
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
