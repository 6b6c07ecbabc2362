/* interp-module-private.h: the interp_glib module inside interpreters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The top of the library's private layers: the Python face, over the
 * interpreters, the pool, the queues and the carrier. It reaches the
 * layers below through their calls, and they reach it only through the
 * hooks it registers (InterpExecutorHooks.started installs the module in
 * each new interpreter; its state starts with an InterpCarrierContext).
 */

#pragma once

#include "interp-queue-private.h"

G_BEGIN_DECLS

typedef struct _InterpModuleState InterpModuleState;

struct _InterpModuleState
{
  InterpCarrierContext carrier; /* first: what the carrier needs of us */
  PyObject *handle_type;        /* _Handle: a reference to an InterpQueueState */
  PyObject *buffer_type;        /* _SharedBuffer: memory of another interpreter */
  PyObject *interp_type;        /* _Interpreter: a reference to an interpreter */
  PyObject *pool_type;          /* _Pool: an InterpPool */
  PyObject *cancellable_type;   /* _Cancellable: a GCancellable */
  PyObject *marshal;
  PyObject *interpreter_error;  /* registered by the interp_glib package: */
  PyObject *interpreter_not_found;
  PyObject *queue_class;        /* Queue, RecvChannel, SendChannel (Python) */
  PyObject *recv_class;
  PyObject *send_class;
  PyObject *queue_empty;
  PyObject *queue_full;
  PyObject *queue_not_found;
  PyObject *item_destroyed;
  PyObject *channel_not_found;
  PyObject *channel_empty;
  PyObject *channel_closed;
  PyObject *not_received;
  PyObject *unbound;
  PyObject *unbound_error;
  PyObject *unbound_remove;
};

/* The state of the _interp_glib module object @module. */
static inline InterpModuleState *
get_state (PyObject *module)
{
  return PyModule_GetState (module);
}

/* The carrier's view of @mod (NULL for NULL). */
static inline InterpCarrierContext *
_interp_module_carrier (InterpModuleState *mod)
{
  return mod != NULL ? &mod->carrier : NULL;
}

/* The _interp_glib state of the current interpreter, imported if needed
 * (GIL held); NULL with an exception set. */
InterpModuleState *_interp_module_get_current_state (void);
/* Raises the Python exception matching @error and frees it; NULL. */
PyObject         *_interp_module_raise_error      (InterpModuleState  *mod,
                                                   gboolean            is_channel,
                                                   GError             *error);
/* Imports the interp_glib package if its classes are not registered yet. */
gboolean          _interp_module_ensure_package   (InterpModuleState  *mod);

/* interp-module-interp.c: the interpreter primitives. */
extern PyMethodDef _interp_module_interp_methods[];
gboolean          _interp_module_interp_init      (PyObject           *module,
                                                   InterpModuleState  *mod);

/* interp-module-pool.c: the pool primitives. */
extern PyMethodDef _interp_module_pool_methods[];
gboolean          _interp_module_pool_init        (PyObject           *module,
                                                   InterpModuleState  *mod);

G_END_DECLS
