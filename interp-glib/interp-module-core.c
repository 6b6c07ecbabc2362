/* interp-module-core.c: what the parts of _interp_glib share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The core of the low-level _interp_glib module (interp-module-private.h
 * says how the module is layered): its state, one per interpreter (a
 * multi-phase module, safe for per-interpreter GILs), filled by the
 * interp_glib package through _register(); the one place where a GError
 * becomes a Python exception; and what values need to cross between
 * interpreters: references to queues and channels (_Handle), which
 * queues and channels share, and memory of another interpreter
 * (_SharedBuffer).
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

PyObject *
_interp_module_handle_new (InterpModuleState *mod,
                           InterpQueueState  *state)
{
  PyTypeObject *type = (PyTypeObject *) mod->handle_type;
  HandleObject *self = (HandleObject *) type->tp_alloc (type, 0);

  if (self == NULL)
    return NULL;
  self->state = _interp_queue_state_ref (state);
  return (PyObject *) self;
}

gpointer
_interp_module_check_type (PyObject   *object,
                           PyObject   *type,
                           const char *what)
{
  if (PyObject_TypeCheck (object, (PyTypeObject *) type))
    return object;
  PyErr_Format (PyExc_TypeError, "expected %s", what);
  return NULL;
}

InterpQueueState *
_interp_module_handle_get_state (InterpModuleState *mod,
                                 PyObject          *object)
{
  HandleObject *handle = _interp_module_check_type (object, mod->handle_type,
                                                    "a queue or channel handle");

  return handle ? handle->state : NULL;
}

PyObject *
_interp_module_handle_create (InterpModuleState *mod,
                              int                maxsize,
                              int                unbound,
                              gboolean           is_channel)
{
  InterpQueueState *state;
  PyObject *handle;

  if (maxsize < 0)
    {
      PyErr_SetString (PyExc_ValueError, "maxsize must be >= 0");
      return NULL;
    }
  if (unbound < 0 || unbound > INTERP_UNBOUND_REMOVE)
    {
      PyErr_Format (PyExc_ValueError, "unsupported unboundop %d", unbound);
      return NULL;
    }
  state = _interp_queue_state_new (maxsize, unbound, is_channel);
  handle = _interp_module_handle_new (mod, state);
  _interp_queue_state_unref (state);
  return handle;
}

PyObject *
_interp_module_handle_lookup (InterpModuleState *mod,
                              PyObject          *arg,
                              gboolean           is_channel)
{
  GError *error = NULL;
  long long id = PyLong_AsLongLong (arg);
  InterpQueueState *state;
  PyObject *handle;

  if (id == -1 && PyErr_Occurred ())
    return NULL;
  state = _interp_queue_state_lookup (id, is_channel, &error);
  if (state == NULL)
    return _interp_module_raise_error (mod, is_channel ? INTERP_MODULE_RAISE_CHANNEL
                                                       : INTERP_MODULE_RAISE_DEFAULT, error);
  handle = _interp_module_handle_new (mod, state);
  _interp_queue_state_unref (state);
  return handle;
}

gboolean
_interp_module_parse_origin (InterpModuleState *mod,
                             PyObject          *op,
                             InterpItemOrigin  *origin)
{
  if (op == Py_None)
    origin->unbound = INTERP_UNBOUND_DEFAULT;
  else if (op == mod->unbound)
    origin->unbound = INTERP_UNBOUND_REPLACE;
  else if (op == mod->unbound_error)
    origin->unbound = INTERP_UNBOUND_ERROR;
  else if (op == mod->unbound_remove)
    origin->unbound = INTERP_UNBOUND_REMOVE;
  else
    {
      PyErr_Format (PyExc_NotImplementedError, "unsupported unbound replacement op %R", op);
      return FALSE;
    }
  origin->owner = PyInterpreterState_GetID (PyInterpreterState_Get ());
  return TRUE;
}

PyObject *
_interp_module_list_from_ids (GArray *ids)
{
  PyObject *list = PyList_New (ids->len);

  for (guint i = 0; list != NULL && i < ids->len; i++)
    PyList_SET_ITEM (list, i, PyLong_FromLongLong (g_array_index (ids, gint64, i)));
  g_array_unref (ids);
  return list;
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
  handle = _interp_module_handle_new (mod, state);
  if (handle == NULL)
    return NULL;
  object = PyObject_CallMethod (cls, "_from_handle", "O", handle);
  Py_DECREF (handle);
  return object;
}


/* ------------------------------------------------------------------ */
/* Errors: a GError becomes the Python exception that matches it       */

