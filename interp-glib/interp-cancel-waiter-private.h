/* interp-cancel-waiter-private.h: a waiter that a cancellable can end
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Whatever waits for something (a queued job, a get, a pool call) and may
 * be cancelled has two ways to end: it is delivered, or its cancellable
 * fires and its handler drops it and completes it. The handler must be
 * disconnected exactly once, and never from a thread that holds a lock
 * the handler takes. Two races make that hard, and this helper settles
 * them for every waiter:
 *  - g_cancellable_connect() calls the handler at once, inside the call,
 *    when the cancellable is cancelled already;
 *  - the waiter may be delivered on another thread before the connecting
 *    thread has the handler's id: then the connecting thread disconnects.
 * A waiter ended inside its own handler disconnects that handler without
 * waiting for it (g_cancellable_disconnect() would wait for itself), so
 * that the handler's data is not kept until the cancellable is finalized.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GCancellable *cancellable;  /* a reference while connected */
  gulong handler_id;
  gint state;                 /* atomic */
  GMutex *wake_lock;          /* _interp_cancel_waiter_connect_wake() */
  GCond *wake_cond;
} InterpCancelWaiter;

#define INTERP_CANCEL_WAITER_INIT { NULL, 0, 0, NULL, NULL }

/* Connects @func (@cancellable, @data) to @cancellable (may be NULL:
 * nothing to connect); @data_destroy (@data) once it is disconnected. If
 * @cancellable is cancelled already, @func runs inside this call. Call it
 * without any lock @func takes. */
void     _interp_cancel_waiter_connect      (InterpCancelWaiter *waiter,
                                             GCancellable       *cancellable,
                                             GCallback           func,
                                             gpointer            data,
                                             GDestroyNotify      data_destroy);

/* For a sync wait on @cond under @lock: cancelling @cancellable
 * broadcasts @cond under @lock, so a waiter that looks at the cancellable
 * under @lock before each sleep is woken. Call it without @lock;
 * _interp_cancel_waiter_finish() after the wait, without @lock too. */
void     _interp_cancel_waiter_connect_wake (InterpCancelWaiter *waiter,
                                             GCancellable       *cancellable,
                                             GMutex             *lock,
                                             GCond              *cond);

/* The waiter is delivered or cancelled: disconnects its handler, once,
 * whoever calls first (later calls do nothing). @in_handler: called from
 * the waiter's own handler, on the thread that cancels. Otherwise it may
 * wait for a handler running on another thread: call it without any lock
 * the handler takes. */
void     _interp_cancel_waiter_finish       (InterpCancelWaiter *waiter,
                                             gboolean            in_handler);

/* Whether the waiter is still connected (for assertions). */
gboolean _interp_cancel_waiter_is_connected (InterpCancelWaiter *waiter);

G_END_DECLS
