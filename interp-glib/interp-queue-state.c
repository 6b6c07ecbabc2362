/* interp-queue-state.c: the shared state behind queues and channels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Waits block on a condition variable and wake when an item (or room)
 * arrives, from C or Python: no polling. Getters sleep on one condition,
 * putters and senders waiting for receipt on another: an item wakes
 * one getter, not every thread asleep on the queue. Wake-ups are
 * signalled after the lock is dropped, so that the woken thread does not
 * block again on the lock right away. A GCancellable wakes a wait by
 * broadcasting its condition. Carriers are never freed with a queue lock
 * held (freeing one may take an executor's lock).
 */

#include "interp-queue-private.h"
#include "interp-cancel-waiter-private.h"
#include "interp-completion-private.h"
#include "interp-deferred-private.h"
#include "interp-error-private.h"
#include "interp-executor-private.h"
#include "interp-spare-private.h"
#include "interp-spin-private.h"

/* A channel sender waiting for its item to be received. A getter that
 * takes the item marks it taken, then received once it could convert it,
 * or puts it back (no longer taken): a sender never gives up on an item
 * that is taken. */
typedef struct
{
  gboolean taken;
  gboolean received;
} SendWait;

typedef struct
{
  GList link;               /* in items: one allocation per item */
  InterpCarrier *carrier;   /* NULL once the owner is gone */
  InterpItemInfo info;
  SendWait *wait;           /* channels: the sender waiting for receipt */
} Item;

/* References: the caller while starting, the queue's list while queued
 * (then the served effect's), the cancellable's connection while
 * connected. In a g_atomic_rc_box. */
typedef struct
{
  InterpQueueState *state;
  GTask *task;
  InterpCarrier *carrier;   /* put waiters */
  InterpCancelWaiter cancel;
  gboolean done;            /* guarded by state->lock */
  GVariant *result;         /* once served, for the served effect */
  GError *error;
} AsyncWaiter;

struct _InterpQueueState
{
  gatomicrefcount ref_count;  /* the last unref happens under queues_lock */
  gint64 id;
  gboolean is_channel;
  gint maxsize;
  InterpUnbound unbound;

  GMutex lock;
  GCond cond;                 /* sync putters: room, or receipt */
  GCond item_cond;            /* sync getters: an item */
  GQueue items;               /* Item*, through their link */
  GQueue get_waiters;         /* AsyncWaiter* */
  GQueue put_waiters;         /* AsyncWaiter* */
  guint waiting_getters;      /* blocked sync getters */
  guint sleepers;             /* threads in g_cond_wait on cond */
  guint item_sleepers;        /* ... on item_cond */
  gint length;                /* items.length, readable without the lock */
  gint closed_ends;           /* channels: 1 send end closed, 2 recv end; atomic */
};

static GMutex queues_lock;
static GHashTable *registry;  /* gint64* id -> InterpQueueState* (no reference) */
static gint64 next_id = 1;

static void waiter_unref (gpointer data);

/* Effects of a locked section (an InterpDeferred), once the queue lock is
 * released. */
static void
free_carrier_effect (gpointer owner,
                     gpointer data)
{
  _interp_carrier_free (data);
}

/* A waiter the queue served: its task completes, its handler goes, and
 * the list's reference with it. */
static void
served_effect (gpointer owner,
               gpointer data)
{
  AsyncWaiter *waiter = data;

  _interp_completion_return_task (g_object_ref (waiter->task), g_steal_pointer (&waiter->result),
                                  g_steal_pointer (&waiter->error));
  _interp_cancel_waiter_finish (&waiter->cancel, FALSE);
  waiter_unref (waiter);
}

/* Made by a queue's producer and freed by its consumer, mostly: kept for
 * reuse (interp-spare-private.h). */
static InterpSpares item_spares = INTERP_SPARES_INIT (Item, 256);

static Item *
item_new (void)
{
  Item *item = _interp_spares_take (&item_spares);

  item->link.data = item;
  return item;
}

static void
item_free (Item *item)
{
  _interp_spares_give (&item_spares, item);
}

static Item *
pop_item_locked (InterpQueueState *state)
{
  GList *link = g_queue_pop_head_link (&state->items);

  return link != NULL ? link->data : NULL;
}

static void interpreter_closing (InterpExecutor *executor);

