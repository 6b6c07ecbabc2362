/* interp-pool-scheduler.c: the pool's tasks, on their way to the workers and back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Workers are ordinary interpreters (InterpInterpreter) whose executors
 * take jobs from one FIFO of the pool: a job is handed to a worker only
 * when it is idle, so the executors' own queues stay empty and a slow job
 * never holds others back. A job is one call, or a chunk of a map.
 *
 * Everything the pool decides is decided under pool->lock; what it does
 * about it (submitting jobs, cancelling, closing workers, destroying
 * sources, completing calls) is collected in an InterpDeferred and done
 * after the lock is dropped, since each of those takes other locks or
 * runs code.
 *
 * _async calls complete through interp-completion.c: one idle source per
 * main context completes every call that finished since it last ran.
 *
 * New workers are made on threads of their own, their initializer run
 * there; a worker that cannot be made breaks the pool.
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-pool-private.h"
#include "interp-error-private.h"
#include "interp-error.h"
#include "interp-interpreter-private.h"

#include <string.h>

static void job_done (GVariant *result, GError *error, gpointer data);

/* ------------------------------------------------------------------ */
/* Tasks and jobs                                                      */

PoolTask *
_interp_pool_task_ref (PoolTask *task)
{
  return g_atomic_rc_box_acquire (task);
}

/* Lets go of the task's jobs (once: it takes them). */
static void
release_jobs (PoolTask *task)
{
  PoolJob **array = g_steal_pointer (&task->jobs);
  gboolean own_storage = array != &task->one_job;
  guint n = task->n_jobs;

  if (array == NULL)
    return;
  /* The task may go with its last job: nothing of it is read after. */
  for (guint i = 0; i < n; i++)
    _interp_pool_job_unref (array[i]);
  if (own_storage)
    g_free (array);
}

static void
task_clear (PoolTask *task)
{
  g_assert (!_interp_cancel_waiter_is_connected (&task->cancel));
  if (task->results != NULL)
    for (guint i = 0; i < task->n_items; i++)
      g_clear_pointer (&task->results[i], g_variant_unref);
  if (task->results != &task->one_result)
    g_free (task->results);
  release_jobs (task);
  g_clear_pointer (&task->call, _interp_call_free);
  g_clear_pointer (&task->result, g_variant_unref);
  g_clear_object (&task->stream);
  g_clear_error (&task->error);
  g_clear_object (&task->cancellable);
  g_clear_object (&task->result_task);
}

void
_interp_pool_task_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) task_clear);
}

static void
job_clear (PoolJob *job)
{
  for (guint i = 0; i < job->n; i++)
    {
      if (job->args != NULL)
        g_clear_pointer (&job->args[i], g_variant_unref);
      g_clear_pointer (&job->results[i], g_variant_unref);
      if (job->errors != NULL)
        g_clear_error (&job->errors[i]);
    }
  g_free (job->args);
  if (job->results != &job->one_result)
    g_free (job->results);
  g_free (job->errors);
  g_free (job->worker);  /* only an abandoned job still has one */
  g_assert (job->pool == NULL);
  g_mutex_clear (&job->pool_lock);
  _interp_pool_task_unref (job->task);
}

void
_interp_pool_job_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) job_clear);
}

PoolJob *
_interp_pool_job_new (PoolTask *task,
                      guint     first,
                      guint     n)
{
  PoolJob *job = g_atomic_rc_box_new0 (PoolJob);

  job->task = _interp_pool_task_ref (task);
  job->state = JOB_PENDING;
  job->link.data = job;
  job->first = first;
  job->n = n;
  /* A call's job, the common case, allocates no array. */
  job->results = n == 1 ? &job->one_result : g_new0 (GVariant *, n);
  g_mutex_init (&job->pool_lock);
  return job;
}

PoolTask *
_interp_pool_task_new (InterpPool   *self,
                       PoolTaskKind  kind,
                       InterpCall   *call,
                       guint         n_items,
                       guint         n_jobs,
                       GCancellable      *cancellable,
                       InterpAsyncResult *async_result)
{
  PoolTask *task = g_atomic_rc_box_new0 (PoolTask);

  task->pool = self;
  task->kind = kind;
  task->call = call;
  task->n_items = n_items;
  task->results = n_items <= 1 ? &task->one_result : g_new0 (GVariant *, n_items);
  task->fail_index = G_MAXUINT;
  /* A call's one job needs no allocation of its own. */
  task->jobs = n_jobs <= 1 ? &task->one_job : g_new0 (PoolJob *, n_jobs);
  task->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  task->result_task = async_result ? g_object_ref (async_result) : NULL;
  return task;
}

