/* interp-module-private.h: the core of the interp_glib module inside interpreters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The top of the library's private layers: the Python face, over the
 * interpreters, the pool, the queues and the carrier. It reaches the
 * layers below through their calls, and they reach it only through the
 * hooks it registers (InterpExecutorHooks.started installs the module in
 * each new interpreter; its state starts with an InterpCarrierContext).
 *
 * The module is layered too (build-aux/check-layers.py checks it): this
 * header is its core (interp-module-core.c: the state, the errors, the
 * handles), under one file per part (interp-module-queues.c,
 * interp-module-channels.c, interp-module-interp.c, interp-module-pool.c)
 * that uses the core only, never another part. Each part hands the top
 * (interp-module.c) an InterpModulePart; the top puts them together.
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
  PyObject *cancelled_error;    /* CancelledError: the installing executor's */
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
  /* The host's __main__ script is being loaded here as __mp_main__ (for
   * a function defined in it): starting interpreters now means that the
   * script lacks its `if __name__ == '__main__':` guard. */
  gboolean  loading_main_copy;
};

/* What a part of the module gives the top: its functions and what it adds
 * to a new module (types in the state, imports); exec is called once per
 * module, after the parts before it, and fails with an exception set. */
typedef struct
{
  PyMethodDef *methods;   /* NULL-terminated */
  gboolean   (*exec)  (PyObject          *module,
                       InterpModuleState *mod);  /* or NULL */
} InterpModulePart;

/* The core's own part: _register(), is_shareable(), _Handle,
 * _SharedBuffer and the carrier's hooks. The top sets it up first. */
extern const InterpModulePart _interp_module_core_part;

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

/* The module state's lifetime, for the PyModuleDef. */
int               _interp_module_state_traverse   (PyObject           *module,
                                                   visitproc           visit,
                                                   void               *arg);
int               _interp_module_state_clear      (PyObject           *module);
void              _interp_module_state_free       (void               *module);
/* Makes @cancelled_error (the installing executor's) the module's
 * CancelledError; FALSE with an exception set. */
gboolean          _interp_module_set_cancelled_error (PyObject        *module,
                                                      PyObject        *cancelled_error);

/* The _interp_glib state of the current interpreter, imported if needed
 * (GIL held); NULL with an exception set. */
InterpModuleState *_interp_module_get_current_state (void);
/* Imports the interp_glib package if its classes are not registered yet. */
gboolean          _interp_module_ensure_package   (InterpModuleState  *mod);

/* How _interp_module_raise_error() reads an error. */
typedef enum
{
  INTERP_MODULE_RAISE_DEFAULT = 0,
  /* A queue error is a channel's: ChannelEmptyError, not QueueEmpty. */
  INTERP_MODULE_RAISE_CHANNEL = 1 << 0,
  /* G_IO_ERROR_CANCELLED is the call's own (its _Cancellable fired, or
   * its pool shut down), not the cancellation of the job it runs in. */
  INTERP_MODULE_RAISE_CALL_CANCELLABLE = 1 << 1,
} InterpModuleRaiseFlags;

/* Raises the Python exception matching @error and frees it; NULL. */
PyObject         *_interp_module_raise_error      (InterpModuleState      *mod,
                                                   InterpModuleRaiseFlags  flags,
                                                   GError                 *error);

/* @object if it is a @type (borrowed), else NULL with TypeError
 * "expected @what". */
gpointer          _interp_module_check_type       (PyObject               *object,
                                                   PyObject               *type,
                                                   const char             *what);

/* _Handle, the reference to a queue or channel that queues and channels
 * share: a new one (NULL with an exception), and the queue behind
 * @object (borrowed; NULL with TypeError). */
PyObject         *_interp_module_handle_new       (InterpModuleState  *mod,
                                                   InterpQueueState   *state);
InterpQueueState *_interp_module_handle_get_state (InterpModuleState  *mod,
                                                   PyObject           *object);
/* A handle to a new queue or channel, or to the existing one with ID
 * @id (a Python int); NULL with an exception. */
PyObject         *_interp_module_handle_create    (InterpModuleState  *mod,
                                                   int                 maxsize,
                                                   int                 unbound,
                                                   gboolean            is_channel);
PyObject         *_interp_module_handle_lookup    (InterpModuleState  *mod,
                                                   PyObject           *id,
                                                   gboolean            is_channel);
/* The origin of an item the current interpreter puts: its ID, and
 * unbounditems @op (None, UNBOUND, UNBOUND_ERROR or UNBOUND_REMOVE) as an
 * InterpUnbound; FALSE with NotImplementedError for anything else. */
gboolean          _interp_module_parse_origin     (InterpModuleState  *mod,
                                                   PyObject           *op,
                                                   InterpItemOrigin   *origin);
/* A list of ints from @ids (gint64), which it frees. */
PyObject         *_interp_module_list_from_ids    (GArray             *ids);

G_END_DECLS