InterpQueueState *
_interp_queue_state_new (gint          maxsize,
                         InterpUnbound unbound,
                         gboolean      is_channel)
{
  static const InterpExecutorHooks hooks = { .closing = interpreter_closing };
  static gsize hooks_added;
  InterpQueueState *state;

  /* Items exist only once a queue does: from then on, an interpreter that
   * closes gets its items' unbound policies applied. */
  if (g_once_init_enter (&hooks_added))
    {
      _interp_executor_add_hooks (&hooks);
      g_once_init_leave (&hooks_added, 1);
    }
  state = g_new0 (InterpQueueState, 1);

  g_atomic_ref_count_init (&state->ref_count);
  state->is_channel = is_channel;
  state->maxsize = MAX (maxsize, 0);
  state->unbound = unbound == INTERP_UNBOUND_DEFAULT ? INTERP_UNBOUND_REPLACE : unbound;
  g_mutex_init (&state->lock);
  g_cond_init (&state->cond);
  g_cond_init (&state->item_cond);
  g_queue_init (&state->items);
  g_queue_init (&state->get_waiters);
  g_queue_init (&state->put_waiters);

  g_mutex_lock (&queues_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_int64_hash, g_int64_equal);
  state->id = next_id++;
  g_hash_table_insert (registry, &state->id, state);
  g_mutex_unlock (&queues_lock);

  return state;
}

InterpQueueState *
_interp_queue_state_lookup (gint64     id,
                            gboolean   is_channel,
                            GError   **error)
{
  InterpQueueState *state = NULL;

  g_mutex_lock (&queues_lock);
  if (registry != NULL)
    state = g_hash_table_lookup (registry, &id);
  if (state != NULL && state->is_channel == is_channel)
    g_atomic_ref_count_inc (&state->ref_count);
  else
    state = NULL;
  g_mutex_unlock (&queues_lock);

  if (state == NULL)
    g_set_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND,
                 "%s %" G_GINT64_FORMAT " not found", is_channel ? "Channel" : "Queue", id);
  return state;
}

gboolean
_interp_queue_state_init_for_id (gint64             id,
                                 gboolean           is_channel,
                                 InterpQueueState **state,
                                 GError           **init_error,
                                 GError           **error)
{
  if (*state != NULL)
    return TRUE;
  if (*init_error == NULL)
    *state = _interp_queue_state_lookup (id, is_channel, init_error);
  if (*state == NULL)
    {
      g_propagate_error (error, g_error_copy (*init_error));
      return FALSE;
    }
  return TRUE;
}

InterpQueueState *
_interp_queue_state_ref (InterpQueueState *state)
{
  g_atomic_ref_count_inc (&state->ref_count);
  return state;
}

void
_interp_queue_state_unref (InterpQueueState *state)
{
  Item *item;

  g_mutex_lock (&queues_lock);
  if (!g_atomic_ref_count_dec (&state->ref_count))
    {
      g_mutex_unlock (&queues_lock);
      return;
    }
  g_hash_table_remove (registry, &state->id);
  g_mutex_unlock (&queues_lock);

  /* Nobody else can reach it now. */
  while ((item = pop_item_locked (state)) != NULL)
    {
      _interp_carrier_free (item->carrier);
      item_free (item);
    }
  g_mutex_clear (&state->lock);
  g_cond_clear (&state->cond);
  g_cond_clear (&state->item_cond);
  g_free (state);
}

gint64
_interp_queue_state_get_id (InterpQueueState *state)
{
  return state->id;
}

gint
_interp_queue_state_get_maxsize (InterpQueueState *state)
{
  return state->maxsize;
}

gint
_interp_queue_state_get_size (InterpQueueState *state)
{
  gint size;

  g_mutex_lock (&state->lock);
  size = g_queue_get_length (&state->items);
  g_mutex_unlock (&state->lock);
  return size;
}

gboolean
_interp_queue_state_is_channel (InterpQueueState *state)
{
  return state->is_channel;
}

gboolean
_interp_queue_state_has_waiting_getter (InterpQueueState *state)
{
  gboolean waiting;

  g_mutex_lock (&state->lock);
  waiting = state->waiting_getters > 0 || !g_queue_is_empty (&state->get_waiters);
  g_mutex_unlock (&state->lock);
  return waiting;
}

/* Call after every change of state->items (the lock held). */
static void
update_length_locked (InterpQueueState *state)
{
  g_atomic_int_set (&state->length, g_queue_get_length (&state->items));
}

static gboolean
has_room_locked (InterpQueueState *state)
{
  return state->maxsize <= 0 || (gint) g_queue_get_length (&state->items) < state->maxsize;
}

/* Channels: the closed_ends flags. */
#define CLOSED_SEND 1
#define CLOSED_RECV 2