void
_interp_pool_task_add_job (PoolTask *task,
                           PoolJob  *job)
{
  task->jobs[task->n_jobs++] = job;
}

void
_interp_pool_task_drop_jobs (PoolTask *task)
{
  release_jobs (task);
}

InterpPool *
_interp_pool_job_dup_pool (PoolJob *job)
{
  InterpPool *pool;

  g_mutex_lock (&job->pool_lock);
  pool = job->pool ? g_object_ref (job->pool) : NULL;
  g_mutex_unlock (&job->pool_lock);
  return pool;
}

/* Drops the running job's reference to the pool: maybe the last one. */
void
_interp_pool_job_release_pool (PoolJob *job)
{
  InterpPool *pool;

  g_mutex_lock (&job->pool_lock);
  pool = g_steal_pointer (&job->pool);
  g_mutex_unlock (&job->pool_lock);
  g_clear_object (&pool);
}

/* Runs on the worker's executor thread, the GIL held. A map's chunk ends
 * at its first failure; a stream's goes on, each item keeping its own
 * error, unless the job is interrupted. */
static gboolean
run_job (InterpExecutor  *executor,
         gpointer         data,
         GVariant       **result,
         GError         **error)
{
  PoolJob *job = data;

  for (guint i = 0; i < job->n; i++)
    {
      GError *item_error = NULL;
      gboolean ok;

      /* An interrupt asked for before the job ran finds it here. */
      if (g_atomic_int_get (&job->cancel))
        {
          _interp_error_set_cancelled (error);
          return FALSE;
        }
      if (g_atomic_int_get (&job->stop))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The map already failed");
          return FALSE;
        }
      if (job->args == NULL)
        ok = _interp_call_run (executor, job->task->call, &job->results[i], &item_error);
      else
        ok = _interp_call_run_with_args (executor, job->task->call, job->args[i],
                                         &job->results[i], &item_error);
      if (!ok)
        {
          /* The interrupt itself stops a stream too: the job's error
           * (a timeout, a cancel) is the rest's. */
          if (job->errors == NULL ||
              (g_atomic_int_get (&job->cancel) &&
               g_error_matches (item_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
            {
              g_propagate_error (error, item_error);
              return FALSE;
            }
          job->errors[i] = item_error;
        }
      /* A full barrier: the timers read what is done without the worker. */
      g_atomic_int_inc (&job->n_done);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Deferred work                                                       */

/* A running job to interrupt, and its worker's executor (the worker may
 * have moved on by the time the lock is dropped: then nothing happens). */
typedef struct
{
  PoolJob *job;
  InterpExecutor *executor;
} PoolInterrupt;

static void
interrupt_effect (gpointer owner,
                  gpointer data)
{
  PoolInterrupt *interrupt = data;

  _interp_executor_interrupt_data (interrupt->executor, interrupt->job);
  _interp_pool_job_unref (interrupt->job);
  _interp_executor_unref (interrupt->executor);
  g_free (interrupt);
}

static void
destroy_source_effect (gpointer owner,
                       gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

void
_interp_pool_take_source_locked (GSource        **source,
                                 InterpDeferred  *deferred)
{
  if (*source != NULL)
    _interp_deferred_add (deferred, destroy_source_effect, g_steal_pointer (source));
}

/* The job is running: interrupt it, and give it the grace period. */
void
_interp_pool_interrupt_job_locked (InterpPool     *self,
                                   PoolJob        *job,
                                   InterpDeferred *deferred)
{
  PoolInterrupt *interrupt;

  if (g_atomic_int_get (&job->cancel))
    return;
  g_atomic_int_set (&job->cancel, 1);
  interrupt = g_new (PoolInterrupt, 1);
  interrupt->job = _interp_pool_job_ref (job);
  interrupt->executor = _interp_executor_ref (_interp_interpreter_get_executor (job->worker->interp));
  _interp_deferred_add (deferred, interrupt_effect, interrupt);
  job->grace_source = _interp_pool_add_grace_locked (self, job);
}

static void
retire_worker (InterpInterpreter *interp)
{
  if (_interp_interpreter_get_executor (interp) != NULL)
    _interp_executor_close_async (_interp_interpreter_get_executor (interp), NULL);
  g_object_unref (interp);
}

static void
retire_effect (gpointer owner,
               gpointer data)
{
  InterpPool *self = owner;

  retire_worker (data);
  g_mutex_lock (&self->lock);
  self->n_retiring--;
  _interp_pool_wake_locked (self);
  g_mutex_unlock (&self->lock);
}

/* Closes @interp (taking the reference) once the lock is dropped. */
void
_interp_pool_retire_locked (InterpPool        *self,
                            InterpInterpreter *interp,
                            InterpDeferred    *deferred)
{
  InterpExecutor *executor = _interp_interpreter_get_executor (interp);

  _interp_deferred_add (deferred, retire_effect, interp);
  self->n_retiring++;
  /* A shutdown waits for these to end. */
  if (self->state != POOL_RUNNING && executor != NULL)
    g_ptr_array_add (self->closing, _interp_executor_ref (executor));
}

/* Hands the job (the pending queue's reference) to its worker. */
static void
submit_effect (gpointer owner,
               gpointer data)
{
  PoolJob *job = data;

  _interp_executor_run_full (_interp_interpreter_get_executor (job->worker->interp),
                             run_job, job, _interp_pool_job_unref, NULL, job_done, job);
}

static void spawn (InterpPool *self);

static void
spawn_effect (gpointer owner,
              gpointer data)
{
  spawn (owner);
}

void
_interp_pool_wait_locked (InterpPool *self)
{
  self->cond_waiters++;
  g_cond_wait (&self->cond, &self->lock);
  self->cond_waiters--;
}

/* A wake-up is a system call, and every finished job would make one. */
void
_interp_pool_wake_locked (InterpPool *self)
{
  if (self->cond_waiters > 0)
    g_cond_broadcast (&self->cond);
}

void
_interp_pool_unlock_and_run (InterpPool     *self,
                             InterpDeferred *deferred)
{
  _interp_pool_schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);
  _interp_deferred_run (deferred);
}

/* ------------------------------------------------------------------ */
/* Completions                                                         */

/* In the caller's main context: the call completes. */
static void
complete_task (gpointer data)
{
  PoolTask *task = data;

  _interp_cancel_waiter_finish (&task->cancel, FALSE);
  _interp_async_result_return_here (g_steal_pointer (&task->result_task),
                                    g_steal_pointer (&task->result),
                                    g_steal_pointer (&task->error));
}

/* The completion's reference, after complete_task() or when it is
 * dropped unrun: the task's jobs hold the task too. */
static void
completion_unref (gpointer data)
{
  PoolTask *task = data;

  release_jobs (task);
  _interp_pool_task_unref (task);
}

static void
deliver_effect (gpointer owner,
                gpointer data)
{
  PoolTask *task = data;

  /* The pool lives meanwhile: the result holds it. */
  _interp_completion_push (_interp_async_result_get_context (task->result_task), G_PRIORITY_DEFAULT,
                           0, complete_task, task, completion_unref);
}

/* A task whose outcome is set: hands it to its caller, a sync waiter on
 * self->cond or, once the lock is dropped, the caller's main context. */
static void
deliver_locked (InterpPool     *self,
                PoolTask       *task,
                InterpDeferred *deferred)
{
  if (task->result_task == NULL)
    {
      _interp_pool_wake_locked (self);
      return;
    }
  /* Queued once the lock is dropped: the pool's lock, which every
   * submission and every finished job takes, is held no longer than it
   * must. */
  _interp_deferred_add (deferred, deliver_effect, _interp_pool_task_ref (task));
}

/* ------------------------------------------------------------------ */
/* Workers and dispatch                                                */

static GError *
refusal_locked (InterpPool *self)
{
  if (self->broken != NULL)
    return g_error_copy (self->broken);
  if (self->state != POOL_RUNNING)
    return g_error_new_literal (INTERP_ERROR, INTERP_ERROR_SHUT_DOWN,
                                "The pool is shut down and takes no more calls");
  return NULL;
}

/* Hands pending jobs to idle workers, and asks for new workers where the
 * queue needs them. */
void
_interp_pool_dispatch_locked (InterpPool     *self,
                              InterpDeferred *deferred)
{
  guint wanted;

  while (self->pending.length > 0 && self->idle.length > 0)
    {
      Worker *worker = g_queue_pop_head (&self->idle);
      PoolJob *job = self->pending.head->data;

      g_queue_unlink (&self->pending, &job->link);
      job->state = JOB_RUNNING;
      job->worker = worker;
      self->n_busy++;
      job->pool = g_object_ref (self);
      if (self->task_timeout > 0)
        job->timeout_source = _interp_pool_add_timeout_locked (self, job);
      /* The queue's reference, handed over to the executor. */
      _interp_deferred_add (deferred, submit_effect, job);
    }

  if (self->broken != NULL || self->state == POOL_SHUT_DOWN)
    return;

  wanted = self->pending.length > self->n_starting ? self->pending.length - self->n_starting : 0;
  if (self->state == POOL_RUNNING && self->workers->len < self->min_workers)
    wanted = MAX (wanted, self->min_workers - self->workers->len);
  while (wanted > 0 && self->workers->len < self->max_workers)
    {
      Worker *worker = g_new0 (Worker, 1);

      g_ptr_array_add (self->workers, worker);
      self->n_starting++;
      _interp_deferred_add (deferred, spawn_effect, NULL);
      wanted--;
    }
}

/* Fails every pending job: shutdown with cancel_pending, or broken. */
void
_interp_pool_drop_pending_locked (InterpPool     *self,
                                  const GError   *reason,
                                  InterpDeferred *deferred)
{
  PoolJob *job;

  while ((job = g_queue_peek_head (&self->pending)) != NULL)
    {
      g_queue_unlink (&self->pending, &job->link);
      _interp_pool_settle_job_locked (self, job, g_error_copy (reason), deferred);
      _interp_pool_job_unref (job);  /* the queue's reference */
    }
}

void
_interp_pool_retire_idle_locked (InterpPool     *self,
                                 InterpDeferred *deferred)
{
  Worker *worker;

  while ((worker = g_queue_pop_head (&self->idle)) != NULL)
    {
      g_ptr_array_remove_fast (self->workers, worker);
      _interp_pool_retire_locked (self, g_steal_pointer (&worker->interp), deferred);
      g_free (worker);
    }
}

static void
break_pool_locked (InterpPool     *self,
                   GError         *error,
                   InterpDeferred *deferred)
{
  if (self->broken == NULL)
    {
      /* One line: the failure's first. */
      gsize len = strcspn (error->message, "\n");

      g_autoptr(InterpExceptionInfo) info = interp_exception_info_from_error (error);

      self->broken = g_error_new (INTERP_ERROR, INTERP_ERROR_BROKEN,
                                  "The pool is broken: %.*s", (int) len, error->message);
      if (info != NULL)
        _interp_error_set_exception_info (self->broken, info);
      g_debug ("%s", self->broken->message);
    }
  _interp_pool_drop_pending_locked (self, self->broken, deferred);
  _interp_pool_retire_idle_locked (self, deferred);
}

/* ------------------------------------------------------------------ */
/* Starting workers                                                    */

/* Cancels the initializers running now, and any started later. */
void
_interp_pool_stop_starting (InterpPool *self)
{
  g_autoptr(GPtrArray) starting = NULL;

  g_mutex_lock (&self->lock);
  self->stop_starting = TRUE;
  starting = g_ptr_array_new_full (self->starting->len, g_object_unref);
  for (guint i = 0; i < self->starting->len; i++)
    g_ptr_array_add (starting, g_object_ref (self->starting->pdata[i]));
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < starting->len; i++)
    g_cancellable_cancel (starting->pdata[i]);
}

/* Runs the pool's initializer in @interp, as a call runs: the task timeout
 * interrupts it, as do a cancelled initialization and a shutdown that
 * cancels what is pending; if it has not returned a grace period after
 * that, the wait ends and the worker is abandoned (closed whenever its
 * code returns). */
typedef struct
{
  InterpPool *pool;
  InterpInterpreter *interp;
  GCancellable *cancellable;  /* cancelled: the code is interrupted */
  gint64 interrupt_at;        /* G_MAXINT64: no timeout */
  gint64 abandon_at;          /* G_MAXINT64: not interrupted yet */
  gboolean timed_out;
  gboolean abandoned;
} InitWait;

/* _interp_executor_run_checked()'s check, while the initializer runs. */
static gboolean
init_wait_check (gpointer data)
{
  InitWait *wait = data;
  gint64 now = g_get_monotonic_time ();

  if (wait->abandon_at == G_MAXINT64 &&
      (now >= wait->interrupt_at || g_cancellable_is_cancelled (wait->cancellable)))
    {
      wait->timed_out = !g_cancellable_is_cancelled (wait->cancellable);
      wait->abandon_at = now + (gint64) wait->pool->grace_period * G_TIME_SPAN_MILLISECOND;
      g_cancellable_cancel (wait->cancellable);
    }
  else if (now >= wait->abandon_at)
    {
      /* As an abandoned call's: Python's shutdown must not wait for it. */
      _interp_executor_set_abandoned (_interp_interpreter_get_executor (wait->interp));
      wait->abandoned = TRUE;
    }
  return !wait->abandoned;
}

static gboolean
run_initializer (InterpPool         *self,
                 InterpInterpreter  *interp,
                 GError            **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  InitWait wait = { self, interp, cancellable, G_MAXINT64, G_MAXINT64, FALSE, FALSE };
  g_autoptr(GError) run_error = NULL;
  gboolean stopped, ok;

  if (self->task_timeout > 0)
    wait.interrupt_at = g_get_monotonic_time () + (gint64) self->task_timeout * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->starting, g_object_ref (cancellable));
  stopped = self->stop_starting;
  g_mutex_unlock (&self->lock);
  if (stopped)
    g_cancellable_cancel (cancellable);

  ok = _interp_executor_run_checked (_interp_interpreter_get_executor (interp), _interp_code_run,
                                     _interp_code_new (self->initializer, "<pool initializer>"),
                                     _interp_code_free, cancellable,
                                     &(InterpWaitWatch) { init_wait_check, &wait }, &run_error);

  g_mutex_lock (&self->lock);
  g_ptr_array_remove_fast (self->starting, cancellable);
  g_mutex_unlock (&self->lock);

  if (ok)
    return TRUE;
  /* Interrupted, its own error says less than why it was. */
  if (wait.abandon_at == G_MAXINT64 && !g_cancellable_is_cancelled (cancellable))
    {
      g_propagate_error (error, g_steal_pointer (&run_error));
      return FALSE;
    }
  if (wait.timed_out)
    {
      g_autofree char *timeout = _interp_pool_dup_timeout_text (self);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "a new worker's initializer ran longer than the task timeout (%s)%s",
                   timeout, wait.abandoned ? " and was abandoned" : "");
    }
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 "a new worker's initializer was cancelled%s", wait.abandoned ? " and abandoned" : "");
  return FALSE;
}

