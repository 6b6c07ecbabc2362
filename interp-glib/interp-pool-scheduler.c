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
 * sources, completing calls) is collected in a Deferred and done after the
 * lock is dropped, since each of those takes other locks or runs code.
 *
 * Completions of _async calls are batched per main context: one idle
 * source completes every call that finished since it last ran.
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

typedef struct
{
  InterpPool *pool;
  GMainContext *context;
  GQueue tasks;
  gboolean scheduled;
} Batch;

static void job_done (GVariant *result, GError *error, gpointer data);

static void deferred_run (InterpPool *self, Deferred *deferred);

/* ------------------------------------------------------------------ */
/* Tasks and jobs                                                      */

static PoolTask *
task_ref (PoolTask *task)
{
  g_atomic_ref_count_inc (&task->ref_count);
  return task;
}

void
_interp_pool_task_unref (gpointer data)
{
  PoolTask *task = data;

  if (!g_atomic_ref_count_dec (&task->ref_count))
    return;

  g_assert (task->cancel_id == 0);
  if (task->results != NULL)
    for (guint i = 0; i < task->n_items; i++)
      g_clear_pointer (&task->results[i], g_variant_unref);
  g_free (task->results);
  g_clear_pointer (&task->jobs, g_ptr_array_unref);
  g_clear_pointer (&task->call, _interp_call_free);
  g_clear_pointer (&task->result, g_variant_unref);
  g_clear_error (&task->error);
  g_clear_object (&task->cancellable);
  g_clear_object (&task->task);
  g_free (task);
}

