/* interp-queue-private.h: the shared state behind queues and channels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One InterpQueueState per queue or channel, in a process-wide registry by
 * ID. InterpQueue/InterpChannel objects, Python Queue/RecvChannel/
 * SendChannel objects in any interpreter, and carriers in transit each hold
 * a reference; the last one removes the queue from the registry.
 */

#pragma once

#include "interp-carrier-private.h"

#include <gio/gio.h>

G_BEGIN_DECLS


/* What happens to an item when the interpreter that put it is destroyed:
 * CPython's UNBOUND, UNBOUND_ERROR and UNBOUND_REMOVE. */
typedef enum
{
  INTERP_UNBOUND_DEFAULT = 0,   /* the queue's default */
  INTERP_UNBOUND_REPLACE = 1,   /* get() returns the UNBOUND sentinel */
  INTERP_UNBOUND_ERROR = 2,     /* get() raises ItemInterpreterDestroyed */
  INTERP_UNBOUND_REMOVE = 3,    /* the item disappears */
} InterpUnbound;

/* What a get() found besides a value. */
typedef enum
{
  INTERP_ITEM_VALUE,
  INTERP_ITEM_UNBOUND,          /* UNBOUND sentinel */
  INTERP_ITEM_DESTROYED,        /* UNBOUND_ERROR */
} InterpItemStatus;

/* How a blocking put or get waits. */
typedef enum
{
  INTERP_WAIT_DEFAULT = 0,
  /* Channels: a put waits until the item was received. */
  INTERP_WAIT_RECEIVED = 1 << 0,
  /* Cancelling the running job wakes the wait: for callers in an
   * interpreter, in place of a cancellable of their own. */
  INTERP_WAIT_JOB_CANCELLABLE = 1 << 1,
} InterpWaitFlags;

/* The owner of items put from outside any interpreter (C code). */
#define INTERP_OWNER_NONE (-1)

/* Who puts an item: the putting interpreter's ID (INTERP_OWNER_NONE from
 * C) and what happens to the item when that interpreter goes away. */
typedef struct
{
  gint64 owner;
  InterpUnbound unbound;
} InterpItemOrigin;

/* The origin of items C code puts: no owner, the queue's default. */
#define INTERP_ITEM_ORIGIN_NONE \
  (&(const InterpItemOrigin) { INTERP_OWNER_NONE, INTERP_UNBOUND_DEFAULT })

InterpQueueState *_interp_queue_state_new     (gint                maxsize,
                                               InterpUnbound       unbound,
                                               gboolean            is_channel);
InterpQueueState *_interp_queue_state_lookup  (gint64              id,
                                               gboolean            is_channel,
                                               GError            **error);
/* GInitable.init of InterpQueue and InterpChannel: looks @id up into
 * *@state once, keeps a failure in *@init_error and gives it again. */
gboolean          _interp_queue_state_init_for_id (gint64             id,
                                                   gboolean           is_channel,
                                                   InterpQueueState **state,
                                                   GError           **init_error,
                                                   GError           **error);
InterpQueueState *_interp_queue_state_ref     (InterpQueueState   *state);
void              _interp_queue_state_unref   (InterpQueueState   *state);

gint64            _interp_queue_state_get_id      (InterpQueueState *state);
gint              _interp_queue_state_get_maxsize (InterpQueueState *state);
gint              _interp_queue_state_get_size    (InterpQueueState *state);
gboolean          _interp_queue_state_is_channel  (InterpQueueState *state);

/* Blocking put/get: @timeout_us -1 waits forever, 0 not at all. They wait
 * without the GIL: callers in an interpreter release it around them.
 * Closing a channel wakes them too (G_IO_ERROR_CLOSED).
 * put takes @carrier on success. */
gboolean          _interp_queue_state_put     (InterpQueueState       *state,
                                               InterpCarrier          *carrier,
                                               const InterpItemOrigin *origin,
                                               InterpWaitFlags         flags,
                                               gint64                  timeout_us,
                                               GCancellable           *cancellable,
                                               GError                **error);

/* Who put an item and what happens when that interpreter goes away. */
typedef struct
{
  gint64 owner;
  InterpUnbound unbound;
  InterpItemStatus status;
  gpointer send_wait;   /* channels: the sender, until done or unget */
} InterpItemInfo;

/* Returns the carrier (NULL for an unbound item: see info->status), or
 * NULL with @error set. The caller converts it, then calls done() (which
 * tells a channel's sender it was received) or unget(). */
InterpCarrier    *_interp_queue_state_get     (InterpQueueState   *state,
                                               gint64              timeout_us,
                                               GCancellable       *cancellable,
                                               InterpWaitFlags     flags,
                                               InterpItemInfo     *info,
                                               GError            **error);
void              _interp_queue_state_done    (InterpQueueState   *state,
                                               const InterpItemInfo *info);
/* Puts back at the head what a get could not convert: nothing is lost. */
void              _interp_queue_state_unget   (InterpQueueState   *state,
                                               InterpCarrier      *carrier,
                                               const InterpItemInfo *info);
/* For C callers: the GVariant mapping, no GIL involved. get fails with
 * INTERP_ERROR_ITEM_INTERPRETER_DESTROYED for unbound items, and leaves an
 * item without a GVariant form in place (INTERP_ERROR_NOT_SHAREABLE). */
gboolean          _interp_queue_state_put_variant (InterpQueueState  *state,
                                                   GVariant          *value,
                                                   gboolean           wait_received,
                                                   gint64             timeout_us,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
GVariant         *_interp_queue_state_get_variant (InterpQueueState  *state,
                                                   gint64             timeout_us,
                                                   GCancellable      *cancellable,
                                                   GError           **error);

/* Channels: hands @carrier over (TRUE) only if a receiver is waiting
 * right now, checked and done in one step; else the caller keeps it. */
gboolean          _interp_queue_state_offer   (InterpQueueState       *state,
                                               InterpCarrier          *carrier,
                                               const InterpItemOrigin *origin);
/* Channels: whether a receiver is blocked waiting right now. */
gboolean          _interp_queue_state_has_waiting_getter (InterpQueueState *state);

/* C-side async waits; the task gets a GVariant (get) or TRUE (put). */
void              _interp_queue_state_get_async (InterpQueueState *state,
                                                 GTask            *task);
void              _interp_queue_state_put_async (InterpQueueState *state,
                                                 InterpCarrier    *carrier,
                                                 GTask            *task);

/* IDs of the live channels, for list_all_channels(), and of the queues. */
GArray           *_interp_queues_list_channels (void);
GArray           *_interp_queues_list_queues   (void);

/* Channels: closing an end (1 send, 2 receive) is a flag every
 * interpreter sees. Puts and gets, blocked or not, sync or async, then
 * fail with G_IO_ERROR_CLOSED: gets once the items are drained when only
 * the sending end is closed; a put waiting for receipt withdraws its item
 * unless a receiver holds it. */
void              _interp_queue_state_close_ends      (InterpQueueState *state,
                                                       gint              ends);
gint              _interp_queue_state_get_closed_ends (InterpQueueState *state);

G_END_DECLS
