/* interp-deferred-private.h: side effects decided under a lock, done
 * after it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A locked section decides what to do (complete a task, free a carrier,
 * interrupt a job, close a worker) but must not do it there: each of
 * those takes other locks or runs code. It adds them to an
 * InterpDeferred on its stack and runs that once the lock is dropped, in
 * the order they were added.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @owner is the InterpDeferred's, @data the effect's (the effect owns
 * it). */
typedef void (*InterpDeferredFunc) (gpointer owner,
                                    gpointer data);

typedef struct
{
  InterpDeferredFunc func;
  gpointer data;
} InterpEffect;

/* Room for this many effects on the stack: a locked section rarely
 * decides more. */
#define INTERP_DEFERRED_INLINE 6

typedef struct
{
  gpointer owner;
  guint n_effects;
  InterpEffect inline_effects[INTERP_DEFERRED_INLINE];
  GArray *more;               /* InterpEffect, past the inline ones */
} InterpDeferred;

void _interp_deferred_init (InterpDeferred     *deferred,
                            gpointer            owner);
void _interp_deferred_add  (InterpDeferred     *deferred,
                            InterpDeferredFunc  func,
                            gpointer            data);
/* Runs the effects in order (an effect may add more), without the lock;
 * leaves @deferred empty, as _interp_deferred_init() made it. */
void _interp_deferred_run  (InterpDeferred     *deferred);

G_END_DECLS