/* The exception for G_IO_ERROR_CANCELLED, this interpreter's
 * interp_glib.CancelledError (the executor's that installed the module).
 * Unless the call had a cancellable of its own, what was cancelled is the
 * job the caller runs in: a wait in it ended, and raising the exception
 * here delivers the cancellation, which the executor then does not raise
 * again. Off an executor thread no job of ours runs (the code called
 * raised CancelledError itself): KeyboardInterrupt stands in. */
static PyObject *
cancelled_type (InterpModuleState      *mod,
                InterpModuleRaiseFlags  flags)
{
  if (flags & INTERP_MODULE_RAISE_CALL_CANCELLABLE)
    return mod->cancelled_error;
  _interp_executor_cancel_delivered ();
  return _interp_executor_get_current () != NULL ? mod->cancelled_error : PyExc_KeyboardInterrupt;
}

/* The exception type for @error; NULL for RuntimeError. */
static PyObject *
error_type (InterpModuleState      *mod,
            InterpModuleRaiseFlags  flags,
            const GError           *error)
{
  gboolean is_channel = (flags & INTERP_MODULE_RAISE_CHANNEL) != 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return cancelled_type (mod, flags);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return PyExc_TimeoutError;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return mod->channel_closed;
  if (error->domain != INTERP_ERROR)
    return NULL;

  switch (error->code)
    {
    case INTERP_ERROR_QUEUE_FULL:
      return mod->queue_full;
    case INTERP_ERROR_QUEUE_EMPTY:
      return is_channel ? mod->channel_empty : mod->queue_empty;
    case INTERP_ERROR_QUEUE_NOT_FOUND:
      return is_channel ? mod->channel_not_found : mod->queue_not_found;
    case INTERP_ERROR_NOT_RECEIVED:
      return mod->not_received;
    case INTERP_ERROR_ITEM_INTERPRETER_DESTROYED:
      return mod->item_destroyed;
    case INTERP_ERROR_NOT_SHAREABLE:
      return mod->carrier.not_shareable;
    case INTERP_ERROR_OUT_OF_RANGE:
      return PyExc_OverflowError;
    case INTERP_ERROR_NOT_FOUND:
      return mod->interpreter_not_found;
    case INTERP_ERROR_FAILED:
    case INTERP_ERROR_RUNNING:
    case INTERP_ERROR_EXECUTION_FAILED:
    case INTERP_ERROR_UNSUPPORTED:
    case INTERP_ERROR_RUNTIME:
    case INTERP_ERROR_BROKEN:
    case INTERP_ERROR_SHUT_DOWN:
      return mod->interpreter_error;
    case INTERP_ERROR_INVALID_ARGUMENT:
      return PyExc_ValueError;
    default:
      return NULL;
    }
}