/* Channels: whether a receive (@receiving) or a send can no longer
 * happen. Closing the sending end lets receivers drain what is left, then
 * stops them; closing the receiving end stops both at once. The flags
 * change under the lock (see _interp_queue_state_close_ends()), so a wait
 * that looked at them under the lock before sleeping is woken by the
 * close. Queues are never closed. */
static gboolean
closed_for_locked (InterpQueueState *state,
                   gboolean          receiving)
{
  gint ends = g_atomic_int_get (&state->closed_ends);

  if (receiving)
    return (ends & CLOSED_RECV) != 0 ||
           ((ends & CLOSED_SEND) != 0 && g_queue_is_empty (&state->items));
  return ends != 0;
}

static GError *
closed_error (InterpQueueState *state)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                      "Channel %" G_GINT64_FORMAT " is closed", state->id);
}

/* Served: the task is returned and the list's reference dropped once the
 * lock is released. */
static void
waiter_finish_locked (AsyncWaiter    *waiter,
                      InterpDeferred *deferred,
                      GVariant       *result,
                      GError         *error)
{
  waiter->done = TRUE;
  waiter->result = result;
  waiter->error = error;
  _interp_deferred_add (deferred, served_effect, waiter);
}

static GError *
destroyed_error (void)
{
  return g_error_new_literal (INTERP_ERROR, INTERP_ERROR_ITEM_INTERPRETER_DESTROYED,
                              "The interpreter that put this item was destroyed");
}

static void
signal_effect (gpointer owner,
               gpointer data)
{
  g_cond_signal (data);
}

static void
broadcast_effect (gpointer owner,
                  gpointer data)
{
  g_cond_broadcast (data);
}

/* Wakes, once the lock is dropped, who can go on: one getter for one
 * item, every sleeping putter (few: they wait for room or receipt); with
 * @all (a close, an item put back) every sleeper, which then looks again.
 * A wake-up is a system call: only when somebody sleeps. A woken getter
 * looks under the lock and sleeps again if another thread was first:
 * nothing is lost, since whoever took the item was not asleep. */
static void
wake_locked (InterpQueueState *state,
             InterpDeferred   *deferred,
             gboolean          all)
{
  guint length = g_queue_get_length (&state->items);

  if (state->item_sleepers > 0 && (all || length > 0))
    _interp_deferred_add (deferred, all || length > 1 ? broadcast_effect : signal_effect,
                          &state->item_cond);
  if (state->sleepers > 0)
    _interp_deferred_add (deferred, broadcast_effect, &state->cond);
}

/* Matches async getters with items and async putters with room. */
static void
pump_locked (InterpQueueState *state,
             InterpDeferred   *deferred)
{
  gboolean progress = TRUE;

  while (progress)
    {
      AsyncWaiter *waiter;

      progress = FALSE;

      /* A closed channel fails its waiters; with only the sending end
       * closed, once the items are drained. */
      if (!g_queue_is_empty (&state->get_waiters) && closed_for_locked (state, TRUE))
        {
          waiter = g_queue_pop_head (&state->get_waiters);
          waiter_finish_locked (waiter, deferred, NULL, closed_error (state));
          progress = TRUE;
        }
      else if (!g_queue_is_empty (&state->get_waiters) && !g_queue_is_empty (&state->items))
        {
          Item *item = g_queue_peek_head (&state->items);
          GError *error = NULL;
          GVariant *value = NULL;

          waiter = g_queue_pop_head (&state->get_waiters);
          if (item->info.status != INTERP_ITEM_VALUE)
            error = destroyed_error ();
          else
            value = _interp_carrier_to_variant (item->carrier, &error);

          /* What C cannot read stays for a Python reader: nothing is lost. */
          if (value != NULL || item->info.status != INTERP_ITEM_VALUE)
            {
              pop_item_locked (state);
              if (item->wait != NULL)
                item->wait->received = TRUE;
              if (item->carrier != NULL)
                _interp_deferred_add (deferred, free_carrier_effect, item->carrier);
              item_free (item);
            }
          waiter_finish_locked (waiter, deferred, value, error);
          progress = TRUE;
        }

      if (!g_queue_is_empty (&state->put_waiters) && closed_for_locked (state, FALSE))
        {
          /* The waiter's carrier is freed with the waiter, unlocked. */
          waiter = g_queue_pop_head (&state->put_waiters);
          waiter_finish_locked (waiter, deferred, NULL, closed_error (state));
          progress = TRUE;
        }
      else if (!g_queue_is_empty (&state->put_waiters) && has_room_locked (state))
        {
          Item *item = item_new ();

          waiter = g_queue_pop_head (&state->put_waiters);
          item->carrier = g_steal_pointer (&waiter->carrier);
          item->info.owner = INTERP_OWNER_NONE;
          item->info.unbound = state->unbound;
          item->info.status = INTERP_ITEM_VALUE;
          g_queue_push_tail_link (&state->items, &item->link);
          waiter_finish_locked (waiter, deferred, NULL, NULL);
          progress = TRUE;
        }
    }
  update_length_locked (state);
  wake_locked (state, deferred, FALSE);
}


