/* interp-module.c: the interp_glib module inside every interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A multi-phase module, its state per interpreter, safe for per-interpreter
 * GILs. The C core holds references to queues (_Handle), exports memory of
 * another interpreter (_SharedBuffer) and does the blocking put/get with
 * the GIL released; a short Python layer on top gives the API of CPython's
 * concurrent.interpreters (Queue, create_queue, the UNBOUND constants, the
 * exceptions) and the seeds' channels.
 */

#include "interp-module-private.h"
#include "interp-error.h"
#include "interp-executor-private.h"

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
  .name = "interp_glib._Handle",
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
  .name = "interp_glib._SharedBuffer",
  .basicsize = sizeof (SharedBufferObject),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
  .slots = shared_buffer_slots,
};

PyObject *
_interp_module_new_shared_buffer (InterpModuleState *mod,
                                  InterpBufferShare *share)
{
  PyTypeObject *type = (PyTypeObject *) mod->buffer_type;
  SharedBufferObject *self = (SharedBufferObject *) type->tp_alloc (type, 0);

  if (self == NULL)
    return NULL;
  self->share = _interp_buffer_share_ref (share);
  return (PyObject *) self;
}

/* ------------------------------------------------------------------ */
/* Queue and channel ends as Python objects                            */

InterpQueueState *
_interp_module_get_end (InterpModuleState *mod,
                        PyObject          *object,
                        InterpEndKind     *kind)
{
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

PyObject *
_interp_module_wrap_end (InterpModuleState *mod,
                         InterpQueueState  *state,
                         InterpEndKind      kind)
{
  PyObject *cls = kind == INTERP_END_QUEUE ? mod->queue_class :
                  kind == INTERP_END_RECV ? mod->recv_class : mod->send_class;
  PyObject *handle = handle_new (mod, state);
  PyObject *object;

  if (handle == NULL)
    return NULL;
  object = PyObject_CallMethod (cls, "_from_handle", "O", handle);
  Py_DECREF (handle);
  return object;
}

/* ------------------------------------------------------------------ */
/* Module functions                                                    */

static InterpModuleState *
get_state (PyObject *module)
{
  return PyModule_GetState (module);
}

/* Raises the Python exception that matches @error. */
static PyObject *
raise_error (InterpModuleState *mod,
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
          type = mod->not_shareable;
          break;
        case INTERP_ERROR_OUT_OF_RANGE:
          type = PyExc_OverflowError;
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
    return raise_error (mod, is_channel, error);
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

  carrier = _interp_carrier_from_python (object, mod, &error);
  if (carrier == NULL)
    return raise_error (mod, _interp_queue_state_is_channel (state), error);

  owner = PyInterpreterState_GetID (PyInterpreterState_Get ());
  /* Try without waiting first, the GIL held (no queue lock is ever held
   * while waiting for a GIL); release the GIL only to wait. */
  ok = !wait_received && _interp_queue_state_put (state, carrier, owner, unbound, FALSE,
                                                  0, NULL, FALSE, NULL);
  if (!ok && (timeout_us != 0 || wait_received))
    {
      Py_BEGIN_ALLOW_THREADS
      ok = _interp_queue_state_put (state, carrier, owner, unbound, wait_received,
                                    timeout_us, NULL, TRUE, &error);
      Py_END_ALLOW_THREADS
    }
  else if (!ok)
    error = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_QUEUE_FULL, "The queue is full");
  if (!ok)
    {
      _interp_carrier_free (carrier);
      return raise_error (mod, _interp_queue_state_is_channel (state), error);
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
  carrier = _interp_queue_state_get (state, 0, NULL, FALSE, &info, NULL);
  if (carrier == NULL && info.status == INTERP_ITEM_VALUE)
    {
      if (timeout_us != 0)
        {
          Py_BEGIN_ALLOW_THREADS
          carrier = _interp_queue_state_get (state, timeout_us, NULL, TRUE, &info, &error);
          Py_END_ALLOW_THREADS
        }
      else
        error = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY, "The queue is empty");
    }
  if (error != NULL)
    return raise_error (mod, _interp_queue_state_is_channel (state), error);

  if (info.status == INTERP_ITEM_UNBOUND)
    return Py_NewRef (mod->unbound);
  if (info.status == INTERP_ITEM_DESTROYED)
    return raise_error (mod, FALSE,
                        g_error_new_literal (INTERP_ERROR, INTERP_ERROR_ITEM_INTERPRETER_DESTROYED,
                                             "the interpreter that put this item was destroyed"));

  object = _interp_carrier_to_python (carrier, mod);
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
  carrier = _interp_carrier_from_python (object, mod, &error);
  if (carrier == NULL)
    return raise_error (mod, TRUE, error);
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
  _interp_carrier_keep_alive (state);
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

static PyObject *
mod_list_channels (PyObject *module,
                   PyObject *unused)
{
  GArray *ids = _interp_queues_list_channels ();
  PyObject *list = PyList_New (ids->len);

  for (guint i = 0; list != NULL && i < ids->len; i++)
    PyList_SET_ITEM (list, i, PyLong_FromLongLong (g_array_index (ids, gint64, i)));
  g_array_unref (ids);
  return list;
}

static PyObject *
mod_is_shareable (PyObject *module,
                  PyObject *object)
{
  return PyBool_FromLong (_interp_carrier_is_shareable (object, get_state (module)));
}

static PyObject *
mod_get_current (PyObject *module,
                 PyObject *unused)
{
  return PyLong_FromLongLong (PyInterpreterState_GetID (PyInterpreterState_Get ()));
}

static PyMethodDef module_methods[] = {
  { "_queue_create", mod_queue_create, METH_VARARGS, NULL },
  { "_queue_lookup", mod_queue_lookup, METH_O, NULL },
  { "_channel_create", mod_channel_create, METH_VARARGS, NULL },
  { "_channel_lookup", mod_channel_lookup, METH_O, NULL },
  { "_put", mod_put, METH_VARARGS, NULL },
  { "_get", mod_get, METH_VARARGS, NULL },
  { "_offer", mod_offer, METH_VARARGS, NULL },
  { "_size", mod_size, METH_O, NULL },
  { "_keep_alive", mod_keep_alive, METH_O, NULL },
  { "_has_waiting_getter", mod_has_waiting_getter, METH_O, NULL },
  { "_list_channels", mod_list_channels, METH_NOARGS, NULL },
  { "is_shareable", mod_is_shareable, METH_O,
    "is_shareable(obj) -> bool\n\nWhether obj crosses between interpreters as itself "
    "(None, bool, int, float, str, bytes, memoryview, queues, channel ends and tuples "
    "of these) rather than as a pickled copy." },
  { "get_current", mod_get_current, METH_NOARGS,
    "get_current() -> int\n\nThe ID of the interpreter this code runs in." },
  { NULL },
};

/* ------------------------------------------------------------------ */
/* The Python layer                                                    */

static const char module_source[] =
  "import queue as _queue\n"
  "\n"
  "class InterpreterError(Exception):\n"
  "    '''An interpreter-related error happened.'''\n"
  "\n"
  "class QueueError(InterpreterError):\n"
  "    '''A queue-related error happened.'''\n"
  "\n"
  "class QueueNotFoundError(QueueError):\n"
  "    '''The queue does not exist (any more).'''\n"
  "\n"
  "class QueueEmpty(QueueError, _queue.Empty):\n"
  "    '''Raised from Queue.get() when the queue is empty.'''\n"
  "\n"
  "class QueueFull(QueueError, _queue.Full):\n"
  "    '''Raised from Queue.put() when the queue is full.'''\n"
  "\n"
  "QueueEmptyError = QueueEmpty\n"
  "QueueFullError = QueueFull\n"
  "\n"
  "class ItemInterpreterDestroyed(QueueError):\n"
  "    '''The interpreter that put the item was destroyed.'''\n"
  "\n"
  "class NotShareableError(TypeError):\n"
  "    '''The object cannot be sent to another interpreter.'''\n"
  "\n"
  "class ChannelError(Exception):\n"
  "    '''A channel-related error happened.'''\n"
  "\n"
  "class ChannelNotFoundError(ChannelError):\n"
  "    '''The channel does not exist (any more).'''\n"
  "\n"
  "class ChannelEmptyError(ChannelError):\n"
  "    '''The channel is unexpectedly empty.'''\n"
  "\n"
  "class ChannelNotEmptyError(ChannelError):\n"
  "    '''The channel is unexpectedly not empty.'''\n"
  "\n"
  "class NotReceivedError(ChannelError):\n"
  "    '''Nothing was waiting to receive a sent object.'''\n"
  "\n"
  "class _UnboundItem:\n"
  "    '''What get() returns for an item whose interpreter was destroyed.'''\n"
  "    __slots__ = ()\n"
  "    def __repr__(self):\n"
  "        return 'interp_glib.UNBOUND'\n"
  "    def __reduce__(self):\n"
  "        return 'UNBOUND'\n"
  "\n"
  "class _UnboundPolicy:\n"
  "    __slots__ = ('_name', '_code')\n"
  "    def __init__(self, name, code):\n"
  "        self._name = name\n"
  "        self._code = code\n"
  "    def __repr__(self):\n"
  "        return 'interp_glib.' + self._name\n"
  "    def __reduce__(self):\n"
  "        return self._name\n"
  "\n"
  "UNBOUND = _UnboundItem()\n"
  "UNBOUND_ERROR = _UnboundPolicy('UNBOUND_ERROR', 2)\n"
  "UNBOUND_REMOVE = _UnboundPolicy('UNBOUND_REMOVE', 3)\n"
  "\n"
  "def _unbound_code(op, default=0):\n"
  "    if op is None:\n"
  "        return default\n"
  "    if op is UNBOUND:\n"
  "        return 1\n"
  "    if isinstance(op, _UnboundPolicy):\n"
  "        return op._code\n"
  "    raise NotImplementedError(f'unsupported unbound replacement op {op!r}')\n"
  "\n"

  "class Queue:\n"
  "    '''A cross-interpreter FIFO queue; the queue.Queue interface.\n"
  "\n"
  "    Queue(id) gives the existing queue with that ID, in any interpreter.\n"
  "    '''\n"
  "    __slots__ = ('_handle', '__weakref__')\n"
  "    def __new__(cls, id, /):\n"
  "        if not isinstance(id, int):\n"
  "            raise TypeError(f'id must be an int, got {id!r}')\n"
  "        return cls._from_handle(_queue_lookup(id))\n"
  "    @classmethod\n"
  "    def _from_handle(cls, handle):\n"
  "        self = object.__new__(cls)\n"
  "        self._handle = handle\n"
  "        return self\n"
  "    def __repr__(self):\n"
  "        return f'{type(self).__name__}({self.id})'\n"
  "    def __hash__(self):\n"
  "        return hash(self.id)\n"
  "    def __eq__(self, other):\n"
  "        if not isinstance(other, Queue):\n"
  "            return NotImplemented\n"
  "        return self.id == other.id\n"
  "    def __reduce__(self):\n"
  "        _keep_alive(self._handle)\n"
  "        return (type(self), (self.id,))\n"
  "    @property\n"
  "    def id(self):\n"
  "        return self._handle.id\n"
  "    @property\n"
  "    def maxsize(self):\n"
  "        return self._handle.maxsize\n"
  "    def empty(self):\n"
  "        return _size(self._handle) == 0\n"
  "    def full(self):\n"
  "        return self.maxsize > 0 and _size(self._handle) >= self.maxsize\n"
  "    def qsize(self):\n"
  "        return _size(self._handle)\n"
  "    def put(self, obj, block=True, timeout=None, *, unbounditems=None):\n"
  "        '''Adds obj; waits for room (without polling) if the queue is full.'''\n"
  "        _put(self._handle, obj, block, timeout, unbounditems, False)\n"
  "    def put_nowait(self, obj, *, unbounditems=None):\n"
  "        _put(self._handle, obj, False, None, unbounditems, False)\n"
  "    def get(self, block=True, timeout=None):\n"
  "        '''Removes and returns the next item; waits (without polling) if empty.'''\n"
  "        return _get(self._handle, block, timeout)\n"
  "    def get_nowait(self):\n"
  "        return _get(self._handle, False, None)\n"
  "\n"
  "def create_queue(maxsize=0, *, unbounditems=UNBOUND):\n"
  "    '''Creates a new cross-interpreter queue.'''\n"
  "    return Queue._from_handle(_queue_create(maxsize, _unbound_code(unbounditems, 1)))\n"
  "\n"
  "class _ChannelEnd:\n"
  "    __slots__ = ('_handle', '__weakref__')\n"
  "    def __new__(cls, id, /):\n"
  "        if not isinstance(id, int):\n"
  "            raise TypeError(f'id must be an int, got {id!r}')\n"
  "        return cls._from_handle(_channel_lookup(id))\n"
  "    @classmethod\n"
  "    def _from_handle(cls, handle):\n"
  "        self = object.__new__(cls)\n"
  "        self._handle = handle\n"
  "        return self\n"
  "    def __repr__(self):\n"
  "        return f'{type(self).__name__}({self.id})'\n"
  "    def __hash__(self):\n"
  "        return hash((type(self), self.id))\n"
  "    def __eq__(self, other):\n"
  "        if not isinstance(other, _ChannelEnd):\n"
  "            return NotImplemented\n"
  "        return type(self) is type(other) and self.id == other.id\n"
  "    def __reduce__(self):\n"
  "        _keep_alive(self._handle)\n"
  "        return (type(self), (self.id,))\n"
  "    @property\n"
  "    def id(self):\n"
  "        return self._handle.id\n"
  "\n"
  "class RecvChannel(_ChannelEnd):\n"
  "    '''The receiving end of a channel.'''\n"
  "    __slots__ = ()\n"
  "    def recv(self, timeout=None):\n"
  "        '''Returns the next object sent; waits (without polling) if none.'''\n"
  "        return _get(self._handle, True, timeout)\n"
  "    def recv_nowait(self, default=None):\n"
  "        '''Like recv(), but returns default instead of waiting.'''\n"
  "        try:\n"
  "            return _get(self._handle, False, None)\n"
  "        except ChannelEmptyError:\n"
  "            return default\n"
  "\n"
  "class SendChannel(_ChannelEnd):\n"
  "    '''The sending end of a channel.'''\n"
  "    __slots__ = ()\n"
  "    def send(self, obj, timeout=None, *, unbounditems=None):\n"
  "        '''Sends obj and waits until it is received (NotReceivedError on timeout).'''\n"
  "        _put(self._handle, obj, True, timeout, unbounditems, True)\n"
  "    def send_nowait(self, obj, *, unbounditems=None):\n"
  "        '''Sends obj only if a receiver is waiting for it: returns whether it was.'''\n"
  "        return _offer(self._handle, obj, unbounditems)\n"
  "\n"
  "def create_channel(*, unbounditems=UNBOUND):\n"
  "    '''Creates a channel: returns (RecvChannel, SendChannel).'''\n"
  "    handle = _channel_create(0, _unbound_code(unbounditems, 1))\n"
  "    return RecvChannel._from_handle(handle), SendChannel._from_handle(handle)\n"
  "\n"
  "def list_all_channels():\n"
  "    '''Returns (RecvChannel, SendChannel) for every open channel.'''\n"
  "    ends = []\n"
  "    for cid in _list_channels():\n"
  "        try:\n"
  "            handle = _channel_lookup(cid)\n"
  "        except ChannelNotFoundError:\n"
  "            continue\n"
  "        ends.append((RecvChannel._from_handle(handle), SendChannel._from_handle(handle)))\n"
  "    return ends\n"
  "\n"
  "def get_main():\n"
  "    '''The ID of the main interpreter.'''\n"
  "    return 0\n";

static int
fetch (PyObject    *dict,
       const char  *name,
       PyObject   **slot)
{
  PyObject *value = PyDict_GetItemString (dict, name);  /* borrowed */

  if (value == NULL)
    {
      PyErr_Format (PyExc_RuntimeError, "interp_glib: %s missing", name);
      return -1;
    }
  *slot = Py_NewRef (value);
  return 0;
}

static int
module_exec (PyObject *module)
{
  InterpModuleState *mod = get_state (module);
  PyObject *dict = PyModule_GetDict (module);
  PyObject *result;

  mod->handle_type = PyType_FromModuleAndSpec (module, &handle_spec, NULL);
  mod->buffer_type = PyType_FromModuleAndSpec (module, &shared_buffer_spec, NULL);
  if (mod->handle_type == NULL || mod->buffer_type == NULL)
    return -1;
  mod->pickle = PyImport_ImportModule ("pickle");
  if (mod->pickle == NULL)
    return -1;

  if (PyDict_GetItemString (dict, "__builtins__") == NULL &&
      PyDict_SetItemString (dict, "__builtins__", PyEval_GetBuiltins ()) < 0)
    return -1;
  result = PyRun_String (module_source, Py_file_input, dict, dict);
  if (result == NULL)
    return -1;
  Py_DECREF (result);

  if (fetch (dict, "Queue", &mod->queue_class) < 0 ||
      fetch (dict, "RecvChannel", &mod->recv_class) < 0 ||
      fetch (dict, "SendChannel", &mod->send_class) < 0 ||
      fetch (dict, "NotShareableError", &mod->not_shareable) < 0 ||
      fetch (dict, "QueueEmpty", &mod->queue_empty) < 0 ||
      fetch (dict, "QueueFull", &mod->queue_full) < 0 ||
      fetch (dict, "QueueNotFoundError", &mod->queue_not_found) < 0 ||
      fetch (dict, "ItemInterpreterDestroyed", &mod->item_destroyed) < 0 ||
      fetch (dict, "ChannelNotFoundError", &mod->channel_not_found) < 0 ||
      fetch (dict, "ChannelEmptyError", &mod->channel_empty) < 0 ||
      fetch (dict, "NotReceivedError", &mod->not_received) < 0 ||
      fetch (dict, "UNBOUND", &mod->unbound) < 0 ||
      fetch (dict, "UNBOUND_ERROR", &mod->unbound_error) < 0 ||
      fetch (dict, "UNBOUND_REMOVE", &mod->unbound_remove) < 0)
    return -1;
  return 0;
}

/* Every PyObject in the module state, for traverse and clear. */
#define FOR_EACH_STATE_OBJECT(X) \
  X (handle_type) X (buffer_type) X (queue_class) X (recv_class) X (send_class) \
  X (not_shareable) X (queue_empty) X (queue_full) X (queue_not_found) \
  X (item_destroyed) X (channel_not_found) X (channel_empty) X (not_received) \
  X (unbound) X (unbound_error) X (unbound_remove) X (pickle)

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
  .m_name = "interp_glib",
  .m_doc = "Queues, channels and helpers shared by the interpreters of an interp-glib application.",
  .m_size = sizeof (InterpModuleState),
  .m_methods = module_methods,
  .m_slots = module_slots,
  .m_traverse = module_traverse,
  .m_clear = module_clear,
  .m_free = module_free,
};

