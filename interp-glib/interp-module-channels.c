/* interp-module-channels.c: the channel primitives of _interp_glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What only interp_glib's RecvChannel and SendChannel need, as CPython's
 * _interpchannels: creating and finding channels, closing their ends and
 * send_nowait(). A channel is a queue with ends that close (the queue
 * state knows both); sending and receiving go through the queue
 * primitives (interp-module-queues.c), which work on any _Handle.
 */

#include "interp-module-private.h"

/* _channel_create(maxsize, unbound) -> _Handle */
static PyObject *
mod_channel_create (PyObject *module,
                    PyObject *args)
{
  int maxsize = 0;
  int unbound = 0;

  if (!PyArg_ParseTuple (args, "ii:_channel_create", &maxsize, &unbound))
    return NULL;
  return _interp_module_handle_create (get_state (module), maxsize, unbound, TRUE);
}

/* _channel_lookup(id) -> _Handle */
static PyObject *
mod_channel_lookup (PyObject *module,
                    PyObject *arg)
{
  return _interp_module_handle_lookup (get_state (module), arg, TRUE);
}

static PyObject *
mod_list_channels (PyObject *module,
                   PyObject *unused)
{
  return _interp_module_list_from_ids (_interp_queues_list_channels ());
}

/* _channel_close(handle, ends): ends is 1 (send), 2 (recv) or 3 (both). */
static PyObject *
mod_channel_close (PyObject *module,
                   PyObject *args)
{
  PyObject *handle;
  int ends;
  InterpQueueState *state;

  if (!PyArg_ParseTuple (args, "Oi:_channel_close", &handle, &ends) ||
      (state = _interp_module_handle_get_state (get_state (module), handle)) == NULL)
    return NULL;
  _interp_queue_state_close_ends (state, ends & 3);
  Py_RETURN_NONE;
}

static PyObject *
mod_channel_closed (PyObject *module,
                    PyObject *handle)
{
  InterpQueueState *state = _interp_module_handle_get_state (get_state (module), handle);

  return state ? PyLong_FromLong (_interp_queue_state_get_closed_ends (state)) : NULL;
}

/* _offer(handle, obj, unbounditems) -> bool: SendChannel.send_nowait() */
static PyObject *
mod_offer (PyObject *module,
           PyObject *args)
{
  InterpModuleState *mod = get_state (module);
  PyObject *handle, *object, *unbound_op;
  InterpItemOrigin origin;
  InterpQueueState *state;
  InterpCarrier *carrier;
  GError *error = NULL;

  if (!PyArg_ParseTuple (args, "OOO:_offer", &handle, &object, &unbound_op) ||
      (state = _interp_module_handle_get_state (mod, handle)) == NULL ||
      !_interp_module_parse_origin (mod, unbound_op, &origin))
    return NULL;
  carrier = _interp_carrier_from_python (object, &mod->carrier, &error);
  if (carrier == NULL)
    return _interp_module_raise_error (mod, INTERP_MODULE_RAISE_CHANNEL, error);
  if (_interp_queue_state_offer (state, carrier, &origin))
    Py_RETURN_TRUE;
  _interp_carrier_free (carrier);
  Py_RETURN_FALSE;
}

static PyMethodDef channels_methods[] = {
  { "_channel_create", mod_channel_create, METH_VARARGS, NULL },
  { "_channel_lookup", mod_channel_lookup, METH_O, NULL },
  { "_channel_close", mod_channel_close, METH_VARARGS, NULL },
  { "_channel_closed", mod_channel_closed, METH_O, NULL },
  { "_offer", mod_offer, METH_VARARGS, NULL },
  { "_list_channels", mod_list_channels, METH_NOARGS, NULL },
  { NULL },
};

const InterpModulePart _interp_module_channels_part = {
  .methods = channels_methods,
};