/* After a worker came or went: pending work goes to idle workers (new
 * ones start if needed), a pool shutting down with nothing pending
 * retires its idle workers, and waiters wake. Unlocks, runs @deferred. */
static void
rebalance_and_unlock (InterpPool     *self,
                      InterpDeferred *deferred)
{
  _interp_pool_dispatch_locked (self, deferred);
  if (self->state == POOL_SHUTTING_DOWN && self->pending.length == 0)
    _interp_pool_retire_idle_locked (self, deferred);
  _interp_pool_wake_locked (self);
  _interp_pool_unlock_and_run (self, deferred);
}

/* A worker that was starting has its interpreter, or @error. */
static void
spawn_settle (InterpPool        *self,
              InterpInterpreter *interp,
              GError            *error)
{
  InterpDeferred deferred;
  Worker *worker = NULL;

  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  self->n_starting--;
  /* The first worker still starting takes this interpreter. */
  for (guint i = 0; i < self->workers->len && worker == NULL; i++)
    if (((Worker *) self->workers->pdata[i])->interp == NULL)
      worker = self->workers->pdata[i];
  g_assert (worker != NULL);

  if (error != NULL || self->state == POOL_SHUT_DOWN || self->broken != NULL)
    {
      g_ptr_array_remove_fast (self->workers, worker);
      g_free (worker);
      if (interp != NULL)
        _interp_pool_retire_locked (self, interp, &deferred);
      if (error != NULL)
        break_pool_locked (self, error, &deferred);
    }
  else
    {
      worker->interp = interp;
      worker->idle_since = g_get_monotonic_time ();
      g_queue_push_head (&self->idle, worker);
    }
  /* Without a new worker the pool is broken or shut down: nothing is
   * pending and no worker is wanted, so the rebalance only wakes waiters. */
  rebalance_and_unlock (self, &deferred);
}

