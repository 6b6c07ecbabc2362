/* interp-map-results.h: the results of a map, watched while they come
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__INTERP_GLIB_INSIDE__) && !defined(INTERP_COMPILATION)
#error "Only <interp-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <interp-version.h>
#include <interp-error.h>

G_BEGIN_DECLS

/**
 * InterpMapItem:
 *
 * One input of a map and its outcome. The structure is opaque.
 */
#define INTERP_TYPE_MAP_ITEM (interp_map_item_get_type ())

INTERP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (InterpMapItem, interp_map_item, INTERP, MAP_ITEM, GObject)

INTERP_AVAILABLE_IN_1_0
guint             interp_map_item_get_index          (InterpMapItem        *self);

INTERP_AVAILABLE_IN_1_0
gboolean          interp_map_item_get_done           (InterpMapItem        *self);

INTERP_AVAILABLE_IN_1_0
GVariant         *interp_map_item_get_value          (InterpMapItem        *self);

INTERP_AVAILABLE_IN_1_0
const GError     *interp_map_item_get_error          (InterpMapItem        *self);

INTERP_AVAILABLE_IN_1_0
InterpExceptionInfo *interp_map_item_dup_exception_info (InterpMapItem     *self);

/**
 * InterpMapResults:
 *
 * The results of interp_pool_map_stream(): a #GListModel of
 * #InterpMapItem that fills while the map runs. The structure is opaque.
 */
#define INTERP_TYPE_MAP_RESULTS (interp_map_results_get_type ())

INTERP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (InterpMapResults, interp_map_results, INTERP, MAP_RESULTS, GObject)

INTERP_AVAILABLE_IN_1_0
InterpMapItem    *interp_map_results_get             (InterpMapResults     *self,
                                                      guint                 position);

INTERP_AVAILABLE_IN_1_0
guint             interp_map_results_get_size        (InterpMapResults     *self);

INTERP_AVAILABLE_IN_1_0
guint             interp_map_results_get_n_done      (InterpMapResults     *self);

INTERP_AVAILABLE_IN_1_0
guint             interp_map_results_get_n_failed    (InterpMapResults     *self);

INTERP_AVAILABLE_IN_1_0
gdouble           interp_map_results_get_fraction    (InterpMapResults     *self);

INTERP_AVAILABLE_IN_1_0
gboolean          interp_map_results_is_loading      (InterpMapResults     *self);

INTERP_AVAILABLE_IN_1_0
void              interp_map_results_wait_async      (InterpMapResults     *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);

INTERP_AVAILABLE_IN_1_0
gboolean          interp_map_results_wait_finish     (InterpMapResults     *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