/* Before sleeping, watch the length for a few microseconds without the
 * lock: between interpreters on other cores the next item (or room)
 * usually comes that soon, and then nobody pays for a sleep and a wake-up.
 * Only for items and room, and only while the spin budget allows
 * (interp-spin-private.h). Called with the lock held; returns with it
 * held. */
#define SPIN_US 20

/* What a wait finds: go on waiting, done, or the channel was closed. */
typedef enum
{
  WAIT_NOT_YET,
  WAIT_READY,
  WAIT_CLOSED,
} WaitStatus;

typedef WaitStatus (*ReadyFunc) (InterpQueueState *state, gpointer data);

static WaitStatus ready_item (InterpQueueState *state, gpointer data);
static WaitStatus ready_room (InterpQueueState *state, gpointer data);

static gboolean
spin_for (InterpQueueState *state,
          ReadyFunc         ready,
          gpointer          data)
{
  gboolean want_item = ready == ready_item;
  gint64 until;
  gboolean seen = FALSE;

  if ((ready != ready_item && ready != ready_room) || !_interp_spin_begin ())
    return FALSE;

  g_mutex_unlock (&state->lock);
  until = g_get_monotonic_time () + SPIN_US;
  for (guint i = 0; !seen; i++)
    {
      gint length = g_atomic_int_get (&state->length);

      seen = want_item ? length > 0 : (state->maxsize <= 0 || length < state->maxsize);
      /* A close ends the spin too: the wait then looks under the lock. */
      seen = seen || g_atomic_int_get (&state->closed_ends) != 0;
      if (!seen && (i & 63) == 63 && g_get_monotonic_time () >= until)
        break;
      _interp_spin_pause ();
    }
  _interp_spin_end ();
  g_mutex_lock (&state->lock);
  return seen;
}

/* Waits on the condition until @ready, the deadline, cancellation or, for
 * a channel, a close (G_IO_ERROR_CLOSED): @ready says which. Called with
 * the lock held; returns FALSE with @error set when it gives up.
 *
 * A cancellation wakes the wait: _interp_cancel_waiter_connect_wake()
 * broadcasts under the lock; so the cancellation is looked at, under the
 * lock, every time right before sleeping. The spin drops the lock: after it, the loop
 * starts over (anything may have come meanwhile, cancellation included,
 * and its broadcast found nobody asleep). @spun: the caller spun already,
 * right before. */
static gboolean
wait_locked (InterpQueueState  *state,
             ReadyFunc          ready,
             gpointer           data,
             gint64             deadline,
             GCancellable      *cancellable,
             int                timeout_code,
             gboolean           spun,
             GError           **error)
{
  WaitStatus status;

  while ((status = ready (state, data)) != WAIT_READY)
    {
      gboolean woken = TRUE;

      if (status == WAIT_CLOSED)
        {
          g_propagate_error (error, closed_error (state));
          return FALSE;
        }
      if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
        {
          _interp_error_set_cancelled (error);
          return FALSE;
        }
      if (deadline != 0 && !spun)
        {
          spun = TRUE;
          spin_for (state, ready, data);
          continue;
        }
      spun = FALSE;
      if (deadline != 0)
        {
          gboolean want_item = ready == ready_item;
          GCond *cond = want_item ? &state->item_cond : &state->cond;
          guint *sleepers = want_item ? &state->item_sleepers : &state->sleepers;

          (*sleepers)++;
          if (deadline > 0)
            woken = g_cond_wait_until (cond, &state->lock, deadline);
          else
            g_cond_wait (cond, &state->lock);
          (*sleepers)--;
        }
      if (deadline == 0 || (!woken && ready (state, data) == WAIT_NOT_YET))
        {
          g_set_error (error, INTERP_ERROR, timeout_code,
                       timeout_code == INTERP_ERROR_QUEUE_FULL ? "The queue is full" :
                       timeout_code == INTERP_ERROR_QUEUE_EMPTY
                         ? (state->is_channel ? "The channel is empty" : "The queue is empty") :
                       "Nobody received the item");
          return FALSE;
        }
    }
  return TRUE;
}

