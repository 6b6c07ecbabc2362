/* interp-pool-timers.c: the pool's timer thread, and the times it keeps
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Timers (task timeouts, the grace after an interrupt, idle pruning) run
 * on a thread of the pool's own with its own main context, so that the
 * pool keeps its promises whether or not the caller's main loop runs.
 *
 * A job's timer holds the job, not the pool: it takes the pool through the
 * job (_interp_pool_job_dup_pool()) and does nothing once the job has
 * settled. The pruning timer holds the pool weakly.
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-pool-private.h"
#include "interp-error-private.h"
#include "interp-interpreter-private.h"

/* ------------------------------------------------------------------ */
/* Task timeouts and the grace period                                  */

static GSource *
add_timer_locked (InterpPool  *self,
                  guint        ms,
                  GSourceFunc  func,
                  PoolJob     *job)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, _interp_pool_job_ref (job), _interp_pool_job_unref);
  g_source_set_static_name (source, "[interp-glib] pool timer");
  g_source_attach (source, self->timer_context);
  return source;
}

static gboolean grace_cb (gpointer data);

/* A chunk of @n items may run @n task timeouts, in milliseconds; past
 * G_MAXUINT (49 days) the product would wrap, so it stops there. */
static guint
chunk_timeout (guint task_timeout,
               guint n)
{
  return (guint) MIN ((guint64) task_timeout * MAX (n, 1), G_MAXUINT);
}

static gboolean
timeout_cb (gpointer data)
{
  PoolJob *job = data;
  g_autoptr(InterpPool) self = _interp_pool_job_dup_pool (job);
  InterpDeferred deferred;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  if (job->state == JOB_RUNNING && !g_atomic_int_get (&job->cancel))
    {
      job->timed_out = TRUE;
      _interp_pool_interrupt_job_locked (self, job, &deferred);
    }
  _interp_pool_unlock_and_run (self, &deferred);
  return G_SOURCE_REMOVE;
}

char *
_interp_pool_dup_timeout_text (InterpPool *self)
{
  guint ms = self->task_timeout;
  g_autofree char *text = g_strdup_printf ("%u.%03u", ms / 1000, ms % 1000);
  gsize len = strlen (text);

  /* Milliseconds without their trailing zeros: 0.2, 1.05, 5 */
  while (text[len - 1] == '0')
    text[--len] = '\0';
  if (text[len - 1] == '.')
    text[--len] = '\0';
  return g_strconcat (text, " s", NULL);
}

GError *
_interp_pool_timed_out_error (InterpPool *self)
{
  g_autofree char *timeout = _interp_pool_dup_timeout_text (self);

  return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                      "The call ran longer than the pool's task timeout (%s)", timeout);
}

/* The job did not return in time: its worker leaves the pool. */
static gboolean
grace_cb (gpointer data)
{
  PoolJob *job = data;
  g_autoptr(InterpPool) self = _interp_pool_job_dup_pool (job);
  InterpDeferred deferred;
  gboolean abandoned = FALSE;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  if (job->state == JOB_RUNNING && g_atomic_int_compare_and_exchange (&job->finished, 0, 1))
    {
      Worker *worker = job->worker;
      GError *error;

      g_debug ("Pool: abandoning interpreter %" G_GINT64_FORMAT ": its call did not return "
               "within %u ms of being interrupted",
               interp_interpreter_get_id (worker->interp), self->grace_period);
      g_ptr_array_remove_fast (self->workers, worker);
      self->n_busy--;
      _interp_executor_set_abandoned (_interp_interpreter_get_executor (worker->interp));
      /* The job keeps the worker: job_done() closes it on return. */
      if (job->timed_out)
        error = _interp_pool_timed_out_error (self);
      else
        error = _interp_error_new_cancelled ();
      _interp_pool_settle_job_locked (self, job, error, &deferred);
      _interp_pool_dispatch_locked (self, &deferred);
      _interp_pool_wake_locked (self);
      abandoned = TRUE;
    }
  _interp_pool_unlock_and_run (self, &deferred);
  /* An abandoned job does not keep the pool alive. */
  if (abandoned)
    _interp_pool_job_release_pool (job);
  return G_SOURCE_REMOVE;
}

