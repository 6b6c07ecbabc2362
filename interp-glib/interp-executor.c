/* interp-executor.c: one OS thread and job queue per interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every interpreter has a serial executor: a thread that owns the
 * interpreter's thread state and runs jobs in submission order. PyObjects
 * never leave this thread; jobs carry C values (GVariant) in and out.
 *
 * The first job sets the interpreter up (creates it, or for the main
 * interpreter has the runtime initialize Python or join the host's), the
 * last tears it down (interp-executor-lifecycle.c). Sync callers wait on done_cond; async callers get their GTask
 * completed from here, which GTask delivers in the caller's main context.
 *
 * Cancelling a queued job drops it. Cancelling a running one interrupts
 * its code (interp-executor-interrupt.c).
 */

#include "interp-executor-internal-private.h"
#include "interp-config-private.h"
#include "interp-error-private.h"
#include "interp-error.h"
#include "interp-output-private.h"
#include "interp-spin-private.h"
#include "interp-completion-private.h"

#include <gio/gio.h>
#include <string.h>

/* interp-spin-private.h's budget: how many threads spin now. */
gint _interp_spinners;

static GPrivate current_executor;

/* ------------------------------------------------------------------ */
/* The job model                                                       */

gboolean
_interp_debug_enabled (void)
{
  /* 0: not checked yet, 1: dropped, 2: shown */
  static gint state = 0;
  gint now = g_atomic_int_get (&state);

  if (G_UNLIKELY (now == 0))
    {
      now = g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN) ? 1 : 2;
      g_atomic_int_set (&state, now);
    }
  return now == 2;
}

static void
state_changed (InterpExecutor       *executor,
               InterpExecutorChange  change)
{
  InterpExecutorStateHook hook = g_atomic_pointer_get (&executor->state_hook);

  if (hook != NULL)
    hook (executor->state_hook_data, change);
}

static const char *
job_kind_name (JobKind kind)
{
  switch (kind)
    {
    case JOB_SETUP: return "setup";
    case JOB_NORMAL: return "call";
    case JOB_INTERNAL: return "internal";
    case JOB_CLOSE: return "close";
    default: return "job";
    }
}

/* After every change of executor->jobs, the lock held. */
static void
update_queued_locked (InterpExecutor *executor)
{
  g_atomic_int_set (&executor->n_queued, g_queue_get_length (&executor->jobs));
}

static void
job_clear (InterpJob *job)
{
  if (job->data_free != NULL)
    job->data_free (job->data);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->wait_cancellable);
  g_clear_object (&job->task);
  g_clear_pointer (&job->result, g_variant_unref);
  g_clear_error (&job->error);
  g_clear_error (&job->interrupt_reason);
}

void
_interp_job_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) job_clear);
}

static InterpJob *
job_new (InterpExecutor *executor,
         JobKind         kind,
         InterpJobFunc   func,
         gpointer        data,
         GDestroyNotify  data_free,
         GCancellable   *cancellable,
         GTask          *task)
{
  /* Every other field starts zeroed. */
  InterpJob init = {
    .kind = kind, .state = JOB_STATE_NEW, .executor = executor,
    .func = func, .data = data, .data_free = data_free,
    .cancellable = cancellable ? g_object_ref (cancellable) : NULL,
    .task = task ? g_object_ref (task) : NULL,
  };

  return g_atomic_rc_box_dup (sizeof init, &init);
}

/* Only job_cancelled_cb() reads a job's state, and only a job with a
 * cancellable has it connected: the others skip the lock. */
static void
mark_done (InterpJob *job)
{
  if (job->cancellable == NULL)
    return;
  g_mutex_lock (&job->executor->lock);
  job->state = JOB_STATE_DONE;
  g_mutex_unlock (&job->executor->lock);
}

/* Delivers the outcome exactly once: through the GTask, or to the sync
 * waiter. Called without executor->lock. */
static void
job_complete (InterpJob *job,
              GVariant  *result,
              GError    *error,
              gboolean   in_cancel_handler)
{
  InterpExecutor *executor = job->executor;

  _interp_cancel_waiter_finish (&job->cancel, in_cancel_handler);

  /* As GTask does: a job whose cancellable was cancelled reports
   * cancellation, whatever it managed to do. */
  if (job->cancellable != NULL && g_cancellable_is_cancelled (job->cancellable))
    {
      g_clear_pointer (&result, g_variant_unref);
      g_clear_error (&error);
      _interp_error_set_cancelled (&error);
    }

  if (job->done_func != NULL)
    {
      mark_done (job);
      job->done_func (result, error, job->done_data);
    }
  else if (job->task != NULL)
    {
      GTask *task = g_steal_pointer (&job->task);

      mark_done (job);
      _interp_completion_return_task (task, result, error);
    }
  else
    {
      g_mutex_lock (&executor->lock);
      job->state = JOB_STATE_DONE;
      job->result = result;
      job->error = error;
      job->done = TRUE;
      g_atomic_int_set (&job->done_flag, 1);
      if (executor->done_sleepers > 0)
        g_cond_broadcast (&executor->done_cond);
      g_mutex_unlock (&executor->lock);
    }
}