/* About to wait (the lock held): connects the cancellable, or with
 * INTERP_WAIT_JOB_CANCELLABLE the running job's, so that cancelling wakes
 * the wait. Drops the lock meanwhile: the caller's wait checks its
 * condition again. */
static GCancellable *
prepare_wait (InterpQueueState   *state,
              GCancellable       *cancellable,
              InterpWaitFlags     flags,
              GCond              *cond,
              InterpCancelWaiter *wake)
{
  g_mutex_unlock (&state->lock);
  if (flags & INTERP_WAIT_JOB_CANCELLABLE)
    cancellable = _interp_executor_get_wait_cancellable ();
  _interp_cancel_waiter_connect_wake (wake, cancellable, &state->lock, cond);
  g_mutex_lock (&state->lock);
  return cancellable;
}

static gint64
deadline_for (gint64 timeout_us)
{
  if (timeout_us < 0)
    return -1;
  if (timeout_us == 0)
    return 0;
  return g_get_monotonic_time () + timeout_us;
}

static WaitStatus
ready_room (InterpQueueState *state,
            gpointer          data)
{
  if (closed_for_locked (state, FALSE))
    return WAIT_CLOSED;
  return has_room_locked (state) ? WAIT_READY : WAIT_NOT_YET;
}

static WaitStatus
ready_item (InterpQueueState *state,
            gpointer          data)
{
  if (closed_for_locked (state, TRUE))
    return WAIT_CLOSED;
  return g_queue_is_empty (&state->items) ? WAIT_NOT_YET : WAIT_READY;
}

/* Appends @carrier as a value item from @origin. */
static Item *
push_item_locked (InterpQueueState       *state,
                  InterpCarrier          *carrier,
                  const InterpItemOrigin *origin)
{
  Item *item = item_new ();

  item->carrier = carrier;
  item->info.owner = origin->owner;
  item->info.unbound = origin->unbound == INTERP_UNBOUND_DEFAULT ? state->unbound : origin->unbound;
  item->info.status = INTERP_ITEM_VALUE;
  g_queue_push_tail_link (&state->items, &item->link);
  return item;
}

gboolean
_interp_queue_state_put (InterpQueueState        *state,
                         InterpCarrier           *carrier,
                         const InterpItemOrigin  *origin,
                         InterpWaitFlags          flags,
                         gint64                   timeout_us,
                         GCancellable            *cancellable,
                         GError                 **error)
{
  gboolean wait_received = (flags & INTERP_WAIT_RECEIVED) != 0;
  InterpDeferred deferred;
  gint64 deadline = deadline_for (timeout_us);
  SendWait wait = { FALSE };
  InterpCancelWaiter wake = INTERP_CANCEL_WAITER_INIT;
  Item *item = NULL;
  gboolean ok;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  _interp_deferred_init (&deferred, NULL);
  _interp_mutex_lock_spin (&state->lock);
  /* Connected only when the put may wait: the common case stays cheap. */
  if ((!has_room_locked (state) || wait_received) && deadline != 0)
    cancellable = prepare_wait (state, cancellable, flags, &state->cond, &wake);
  ok = wait_locked (state, ready_room, NULL, deadline, cancellable, INTERP_ERROR_QUEUE_FULL,
                    FALSE, error);
  if (ok)
    {
      item = push_item_locked (state, carrier, origin);
      item->wait = wait_received ? &wait : NULL;
      pump_locked (state, &deferred);
      /* The receiver's wake-up cannot wait for the end of this put. */
      if (wait_received)
        {
          g_mutex_unlock (&state->lock);
          _interp_deferred_run (&deferred);
          g_mutex_lock (&state->lock);
        }

      while (wait_received && !wait.received)
        {
          gboolean closed = closed_for_locked (state, FALSE);
          gboolean cancelled = cancellable != NULL && g_cancellable_is_cancelled (cancellable);
          gboolean expired = deadline == 0 || (deadline > 0 && g_get_monotonic_time () >= deadline);

          /* An item a receiver holds is waited for whatever happens. */
          if (!wait.taken && (closed || cancelled || expired))
            {
              if (closed)
                g_propagate_error (error, closed_error (state));
              else if (cancelled)
                _interp_error_set_cancelled (error);
              else
                g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_NOT_RECEIVED,
                                     "Nobody received the item");
              /* Withdrawn: the caller keeps its carrier. */
              g_queue_unlink (&state->items, &item->link);
              item_free (item);
              update_length_locked (state);
              if (state->sleepers > 0)
                g_cond_broadcast (&state->cond);
              ok = FALSE;
              break;
            }
          state->sleepers++;
          if (deadline > 0 && !wait.taken)
            g_cond_wait_until (&state->cond, &state->lock, deadline);
          else
            g_cond_wait (&state->cond, &state->lock);
          state->sleepers--;
        }
    }
  g_mutex_unlock (&state->lock);

  _interp_cancel_waiter_finish (&wake, FALSE);
  _interp_deferred_run (&deferred);
  return ok;
}

