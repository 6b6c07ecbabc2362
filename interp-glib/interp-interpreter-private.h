/* interp-interpreter-private.h: what the pool needs of interpreters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-executor-private.h"
#include "interp-interpreter.h"

G_BEGIN_DECLS

/* A call checked and prepared on the caller's thread (the same forms and
 * errors as interp_interpreter_call()), run later on an executor thread by
 * _interp_call_run(), an #InterpJobFunc. Consumes floating @args/@kwargs,
 * also on failure. */
gpointer        _interp_call_new                  (const char         *callable,
                                                   GVariant           *args,
                                                   GVariant           *kwargs,
                                                   GError            **error);
void            _interp_call_free                 (gpointer            call);
gboolean        _interp_call_run                  (InterpExecutor     *executor,
                                                   gpointer            call,
                                                   GVariant          **result,
                                                   GError            **error);
gboolean        _interp_call_run_with_args        (InterpExecutor     *executor,
                                                   gpointer            call,
                                                   GVariant           *args,
                                                   GVariant          **result,
                                                   GError            **error);

/* Source run in `__main__` as interp_interpreter_exec() runs it (dedented;
 * @filename names it in tracebacks), by _interp_code_run(), an
 * #InterpJobFunc. */
gpointer        _interp_code_new                  (const char         *code,
                                                   const char         *filename);
void            _interp_code_free                 (gpointer            code);
gboolean        _interp_code_run                  (InterpExecutor     *executor,
                                                   gpointer            code,
                                                   GVariant          **result,
                                                   GError            **error);

InterpExecutor *_interp_interpreter_get_executor  (InterpInterpreter  *self);
/* Whether an interpreter with @self's construct properties could be made
 * on this Python (without making one). */
gboolean        _interp_interpreter_check_config  (InterpInterpreter  *self,
                                                   GError            **error);

G_END_DECLS