/* A queued job is dropped; a running one is interrupted
 * (interp-executor-interrupt.c). */
static void
job_cancelled_cb (GCancellable *cancellable,
                  gpointer      data)
{
  InterpJob *job = data;
  InterpExecutor *executor = job->executor;
  GCancellable *wait = NULL;
  gboolean drop = FALSE;
  gboolean interrupting = FALSE;

  g_mutex_lock (&executor->lock);
  switch (job->state)
    {
    case JOB_STATE_NEW:
      job->cancel_requested = TRUE;
      break;
    case JOB_STATE_QUEUED:
      /* A setup job stays: the executor thread sees the cancellation when
       * it takes it first, and marks the executor failed. */
      if (job->kind != JOB_NORMAL)
        break;
      g_queue_remove (&executor->jobs, job);
      update_queued_locked (executor);
      job->state = JOB_STATE_RUNNING; /* owned by this handler now */
      drop = TRUE;
      break;
    case JOB_STATE_RUNNING:
      wait = _interp_executor_interrupt_job_locked (executor, job);
      interrupting = job->interrupted;
      break;
    case JOB_STATE_DONE:
    default:
      break;
    }
  g_mutex_unlock (&executor->lock);
  _interp_executor_cancel_wait (wait);

  if (drop)
    INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT ": job %" G_GUINT64_FORMAT
                  " cancelled while queued: dropped", executor->id, job->seq);
  else if (interrupting)
    INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT ": job %" G_GUINT64_FORMAT
                  " cancelled while running: interrupting it", executor->id, job->seq);

  if (drop)
    {
      job_complete (job, NULL, NULL, TRUE);
      _interp_job_unref (job);  /* the queue's reference */
    }
}

/* ------------------------------------------------------------------ */
/* The executor thread                                                 */

static void
fail_jobs (GList        *jobs,
           const GError *reason)
{
  for (GList *l = jobs; l != NULL; l = l->next)
    {
      InterpJob *job = l->data;

      job_complete (job, NULL, g_error_copy (reason), FALSE);
      _interp_job_unref (job);
    }
  g_list_free (jobs);
}

/* Called with executor->lock held; returns the queued jobs, the queue emptied. */
static GList *
steal_normal_jobs_locked (InterpExecutor *executor)
{
  GList *stolen = NULL;
  GList *l = executor->jobs.head;

  while (l != NULL)
    {
      GList *next = l->next;
      InterpJob *job = l->data;

      if (job->kind == JOB_NORMAL)
        {
          job->state = JOB_STATE_RUNNING; /* owned by the stealer now */
          g_queue_delete_link (&executor->jobs, l);
          update_queued_locked (executor);
          stolen = g_list_prepend (stolen, job);
        }
      l = next;
    }
  return g_list_reverse (stolen);
}

static GError *
closed_error (InterpExecutor *executor)
{
  return g_error_new (INTERP_ERROR, INTERP_ERROR_NOT_FOUND,
                      "Interpreter %" G_GINT64_FORMAT " is closed", executor->id);
}

/* Waits for the next job and takes it off the queue. */
static InterpJob *
next_job (InterpExecutor *executor)
{
  InterpJob *job;

  g_mutex_lock (&executor->lock);
  while (g_queue_is_empty (&executor->jobs))
    {
      /* The next call often comes right after the last one. */
      g_mutex_unlock (&executor->lock);
      _interp_spin_until_nonzero (&executor->n_queued, 50);
      g_mutex_lock (&executor->lock);
      if (!g_queue_is_empty (&executor->jobs))
        break;
      executor->idle_sleeping = TRUE;
      g_cond_wait (&executor->job_cond, &executor->lock);
      executor->idle_sleeping = FALSE;
    }
  job = g_queue_pop_head (&executor->jobs);
  update_queued_locked (executor);
  job->state = JOB_STATE_RUNNING;
  g_mutex_unlock (&executor->lock);
  return job;
}

/* @job was cancelled before it started: it completes as cancelled, and a
 * cancelled setup fails the executor and the work queued behind it.
 * Returns whether the thread runs on. */
static gboolean
skip_cancelled_job (InterpExecutor *executor,
                    InterpJob      *job)
{
  gboolean running = TRUE;

  job_complete (job, NULL, NULL, FALSE);
  if (job->kind == JOB_SETUP)
    {
      GError *cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               "Interpreter creation was cancelled");
      GList *rest;

      g_mutex_lock (&executor->lock);
      executor->state = EXECUTOR_FAILED;
      rest = steal_normal_jobs_locked (executor);
      g_mutex_unlock (&executor->lock);
      fail_jobs (rest, cancelled);
      g_error_free (cancelled);
      running = FALSE;
    }
  _interp_job_unref (job);
  return running;
}

