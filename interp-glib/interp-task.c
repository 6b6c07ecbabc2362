/* interp-task.c: completing GTasks from any thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-task-private.h"

typedef struct
{
  GTask *task;
  GVariant *result;
  GError *error;
} TaskReturn;

static gboolean
task_return_cb (gpointer data)
{
  TaskReturn *ret = data;

  if (ret->error != NULL)
    g_task_return_error (ret->task, g_steal_pointer (&ret->error));
  else if (ret->result != NULL)
    g_task_return_pointer (ret->task, g_steal_pointer (&ret->result),
                           (GDestroyNotify) g_variant_unref);
  else
    g_task_return_boolean (ret->task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
task_return_free (gpointer data)
{
  TaskReturn *ret = data;

  g_clear_object (&ret->task);
  g_clear_pointer (&ret->result, g_variant_unref);
  g_clear_error (&ret->error);
  g_free (ret);
}

/* So that the last reference to a source object (an interpreter) is never
 * dropped on an executor thread, and a callback never runs inside the
 * g_cancellable_cancel() or put call that completed it. */
void
_interp_task_return_in_context (GTask    *task,
                                GVariant *result,
                                GError   *error)
{
  TaskReturn *ret = g_new0 (TaskReturn, 1);
  GSource *source = g_idle_source_new ();

  ret->task = task;
  ret->result = result;
  ret->error = error;
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, task_return_cb, ret, task_return_free);
  g_source_set_static_name (source, "[interp-glib] complete");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

