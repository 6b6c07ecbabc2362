/* interp-pool.h: a warm pool of interpreters for parallel work
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__INTERP_GLIB_INSIDE__) && !defined(INTERP_COMPILATION)
#error "Only <interp-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <interp-version.h>
#include <interp-map-results.h>

G_BEGIN_DECLS

/**
 * InterpPool:
 *
 * A pool of interpreters that share one queue of calls. The structure is
 * opaque: use the functions and properties.
 */
#define INTERP_TYPE_POOL (interp_pool_get_type ())

INTERP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (InterpPool, interp_pool, INTERP, POOL, GObject)

INTERP_AVAILABLE_IN_1_0
InterpPool *interp_pool_new                  (guint                 max_workers,
                                              GCancellable         *cancellable,
                                              GError              **error);

INTERP_AVAILABLE_IN_1_0
guint       interp_pool_get_max_workers      (InterpPool           *self);

INTERP_AVAILABLE_IN_1_0
guint       interp_pool_get_min_workers      (InterpPool           *self);

INTERP_AVAILABLE_IN_1_0
guint       interp_pool_get_n_workers        (InterpPool           *self);

INTERP_AVAILABLE_IN_1_0
guint       interp_pool_get_n_busy           (InterpPool           *self);

INTERP_AVAILABLE_IN_1_0
guint       interp_pool_get_n_pending        (InterpPool           *self);

INTERP_AVAILABLE_IN_1_0
gboolean    interp_pool_is_broken            (InterpPool           *self);

INTERP_AVAILABLE_IN_1_0
GVariant   *interp_pool_call                 (InterpPool           *self,
                                              const char           *callable,
                                              GVariant             *args,
                                              GVariant             *kwargs,
                                              GCancellable         *cancellable,
                                              GError              **error);

INTERP_AVAILABLE_IN_1_0
void        interp_pool_call_async           (InterpPool           *self,
                                              const char           *callable,
                                              GVariant             *args,
                                              GVariant             *kwargs,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
GVariant   *interp_pool_call_finish          (InterpPool           *self,
                                              GAsyncResult         *result,
                                              GError              **error);

INTERP_AVAILABLE_IN_1_0
GVariant   *interp_pool_map                  (InterpPool           *self,
                                              const char           *callable,
                                              GVariant             *args_list,
                                              guint                 chunk_size,
                                              GCancellable         *cancellable,
                                              GError              **error);

INTERP_AVAILABLE_IN_1_0
void        interp_pool_map_async            (InterpPool           *self,
                                              const char           *callable,
                                              GVariant             *args_list,
                                              guint                 chunk_size,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
GVariant   *interp_pool_map_finish           (InterpPool           *self,
                                              GAsyncResult         *result,
                                              GError              **error);

INTERP_AVAILABLE_IN_1_0
InterpMapResults *interp_pool_map_stream     (InterpPool           *self,
                                              const char           *callable,
                                              GVariant             *args_list,
                                              guint                 chunk_size,
                                              GCancellable         *cancellable);

INTERP_AVAILABLE_IN_1_0
gboolean    interp_pool_shutdown             (InterpPool           *self,
                                              gboolean              cancel_pending,
                                              GCancellable         *cancellable,
                                              GError              **error);

INTERP_AVAILABLE_IN_1_0
void        interp_pool_shutdown_async       (InterpPool           *self,
                                              gboolean              cancel_pending,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
gboolean    interp_pool_shutdown_finish      (InterpPool           *self,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