PoolJob *
_interp_pool_job_ref (PoolJob *job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

void
_interp_pool_job_unref (gpointer data)
{
  PoolJob *job = data;

  if (!g_atomic_ref_count_dec (&job->ref_count))
    return;

  for (guint i = 0; i < job->n; i++)
    {
      if (job->args != NULL)
        g_clear_pointer (&job->args[i], g_variant_unref);
      g_clear_pointer (&job->results[i], g_variant_unref);
    }
  g_free (job->args);
  g_free (job->results);
  g_free (job->worker);  /* only an abandoned job still has one */
  g_assert (job->pool == NULL);
  g_mutex_clear (&job->pool_lock);
  _interp_pool_task_unref (job->task);
  g_free (job);
}

PoolJob *
_interp_pool_job_new (PoolTask *task,
                      guint     first,
                      guint     n)
{
  PoolJob *job = g_new0 (PoolJob, 1);

  g_atomic_ref_count_init (&job->ref_count);
  job->task = task_ref (task);
  job->state = JOB_PENDING;
  job->link.data = job;
  job->first = first;
  job->n = n;
  job->results = g_new0 (GVariant *, n);
  g_mutex_init (&job->pool_lock);
  return job;
}

PoolTask *
_interp_pool_task_new (InterpPool   *self,
                       gboolean      is_map,
                       gpointer      call,
                       guint         n_items,
                       GCancellable *cancellable,
                       GTask        *gtask)
{
  PoolTask *task = g_new0 (PoolTask, 1);

  g_atomic_ref_count_init (&task->ref_count);
  task->pool = self;
  task->is_map = is_map;
  task->call = call;
  task->n_items = n_items;
  task->results = g_new0 (GVariant *, MAX (n_items, 1));
  task->fail_index = G_MAXUINT;
  task->jobs = g_ptr_array_new_with_free_func (_interp_pool_job_unref);
  task->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  task->task = gtask ? g_object_ref (gtask) : NULL;
  return task;
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

/* Runs on the worker's executor thread, the GIL held. */
static gboolean
run_job (InterpExecutor  *executor,
         gpointer         data,
         GVariant       **result,
         GError         **error)
{
  PoolJob *job = data;

  for (guint i = 0; i < job->n; i++)
    {
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
        ok = _interp_call_run (executor, job->task->call, &job->results[i], error);
      else
        ok = _interp_call_run_with_args (executor, job->task->call, job->args[i],
                                         &job->results[i], error);
      if (!ok)
        return FALSE;
      job->n_done++;
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
} Interrupt;

static Interrupt *
interrupt_new (PoolJob *job)
{
  Interrupt *interrupt = g_new (Interrupt, 1);

  interrupt->job = _interp_pool_job_ref (job);
  interrupt->executor = _interp_executor_ref (_interp_interpreter_get_executor (job->worker->interp));
  return interrupt;
}

static void
interrupt_free (gpointer data)
{
  Interrupt *interrupt = data;

  _interp_pool_job_unref (interrupt->job);
  _interp_executor_unref (interrupt->executor);
  g_free (interrupt);
}

void
_interp_pool_deferred_init (Deferred *deferred)
{
  *deferred = (Deferred) { 0 };
}

static void
deferred_add (GPtrArray      **array,
              gpointer         item,
              GDestroyNotify   free_func)
{
  if (*array == NULL)
    *array = g_ptr_array_new_with_free_func (free_func);
  g_ptr_array_add (*array, item);
}

void
_interp_pool_take_source_locked (GSource  **source,
                                 Deferred  *deferred)
{
  if (*source != NULL)
    deferred_add (&deferred->destroy, g_steal_pointer (source), (GDestroyNotify) g_source_unref);
}

/* The job is running: interrupt it, and give it the grace period. */
void
_interp_pool_interrupt_job_locked (InterpPool *self,
                                   PoolJob    *job,
                                   Deferred   *deferred)
{
  if (g_atomic_int_get (&job->cancel))
    return;
  g_atomic_int_set (&job->cancel, 1);
  deferred_add (&deferred->interrupt, interrupt_new (job), interrupt_free);
  job->grace_source = _interp_pool_add_grace_locked (self, job);
}

static void
retire_worker (InterpInterpreter *interp)
{
  if (_interp_interpreter_get_executor (interp) != NULL)
    _interp_executor_close_async (_interp_interpreter_get_executor (interp), NULL);
  g_object_unref (interp);
}

static void spawn (InterpPool *self);

/* Closes @interp (taking the reference) once the lock is dropped. */
void
_interp_pool_retire_locked (InterpPool        *self,
                            InterpInterpreter *interp,
                            Deferred          *deferred)
{
  InterpExecutor *executor = _interp_interpreter_get_executor (interp);

  deferred_add (&deferred->retire, interp, NULL);
  self->n_retiring++;
  /* A shutdown waits for these to end. */
  if (self->state != POOL_RUNNING && executor != NULL)
    g_ptr_array_add (self->closing, _interp_executor_ref (executor));
}

static void
deferred_run (InterpPool *self,
              Deferred   *deferred)
{
  if (deferred->destroy != NULL)
    {
      for (guint i = 0; i < deferred->destroy->len; i++)
        g_source_destroy (deferred->destroy->pdata[i]);
      g_ptr_array_unref (deferred->destroy);
    }
  if (deferred->interrupt != NULL)
    {
      for (guint i = 0; i < deferred->interrupt->len; i++)
        {
          Interrupt *interrupt = deferred->interrupt->pdata[i];

          _interp_executor_interrupt_data (interrupt->executor, interrupt->job);
        }
      g_ptr_array_unref (deferred->interrupt);
    }
  for (guint i = 0; i < deferred->spawn; i++)
    spawn (self);
  for (GList *l; (l = g_queue_pop_head_link (&deferred->submit)) != NULL;)
    {
      PoolJob *job = l->data;

      _interp_executor_run_full (_interp_interpreter_get_executor (job->worker->interp),
                                 run_job, job, _interp_pool_job_unref, NULL, job_done, job);
    }
  if (deferred->retire != NULL)
    {
      for (guint i = 0; i < deferred->retire->len; i++)
        retire_worker (deferred->retire->pdata[i]);
      g_mutex_lock (&self->lock);
      self->n_retiring -= deferred->retire->len;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      g_ptr_array_unref (deferred->retire);
    }
}

/* Ends a locked section: schedules the notification it asked for while
 * the lock is still held, then runs its side effects without it. */
void
_interp_pool_unlock_and_run (InterpPool *self,
                             Deferred   *deferred)
{
  if (deferred->notify)
    _interp_pool_schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);
  deferred_run (self, deferred);
}

/* ------------------------------------------------------------------ */
/* Completions                                                         */

static gboolean
batch_cb (gpointer data)
{
  Batch *batch = data;
  InterpPool *self = batch->pool;
  GQueue tasks;
  PoolTask *task;

  g_mutex_lock (&self->lock);
  tasks = batch->tasks;
  g_queue_init (&batch->tasks);
  batch->scheduled = FALSE;
  /* A _interp_pool_submit_task() that connects after this disconnects itself. */
  for (GList *l = tasks.head; l != NULL; l = l->next)
    ((PoolTask *) l->data)->delivered = TRUE;
  g_mutex_unlock (&self->lock);

  while ((task = g_queue_pop_head (&tasks)) != NULL)
    {
      GTask *gtask = g_steal_pointer (&task->task);

      if (task->cancel_id != 0)
        g_cancellable_disconnect (task->cancellable, task->cancel_id);
      task->cancel_id = 0;
      if (task->error != NULL)
        g_task_return_error (gtask, g_steal_pointer (&task->error));
      else
        g_task_return_pointer (gtask, g_steal_pointer (&task->result),
                               (GDestroyNotify) g_variant_unref);
      _interp_pool_task_unref (task);
      g_object_unref (gtask);
    }
  return G_SOURCE_REMOVE;
}

void
_interp_pool_batch_free (gpointer data)
{
  Batch *batch = data;

  g_assert (g_queue_is_empty (&batch->tasks));
  g_main_context_unref (batch->context);
  g_free (batch);
}

/* A task whose outcome is set: hands it to its caller, a sync waiter on
 * self->cond or the batch of its GTask's main context. The lock is held:
 * attaching a source takes the context's lock, which is never held while
 * the pool's is taken. */
static void
deliver_locked (InterpPool *self,
                PoolTask   *task)
{
  GMainContext *context;
  Batch *batch;

  if (task->task == NULL)
    {
      g_cond_broadcast (&self->cond);
      return;
    }

  context = g_task_get_context (task->task);
  batch = g_hash_table_lookup (self->batches, context);
  if (batch == NULL)
    {
      batch = g_new0 (Batch, 1);
      batch->pool = self;
      batch->context = g_main_context_ref (context);
      g_queue_init (&batch->tasks);
      g_hash_table_insert (self->batches, context, batch);
    }
  g_queue_push_tail (&batch->tasks, task_ref (task));
  if (!batch->scheduled)
    {
      /* The pool lives while the batch is pending: each of its tasks
       * holds it through its GTask. */
      GSource *source = g_idle_source_new ();

      batch->scheduled = TRUE;
      g_source_set_priority (source, g_task_get_priority (task->task));
      g_source_set_callback (source, batch_cb, batch, NULL);
      g_source_set_static_name (source, "[interp-glib] pool completions");
      g_source_attach (source, context);
      g_source_unref (source);
    }
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
_interp_pool_dispatch_locked (InterpPool *self,
                              Deferred   *deferred)
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
      /* The queue's reference, handed over to the executor (the link is
       * free: it held the job in pending). */
      g_queue_push_tail_link (&deferred->submit, &job->link);
      deferred->notify = TRUE;
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
      deferred->spawn++;
      deferred->notify = TRUE;
      wanted--;
    }
}

/* Fails every pending job: shutdown with cancel_pending, or broken. */
void
_interp_pool_drop_pending_locked (InterpPool   *self,
                                  const GError *reason,
                                  Deferred     *deferred)
{
  PoolJob *job;

  while ((job = g_queue_peek_head (&self->pending)) != NULL)
    {
      g_queue_unlink (&self->pending, &job->link);
      _interp_pool_settle_job_locked (self, job, g_error_copy (reason), deferred);
      _interp_pool_job_unref (job);  /* the queue's reference */
    }
  deferred->notify = TRUE;
}

void
_interp_pool_retire_idle_locked (InterpPool *self,
                                 Deferred   *deferred)
{
  Worker *worker;

  while ((worker = g_queue_pop_head (&self->idle)) != NULL)
    {
      g_ptr_array_remove_fast (self->workers, worker);
      _interp_pool_retire_locked (self, g_steal_pointer (&worker->interp), deferred);
      g_free (worker);
    }
  deferred->notify = TRUE;
}

static void
break_pool_locked (InterpPool *self,
                   GError     *error,
                   Deferred   *deferred)
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

/* A worker's initializer as it runs: its job may outlive the wait for it
 * (abandoned after the grace), so both hold a reference. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GError *error;
} InitRun;

static void
init_run_clear (gpointer data)
{
  InitRun *run = data;

  g_mutex_clear (&run->lock);
  g_cond_clear (&run->cond);
  g_clear_error (&run->error);
}

static void
init_run_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, init_run_clear);
}

static void
init_run_wake (GCancellable *cancellable,
               gpointer      data)
{
  InitRun *run = data;

  g_mutex_lock (&run->lock);
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
}

static void
init_run_done (GVariant *result,
               GError   *error,
               gpointer  data)
{
  InitRun *run = data;

  g_clear_pointer (&result, g_variant_unref);
  g_mutex_lock (&run->lock);
  run->done = TRUE;
  run->error = error;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
  init_run_unref (run);
}

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
static gboolean
run_initializer (InterpPool         *self,
                 InterpInterpreter  *interp,
                 GError            **error)
{
  InitRun *run = g_atomic_rc_box_new0 (InitRun);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 interrupt_at = G_MAXINT64, abandon_at = G_MAXINT64;
  gboolean stopped, timed_out = FALSE, done, ok;
  gulong wake_id;

  g_mutex_init (&run->lock);
  g_cond_init (&run->cond);
  if (self->task_timeout > 0)
    interrupt_at = g_get_monotonic_time () + (gint64) self->task_timeout * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->starting, g_object_ref (cancellable));
  stopped = self->stop_starting;
  g_mutex_unlock (&self->lock);
  if (stopped)
    g_cancellable_cancel (cancellable);
  wake_id = g_cancellable_connect (cancellable, G_CALLBACK (init_run_wake), run, NULL);

  _interp_executor_run_full (_interp_interpreter_get_executor (interp), _interp_code_run,
                             _interp_code_new (self->initializer, "<pool initializer>"),
                             _interp_code_free, cancellable, init_run_done,
                             g_atomic_rc_box_acquire (run));

  g_mutex_lock (&run->lock);
  while (!run->done)
    {
      gint64 now = g_get_monotonic_time ();

      if (abandon_at == G_MAXINT64 && (now >= interrupt_at || g_cancellable_is_cancelled (cancellable)))
        {
          timed_out = !g_cancellable_is_cancelled (cancellable);
          abandon_at = now + (gint64) self->grace_period * G_TIME_SPAN_MILLISECOND;
          g_mutex_unlock (&run->lock);
          g_cancellable_cancel (cancellable);   /* interrupts the code */
          g_mutex_lock (&run->lock);
        }
      else if (now >= abandon_at)
        {
          /* As an abandoned call's: Python's shutdown must not wait for it. */
          _interp_executor_set_abandoned (_interp_interpreter_get_executor (interp));
          break;
        }
      else
        {
          gint64 until = abandon_at != G_MAXINT64 ? abandon_at : interrupt_at;

          if (until == G_MAXINT64)
            g_cond_wait (&run->cond, &run->lock);
          else
            g_cond_wait_until (&run->cond, &run->lock, until);
        }
    }
  done = run->done;
  ok = done && run->error == NULL;
  /* Interrupted, its own error says less than why it was. */
  if (done && !ok && abandon_at == G_MAXINT64)
    g_propagate_error (error, g_steal_pointer (&run->error));
  g_mutex_unlock (&run->lock);
  g_cancellable_disconnect (cancellable, wake_id);
  init_run_unref (run);

  g_mutex_lock (&self->lock);
  g_ptr_array_remove_fast (self->starting, cancellable);
  g_mutex_unlock (&self->lock);

  if (ok || abandon_at == G_MAXINT64)
    return ok;
  if (timed_out)
    {
      g_autofree char *timeout = _interp_pool_dup_timeout_text (self);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "a new worker's initializer ran longer than the task timeout (%s)%s",
                   timeout, done ? "" : " and was abandoned");
    }
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 "a new worker's initializer was cancelled%s", done ? "" : " and abandoned");
  return FALSE;
}

