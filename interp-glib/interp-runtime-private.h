/* interp-runtime-private.h: the process's relationship with Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-executor-private.h"
#include "interp-runtime.h"

G_BEGIN_DECLS

gboolean           _interp_runtime_ensure             (GError            **error);
InterpInterpreter *_interp_runtime_dup_main           (void);
GList             *_interp_runtime_list_interpreters  (void);

/* Sub-interpreter executors announce their thread so that shutdown can
 * close them and wait for every one before Python is finalized. */
gboolean           _interp_runtime_add_executor       (InterpExecutor     *executor,
                                                       GError            **error);
void               _interp_runtime_remove_executor    (InterpExecutor     *executor);
InterpExecutor    *_interp_runtime_dup_executor_for_id (gint64             id);

void               _interp_runtime_add_interpreter    (InterpInterpreter  *interp);
void               _interp_runtime_remove_interpreter (InterpInterpreter  *interp);

/* interp-interpreter.c */
InterpInterpreter *_interp_interpreter_new_for_main   (InterpExecutor     *executor);

G_END_DECLS
