/* interp-module-private.h: the interp_glib module inside interpreters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-queue-private.h"

G_BEGIN_DECLS

typedef enum
{
  INTERP_END_QUEUE,
  INTERP_END_RECV,
  INTERP_END_SEND,
} InterpEndKind;

typedef struct _InterpBufferShare InterpBufferShare;

struct _InterpModuleState
{
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
  PyObject *not_shareable;
  PyObject *queue_empty;
  PyObject *queue_full;
  PyObject *queue_not_found;
  PyObject *item_destroyed;
  PyObject *channel_not_found;
  PyObject *channel_empty;
  PyObject *not_received;
  PyObject *unbound;
  PyObject *unbound_error;
  PyObject *unbound_remove;
  PyObject *pickle;
};

/* Makes _interp_glib and interp_glib importable in the current
 * interpreter (GIL held): runs the resource's _bootstrap.py. */
gboolean          _interp_module_install          (PyObject           *cancelled_error,
                                                   gboolean            lazy,
                                                   GError            **error);

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

/* The queue (borrowed) behind a Queue/RecvChannel/SendChannel, or NULL. */
InterpQueueState *_interp_module_get_end          (InterpModuleState  *mod,
                                                   PyObject           *object,
                                                   InterpEndKind      *kind);
PyObject         *_interp_module_wrap_end         (InterpModuleState  *mod,
                                                   InterpQueueState   *state,
                                                   InterpEndKind       kind);

/* Buffers shared without copying (interp-carrier.c). */
InterpBufferShare *_interp_buffer_share_ref       (InterpBufferShare  *share);
void               _interp_buffer_share_unref     (InterpBufferShare  *share);
PyObject          *_interp_module_new_shared_buffer (InterpModuleState *mod,
                                                     InterpBufferShare *share);
gboolean           _interp_buffer_share_fill      (InterpBufferShare  *share,
                                                   PyObject           *exporter,
                                                   Py_buffer          *view,
                                                   int                 flags);

G_END_DECLS