/* Takes the first item: as a carrier (the caller converts it and calls
 * _interp_queue_state_done() or _interp_queue_state_unget()), or, with
 * @variant, converted under the lock, and left in place if that fails. */
static gboolean
get_common (InterpQueueState  *state,
            gint64             timeout_us,
            GCancellable      *cancellable,
            InterpWaitFlags    flags,
            InterpCarrier    **carrier,
            GVariant         **variant,
            InterpItemInfo    *info,
            GError           **error)
{
  InterpDeferred deferred;
  gint64 deadline = deadline_for (timeout_us);
  InterpCancelWaiter wake = INTERP_CANCEL_WAITER_INIT;
  gboolean spun = FALSE;
  gboolean ok;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  _interp_deferred_init (&deferred, NULL);
  _interp_mutex_lock_spin (&state->lock);
  state->waiting_getters++;
  /* A stream's next item usually comes within the spin: then the
   * cancellable is never connected (nor disconnected, which takes a
   * process-wide lock). */
  if (g_queue_is_empty (&state->items) && deadline != 0)
    {
      spin_for (state, ready_item, NULL);
      spun = TRUE;
      if (g_queue_is_empty (&state->items))
        cancellable = prepare_wait (state, cancellable, flags, &state->item_cond, &wake);
    }
  ok = wait_locked (state, ready_item, NULL, deadline, cancellable, INTERP_ERROR_QUEUE_EMPTY,
                    spun, error);
  state->waiting_getters--;
  if (ok)
    {
      Item *item = g_queue_peek_head (&state->items);

      *info = item->info;
      info->send_wait = NULL;
      if (variant != NULL && item->info.status == INTERP_ITEM_VALUE)
        {
          *variant = _interp_carrier_to_variant (item->carrier, error);
          ok = *variant != NULL;
          if (ok)
            _interp_deferred_add (&deferred, free_carrier_effect, item->carrier);
        }
      else if (carrier != NULL)
        *carrier = item->carrier;
      else if (item->carrier != NULL)
        _interp_deferred_add (&deferred, free_carrier_effect, item->carrier);

      if (ok)
        {
          pop_item_locked (state);
          if (item->wait != NULL && carrier != NULL && item->info.status == INTERP_ITEM_VALUE)
            {
              item->wait->taken = TRUE;
              info->send_wait = item->wait;
            }
          else if (item->wait != NULL)
            item->wait->received = TRUE;
          item_free (item);
          pump_locked (state, &deferred);
        }
    }
  g_mutex_unlock (&state->lock);

  _interp_cancel_waiter_finish (&wake, FALSE);
  _interp_deferred_run (&deferred);
  return ok;
}

InterpCarrier *
_interp_queue_state_get (InterpQueueState  *state,
                         gint64             timeout_us,
                         GCancellable      *cancellable,
                         InterpWaitFlags    flags,
                         InterpItemInfo    *info,
                         GError           **error)
{
  InterpCarrier *carrier = NULL;

  get_common (state, timeout_us, cancellable, flags, &carrier, NULL, info, error);
  return carrier;
}

void
_interp_queue_state_done (InterpQueueState     *state,
                          const InterpItemInfo *info)
{
  SendWait *wait = info->send_wait;

  if (wait == NULL)
    return;
  g_mutex_lock (&state->lock);
  wait->taken = FALSE;
  wait->received = TRUE;
  if (state->sleepers > 0)
    g_cond_broadcast (&state->cond);
  g_mutex_unlock (&state->lock);
}

void
_interp_queue_state_unget (InterpQueueState     *state,
                           InterpCarrier        *carrier,
                           const InterpItemInfo *info)
{
  Item *item = item_new ();

  item->carrier = carrier;
  item->info = *info;
  item->wait = info->send_wait;
  item->info.send_wait = NULL;
  g_mutex_lock (&state->lock);
  if (item->wait != NULL)
    item->wait->taken = FALSE;
  g_queue_push_head_link (&state->items, &item->link);
  update_length_locked (state);
  g_cond_broadcast (&state->item_cond);
  g_cond_broadcast (&state->cond);
  g_mutex_unlock (&state->lock);
}

/* ------------------------------------------------------------------ */
/* Async waits from C                                                  */

