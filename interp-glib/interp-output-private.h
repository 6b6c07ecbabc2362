/* interp-output-private.h: sending an interpreter's sys.stdout/stderr to
 * the application
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-python-private.h"
#include "interp-interpreter.h"

G_BEGIN_DECLS

/* An InterpNotifier (interp-completion-private.h) only pushed to. */
typedef struct _InterpNotifier InterpOutputSink;

/* Lines reach @interp's "output" signal in @context, in order. */
InterpOutputSink *_interp_output_sink_new    (InterpInterpreter *interp,
                                              GMainContext      *context);
void              _interp_output_sink_unref  (InterpOutputSink  *sink);

/* Executor thread, GIL held: replaces (sink != NULL) or restores
 * (sink == NULL) sys.stdout and sys.stderr. */
gboolean          _interp_output_install     (InterpOutputSink  *sink,
                                              GError           **error);

/* Executor thread, GIL held: pushes out a partial last line, if any. */
void              _interp_output_flush       (void);

G_END_DECLS
