/* interp-cancel-waiter.c: a waiter that a cancellable can end
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The state goes IDLE -> CONNECTING -> CONNECTED -> FINISHED, or straight
 * to FINISHED. Whoever moves it to FINISHED from CONNECTED disconnects;
 * from CONNECTING, the connecting thread sees that it lost and
 * disconnects itself. A waiter finished before it was connected is never
 * connected.
 */

#include "interp-cancel-waiter-private.h"

enum
{
  WAITER_IDLE,
  WAITER_CONNECTING,
  WAITER_CONNECTED,
  WAITER_FINISHED,
};

void
_interp_cancel_waiter_connect (InterpCancelWaiter *waiter,
                               GCancellable       *cancellable,
                               GCallback           func,
                               gpointer            data,
                               GDestroyNotify      data_destroy)
{
  gulong id;

  if (cancellable == NULL ||
      !g_atomic_int_compare_and_exchange (&waiter->state, WAITER_IDLE, WAITER_CONNECTING))
    {
      if (data_destroy != NULL)
        data_destroy (data);
      return;
    }

  waiter->cancellable = g_object_ref (cancellable);
  /* 0 when @func ran already, inside this call. */
  id = g_cancellable_connect (cancellable, func, data, data_destroy);
  waiter->handler_id = id;
  if (g_atomic_int_compare_and_exchange (&waiter->state, WAITER_CONNECTING, WAITER_CONNECTED))
    return;

  /* Finished meanwhile: here, or by a delivery on another thread. */
  if (id != 0)
    g_cancellable_disconnect (cancellable, id);
  g_clear_object (&waiter->cancellable);
}

static void
wake_cb (GCancellable *cancellable,
         gpointer      data)
{
  InterpCancelWaiter *waiter = data;

  g_mutex_lock (waiter->wake_lock);
  g_cond_broadcast (waiter->wake_cond);
  g_mutex_unlock (waiter->wake_lock);
}

void
_interp_cancel_waiter_connect_wake (InterpCancelWaiter *waiter,
                                    GCancellable       *cancellable,
                                    GMutex             *lock,
                                    GCond              *cond)
{
  waiter->wake_lock = lock;
  waiter->wake_cond = cond;
  _interp_cancel_waiter_connect (waiter, cancellable, G_CALLBACK (wake_cb), waiter, NULL);
}

void
_interp_cancel_waiter_finish (InterpCancelWaiter *waiter,
                              gboolean            in_handler)
{
  if (g_atomic_int_exchange (&waiter->state, WAITER_FINISHED) != WAITER_CONNECTED)
    return;

  if (waiter->handler_id != 0 && in_handler)
    {
      /* Running the handler on this thread: disconnecting through the
       * cancellable would wait for ourselves. The closure lives until
       * the handler returns. */
      g_signal_handler_disconnect (waiter->cancellable, waiter->handler_id);
    }
  else if (waiter->handler_id != 0)
    g_cancellable_disconnect (waiter->cancellable, waiter->handler_id);
  waiter->handler_id = 0;
  g_clear_object (&waiter->cancellable);
}

gboolean
_interp_cancel_waiter_is_connected (InterpCancelWaiter *waiter)
{
  gint state = g_atomic_int_get (&waiter->state);

  return state == WAITER_CONNECTING || state == WAITER_CONNECTED;
}