static PyObject *
create_module (PyObject *spec,
               PyObject *cancelled_error)
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

/* The finder's loader calls this with the spec; self is CancelledError. */
static PyObject *
load_module (PyObject *cancelled_error,
             PyObject *spec)
{
  return create_module (spec, cancelled_error);
}

static PyMethodDef load_def = {
  "_load", load_module, METH_O, "Creates the interp_glib module for the import system.",
};

static const char finder_source[] =
  "import sys\n"
  "from _frozen_importlib import ModuleSpec\n"
  "class _InterpGlibFinder:\n"
  "    '''Makes interp_glib importable; built by the importing thread.'''\n"
  "    def __init__(self, load):\n"
  "        self._load = load\n"
  "    def find_spec(self, name, path=None, target=None):\n"
  "        if name != 'interp_glib':\n"
  "            return None\n"
  "        return ModuleSpec(name, self, origin='interp-glib')\n"
  "    def create_module(self, spec):\n"
  "        return self._load(spec)\n"
  "    def exec_module(self, module):\n"
  "        pass\n"
  "sys.meta_path.append(_InterpGlibFinder(load))\n";

gboolean
_interp_module_install (PyObject  *cancelled_error,
                        gboolean   lazy,
                        GError   **error)
{
  gboolean ok;

  if (lazy)
    {
      /* The module imports threading (through queue): in an interpreter
       * whose main thread is not ours (hosted mode), that import must
       * happen on an application thread, when the application imports us. */
      PyObject *load = PyCFunction_New (&load_def, cancelled_error);
      PyObject *globals = load ? PyDict_New () : NULL;
      PyObject *result = NULL;

      if (globals != NULL &&
          PyDict_SetItemString (globals, "__builtins__", PyEval_GetBuiltins ()) == 0 &&
          PyDict_SetItemString (globals, "load", load) == 0)
        result = PyRun_String (finder_source, Py_file_input, globals, globals);
      ok = result != NULL;
      Py_XDECREF (result);
      Py_XDECREF (globals);
      Py_XDECREF (load);
    }
  else
    {
      PyObject *machinery = PyImport_ImportModule ("importlib.machinery");
      PyObject *spec = machinery ? PyObject_CallMethod (machinery, "ModuleSpec", "ss", "interp_glib", NULL) : NULL;
      PyObject *module = spec ? create_module (spec, cancelled_error) : NULL;

      ok = module != NULL && PyDict_SetItemString (PyImport_GetModuleDict (), "interp_glib", module) == 0;
      Py_XDECREF (module);
      Py_XDECREF (spec);
      Py_XDECREF (machinery);
    }

  if (!ok)
    {
      g_autofree char *why = _interp_python_take_error_text ();

      g_set_error (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                   "Could not create the interp_glib module: %s", why ? why : "unknown error");
    }
  return ok;
}
