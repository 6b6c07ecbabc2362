/* interp-runtime-private.h: the process's relationship with Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Above the executor (it starts Python on the main interpreter's
 * executor thread and closes every executor to shut down), below
 * everything else.
 */

#pragma once

#include "interp-executor-private.h"
#include "interp-runtime.h"

G_BEGIN_DECLS

/* Starts Python, or joins the host's, on first use. Any thread. */
gboolean           _interp_runtime_ensure             (GError            **error);

/* (transfer full) (nullable) The main interpreter's executor while the
 * runtime is ready; NULL before and after. */
InterpExecutor    *_interp_runtime_dup_main_executor  (void);

/* Called once, on the thread of interp_shutdown() (or of the host's
 * exit), after every interpreter has closed: for the layers above to
 * drop what they keep for the process's life. Registering twice is a
 * no-op. */
typedef void (*InterpRuntimeShutdownNotify) (void);
void               _interp_runtime_add_shutdown_notify (InterpRuntimeShutdownNotify notify);

G_END_DECLS
