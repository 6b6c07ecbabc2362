/* interp-module-queues.c: the queue primitives of _interp_glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What interp_glib.Queue stands on, as CPython's _interpqueues is what
 * concurrent.interpreters.Queue stands on: creating and finding queues,
 * and the blocking put/get with the GIL released. put, get, size and
 * keep-alive work on any _Handle (interp-module-core.c): the channel
 * classes use them too; what only channels do is in
 * interp-module-channels.c.
 */

#include "interp-module-private.h"
#include "interp-error.h"

/* _queue_create(maxsize, unbound) -> _Handle */
static PyObject *
mod_queue_create (PyObject *module,
                  PyObject *args)
{
  int maxsize = 0;
  int unbound = 0;

  if (!PyArg_ParseTuple (args, "ii:_queue_create", &maxsize, &unbound))
    return NULL;
  return _interp_module_handle_create (get_state (module), maxsize, unbound, FALSE);
}

/* _queue_lookup(id) -> _Handle */
static PyObject *
mod_queue_lookup (PyObject *module,
                  PyObject *arg)
{
  return _interp_module_handle_lookup (get_state (module), arg, FALSE);
}

static PyObject *
mod_list_queues (PyObject *module,
                 PyObject *unused)
{
  return _interp_module_list_from_ids (_interp_queues_list_queues ());
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

/* Queue errors are the channel's when @state is one. */
static InterpModuleRaiseFlags
raise_flags (InterpQueueState *state)
{
  return _interp_queue_state_is_channel (state) ? INTERP_MODULE_RAISE_CHANNEL
                                                : INTERP_MODULE_RAISE_DEFAULT;
}

/* Positional arguments of a METH_FASTCALL primitive: exactly @n, as
 * PyArg_ParseTuple() would insist. The primitives a stream calls per item
 * skip building and parsing an argument tuple. */
static gboolean
check_nargs (const char *name,
             Py_ssize_t  nargs,
             Py_ssize_t  n)
{
  if (nargs == n)
    return TRUE;
  PyErr_Format (PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", name, n, nargs);
  return FALSE;
}

/* A "p" argument: -1 with an exception set. */
static int
parse_bool (PyObject *object)
{
  return PyObject_IsTrue (object);
}

/* _put(handle, obj, block, timeout, unbounditems, wait_received) */
static PyObject *
mod_put (PyObject        *module,
         PyObject *const *args,
         Py_ssize_t       nargs)
{
  InterpModuleState *mod = get_state (module);
  PyObject *handle, *object, *timeout, *unbound_op;
  int block, wait_received;
  gint64 timeout_us;
  InterpItemOrigin origin;
  InterpQueueState *state;
  InterpCarrier *carrier;
  GError *error = NULL;
  gboolean ok;

  if (!check_nargs ("_put", nargs, 6))
    return NULL;
  handle = args[0];
  object = args[1];
  timeout = args[3];
  unbound_op = args[4];
  if ((block = parse_bool (args[2])) < 0 || (wait_received = parse_bool (args[5])) < 0 ||
      (state = _interp_module_handle_get_state (mod, handle)) == NULL ||
      !parse_timeout (block, timeout, &timeout_us) ||
      !_interp_module_parse_origin (mod, unbound_op, &origin))
    return NULL;

  carrier = _interp_carrier_from_python (object, &mod->carrier, &error);
  if (carrier == NULL)
    return _interp_module_raise_error (mod, raise_flags (state), error);

  /* Try without waiting first, the GIL held (no queue lock is ever held
   * while waiting for a GIL); release the GIL only to wait, and only when
   * the queue was full (not when the channel is closed). */
  ok = !wait_received && _interp_queue_state_put (state, carrier, &origin,
                                                  INTERP_WAIT_DEFAULT, 0, NULL, &error);
  if (!ok && (timeout_us != 0 || wait_received) &&
      (error == NULL || g_error_matches (error, INTERP_ERROR, INTERP_ERROR_QUEUE_FULL)))
    {
      g_clear_error (&error);
      Py_BEGIN_ALLOW_THREADS
      ok = _interp_queue_state_put (state, carrier, &origin,
                                    INTERP_WAIT_JOB_CANCELLABLE |
                                    (wait_received ? INTERP_WAIT_RECEIVED : INTERP_WAIT_DEFAULT),
                                    timeout_us, NULL, &error);
      Py_END_ALLOW_THREADS
    }
  if (!ok)
    {
      _interp_carrier_free (carrier);
      return _interp_module_raise_error (mod, raise_flags (state), error);
    }
  Py_RETURN_NONE;
}

/* _get(handle, block, timeout) -> obj, or UNBOUND */
static PyObject *
mod_get (PyObject        *module,
         PyObject *const *args,
         Py_ssize_t       nargs)
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

  if (!check_nargs ("_get", nargs, 3))
    return NULL;
  handle = args[0];
  timeout = args[2];
  if ((block = parse_bool (args[1])) < 0 ||
      (state = _interp_module_handle_get_state (mod, handle)) == NULL ||
      !parse_timeout (block, timeout, &timeout_us))
    return NULL;

  /* As for put: without waiting and the GIL held first. */
  carrier = _interp_queue_state_get (state, 0, NULL, INTERP_WAIT_DEFAULT, &info, &error);
  if (timeout_us != 0 && g_error_matches (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY))
    {
      g_clear_error (&error);
      Py_BEGIN_ALLOW_THREADS
      carrier = _interp_queue_state_get (state, timeout_us, NULL, INTERP_WAIT_JOB_CANCELLABLE,
                                         &info, &error);
      Py_END_ALLOW_THREADS
    }
  if (error != NULL)
    return _interp_module_raise_error (mod, raise_flags (state), error);

  if (info.status == INTERP_ITEM_UNBOUND)
    return Py_NewRef (mod->unbound);
  if (info.status == INTERP_ITEM_DESTROYED)
    return _interp_module_raise_error (mod, INTERP_MODULE_RAISE_DEFAULT,
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

/* _keep_alive(handle): called from __reduce__(), see interp-carrier.c */
static PyObject *
mod_keep_alive (PyObject *module,
                PyObject *handle)
{
  InterpQueueState *state = _interp_module_handle_get_state (get_state (module), handle);

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
  InterpQueueState *state = _interp_module_handle_get_state (get_state (module), handle);

  return state ? PyLong_FromLong (_interp_queue_state_get_size (state)) : NULL;
}

static PyObject *
mod_has_waiting_getter (PyObject *module,
                        PyObject *handle)
{
  InterpQueueState *state = _interp_module_handle_get_state (get_state (module), handle);

  return state ? PyBool_FromLong (_interp_queue_state_has_waiting_getter (state)) : NULL;
}

static PyMethodDef queues_methods[] = {
  { "_queue_create", mod_queue_create, METH_VARARGS, NULL },
  { "_queue_lookup", mod_queue_lookup, METH_O, NULL },
  { "_put", (PyCFunction) (void (*) (void)) mod_put, METH_FASTCALL, NULL },
  { "_get", (PyCFunction) (void (*) (void)) mod_get, METH_FASTCALL, NULL },
  { "_size", mod_size, METH_O, NULL },
  { "_keep_alive", mod_keep_alive, METH_O, NULL },
  { "_has_waiting_getter", mod_has_waiting_getter, METH_O, NULL },
  { "_list_queues", mod_list_queues, METH_NOARGS, NULL },
  { NULL },
};

const InterpModulePart _interp_module_queues_part = {
  .methods = queues_methods,
};
