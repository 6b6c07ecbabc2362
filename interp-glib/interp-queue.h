/* interp-queue.h: a FIFO queue shared by C and every interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__INTERP_GLIB_INSIDE__) && !defined(INTERP_COMPILATION)
#error "Only <interp-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <interp-version.h>

G_BEGIN_DECLS

/**
 * InterpQueue:
 *
 * A cross-interpreter FIFO queue. The structure is opaque.
 */
#define INTERP_TYPE_QUEUE (interp_queue_get_type ())

INTERP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (InterpQueue, interp_queue, INTERP, QUEUE, GObject)

INTERP_AVAILABLE_IN_1_0
InterpQueue *interp_queue_new            (gint                  maxsize,
                                          GError              **error);

INTERP_AVAILABLE_IN_1_0
InterpQueue *interp_queue_new_for_id     (gint64                id,
                                          GError              **error);

INTERP_AVAILABLE_IN_1_0
gint64       interp_queue_get_id         (InterpQueue          *self);

INTERP_AVAILABLE_IN_1_0
gint         interp_queue_get_maxsize    (InterpQueue          *self);

INTERP_AVAILABLE_IN_1_0
gint         interp_queue_get_size       (InterpQueue          *self);

INTERP_AVAILABLE_IN_1_0
gboolean     interp_queue_is_empty       (InterpQueue          *self);

INTERP_AVAILABLE_IN_1_0
gboolean     interp_queue_is_full        (InterpQueue          *self);

INTERP_AVAILABLE_IN_1_0
gboolean     interp_queue_put            (InterpQueue          *self,
                                          GVariant             *item,
                                          gint64                timeout_us,
                                          GCancellable         *cancellable,
                                          GError              **error);

INTERP_AVAILABLE_IN_1_0
GVariant    *interp_queue_get            (InterpQueue          *self,
                                          gint64                timeout_us,
                                          GCancellable         *cancellable,
                                          GError              **error);

INTERP_AVAILABLE_IN_1_0
void         interp_queue_put_async      (InterpQueue          *self,
                                          GVariant             *item,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
gboolean     interp_queue_put_finish     (InterpQueue          *self,
                                          GAsyncResult         *result,
                                          GError              **error);

INTERP_AVAILABLE_IN_1_0
void         interp_queue_get_async      (InterpQueue          *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
GVariant    *interp_queue_get_finish     (InterpQueue          *self,
                                          GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