static gpointer
spawn_thread (gpointer data)
{
  InterpPool *self = data;
  g_autoptr(GError) error = NULL;
  InterpInterpreter *interp = _interp_pool_new_interpreter (self);

  if (!g_initable_init (G_INITABLE (interp), NULL, &error))
    g_prefix_error (&error, "could not make a worker: ");
  else if (self->initializer != NULL && !run_initializer (self, interp, &error) &&
           error->domain != G_IO_ERROR)
    g_prefix_error (&error, "a new worker's initializer failed: ");

  spawn_settle (self, interp, error);
  g_object_unref (self);
  return NULL;
}

/* Starts a worker's thread, or settles it as failed when there can be no
 * thread (out of threads or memory): the pool breaks, as it does when an
 * interpreter cannot be made. */
static void
spawn (InterpPool *self)
{
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_try_new ("interp-pool-spawn", spawn_thread, g_object_ref (self), &error);

  if (thread != NULL)
    {
      g_thread_unref (thread);
      return;
    }
  g_prefix_error (&error, "could not start a thread for a worker: ");
  spawn_settle (self, NULL, error);
  g_object_unref (self);
}

/* ------------------------------------------------------------------ */
/* Settling                                                            */

/* Decides the task's outcome once every job that matters has settled:
 * all of them, or, after a failure, those before the failed item. */