static void
waiter_clear (AsyncWaiter *waiter)
{
  g_assert (!_interp_cancel_waiter_is_connected (&waiter->cancel));
  _interp_carrier_free (waiter->carrier);
  g_clear_pointer (&waiter->result, g_variant_unref);
  g_clear_error (&waiter->error);
  g_clear_object (&waiter->task);
  _interp_queue_state_unref (waiter->state);
}

static void
waiter_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) waiter_clear);
}

static void
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  AsyncWaiter *waiter = data;
  InterpQueueState *state = waiter->state;
  gboolean queued = FALSE;
  gboolean cancel = FALSE;
  InterpCarrier *carrier = NULL;

  g_mutex_lock (&state->lock);
  if (!waiter->done)
    {
      queued = g_queue_remove (&state->get_waiters, waiter) ||
               g_queue_remove (&state->put_waiters, waiter);
      waiter->done = TRUE;
      cancel = TRUE;
      carrier = g_steal_pointer (&waiter->carrier);
    }
  g_mutex_unlock (&state->lock);

  if (cancel)
    {
      _interp_completion_return_task (g_object_ref (waiter->task), NULL,
                                      _interp_error_new_cancelled ());
      _interp_cancel_waiter_finish (&waiter->cancel, TRUE);
    }
  _interp_carrier_free (carrier);
  if (queued)
    waiter_unref (waiter);
}

static void
start_async_wait (InterpQueueState *state,
                  GTask            *task,
                  InterpCarrier    *carrier,
                  gboolean          is_get)
{
  InterpDeferred deferred;
  AsyncWaiter *waiter = g_atomic_rc_box_new0 (AsyncWaiter);
  GCancellable *cancellable = g_task_get_cancellable (task);

  waiter->state = _interp_queue_state_ref (state);
  waiter->task = g_object_ref (task);
  waiter->carrier = carrier;

  /* Connected first: a cancellable cancelled already completes the task
   * right here, and the waiter is never queued. */
  if (cancellable != NULL)
    {
      _interp_cancel_waiter_connect (&waiter->cancel, cancellable, G_CALLBACK (waiter_cancelled_cb),
                                     g_atomic_rc_box_acquire (waiter), waiter_unref);
    }

  _interp_deferred_init (&deferred, NULL);
  g_mutex_lock (&state->lock);
  if (!waiter->done)
    {
      g_queue_push_tail (is_get ? &state->get_waiters : &state->put_waiters,
                         g_atomic_rc_box_acquire (waiter));
      pump_locked (state, &deferred);
    }
  g_mutex_unlock (&state->lock);
  _interp_deferred_run (&deferred);
  waiter_unref (waiter);
}

void
_interp_queue_state_get_async (InterpQueueState *state,
                               GTask            *task)
{
  start_async_wait (state, task, NULL, TRUE);
}

void
_interp_queue_state_put_async (InterpQueueState *state,
                               InterpCarrier    *carrier,
                               GTask            *task)
{
  start_async_wait (state, task, carrier, FALSE);
}

/* ------------------------------------------------------------------ */

static GPtrArray *
snapshot_states (gboolean channels_only)
{
  GPtrArray *states = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&queues_lock);
  if (registry != NULL)
    {
      g_hash_table_iter_init (&iter, registry);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          InterpQueueState *state = value;

          if (channels_only && !state->is_channel)
            continue;
          g_atomic_ref_count_inc (&state->ref_count);
          g_ptr_array_add (states, state);
        }
    }
  g_mutex_unlock (&queues_lock);
  return states;
}

/* An InterpExecutorHooks.closing: applies the unbound policies to the
 * items interpreter @executor put. */
static void
interpreter_closing (InterpExecutor *executor)
{
  gint64 interp_id = _interp_executor_get_id (executor);
  GPtrArray *states = snapshot_states (FALSE);

  for (guint i = 0; i < states->len; i++)
    {
      InterpQueueState *state = g_ptr_array_index (states, i);
      InterpDeferred deferred;
      GList *l;

      _interp_deferred_init (&deferred, NULL);
      g_mutex_lock (&state->lock);
      l = state->items.head;
      while (l != NULL)
        {
          GList *next = l->next;
          Item *item = l->data;

          if (item->info.owner == interp_id && item->info.status == INTERP_ITEM_VALUE)
            {
              _interp_deferred_add (&deferred, free_carrier_effect, g_steal_pointer (&item->carrier));
              if (item->info.unbound == INTERP_UNBOUND_REMOVE)
                {
                  g_queue_unlink (&state->items, l);
                  item_free (item);
                }
              else
                item->info.status = item->info.unbound == INTERP_UNBOUND_ERROR
                                    ? INTERP_ITEM_DESTROYED : INTERP_ITEM_UNBOUND;
            }
          l = next;
        }
      pump_locked (state, &deferred);
      g_mutex_unlock (&state->lock);
      _interp_deferred_run (&deferred);
      _interp_queue_state_unref (state);
    }
  g_ptr_array_unref (states);
}