/* The first job: sets the interpreter up. A failed setup fails the work
 * queued behind it. Returns whether the thread runs on. */
static gboolean
run_setup_job (InterpExecutor  *executor,
               GError         **error)
{
  gboolean ok;

  ok = _interp_executor_setup (executor, error);
  g_mutex_lock (&executor->lock);
  /* A close that came meanwhile is queued next: still closing. */
  if (!ok || executor->state != EXECUTOR_CLOSING)
    executor->state = ok ? EXECUTOR_READY : EXECUTOR_FAILED;
  g_mutex_unlock (&executor->lock);
  if (ok)
    INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT " created (%s%s)", executor->id,
                  executor->is_main ? "the main interpreter, " : "",
                  executor->config.gil == INTERP_GIL_OWN ? "own GIL" : "shared GIL");
  else
    {
      INTERP_DEBUG ("Interpreter creation failed: %s", (*error)->message);
      state_changed (executor, INTERP_EXECUTOR_CHANGED_CLOSED);
    }
#if !INTERP_PY_HAS_OWN_GIL
  if (ok && !executor->is_main)
    _interp_executor_start_ticker (executor);
#endif
  if (!ok)
    {
      GList *rest;

      g_mutex_lock (&executor->lock);
      rest = steal_normal_jobs_locked (executor);
      g_mutex_unlock (&executor->lock);
      fail_jobs (rest, *error);
    }
  return ok;
}

/* The close job: tears the interpreter down, or defers that while its
 * memory is shared. Returns whether the thread runs on: not once the
 * interpreter is gone. */
static gboolean
run_close_job (InterpExecutor  *executor,
               InterpJob       *job,
               GError         **error)
{
  gboolean deferred;
  gboolean ok;

  /* Items this interpreter put in queues follow their unbound
   * policy; dropping them may release buffers (jobs for us). */
  _interp_executor_run_closing_hooks (executor);
  g_mutex_lock (&executor->lock);
  deferred = executor->exports > 0;
  executor->teardown_deferred = deferred;
  g_mutex_unlock (&executor->lock);
  if (deferred)
    return TRUE;
  ok = _interp_executor_teardown (executor, error);
  g_mutex_lock (&executor->lock);
  executor->state = ok ? EXECUTOR_CLOSED : EXECUTOR_READY;
  g_mutex_unlock (&executor->lock);
  if (ok)
    INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT " closed", executor->id);
  else
    {
      INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT " stays open: %s",
                    executor->id, (*error)->message);
      state_changed (executor, INTERP_EXECUTOR_CHANGED_CLOSED);
    }
  /* Released by its owner while Python threads run: it stays,
   * and nobody would know. interp_list_lingering() finds it. */
  if (!ok && job->detached && !executor->is_main)
    {
      gpointer owner = _interp_executor_dup_owner (executor);

      if (owner == NULL)
        g_warning ("Interpreter %" G_GINT64_FORMAT " was released but stays alive "
                   "until interp_shutdown(): %s (interp_list_lingering() lists it)",
                   executor->id, (*error)->message);
      g_clear_object (&owner);
    }
  return !ok;
}

/* A call, or the library's own work: runs @job's function with the
 * interpreter attached. */