static void
check_task_locked (InterpPool     *self,
                   PoolTask       *task,
                   InterpDeferred *deferred)
{
  if (task->done)
    return;
  /* From the first job not known to have settled: a job settles once, and
   * starting over from the first made a map of N chunks cost N^2 / 2
   * looks (20,000 chunks of one call: 40 us each). */
  for (; task->n_jobs_settled < task->n_jobs; task->n_jobs_settled++)
    {
      PoolJob *job = task->jobs[task->n_jobs_settled];

      /* Jobs are in input order: the ones after it are not needed either. */
      if (job->first >= task->fail_index)
        break;
      if (job->state != JOB_SETTLED)
        return;
    }

  task->done = TRUE;
  if (task->stream != NULL)
    ; /* its items are its outcome */
  else if (task->error == NULL)
    {
      if (task->kind == POOL_TASK_MAP)
        {
          GVariant **children = g_new (GVariant *, task->n_items);

          for (guint i = 0; i < task->n_items; i++)
            children[i] = g_variant_new_variant (task->results[i]);
          task->result = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                                  children, task->n_items));
          g_free (children);
        }
      else
        task->result = g_steal_pointer (&task->results[0]);
    }

  /* The rest of a failed map is not needed: what has not run is dropped,
   * and running chunks stop after their current item. They are not
   * interrupted: an exception raised at any bytecode can land where
   * Python's own cleanup runs (an import lock's callback, say). */
  for (guint i = 0; i < task->n_jobs; i++)
    {
      PoolJob *job = task->jobs[i];

      if (job->state == JOB_PENDING)
        {
          g_queue_unlink (&self->pending, &job->link);
          job->state = JOB_SETTLED;
          _interp_pool_job_unref (job);  /* the queue's reference */
        }
      else if (job->state == JOB_RUNNING)
        g_atomic_int_set (&job->stop, 1);
    }
  /* Jobs still running keep the task; it keeps them until its outcome is
   * taken. */
  deliver_locked (self, task, deferred);
}

