/* interp-runtime.h: the process's Python runtime
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__INTERP_GLIB_INSIDE__) && !defined(INTERP_COMPILATION)
#error "Only <interp-glib.h> can be included directly."
#endif

#include <glib-object.h>
#include <interp-version.h>

G_BEGIN_DECLS

INTERP_AVAILABLE_IN_1_0
gboolean    interp_init                (GError **error);

INTERP_AVAILABLE_IN_1_0
gboolean    interp_shutdown            (GError **error);

INTERP_AVAILABLE_IN_1_0
gboolean    interp_is_embedded         (void);

INTERP_AVAILABLE_IN_1_0
gboolean    interp_supports_own_gil    (void);

INTERP_AVAILABLE_IN_1_0
const char *interp_get_python_version  (void);

INTERP_AVAILABLE_IN_1_0
gint64     *interp_list_lingering      (gsize   *n_ids);

G_END_DECLS