static GArray *
list_ids (gboolean channels)
{
  GPtrArray *states = snapshot_states (channels);
  GArray *ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), states->len);

  for (guint i = 0; i < states->len; i++)
    {
      InterpQueueState *state = g_ptr_array_index (states, i);
      if (state->is_channel == channels)
        g_array_append_val (ids, state->id);
      _interp_queue_state_unref (state);
    }
  g_ptr_array_unref (states);
  return ids;
}

GArray *
_interp_queues_list_channels (void)
{
  return list_ids (TRUE);
}

GArray *
_interp_queues_list_queues (void)
{
  return list_ids (FALSE);
}

void
_interp_queue_state_close_ends (InterpQueueState *state,
                                gint              ends)
{
  InterpDeferred deferred;

  /* Under the lock, which every wait holds when it looks at the flags
   * before sleeping: the broadcast of pump_locked() cannot slip in between.
   * It wakes the blocked puts and gets, which then see the close, and
   * fails the async waits the close stops. */
  _interp_deferred_init (&deferred, NULL);
  g_mutex_lock (&state->lock);
  g_atomic_int_or (&state->closed_ends, ends & (CLOSED_SEND | CLOSED_RECV));
  pump_locked (state, &deferred);
  wake_locked (state, &deferred, TRUE);
  g_mutex_unlock (&state->lock);
  _interp_deferred_run (&deferred);
}

gint
_interp_queue_state_get_closed_ends (InterpQueueState *state)
{
  return g_atomic_int_get (&state->closed_ends);
}

/* ------------------------------------------------------------------ */
/* The C face: GVariant in, GVariant out                               */

/* The C callers' put and get: -1 waits for ever and 0 not at all; any
 * other negative timeout is a mistake, not a wait for ever. */
static gboolean
check_timeout (gint64   timeout_us,
               GError **error)
{
  if (timeout_us >= -1)
    return TRUE;
  g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
               "A timeout is -1 (for ever), 0 (no wait) or a number of microseconds, not %"
               G_GINT64_FORMAT, timeout_us);
  return FALSE;
}

gboolean
_interp_queue_state_put_variant (InterpQueueState  *state,
                                 GVariant          *value,
                                 gboolean           wait_received,
                                 gint64             timeout_us,
                                 GCancellable      *cancellable,
                                 GError           **error)
{
  InterpCarrier *carrier;

  if (!check_timeout (timeout_us, error))
    return FALSE;
  carrier = _interp_carrier_from_variant (value);
  if (!_interp_queue_state_put (state, carrier, INTERP_ITEM_ORIGIN_NONE,
                                wait_received ? INTERP_WAIT_RECEIVED : INTERP_WAIT_DEFAULT,
                                timeout_us, cancellable, error))
    {
      _interp_carrier_free (carrier);
      return FALSE;
    }
  return TRUE;
}

GVariant *
_interp_queue_state_get_variant (InterpQueueState  *state,
                                 gint64             timeout_us,
                                 GCancellable      *cancellable,
                                 GError           **error)
{
  InterpItemInfo info = { 0 };
  GVariant *value = NULL;

  if (!check_timeout (timeout_us, error) ||
      !get_common (state, timeout_us, cancellable, INTERP_WAIT_DEFAULT, NULL, &value, &info, error))
    return NULL;
  if (info.status != INTERP_ITEM_VALUE)
    g_propagate_error (error, destroyed_error ());
  return value;
}

gboolean
_interp_queue_state_offer (InterpQueueState       *state,
                           InterpCarrier          *carrier,
                           const InterpItemOrigin *origin)
{
  InterpDeferred deferred;
  gboolean waiting;

  _interp_deferred_init (&deferred, NULL);
  g_mutex_lock (&state->lock);
  /* A getter a close woke may still count as waiting: not a taker. */
  waiting = !closed_for_locked (state, FALSE) &&
            (state->waiting_getters > 0 || !g_queue_is_empty (&state->get_waiters));
  if (waiting)
    {
      push_item_locked (state, carrier, origin);
      pump_locked (state, &deferred);
    }
  g_mutex_unlock (&state->lock);
  _interp_deferred_run (&deferred);
  return waiting;
}