static void
run_job (InterpExecutor  *executor,
         InterpJob       *job,
         GVariant       **result_out,
         GError         **error_out)
{
  GVariant *result = NULL;
  GError *error = NULL;
  GError *reason = NULL;
  gboolean ok;
  gint64 job_start = 0;

  g_mutex_lock (&executor->lock);
  /* Cancelled since next_job() looked, before it counted as running: the
   * cancel handler found nothing to interrupt, so it must not start (it
   * completes cancelled). Checked under the lock the handler takes, so a
   * later cancel finds it running. */
  if (job->cancellable != NULL && g_cancellable_is_cancelled (job->cancellable))
    {
      g_mutex_unlock (&executor->lock);
      return;
    }
  executor->running_job = job;
  executor->job_serial++;
  /* A wake-up is a system call: only for a ticker that sleeps. */
  if (executor->ticker_sleeping)
    g_cond_broadcast (&executor->ticker_cond);
  g_mutex_unlock (&executor->lock);
  state_changed (executor, INTERP_EXECUTOR_CHANGED_RUNNING);
  if (G_UNLIKELY (_interp_debug_enabled ()))
    {
      job_start = g_get_monotonic_time ();
      g_debug ("Interpreter %" G_GINT64_FORMAT ": job %" G_GUINT64_FORMAT " (%s) started",
               executor->id, job->seq, job_kind_name (job->kind));
    }

  PyEval_RestoreThread (executor->tstate);
  ok = job->func (executor, job->data, &result, &error);
  if (executor->flush_output)
    _interp_output_flush ();

  /* Still holding the GIL: no interrupter can be between its check
   * and its SetAsyncExc, so clearing here leaves nothing behind. */
  g_mutex_lock (&executor->lock);
  executor->running_job = NULL;
  if (executor->idle_waiters > 0)
    g_cond_broadcast (&executor->done_cond);
  reason = g_steal_pointer (&job->interrupt_reason);
  g_mutex_unlock (&executor->lock);
  PyErr_Clear ();
  _interp_executor_interrupt_job_ended (executor, job);
  executor->tstate = PyEval_SaveThread ();

  /* Interrupted by close or shutdown rather than by its cancellable:
   * say so instead of "cancelled". */
  if (reason != NULL &&
      (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
       g_error_matches (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED)))
    {
      g_clear_error (&error);
      error = g_steal_pointer (&reason);
      g_clear_pointer (&result, g_variant_unref);
    }
  g_clear_error (&reason);
  if (!ok && error == NULL)
    error = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_FAILED, "Job failed");
  state_changed (executor, INTERP_EXECUTOR_CHANGED_RUNNING);
  if (G_UNLIKELY (_interp_debug_enabled ()))
    {
      double ms = (g_get_monotonic_time () - job_start) / 1000.0;

      if (error == NULL)
        g_debug ("Interpreter %" G_GINT64_FORMAT ": job %" G_GUINT64_FORMAT
                 " ended after %.3f ms", executor->id, job->seq, ms);
      else
        g_debug ("Interpreter %" G_GINT64_FORMAT ": job %" G_GUINT64_FORMAT
                 " ended after %.3f ms with an error: %.*s",
                 executor->id, job->seq, ms,
                 (int) strcspn (error->message, "\n"), error->message);
    }

  *result_out = result;
  *error_out = error;
}

/* Closed while its memory was shared: destroyed with the last view.
 * Returns whether the thread runs on. */
static gboolean
finish_deferred_close (InterpExecutor *executor)
{
  g_autoptr(GError) teardown_error = NULL;
  gboolean now;

  g_mutex_lock (&executor->lock);
  now = executor->exports == 0;
  g_mutex_unlock (&executor->lock);
  if (!now)
    return TRUE;

  if (!_interp_executor_teardown (executor, &teardown_error))
    g_debug ("Interpreter %" G_GINT64_FORMAT " left alive: %s",
             executor->id, teardown_error->message);
  g_mutex_lock (&executor->lock);
  executor->state = EXECUTOR_CLOSED;
  g_mutex_unlock (&executor->lock);
  return FALSE;
}

/* Whatever is still queued (a second close, work that raced with a
 * failed setup) completes now: closes succeed, the rest fail. */
static void
drain (InterpExecutor *executor)
{
  for (;;)
    {
      InterpJob *job;

      g_mutex_lock (&executor->lock);
      job = g_queue_pop_head (&executor->jobs);
      update_queued_locked (executor);
      if (job != NULL)
        job->state = JOB_STATE_RUNNING;
      g_mutex_unlock (&executor->lock);
      if (job == NULL)
        break;
      job_complete (job, NULL, job->kind == JOB_CLOSE ? NULL : closed_error (executor), FALSE);
      _interp_job_unref (job);
    }
}

