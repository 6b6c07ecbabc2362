/* interp-error-private.h: building errors from Python exceptions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-error.h"

G_BEGIN_DECLS

InterpExceptionInfo *_interp_exception_info_new (gint64      interpreter_id,
                                                 const char *type_name,
                                                 const char *qualname,
                                                 const char *module,
                                                 const char *message,
                                                 const char *traceback);

char *_interp_exception_info_summary (InterpExceptionInfo *info);

void _interp_error_set_execution_failed (GError              **error,
                                         InterpExceptionInfo  *info);

/* Makes @error (of the %INTERP_ERROR domain) carry @info, as a broken
 * pool's error carries the exception of the initializer that broke it. */
void _interp_error_set_exception_info (GError              *error,
                                       InterpExceptionInfo *info);

G_END_DECLS
