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

/* The error of every cancelled operation: %G_IO_ERROR_CANCELLED,
 * "Operation was cancelled" (GIO's words, as
 * g_cancellable_set_error_if_cancelled() has them). */
GError *_interp_error_new_cancelled (void);
/* Sets @error (may be NULL) to a new _interp_error_new_cancelled(). */
void _interp_error_set_cancelled (GError **error);

/* Makes @error (of the %INTERP_ERROR domain) carry @info, as a broken
 * pool's error carries the exception of the initializer that broke it. */
void _interp_error_set_exception_info (GError              *error,
                                       InterpExceptionInfo *info);

G_END_DECLS