/* A stream's job settles its items in the model: those that ran with
 * their outcome, the others with the job's @error (borrowed). */
static void
settle_stream_items_locked (PoolJob      *job,
                            gboolean      ran,
                            const GError *error)
{
  PoolTask *task = job->task;
  guint n_done = ran ? (guint) g_atomic_int_get (&job->n_done) : 0;

  _interp_map_results_settle (task->stream, job->first, n_done, job->results, job->errors);
  if (n_done < job->n)
    {
      g_autoptr(GError) fallback = error ? NULL : _interp_error_new_cancelled ();

      _interp_map_results_fail (task->stream, job->first + n_done, job->n - n_done,
                                error ? error : fallback);
    }
}

/* Records a job's outcome (its results, or @error) in its task. Consumes
 * @error. */
void
_interp_pool_settle_job_locked (InterpPool     *self,
                                PoolJob        *job,
                                GError         *error,
                                InterpDeferred *deferred)
{
  PoolTask *task = job->task;
  gboolean ran = job->state == JOB_RUNNING;
  guint n_done = ran ? (guint) g_atomic_int_get (&job->n_done) : 0;

  job->state = JOB_SETTLED;
  _interp_pool_take_source_locked (&job->timeout_source, deferred);
  _interp_pool_take_source_locked (&job->grace_source, deferred);

  if (task->stream != NULL)
    {
      settle_stream_items_locked (job, ran, error);
      g_clear_error (&error);
      check_task_locked (self, task, deferred);
      return;
    }

  for (guint i = 0; i < n_done && task->kind == POOL_TASK_MAP; i++)
    task->results[job->first + i] = g_steal_pointer (&job->results[i]);
  if (task->kind == POOL_TASK_CALL && error == NULL)
    task->results[0] = g_steal_pointer (&job->results[0]);

  if (error != NULL && !task->done && !task->cancelled)
    {
      guint index = job->first + n_done;

      if (index < task->fail_index)
        {
          task->fail_index = index;
          /* One line still: the failing item named after it. */
          if (task->kind == POOL_TASK_MAP && ran)
            {
              char *message = g_strdup_printf ("%s (item %u)", error->message, index);

              g_free (error->message);
              error->message = message;
            }
          g_clear_error (&task->error);
          task->error = g_steal_pointer (&error);
        }
    }
  g_clear_error (&error);
  check_task_locked (self, task, deferred);
}