/* A worker that was starting has its interpreter, or @error. */
static void
spawn_settle (InterpPool        *self,
              InterpInterpreter *interp,
              GError            *error)
{
  Deferred deferred;
  Worker *worker = NULL;

  _interp_pool_deferred_init (&deferred);
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
      _interp_pool_dispatch_locked (self, &deferred);
      if (self->state == POOL_SHUTTING_DOWN && self->pending.length == 0)
        _interp_pool_retire_idle_locked (self, &deferred);
    }
  deferred.notify = TRUE;
  g_cond_broadcast (&self->cond);
  _interp_pool_unlock_and_run (self, &deferred);
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
check_task_locked (InterpPool *self,
                   PoolTask   *task,
                   Deferred   *deferred)
{
  if (task->done)
    return;
  for (guint i = 0; i < task->jobs->len; i++)
    {
      PoolJob *job = task->jobs->pdata[i];

      if (job->first >= task->fail_index)
        break;
      if (job->state != JOB_SETTLED)
        return;
    }

  task->done = TRUE;
  if (task->error == NULL)
    {
      if (task->is_map)
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
  for (guint i = 0; i < task->jobs->len; i++)
    {
      PoolJob *job = task->jobs->pdata[i];

      if (job->state == JOB_PENDING)
        {
          g_queue_unlink (&self->pending, &job->link);
          job->state = JOB_SETTLED;
          _interp_pool_job_unref (job);  /* the queue's reference */
          deferred->notify = TRUE;
        }
      else if (job->state == JOB_RUNNING)
        g_atomic_int_set (&job->stop, 1);
    }
  /* Jobs still running keep the task; it no longer needs them. */
  g_clear_pointer (&task->jobs, g_ptr_array_unref);
  deliver_locked (self, task);
}

/* Records a job's outcome (its results, or @error) in its task. Consumes
 * @error. */
void
_interp_pool_settle_job_locked (InterpPool *self,
                                PoolJob    *job,
                                GError     *error,
                                Deferred   *deferred)
{
  PoolTask *task = job->task;

  job->state = JOB_SETTLED;
  _interp_pool_take_source_locked (&job->timeout_source, deferred);
  _interp_pool_take_source_locked (&job->grace_source, deferred);

  for (guint i = 0; i < job->n_done && task->is_map; i++)
    task->results[job->first + i] = g_steal_pointer (&job->results[i]);
  if (!task->is_map && error == NULL)
    task->results[0] = g_steal_pointer (&job->results[0]);

  if (error != NULL && !task->done && !task->cancelled)
    {
      guint index = job->first + job->n_done;

      if (index < task->fail_index)
        {
          task->fail_index = index;
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
  Deferred deferred;

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
  _interp_pool_deferred_init (&deferred);
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
  _interp_pool_dispatch_locked (self, &deferred);
  if (self->state == POOL_SHUTTING_DOWN && self->pending.length == 0)
    _interp_pool_retire_idle_locked (self, &deferred);
  deferred.notify = TRUE;
  g_cond_broadcast (&self->cond);
  _interp_pool_unlock_and_run (self, &deferred);
  /* Maybe the last reference, if a caller let go of the pool. */
  _interp_pool_job_release_pool (job);
}

/* ------------------------------------------------------------------ */
/* Submitting                                                          */

static void
task_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  PoolTask *task = data;
  InterpPool *self = task->pool;
  Deferred deferred;

  _interp_pool_deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  if (!task->done)
    {
      /* Every job counts: the task completes once the running ones
       * returned or were abandoned. */
      g_clear_error (&task->error);
      task->error = _interp_error_new_cancelled ();
      task->cancelled = TRUE;
      for (guint i = 0; i < task->jobs->len; i++)
        {
          PoolJob *job = task->jobs->pdata[i];

          if (job->state == JOB_PENDING)
            {
              g_queue_unlink (&self->pending, &job->link);
              job->state = JOB_SETTLED;
              _interp_pool_job_unref (job);
              deferred.notify = TRUE;
            }
          else if (job->state == JOB_RUNNING)
            _interp_pool_interrupt_job_locked (self, job, &deferred);
        }
      check_task_locked (self, task, &deferred);
    }
  _interp_pool_unlock_and_run (self, &deferred);
}

/* Queues @task's jobs, or completes it at once with the pool's refusal. */
void
_interp_pool_submit_task (InterpPool *self,
                          PoolTask   *task)
{
  Deferred deferred;
  GError *refusal;

  _interp_pool_deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  refusal = refusal_locked (self);
  if (refusal == NULL && g_cancellable_is_cancelled (task->cancellable))
    refusal = _interp_error_new_cancelled ();
  if (refusal != NULL)
    {
      task->done = TRUE;
      task->error = refusal;
      g_clear_pointer (&task->jobs, g_ptr_array_unref);
      deliver_locked (self, task);
    }
  else
    {
      for (guint i = 0; i < task->jobs->len; i++)
        {
          PoolJob *job = task->jobs->pdata[i];

          _interp_pool_job_ref (job);  /* the queue's */
          g_queue_push_tail_link (&self->pending, &job->link);
        }
      if (task->jobs->len == 0)
        check_task_locked (self, task, &deferred);
      _interp_pool_dispatch_locked (self, &deferred);
      deferred.notify = TRUE;
    }
  if (deferred.notify)
    _interp_pool_schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);

  /* Connected without the lock (a cancellable cancelled already calls
   * back at once, and the handler takes it). The task may be delivered
   * meanwhile, by a job another thread dispatched and a batch_cb() in a
   * context another thread runs: then nobody else would disconnect. */
  if (refusal == NULL && task->cancellable != NULL)
    {
      gulong id = g_cancellable_connect (task->cancellable, G_CALLBACK (task_cancelled_cb),
                                         task_ref (task), _interp_pool_task_unref);
      gboolean delivered;

      g_mutex_lock (&self->lock);
      delivered = task->delivered;
      if (!delivered)
        task->cancel_id = id;
      g_mutex_unlock (&self->lock);
      if (delivered)
        g_cancellable_disconnect (task->cancellable, id);
    }
  deferred_run (self, &deferred);
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
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  /* Deliveries happen after task->done is set: wait for ours. */
  if (task->cancel_id != 0)
    g_cancellable_disconnect (task->cancellable, task->cancel_id);
  task->cancel_id = 0;

  result = g_steal_pointer (&task->result);
  if (task->error != NULL)
    g_propagate_error (error, g_steal_pointer (&task->error));
  _interp_pool_task_unref (task);
  return result;
}
