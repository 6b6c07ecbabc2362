/* interp-executor-registry.c: the live executors, the hooks of the layers
 * above, and the wait-for graph
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The executor is the bottom of the library's layers (see
 * interp-executor-private.h): what the layers above do when an
 * interpreter starts or closes comes in through hooks, and the runtime
 * finds the live executors here.
 *
 * The wait-for graph: an executor thread blocked in a synchronous call or
 * close on another executor points at it. Each thread waits for at most
 * one, and no wait that would close a cycle is let in, so the graph is a
 * set of chains.
 */

#include "interp-executor-internal-private.h"
#include "interp-error.h"

/* ------------------------------------------------------------------ */
/* The live executors, and the layers above's hooks                    */

static GMutex executors_lock;
static GCond registry_cond;         /* an executor left */
static GHashTable *live_executors;  /* InterpExecutor* (not owned): started, thread not ended */
static gboolean registry_open;      /* sub-interpreters may start */
static GPtrArray *hooks;            /* const InterpExecutorHooks* */

void
_interp_executor_add_hooks (const InterpExecutorHooks *new_hooks)
{
  g_mutex_lock (&executors_lock);
  if (hooks == NULL)
    hooks = g_ptr_array_new ();
  if (!g_ptr_array_find (hooks, new_hooks, NULL))
    g_ptr_array_add (hooks, (gpointer) new_hooks);
  g_mutex_unlock (&executors_lock);
}

/* A copy: a hook may register hooks. */
static GPtrArray *
dup_hooks (void)
{
  GPtrArray *copy;

  g_mutex_lock (&executors_lock);
  copy = hooks != NULL ? g_ptr_array_copy (hooks, NULL, NULL) : g_ptr_array_new ();
  g_mutex_unlock (&executors_lock);
  return copy;
}

gboolean
_interp_executor_run_started_hooks (InterpExecutor  *executor,
                                    GError         **error)
{
  g_autoptr(GPtrArray) all = dup_hooks ();

  for (guint i = 0; i < all->len; i++)
    {
      const InterpExecutorHooks *h = g_ptr_array_index (all, i);

      if (h->started != NULL && !h->started (executor, error))
        return FALSE;
    }
  return TRUE;
}

void
_interp_executor_run_closing_hooks (InterpExecutor *executor)
{
  g_autoptr(GPtrArray) all = dup_hooks ();

  for (guint i = 0; i < all->len; i++)
    {
      const InterpExecutorHooks *h = g_ptr_array_index (all, i);

      if (h->closing != NULL)
        h->closing (executor);
    }
}

void
_interp_executor_set_registry_open (gboolean open)
{
  g_mutex_lock (&executors_lock);
  registry_open = open;
  g_mutex_unlock (&executors_lock);
}

/* The main executor always gets in: it is what starts Python. */
gboolean
_interp_executor_registry_add (InterpExecutor  *executor,
                               GError         **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&executors_lock);
  if (!executor->is_main && !registry_open)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                           "interp-glib is not running (shut down or not initialized)");
      ok = FALSE;
    }
  else
    {
      if (live_executors == NULL)
        live_executors = g_hash_table_new (NULL, NULL);
      g_hash_table_add (live_executors, executor);
    }
  g_mutex_unlock (&executors_lock);
  return ok;
}

void
_interp_executor_registry_remove (InterpExecutor *executor)
{
  g_mutex_lock (&executors_lock);
  if (live_executors != NULL)
    g_hash_table_remove (live_executors, executor);
  g_cond_broadcast (&registry_cond);
  g_mutex_unlock (&executors_lock);
}

InterpExecutor *
_interp_executor_dup_for_id (gint64 id)
{
  InterpExecutor *current = _interp_executor_get_current ();
  InterpExecutor *found = NULL;
  GHashTableIter iter;
  gpointer key;

  /* Most lookups (a buffer shared from here) ask for the executor of the
   * calling thread: live, since the thread runs. */
  if (current != NULL && current->id == id)
    return _interp_executor_ref (current);

  g_mutex_lock (&executors_lock);
  if (live_executors != NULL)
    {
      g_hash_table_iter_init (&iter, live_executors);
      while (found == NULL && g_hash_table_iter_next (&iter, &key, NULL))
        if (((InterpExecutor *) key)->id == id)
          found = _interp_executor_ref (key);
    }
  g_mutex_unlock (&executors_lock);
  return found;
}

GPtrArray *
_interp_executor_list_live (void)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) _interp_executor_unref);
  GHashTableIter iter;
  gpointer key;

  g_mutex_lock (&executors_lock);
  if (live_executors != NULL)
    {
      g_hash_table_iter_init (&iter, live_executors);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!((InterpExecutor *) key)->is_main)
          g_ptr_array_add (list, _interp_executor_ref (key));
    }
  g_mutex_unlock (&executors_lock);
  return list;
}

static gboolean
has_live_sub_locked (void)
{
  GHashTableIter iter;
  gpointer key;

  if (live_executors == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, live_executors);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!((InterpExecutor *) key)->is_main)
      return TRUE;
  return FALSE;
}

void
_interp_executor_wait_no_live (void)
{
  g_mutex_lock (&executors_lock);
  while (has_live_sub_locked ())
    g_cond_wait (&registry_cond, &executors_lock);
  g_mutex_unlock (&executors_lock);
}

/* The runtime's hooks: set once, before the main executor starts, by the
 * thread that then waits for that start; read on executor threads. */
static const InterpExecutorRuntimeHooks *runtime_hooks;

void
_interp_executor_set_runtime_hooks (const InterpExecutorRuntimeHooks *new_hooks)
{
  g_atomic_pointer_set (&runtime_hooks, new_hooks);
}

const InterpExecutorRuntimeHooks *
_interp_executor_get_runtime_hooks (void)
{
  return g_atomic_pointer_get (&runtime_hooks);
}

/* ------------------------------------------------------------------ */
/* The wait-for graph                                                  */

static GMutex wait_graph_lock;

/* Code running in @caller is about to wait for @target: records it, or
 * fails when @target's chain of waits leads back to @caller, since neither
 * wait could ever end. */
gboolean
_interp_executor_wait_graph_enter (InterpExecutor  *caller,
                                   InterpExecutor  *target,
                                   GError         **error)
{
  InterpExecutor *e;

  g_mutex_lock (&wait_graph_lock);
  for (e = target; e != NULL && e != caller; e = e->waiting_for)
    ;
  if (e == caller)
    {
      GString *chain = g_string_new (NULL);

      for (e = target; e != caller; e = e->waiting_for)
        g_string_append_printf (chain, "%s%" G_GINT64_FORMAT " waits for %" G_GINT64_FORMAT,
                                chain->len > 0 ? ", " : "", e->id, e->waiting_for->id);
      g_mutex_unlock (&wait_graph_lock);
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING,
                   "Interpreter %" G_GINT64_FORMAT " cannot wait for interpreter %" G_GINT64_FORMAT
                   ": the synchronous calls would wait for each other forever (%s)",
                   caller->id, target->id, chain->str);
      g_string_free (chain, TRUE);
      return FALSE;
    }
  caller->waiting_for = target;
  g_mutex_unlock (&wait_graph_lock);
  return TRUE;
}

void
_interp_executor_wait_graph_leave (InterpExecutor *caller)
{
  g_mutex_lock (&wait_graph_lock);
  caller->waiting_for = NULL;
  g_mutex_unlock (&wait_graph_lock);
}