/* The executor's completion: on the worker's thread (or on the thread
 * that submitted the job, if the executor refused it). */
static void
job_done (GVariant *result,
          GError   *error,
          gpointer  data)
{
  PoolJob *job = data;
  Worker *worker = job->worker;
  InterpPool *self;
  InterpDeferred deferred;

  if (!g_atomic_int_compare_and_exchange (&job->finished, 0, 1))
    {
      /* Abandoned: its worker left the pool, which may be gone. */
      job->worker = NULL;
      retire_worker (g_steal_pointer (&worker->interp));
      g_free (worker);
      g_clear_pointer (&result, g_variant_unref);
      g_clear_error (&error);
      return;
    }

  self = job->pool;
  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  if (error != NULL && job->timed_out)
    {
      g_clear_error (&error);
      error = _interp_pool_timed_out_error (self);
    }
  job->worker = NULL;
  worker->tasks_done += job->n;
  self->n_busy--;
  /* run_job() gives its results through the job, never as @result. */
  g_clear_pointer (&result, g_variant_unref);
  _interp_pool_settle_job_locked (self, job, error, &deferred);

  if ((self->max_tasks_per_worker > 0 && worker->tasks_done >= self->max_tasks_per_worker) ||
      self->broken != NULL || self->state == POOL_SHUT_DOWN ||
      (self->state == POOL_SHUTTING_DOWN && self->pending.length == 0) ||
      interp_interpreter_is_closed (worker->interp))
    {
      g_ptr_array_remove_fast (self->workers, worker);
      _interp_pool_retire_locked (self, g_steal_pointer (&worker->interp), &deferred);
      g_free (worker);
    }
  else
    {
      worker->idle_since = g_get_monotonic_time ();
      g_queue_push_head (&self->idle, worker);
    }
  rebalance_and_unlock (self, &deferred);
  /* Maybe the last reference, if a caller let go of the pool. */
  _interp_pool_job_release_pool (job);
}

/* ------------------------------------------------------------------ */
/* Submitting                                                          */

/* Every job counts: the task completes once the running ones returned
 * or were abandoned. */
