/* interp-task-private.h: completing GTasks from any thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Returns @task (consuming the caller's reference) from an idle source in
 * the task's own main context: the callback never runs inside the call
 * that completed it, and the last references are dropped on that context's
 * thread. @result (a GVariant, may be NULL: returns TRUE) or @error. */
void _interp_task_return_in_context (GTask    *task,
                                     GVariant *result,
                                     GError   *error);

G_END_DECLS
