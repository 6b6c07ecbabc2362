/* interp-map-results-private.h: filling an InterpMapResults
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pool settles items from any thread (a worker's, the timer's, a
 * cancelling caller's), under its own lock if it likes: these take only
 * the model's lock, and never call out. What they settle is published,
 * and notified, in the creator's main context.
 */

#pragma once

#include "interp-map-results.h"

G_BEGIN_DECLS

/* A model of @n_items pending items whose creator's main context is the
 * thread-default one of the caller. */
InterpMapResults *_interp_map_results_new     (guint              n_items);

/* Settles items @first to @first + @n - 1: each takes @values[i] or
 * @errors[i] (stolen, the slots cleared; exactly one of them is set). */
void              _interp_map_results_settle  (InterpMapResults  *self,
                                               guint              first,
                                               guint              n,
                                               GVariant         **values,
                                               GError           **errors);
/* Settles items @first to @first + @n - 1 with copies of @error. */
void              _interp_map_results_fail    (InterpMapResults  *self,
                                               guint              first,
                                               guint              n,
                                               const GError      *error);
/* The map could not start: every item not settled fails with @error
 * (consumed), which interp_map_results_wait_finish() gives. */
void              _interp_map_results_refuse  (InterpMapResults  *self,
                                               GError            *error);

G_END_DECLS