/* The task timeout of a job that starts running. */
GSource *
_interp_pool_add_timeout_locked (InterpPool *self,
                                 PoolJob    *job)
{
  return add_timer_locked (self, chunk_timeout (self->task_timeout, job->n), timeout_cb, job);
}

/* The grace period of a job that was just interrupted. */
GSource *
_interp_pool_add_grace_locked (InterpPool *self,
                               PoolJob    *job)
{
  return add_timer_locked (self, self->grace_period, grace_cb, job);
}

/* ------------------------------------------------------------------ */
/* Idle pruning                                                        */

static gboolean
prune_cb (gpointer data)
{
  GWeakRef *weak = data;
  g_autoptr(InterpPool) self = g_weak_ref_get (weak);
  InterpDeferred deferred;
  gint64 now = g_get_monotonic_time ();

  if (self == NULL)
    return G_SOURCE_REMOVE;

  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  /* Oldest idle first: the tail of self->idle. */
  while (self->workers->len > self->min_workers && self->idle.length > 0)
    {
      Worker *worker = g_queue_peek_tail (&self->idle);

      if (now - worker->idle_since < (gint64) self->idle_timeout * G_USEC_PER_SEC)
        break;
      g_queue_pop_tail (&self->idle);
      g_ptr_array_remove_fast (self->workers, worker);
      _interp_pool_retire_locked (self, g_steal_pointer (&worker->interp), &deferred);
      g_free (worker);
    }
  _interp_pool_unlock_and_run (self, &deferred);
  return G_SOURCE_CONTINUE;
}

/* Prunes idle workers above the minimum, if the pool has an idle timeout. */
void
_interp_pool_start_pruning_locked (InterpPool *self)
{
  if (self->idle_timeout > 0)
    {
      guint interval = MAX (100, MIN (self->idle_timeout * 1000 / 4, 60000));

      self->prune_source = g_timeout_source_new (interval);
      g_source_set_callback (self->prune_source, prune_cb, _interp_pool_weak_ref_new (self),
                             _interp_pool_weak_ref_free);
      g_source_set_static_name (self->prune_source, "[interp-glib] pool pruning");
      g_source_attach (self->prune_source, self->timer_context);
    }
}

/* ------------------------------------------------------------------ */
/* The timer thread                                                    */

static gpointer
timer_thread (gpointer data)
{
  GMainLoop *loop = data;

  g_main_context_push_thread_default (g_main_loop_get_context (loop));
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (g_main_loop_get_context (loop));
  g_main_loop_unref (loop);
  return NULL;
}

/* Starts the timer thread, when the pool is initialized. */
gboolean
_interp_pool_start_timers (InterpPool  *self,
                           GError     **error)
{
  g_autoptr(GError) thread_error = NULL;

  self->timer_context = g_main_context_new ();
  self->timer_loop = g_main_loop_new (self->timer_context, FALSE);
  self->timer_thread = g_thread_try_new ("interp-pool-timer", timer_thread,
                                         g_main_loop_ref (self->timer_loop), &thread_error);
  if (self->timer_thread == NULL)
    {
      g_main_loop_unref (self->timer_loop);   /* the thread's reference */
      g_clear_pointer (&self->timer_loop, g_main_loop_unref);
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                   "Could not start the pool's timer thread: %s", thread_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
quit_timer_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Ends the timer thread, when the pool is finalized (maybe on that thread:
 * a timer can hold the last reference). */
void
_interp_pool_stop_timers (InterpPool *self)
{
  if (self->timer_loop != NULL)
    {
      /* From inside the loop: a quit before the timer thread reached
       * g_main_loop_run() would be lost, and the join would hang. */
      g_main_context_invoke_full (self->timer_context, G_PRIORITY_DEFAULT, quit_timer_loop_cb,
                                  g_main_loop_ref (self->timer_loop),
                                  (GDestroyNotify) g_main_loop_unref);
      if (g_thread_self () != self->timer_thread)
        g_thread_join (self->timer_thread);
      else
        g_thread_unref (self->timer_thread);
      g_main_loop_unref (self->timer_loop);
    }
  g_clear_pointer (&self->timer_context, g_main_context_unref);
}
