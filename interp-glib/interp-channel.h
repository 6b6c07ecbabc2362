/* interp-channel.h: a rendezvous channel shared by C and every interpreter
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
 * InterpChannel:
 *
 * A cross-interpreter channel, both ends in one object. The structure is
 * opaque.
 */
#define INTERP_TYPE_CHANNEL (interp_channel_get_type ())

INTERP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (InterpChannel, interp_channel, INTERP, CHANNEL, GObject)

INTERP_AVAILABLE_IN_1_0
InterpChannel *interp_channel_new          (void);

INTERP_AVAILABLE_IN_1_0
InterpChannel *interp_channel_new_for_id   (gint64                id,
                                            GError              **error);

INTERP_AVAILABLE_IN_1_0
gint64         interp_channel_get_id       (InterpChannel        *self);

INTERP_AVAILABLE_IN_1_0
gboolean       interp_channel_send         (InterpChannel        *self,
                                            GVariant             *item,
                                            gint64                timeout_us,
                                            GCancellable         *cancellable,
                                            GError              **error);

INTERP_AVAILABLE_IN_1_0
gboolean       interp_channel_send_nowait  (InterpChannel        *self,
                                            GVariant             *item,
                                            GError              **error);

INTERP_AVAILABLE_IN_1_0
GVariant      *interp_channel_recv         (InterpChannel        *self,
                                            gint64                timeout_us,
                                            GCancellable         *cancellable,
                                            GError              **error);

INTERP_AVAILABLE_IN_1_0
void           interp_channel_recv_async   (InterpChannel        *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
GVariant      *interp_channel_recv_finish  (InterpChannel        *self,
                                            GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