static gpointer
executor_thread (gpointer data)
{
  InterpExecutor *executor = data;
  gboolean running = TRUE;

  g_private_set (&current_executor, executor);

  while (running)
    {
      InterpJob *job = next_job (executor);
      GVariant *result = NULL;
      GError *error = NULL;

      if (job->cancellable != NULL && g_cancellable_is_cancelled (job->cancellable))
        {
          running = skip_cancelled_job (executor, job);
          continue;
        }

      switch (job->kind)
        {
        case JOB_SETUP:
          running = run_setup_job (executor, &error);
          break;

        case JOB_CLOSE:
          running = run_close_job (executor, job, &error);
          break;

        case JOB_NORMAL:
        case JOB_INTERNAL:
        default:
          run_job (executor, job, &result, &error);
          break;
        }

      job_complete (job, result, error, FALSE);
      _interp_job_unref (job);

      if (running && executor->teardown_deferred)
        running = finish_deferred_close (executor);
    }

  drain (executor);

  g_mutex_lock (&executor->lock);
  g_cond_broadcast (&executor->ticker_cond);
  g_mutex_unlock (&executor->lock);

  _interp_executor_registry_remove (executor);
  g_private_set (&current_executor, NULL);
  _interp_executor_unref (executor);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Public (library-internal) API                                       */

static InterpExecutor *
executor_new (gboolean is_main)
{
  InterpExecutor *executor = g_atomic_rc_box_new0 (InterpExecutor);

  executor->is_main = is_main;
  executor->id = -1;
  g_mutex_init (&executor->lock);
  g_cond_init (&executor->job_cond);
  g_cond_init (&executor->done_cond);
  g_cond_init (&executor->ticker_cond);
  g_queue_init (&executor->jobs);
  g_weak_ref_init (&executor->owner, NULL);
  executor->state = EXECUTOR_NEW;
#if INTERP_MONITOR_INTERRUPT
  executor->monitor_tool = -1;
#endif

  return executor;
}

InterpExecutor *
_interp_executor_new_main (gboolean embedded)
{
  InterpExecutor *executor = executor_new (TRUE);

  executor->embedded = embedded;
  /* The legacy settings with a GIL of its own, as CPython's pyinit_config(). */
  executor->config = _interp_config_named (INTERP_CONFIG_LEGACY);
  executor->config.gil = INTERP_GIL_OWN;
  return executor;
}

InterpExecutor *
_interp_executor_new_sub (const InterpConfig *config)
{
  InterpExecutor *executor = executor_new (FALSE);

  executor->config = *config;
  return executor;
}

static void
executor_clear (InterpExecutor *executor)
{
  g_assert (g_queue_is_empty (&executor->jobs));
  if (executor->state_hook_data_free != NULL)
    executor->state_hook_data_free (executor->state_hook_data);
  g_clear_pointer (&executor->thread, g_thread_unref);
  g_weak_ref_clear (&executor->owner);
  g_mutex_clear (&executor->lock);
  g_cond_clear (&executor->job_cond);
  g_cond_clear (&executor->done_cond);
  g_cond_clear (&executor->ticker_cond);
}

void
_interp_executor_unref (InterpExecutor *executor)
{
  g_atomic_rc_box_release_full (executor, (GDestroyNotify) executor_clear);
}

/* The executor's thread starts with its first job. It waits for the lock
 * before it looks at the queue. */
static gboolean
start_thread_locked (InterpExecutor  *executor,
                     GError         **error)
{
  g_autoptr(GError) thread_error = NULL;

  executor->thread = g_thread_try_new (executor->is_main ? "interp-main" : "interp-executor",
                                       executor_thread, _interp_executor_ref (executor),
                                       &thread_error);
  if (executor->thread == NULL)
    {
      /* Not the last reference: the caller holds one. */
      _interp_executor_unref (executor);
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                   "Could not start a thread for the interpreter: %s", thread_error->message);
      return FALSE;
    }
  executor->thread_started = TRUE;
  return TRUE;
}

/* Queues @job (taking a reference) or completes it at once when the
 * executor cannot take it. Called without the lock. */
static void
submit (InterpExecutor *executor,
        InterpJob      *job)
{
  GError *refusal = NULL;
  gboolean cancelled = FALSE;
  gboolean closed_already = FALSE;

  if (job->cancellable != NULL)
    _interp_cancel_waiter_connect (&job->cancel, job->cancellable, G_CALLBACK (job_cancelled_cb),
                                   _interp_job_ref (job), _interp_job_unref);

  g_mutex_lock (&executor->lock);
  job->seq = ++executor->n_submitted;
  if (job->cancel_requested)
    cancelled = TRUE;
  else if (job->kind == JOB_CLOSE &&
           (executor->state == EXECUTOR_CLOSED || executor->state == EXECUTOR_FAILED))
    closed_already = TRUE;  /* the thread may have drained its queue already */
  else if ((job->kind == JOB_NORMAL &&
            (executor->state == EXECUTOR_CLOSING || executor->state == EXECUTOR_CLOSED ||
             executor->state == EXECUTOR_FAILED)) ||
           (job->kind == JOB_INTERNAL && executor->state == EXECUTOR_CLOSED))
    refusal = closed_error (executor);
  else if (job->kind == JOB_NORMAL && job->task == NULL && job->done_func == NULL &&
           g_private_get (&current_executor) == executor)
    refusal = g_error_new (INTERP_ERROR, INTERP_ERROR_RUNNING,
                           "Interpreter %" G_GINT64_FORMAT " cannot wait for itself: "
                           "the call comes from code running in it", executor->id);
  else if (!executor->thread_started && !start_thread_locked (executor, &refusal))
    ;  /* refused: the first job (the setup) fails with why */
  else
    {
      job->state = JOB_STATE_QUEUED;
      if (job->kind == JOB_CLOSE)
        {
          /* Ahead of the work, but never ahead of a setup still queued
           * (a close right after the thread started): the first job sets
           * the interpreter up, and teardown needs it set up. */
          InterpJob *first = g_queue_peek_head (&executor->jobs);

          g_queue_push_nth (&executor->jobs, _interp_job_ref (job),
                            first != NULL && first->kind == JOB_SETUP ? 1 : 0);
        }
      else
        g_queue_push_tail (&executor->jobs, _interp_job_ref (job));
      update_queued_locked (executor);
      if (executor->idle_sleeping)
        g_cond_signal (&executor->job_cond);
    }
  if ((cancelled || refusal != NULL) && job->kind == JOB_SETUP)
    executor->state = EXECUTOR_FAILED;
  g_mutex_unlock (&executor->lock);

  if (closed_already)
    job_complete (job, NULL, NULL, FALSE);
  else if (cancelled || refusal != NULL)
    {
      /* A setup that never started a thread: nothing else will take the
       * executor out of the runtime's list. */
      if (job->kind == JOB_SETUP)
        _interp_executor_registry_remove (executor);
      job_complete (job, NULL, refusal, FALSE);
    }
}