static void
cancel_task_locked (InterpPool     *self,
                    PoolTask       *task,
                    InterpDeferred *deferred)
{
  g_clear_error (&task->error);
  task->error = _interp_error_new_cancelled ();
  task->cancelled = TRUE;
  for (guint i = 0; i < task->n_jobs; i++)
    {
      PoolJob *job = task->jobs[i];

      if (job->state == JOB_PENDING)
        {
          g_queue_unlink (&self->pending, &job->link);
          if (task->stream != NULL)
            settle_stream_items_locked (job, FALSE, task->error);
          job->state = JOB_SETTLED;
          _interp_pool_job_unref (job);
        }
      else if (job->state == JOB_RUNNING)
        _interp_pool_interrupt_job_locked (self, job, deferred);
    }
  check_task_locked (self, task, deferred);
}

static void
task_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  PoolTask *task = data;
  InterpPool *self = task->pool;
  InterpDeferred deferred;

  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  if (!task->done)
    cancel_task_locked (self, task, &deferred);
  _interp_pool_unlock_and_run (self, &deferred);
}

gboolean
_interp_pool_task_started (InterpPool *self,
                           PoolTask   *task)
{
  gboolean started;

  g_mutex_lock (&self->lock);
  started = task->done;
  for (guint i = 0; !started && i < task->n_jobs; i++)
    started = task->jobs[i]->state != JOB_PENDING;
  g_mutex_unlock (&self->lock);
  return started;
}

gboolean
_interp_pool_task_drop_if_pending (InterpPool *self,
                                   PoolTask   *task)
{
  InterpDeferred deferred;
  gboolean pending = FALSE;

  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  if (!task->done)
    {
      pending = TRUE;
      for (guint i = 0; i < task->n_jobs && pending; i++)
        pending = task->jobs[i]->state == JOB_PENDING;
      if (pending)
        cancel_task_locked (self, task, &deferred);
    }
  _interp_pool_unlock_and_run (self, &deferred);
  return pending;
}

/* Queues @task's jobs, or completes it at once with the pool's refusal. */
void
_interp_pool_submit_task (InterpPool *self,
                          PoolTask   *task)
{
  InterpDeferred deferred;
  GError *refusal;

  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  refusal = refusal_locked (self);
  if (refusal == NULL && g_cancellable_is_cancelled (task->cancellable))
    refusal = _interp_error_new_cancelled ();
  if (refusal != NULL)
    {
      task->done = TRUE;
      task->error = refusal;
      if (task->stream != NULL)
        _interp_map_results_refuse (task->stream, g_error_copy (refusal));
      release_jobs (task);
      deliver_locked (self, task, &deferred);
    }
  else
    {
      for (guint i = 0; i < task->n_jobs; i++)
        {
          PoolJob *job = task->jobs[i];

          _interp_pool_job_ref (job);  /* the queue's */
          g_queue_push_tail_link (&self->pending, &job->link);
        }
      if (task->n_jobs == 0)
        check_task_locked (self, task, &deferred);
      _interp_pool_dispatch_locked (self, &deferred);
    }
  _interp_pool_schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);

  /* Connected without the lock: a cancellable cancelled already calls
   * back at once, and the handler takes it. The task may be delivered
   * meanwhile (by a job another thread dispatched): the waiter sees to
   * that. */
  if (refusal == NULL)
    _interp_cancel_waiter_connect (&task->cancel, task->cancellable,
                                   G_CALLBACK (task_cancelled_cb), _interp_pool_task_ref (task),
                                   _interp_pool_task_unref);
  _interp_deferred_run (&deferred);
}

/* Waits for a sync caller's task and takes its outcome. */
GVariant *
_interp_pool_wait_task (InterpPool  *self,
                        PoolTask    *task,
                        GError     **error)
{
  GVariant *result;

  g_mutex_lock (&self->lock);
  while (!task->done)
    _interp_pool_wait_locked (self);
  g_mutex_unlock (&self->lock);
  release_jobs (task);

  _interp_cancel_waiter_finish (&task->cancel, FALSE);

  result = g_steal_pointer (&task->result);
  if (task->error != NULL)
    g_propagate_error (error, g_steal_pointer (&task->error));
  _interp_pool_task_unref (task);
  return result;
}