PyObject *
_interp_module_raise_error (InterpModuleState      *mod,
                            InterpModuleRaiseFlags  flags,
                            GError                 *error)
{
  PyObject *type = error_type (mod, flags, error);

  if (type == NULL)
    type = PyExc_RuntimeError;
  if (g_error_matches (error, INTERP_ERROR, INTERP_ERROR_BROKEN) ||
      g_error_matches (error, INTERP_ERROR, INTERP_ERROR_SHUT_DOWN))
    {
      /* (code, message, snapshot or None): _executor.py turns it into
       * BrokenInterpreterPool (logging the initializer's exception that
       * broke the pool, as its snapshot says) or RuntimeError. */
      g_autoptr(InterpExceptionInfo) info = interp_exception_info_from_error (error);
      g_autofree char *summary = info != NULL ? interp_exception_info_get_summary (info) : NULL;
      PyObject *snapshot = info == NULL ? Py_NewRef (Py_None)
        : Py_BuildValue ("(ssssss)", interp_exception_info_get_type_name (info),
                         interp_exception_info_get_qualname (info),
                         interp_exception_info_get_module (info),
                         interp_exception_info_get_message (info), summary,
                         interp_exception_info_get_traceback (info));
      PyObject *value = snapshot == NULL ? NULL
        : Py_BuildValue ("(isN)", error->code == INTERP_ERROR_BROKEN ? 1 : 2, error->message,
                         snapshot);

      if (value != NULL)
        PyErr_SetObject (type, value);
      Py_XDECREF (value);
    }
  else
    PyErr_SetString (type, error->message);
  g_error_free (error);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The state                                                           */

/* The slots _register() fills: the Python package's classes, and what
 * the carrier pickles with (pickle itself, imported at its first use,
 * until the package says). */
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
  X (InterpreterNotFoundError, interpreter_not_found) X (pickle, carrier.pickle)

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

static PyObject *
mod_is_shareable (PyObject *module,
                  PyObject *object)
{
  return PyBool_FromLong (_interp_carrier_is_shareable (object, &get_state (module)->carrier));
}

/* Every PyObject in the module state, for traverse and clear. */
#define FOR_EACH_STATE_OBJECT(X) \
  X (handle_type) X (buffer_type) X (interp_type) X (pool_type) X (cancellable_type) X (queue_class) X (recv_class) \
  X (send_class) X (carrier.not_shareable) X (queue_empty) X (queue_full) X (queue_not_found) \
  X (item_destroyed) X (channel_not_found) X (channel_empty) X (channel_closed) X (not_received) \
  X (unbound) X (unbound_error) X (unbound_remove) X (carrier.pickle) X (marshal) \
  X (interpreter_error) X (interpreter_not_found) X (cancelled_error)

int
_interp_module_state_traverse (PyObject  *module,
                               visitproc  visit,
                               void      *arg)
{
  InterpModuleState *mod = get_state (module);

#define VISIT(field) Py_VISIT (mod->field);
  FOR_EACH_STATE_OBJECT (VISIT)
#undef VISIT
  return 0;
}

int
_interp_module_state_clear (PyObject *module)
{
  InterpModuleState *mod = get_state (module);

#define CLEAR(field) Py_CLEAR (mod->field);
  FOR_EACH_STATE_OBJECT (CLEAR)
#undef CLEAR
  return 0;
}

void
_interp_module_state_free (void *module)
{
  _interp_module_state_clear (module);
}

gboolean
_interp_module_set_cancelled_error (PyObject *module,
                                    PyObject *cancelled_error)
{
  Py_XSETREF (get_state (module)->cancelled_error, Py_NewRef (cancelled_error));
  return PyModule_AddObjectRef (module, "CancelledError", cancelled_error) == 0;
}

/* The definition of the module (the top's, interp-module.c), learnt when
 * the core sets up a module: how the core recognizes its own. */
static PyModuleDef *module_def;

InterpModuleState *
_interp_module_get_current_state (void)
{
  PyObject *module = PyImport_ImportModule ("_interp_glib");
  PyModuleDef *def = g_atomic_pointer_get (&module_def);
  InterpModuleState *mod;

  if (module == NULL)
    return NULL;
  /* sys.modules keeps it alive. */
  mod = def != NULL && PyModule_GetDef (module) == def ? get_state (module) : NULL;
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

/* ------------------------------------------------------------------ */
/* The core's part                                                     */

static PyMethodDef core_methods[] = {
  { "_register", (PyCFunction) (void (*) (void)) mod_register, METH_VARARGS | METH_KEYWORDS, NULL },
  { "is_shareable", mod_is_shareable, METH_O,
    "is_shareable(obj) -> bool\n\nWhether obj crosses between interpreters as itself "
    "(None, bool, int, float, str, bytes, memoryview, queues, channel ends and tuples "
    "of these) rather than as a pickled copy." },
  { NULL },
};

static gboolean
core_part_exec (PyObject          *module,
                InterpModuleState *mod)
{
  g_atomic_pointer_set (&module_def, PyModule_GetDef (module));
  mod->carrier.get_end = get_end;
  mod->carrier.wrap_end = wrap_end;
  mod->carrier.new_shared_buffer = new_shared_buffer;
  mod->carrier.end_ref = _interp_queue_state_ref;
  mod->carrier.end_unref = _interp_queue_state_unref;
  mod->handle_type = PyType_FromModuleAndSpec (module, &handle_spec, NULL);
  mod->buffer_type = PyType_FromModuleAndSpec (module, &shared_buffer_spec, NULL);
  /* pickle waits for the first value that needs it (the carrier's). */
  return mod->handle_type != NULL && mod->buffer_type != NULL;
}

const InterpModulePart _interp_module_core_part = {
  .methods = core_methods,
  .exec = core_part_exec,
};