static void
forward_cancel_cb (GCancellable *source,
                   gpointer      target)
{
  g_cancellable_cancel (target);
}

static gboolean
wait_sync (InterpExecutor  *executor,
           InterpJob       *job,
           GVariant       **result,
           GError         **error)
{
  gboolean ok;

  /* A short call is usually done before sleeping would pay off. */
  if (!_interp_spin_until_nonzero (&job->done_flag, 50))
    {
      g_mutex_lock (&executor->lock);
      while (!job->done)
        {
          executor->done_sleepers++;
          g_cond_wait (&executor->done_cond, &executor->lock);
          executor->done_sleepers--;
        }
      g_mutex_unlock (&executor->lock);
    }

  ok = job->error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&job->error));
  if (result != NULL)
    *result = g_steal_pointer (&job->result);
  _interp_job_unref (job);
  return ok;
}

gboolean
_interp_executor_start (InterpExecutor  *executor,
                        GCancellable    *cancellable,
                        GError         **error)
{
  InterpJob *job = job_new (executor, JOB_SETUP, NULL, NULL, NULL, cancellable, NULL);

  if (!_interp_executor_registry_add (executor, error))
    {
      _interp_job_unref (job);
      return FALSE;
    }
  submit (executor, job);
  return wait_sync (executor, job, NULL, error);
}

void
_interp_executor_start_async (InterpExecutor *executor,
                              GTask          *task)
{
  GError *error = NULL;
  InterpJob *job;

  if (!_interp_executor_registry_add (executor, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  job = job_new (executor, JOB_SETUP, NULL, NULL, NULL, g_task_get_cancellable (task), task);
  submit (executor, job);
  _interp_job_unref (job);
}

gboolean
_interp_executor_run (InterpExecutor  *executor,
                      InterpJobFunc    func,
                      gpointer         data,
                      GDestroyNotify   data_free,
                      GCancellable    *cancellable,
                      GVariant       **result,
                      GError         **error)
{
  InterpExecutor *caller = g_private_get (&current_executor);
  GCancellable *user_cancellable = cancellable;
  GCancellable *outer = NULL;
  GCancellable *combined = NULL;
  gulong forward_ids[2] = { 0, 0 };
  InterpJob *job;
  gboolean ok;

  /* Code running in another interpreter waits: not if that closes a cycle
   * (waiting for itself is refused in submit()). */
  if (caller == NULL || caller == executor)
    {
      job = job_new (executor, JOB_NORMAL, func, data, data_free, cancellable, NULL);
      submit (executor, job);
      return wait_sync (executor, job, result, error);
    }

  if (!_interp_executor_wait_graph_enter (caller, executor, error))
    {
      if (data_free != NULL)
        data_free (data);
      return FALSE;
    }

  /* Cancelling the waiting code cancels what it waits for, so that the
   * wait ends (it would otherwise last as long as the call). */
  outer = _interp_executor_get_wait_cancellable ();
  if (outer != NULL && cancellable != NULL)
    {
      combined = g_cancellable_new ();
      forward_ids[0] = g_cancellable_connect (outer, G_CALLBACK (forward_cancel_cb), combined, NULL);
      forward_ids[1] = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel_cb), combined, NULL);
      cancellable = combined;
    }
  else if (outer != NULL)
    cancellable = outer;

  job = job_new (executor, JOB_NORMAL, func, data, data_free, cancellable, NULL);
  submit (executor, job);
  ok = wait_sync (executor, job, result, error);

  if (combined != NULL)
    {
      g_cancellable_disconnect (outer, forward_ids[0]);
      g_cancellable_disconnect (user_cancellable, forward_ids[1]);
      g_object_unref (combined);
    }
  _interp_executor_wait_graph_leave (caller);
  return ok;
}

void
_interp_executor_run_async (InterpExecutor *executor,
                            InterpJobFunc   func,
                            gpointer        data,
                            GDestroyNotify  data_free,
                            GTask          *task)
{
  InterpJob *job = job_new (executor, JOB_NORMAL, func, data, data_free,
                            g_task_get_cancellable (task), task);

  submit (executor, job);
  _interp_job_unref (job);
}

void
_interp_executor_run_full (InterpExecutor    *executor,
                           InterpJobFunc      func,
                           gpointer           data,
                           GDestroyNotify     data_free,
                           GCancellable      *cancellable,
                           InterpJobDoneFunc  done_func,
                           gpointer           done_data)
{
  InterpJob *job = job_new (executor, JOB_NORMAL, func, data, data_free, cancellable, NULL);

  job->done_func = done_func;
  job->done_data = done_data;
  submit (executor, job);
  _interp_job_unref (job);
}

/* Starts closing: refuses new work and fails the queued jobs. Returns the
 * close job to wait on, or NULL with *error set / nothing to do. */
static InterpJob *
begin_close (InterpExecutor  *executor,
             GTask           *task,
             gboolean         will_wait,
             gboolean        *already_closed,
             GError         **error)
{
  InterpJob *job = NULL;
  GList *stolen = NULL;
  GError *reason;
  gboolean was_closed;

  *already_closed = FALSE;

  if (will_wait && g_private_get (&current_executor) == executor)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING,
                   "Interpreter %" G_GINT64_FORMAT " cannot be closed from code running in it",
                   executor->id);
      return NULL;
    }

  g_mutex_lock (&executor->lock);
  was_closed = executor->state == EXECUTOR_CLOSING || executor->state == EXECUTOR_CLOSED ||
               executor->state == EXECUTOR_FAILED;
  if (executor->state == EXECUTOR_CLOSED || executor->state == EXECUTOR_FAILED ||
      !executor->thread_started)
    {
      *already_closed = TRUE;
      executor->state = executor->state == EXECUTOR_FAILED ? EXECUTOR_FAILED : EXECUTOR_CLOSED;
    }
  else
    {
      executor->state = EXECUTOR_CLOSING;
      stolen = steal_normal_jobs_locked (executor);
    }
  g_mutex_unlock (&executor->lock);

  if (!was_closed)
    {
      INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT " closing: %u queued job%s dropped",
                    executor->id, g_list_length (stolen), g_list_length (stolen) == 1 ? "" : "s");
      state_changed (executor, INTERP_EXECUTOR_CHANGED_CLOSED);
    }

  reason = g_error_new (INTERP_ERROR, INTERP_ERROR_NOT_FOUND,
                        "Interpreter %" G_GINT64_FORMAT " was closed before the job ran",
                        executor->id);
  fail_jobs (stolen, reason);
  g_error_free (reason);

  if (!*already_closed)
    {
      job = job_new (executor, JOB_CLOSE, NULL, NULL, NULL, NULL, task);
      job->detached = task == NULL && !will_wait;
      submit (executor, job);
    }
  return job;
}

gboolean
_interp_executor_close (InterpExecutor  *executor,
                        GError         **error)
{
  InterpExecutor *caller = g_private_get (&current_executor);
  gboolean already_closed;
  gboolean ok;
  InterpJob *job;

  /* Closing waits for the running job, which may be waiting for us. */
  if (caller != NULL && caller != executor && !_interp_executor_wait_graph_enter (caller, executor, error))
    return FALSE;
  job = begin_close (executor, NULL, TRUE, &already_closed, error);
  if (job == NULL)
    ok = already_closed;
  else
    ok = wait_sync (executor, job, NULL, error);
  if (caller != NULL && caller != executor)
    _interp_executor_wait_graph_leave (caller);
  return ok;
}

void
_interp_executor_close_async (InterpExecutor *executor,
                              GTask          *task)
{
  GError *error = NULL;
  gboolean already_closed;
  InterpJob *job = begin_close (executor, task, FALSE, &already_closed, &error);

  if (job != NULL)
    _interp_job_unref (job);
  else if (task != NULL && already_closed)
    g_task_return_boolean (task, TRUE);
  else if (task != NULL)
    g_task_return_error (task, error);
  else
    g_clear_error (&error);
}

void
_interp_executor_join (InterpExecutor *executor)
{
  GThread *thread;

  g_mutex_lock (&executor->lock);
  thread = executor->thread ? g_thread_ref (executor->thread) : NULL;
  g_mutex_unlock (&executor->lock);

  if (thread != NULL && g_thread_self () != thread)
    g_thread_join (thread);
  else if (thread != NULL)
    g_thread_unref (thread);
}

gint64
_interp_executor_get_id (InterpExecutor *executor)
{
  return executor->id;
}

const InterpConfig *
_interp_executor_get_config (InterpExecutor *executor)
{
  return &executor->config;
}

gboolean
_interp_executor_is_running (InterpExecutor *executor)
{
  gboolean running;

  g_mutex_lock (&executor->lock);
  running = executor->running_job != NULL;
  g_mutex_unlock (&executor->lock);
  return running;
}

void
_interp_executor_set_abandoned (InterpExecutor *executor)
{
  g_mutex_lock (&executor->lock);
  executor->abandoned = TRUE;
  g_mutex_unlock (&executor->lock);
}

gboolean
_interp_executor_is_abandoned (InterpExecutor *executor)
{
  gboolean abandoned;

  g_mutex_lock (&executor->lock);
  abandoned = executor->abandoned;
  g_mutex_unlock (&executor->lock);
  return abandoned;
}

gboolean
_interp_executor_wait_idle (InterpExecutor *executor,
                            gint64          timeout_us)
{
  gint64 until = g_get_monotonic_time () + timeout_us;
  gboolean idle;

  g_mutex_lock (&executor->lock);
  executor->idle_waiters++;
  while (executor->running_job != NULL)
    if (!g_cond_wait_until (&executor->done_cond, &executor->lock, until))
      break;
  executor->idle_waiters--;
  idle = executor->running_job == NULL;
  g_mutex_unlock (&executor->lock);
  return idle;
}

gboolean
_interp_executor_is_closed (InterpExecutor *executor)
{
  gboolean closed;

  g_mutex_lock (&executor->lock);
  closed = executor->state == EXECUTOR_CLOSING || executor->state == EXECUTOR_CLOSED ||
           executor->state == EXECUTOR_FAILED;
  g_mutex_unlock (&executor->lock);
  return closed;
}

static gboolean
release_buffer_job (InterpExecutor  *executor,
                    gpointer         data,
                    GVariant       **result,
                    GError         **error)
{
  PyBuffer_Release (data);
  g_mutex_lock (&executor->lock);
  executor->exports--;
  g_mutex_unlock (&executor->lock);
  return TRUE;
}

void
_interp_executor_add_export (InterpExecutor *executor)
{
  g_mutex_lock (&executor->lock);
  executor->exports++;
  g_mutex_unlock (&executor->lock);
}

void
_interp_executor_release_buffer (InterpExecutor *executor,
                                 Py_buffer      *view)
{
  InterpJob *job = job_new (executor, JOB_INTERNAL, release_buffer_job, view, g_free, NULL, NULL);

  submit (executor, job);
  if (job->error != NULL)
    g_debug ("Could not release a shared buffer: %s", job->error->message);
  _interp_job_unref (job);
}

void
_interp_executor_set_output_flush (InterpExecutor *executor,
                                   gboolean        flush)
{
  executor->flush_output = flush;
}

void
_interp_executor_set_owner (InterpExecutor *executor,
                            gpointer        owner)
{
  g_weak_ref_set (&executor->owner, owner);
}

void
_interp_executor_set_state_hook (InterpExecutor          *executor,
                                 InterpExecutorStateHook  hook,
                                 gpointer                 data,
                                 GDestroyNotify           data_free)
{
  g_return_if_fail (executor->state_hook == NULL);

  /* The main interpreter's executor may be running jobs already: publish
   * the data before the hook that reads it. */
  executor->state_hook_data = data;
  executor->state_hook_data_free = data_free;
  g_atomic_pointer_set (&executor->state_hook, hook);
}

gpointer
_interp_executor_dup_owner (InterpExecutor *executor)
{
  return g_weak_ref_get (&executor->owner);
}

InterpExecutor *
_interp_executor_get_current (void)
{
  return g_private_get (&current_executor);
}

/* ------------------------------------------------------------------ */
/* Sync runs whose waiter keeps an eye on something else               */

gboolean
_interp_executor_run_checked (InterpExecutor         *executor,
                              InterpJobFunc           func,
                              gpointer                data,
                              GDestroyNotify          data_free,
                              GCancellable           *cancellable,
                              const InterpWaitWatch  *watch,
                              GError                **error)
{
  InterpJob *job = job_new (executor, JOB_NORMAL, func, data, data_free, cancellable, NULL);
  gboolean abandoned = FALSE;

  submit (executor, job);
  if (!_interp_spin_until_nonzero (&job->done_flag, 50))
    {
      g_mutex_lock (&executor->lock);
      while (!job->done && !abandoned)
        {
          gint64 end = g_get_monotonic_time () + INTERP_WAIT_CHECK_INTERVAL_US;

          executor->done_sleepers++;
          while (!job->done && g_cond_wait_until (&executor->done_cond, &executor->lock, end))
            ;
          executor->done_sleepers--;
          if (job->done)
            break;
          g_mutex_unlock (&executor->lock);
          abandoned = !watch->check (watch->data);
          g_mutex_lock (&executor->lock);
        }
      g_mutex_unlock (&executor->lock);
    }

  if (abandoned && !g_atomic_int_get (&job->done_flag))
    {
      /* The job keeps its own references and completes on its own. */
      _interp_job_unref (job);
      _interp_error_set_cancelled (error);
      return FALSE;
    }
  return wait_sync (executor, job, NULL, error);
}
