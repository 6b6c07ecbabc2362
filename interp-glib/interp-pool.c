/* interp-pool.c: a warm pool of interpreters for parallel work
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
 * Timers (task timeouts, the grace after an interrupt, idle pruning) run
 * on a thread of the pool's own with its own main context, so that the
 * pool keeps its promises whether or not the caller's main loop runs.
 * Completions of _async calls are batched per main context: one idle
 * source completes every call that finished since it last ran.
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-pool.h"
#include "interp-error.h"
#include "interp-interpreter-private.h"
#include "interp-runtime-private.h"

#include <string.h>

/**
 * SECTION:interp-pool
 * @Title: InterpPool
 * @Short_description: a warm pool of interpreters for parallel work
 *
 * An #InterpPool runs calls on a set of worker interpreters, as many at
 * once as it has workers: the way to run a Python function over many
 * inputs on every core without blocking the application. It is what
 * CPython 3.14's `concurrent.futures.InterpreterPoolExecutor` is, with
 * what that lacks: running calls can be cancelled or timed out, workers
 * are kept warm, recycled and pruned, and completions come back batched in
 * the caller's main context.
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * g_autoptr(InterpPool) pool = interp_pool_new (0, NULL, &error);   // one worker per CPU
 * g_autoptr(GVariant) result = NULL;
 *
 * result = interp_pool_call (pool, "math:factorial", g_variant_new ("(x)", 20),
 *                            NULL, NULL, &error);
 * ]|
 *
 * ## Workers
 *
 * Workers are interpreters made on demand, up to #InterpPool:max-workers;
 * #InterpPool:min-workers of them are made when the pool is initialized
 * and kept. Each new worker first runs #InterpPool:initializer. Workers
 * share one first-in first-out queue of calls: a worker that is free takes
 * the next one. After #InterpPool:max-tasks-per-worker calls a worker's
 * interpreter is closed and replaced (memory that user code or extension
 * modules leak is given back); workers above the minimum that were idle
 * for #InterpPool:idle-timeout seconds are closed. Workers are ordinary
 * interpreters: interp_list_all() lists them. Their configuration is the
 * pool's interpreter configuration properties, the same as
 * #InterpInterpreter's.
 *
 * Calls name what to call as interp_interpreter_call() does ("func" in
 * `__main__`, typically defined by the initializer, or "module:qualname"),
 * take the same #GVariant arguments and fail with the same errors. A
 * callable name imports its module: never build one from untrusted input
 * (`"os:system"` runs a shell command; see interp_interpreter_call()).
 *
 * ## Broken pools
 *
 * If a new worker cannot be made (no interpreter, or no thread for it:
 * under `ulimit -u` or `ulimit -v`, say) or its initializer raises, the
 * pool is broken (#InterpPool:broken, CPython's `BrokenInterpreterPool`):
 * the calls waiting for a worker and every later call fail with
 * %INTERP_ERROR_BROKEN, whose message names the failure. The pool never
 * loops making workers.
 *
 * The initializer runs as a call does: #InterpPool:task-timeout limits it
 * (one timeout, whatever the chunk sizes), and a worker whose initializer
 * timed out breaks the pool. The cancellable of g_initable_init() or
 * g_async_initable_init_async(), which wait for #InterpPool:min-workers,
 * interrupts the initializers that run, and so does
 * interp_pool_shutdown() when it cancels what is pending. An initializer
 * blocked in C is abandoned after #InterpPool:grace-period, as a call is.
 *
 * ## Cancellation and timeouts
 *
 * Cancelling a call that waits in the queue drops it. Cancelling one that
 * runs interrupts its Python code, as for #InterpInterpreter, and so does
 * #InterpPool:task-timeout for every call that runs longer (the call then
 * fails with %G_IO_ERROR_TIMED_OUT). A call whose code does not react
 * within #InterpPool:grace-period milliseconds (100 by default), because
 * it is blocked in C (`time.sleep()`, a system call, an extension module),
 * completes then anyway with its error: the timeout always wins.
 *
 * Its worker is abandoned: it leaves the pool at once (it no longer counts
 * in #InterpPool:n-workers and the pool makes a new one when it needs
 * one, so its capacity stays), and its interpreter is closed as soon as the
 * blocked code returns to Python, which then sees the interruption. Until
 * then the abandoned interpreter keeps its thread and its memory, and stays
 * in interp_list_all(). If the blocked code never returns, the interpreter
 * never closes: interp_shutdown() then fails with %INTERP_ERROR_RUNNING
 * after two seconds instead of waiting for it. In hosted mode, when the
 * host's Python exits, a warning names it and the exit waits for it to
 * return, as Python waits for its own threads: CPython cannot finalize
 * with a sub-interpreter left.
 *
 * Where the capacity does not stay: on Python 3.11 every interpreter
 * shares one GIL, and an abandoned worker blocked in a C call that holds
 * the GIL (a huge regular expression, say) keeps every other worker, and
 * every other interpreter, from running until it returns. The timeout
 * still wins: the call fails on time. Python 3.12 and later give each
 * worker its own GIL, and there the other workers run on.
 *
 * Without a thread to spare (`ulimit -u`), a cancelled or timed-out call
 * cannot be interrupted: its code runs on, and the call still completes
 * with its error after the grace period.
 *
 * ## Shutting down
 *
 * interp_pool_shutdown() stops taking calls (later ones fail with
 * %INTERP_ERROR_SHUT_DOWN), runs or cancels what is queued, waits for the
 * running calls and closes every worker. Dropping the last reference shuts
 * the pool down without waiting. An `_async` call keeps the pool alive
 * until it completes, and every `_async` call completes exactly once.
 *
 * ## Main contexts
 *
 * `_async` calls complete in the thread-default main context of their
 * caller. Calls that finish close together complete from one idle source,
 * so that many short calls do not flood the main loop. The read-only
 * counters #InterpPool:n-workers, #InterpPool:n-busy and
 * #InterpPool:n-pending are notified in the thread-default main context
 * that was current when the pool was created, at most once per main-loop
 * iteration each.
 */

#define DEFAULT_GRACE_MS 100

typedef enum
{
  POOL_RUNNING,
  POOL_SHUTTING_DOWN,
  POOL_SHUT_DOWN,
} PoolState;

typedef enum
{
  JOB_PENDING,
  JOB_RUNNING,
  JOB_SETTLED,
} JobState;

typedef struct _PoolTask PoolTask;
typedef struct _PoolJob PoolJob;

typedef struct
{
  InterpInterpreter *interp;  /* NULL while starting */
  guint tasks_done;
  gint64 idle_since;
} Worker;

static void job_done (GVariant *result, GError *error, gpointer data);

/* A call or a map as the caller sees it. */
struct _PoolTask
{
  gatomicrefcount ref_count;
  InterpPool *pool;           /* kept alive by the caller: GTask or waiter */
  gboolean is_map;
  gboolean cancelled;
  gpointer call;              /* the prepared callable (and args for a call) */
  GTask *task;                /* _async; NULL for a sync caller */
  GCancellable *cancellable;
  gulong cancel_id;           /* set under the lock, unless delivered */
  gboolean delivered;         /* batch_cb() took it: it disconnects no more */
  GPtrArray *jobs;            /* PoolJob, in input order */
  guint n_items;
  GVariant **results;         /* n_items, map only */
  guint fail_index;           /* first failed item; G_MAXUINT: none */
  GError *error;              /* the outcome, once failed */
  GVariant *result;
  gboolean done;              /* completed: exactly once */
};

/* What one worker runs at once: a call, or a chunk of a map. */
struct _PoolJob
{
  gatomicrefcount ref_count;
  PoolTask *task;
  JobState state;
  GList link;                 /* in pool->pending while pending */
  guint first;                /* index of its first item */
  guint n;
  GVariant **args;            /* map: n argument tuples */
  GVariant **results;         /* n, filled on the worker's thread */
  guint n_done;               /* how many items ran without failing */
  Worker *worker;
  gint cancel;                /* atomic: an interrupt was asked for */
  gint stop;                  /* atomic: run no more of its items */
  gboolean timed_out;
  GSource *timeout_source;
  GSource *grace_source;
  /* Who finishes the job: job_done(), or grace_cb() abandoning it. */
  gint finished;
  /* A reference to the pool while the job runs and is not abandoned;
   * the timers take theirs through job_dup_pool(). */
  GMutex pool_lock;
  InterpPool *pool;
};

/* Side effects of a locked section, done once the lock is dropped. */
typedef struct
{
  GQueue submit;              /* PoolJob links (references) to hand to their worker */
  GPtrArray *interrupt;       /* PoolJob (references) to interrupt */
  GPtrArray *retire;          /* InterpInterpreter (references) to close */
  GPtrArray *destroy;         /* GSource (references) to destroy */
  guint spawn;                /* workers to start */
  gboolean notify;
} Deferred;

typedef struct
{
  InterpPool *pool;
  GMainContext *context;
  GQueue tasks;
  gboolean scheduled;
} Batch;

enum
{
  CONFIG_GIL,
  CONFIG_USE_MAIN_OBMALLOC,
  CONFIG_ALLOW_FORK,
  CONFIG_ALLOW_EXEC,
  CONFIG_ALLOW_THREADS,
  CONFIG_ALLOW_DAEMON_THREADS,
  CONFIG_CHECK_MULTI_INTERP_EXTENSIONS,
  N_CONFIG
};

static const char *const config_names[N_CONFIG] = {
  "gil",
  "use-main-obmalloc",
  "allow-fork",
  "allow-exec",
  "allow-threads",
  "allow-daemon-threads",
  "check-multi-interp-extensions",
};

struct _InterpPool
{
  GObject parent_instance;

  /* Construct-only. */
  guint max_workers;
  guint min_workers;
  guint max_tasks_per_worker;
  guint idle_timeout;
  guint task_timeout;
  guint grace_period;
  char *initializer;
  GValue config[N_CONFIG];
  GMainContext *creator_context;

  gboolean initialized;
  GError *init_error;

  GMutex lock;
  GCond cond;                 /* a task completed, a worker started or left */
  PoolState state;
  GError *broken;
  GQueue pending;             /* PoolJob, through their link */
  GPtrArray *workers;         /* Worker, not abandoned */
  GQueue idle;                /* Worker, most recently idle first */
  guint n_starting;
  GPtrArray *starting;        /* GCancellable: initializers running */
  gboolean stop_starting;     /* interrupt initializers: cancelled init or shutdown */
  guint n_busy;
  GHashTable *batches;        /* GMainContext -> Batch */
  GPtrArray *closing;         /* InterpExecutor: retired since shutdown began */
  guint n_retiring;           /* workers in a Deferred's retire list */

  /* What was last notified, and the pending notification. */
  guint notified_workers;
  guint notified_busy;
  guint notified_pending;
  gboolean notified_broken;
  GSource *notify_source;

  /* The timer thread. */
  GMainContext *timer_context;
  GMainLoop *timer_loop;
  GThread *timer_thread;
  GSource *prune_source;
};

enum {
  PROP_0,
  PROP_MAX_WORKERS,
  PROP_MIN_WORKERS,
  PROP_MAX_TASKS_PER_WORKER,
  PROP_IDLE_TIMEOUT,
  PROP_INITIALIZER,
  PROP_TASK_TIMEOUT,
  PROP_GRACE_PERIOD,
  PROP_N_WORKERS,
  PROP_N_BUSY,
  PROP_N_PENDING,
  PROP_BROKEN,
  PROP_CONFIG_FIRST,
  N_PROPS = PROP_CONFIG_FIRST + N_CONFIG
};

static GParamSpec *properties[N_PROPS];

static void initable_iface_init (GInitableIface *iface);
static void async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (InterpPool, interp_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, async_initable_iface_init))

/* An interpreter with the pool's configuration, not yet initialized: a
 * new worker's, or the probe that checks the configuration. */
static InterpInterpreter *
new_interpreter (InterpPool *self)
{
  const char *names[N_CONFIG];

  for (guint i = 0; i < N_CONFIG; i++)
    names[i] = config_names[i];
  return INTERP_INTERPRETER (g_object_new_with_properties (INTERP_TYPE_INTERPRETER, N_CONFIG,
                                                           names, self->config));
}

static void deferred_run (InterpPool *self, Deferred *deferred);
static void dispatch_locked (InterpPool *self, Deferred *deferred);
static void settle_job_locked (InterpPool *self, PoolJob *job, GError *error,
                               Deferred *deferred);

/* ------------------------------------------------------------------ */
/* Tasks and jobs                                                      */

static PoolTask *
task_ref (PoolTask *task)
{
  g_atomic_ref_count_inc (&task->ref_count);
  return task;
}

static void
task_unref (gpointer data)
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

static PoolJob *
job_ref (PoolJob *job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

static void
job_unref (gpointer data)
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
  task_unref (job->task);
  g_free (job);
}

static PoolJob *
job_new (PoolTask *task,
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

static InterpPool *
job_dup_pool (PoolJob *job)
{
  InterpPool *pool;

  g_mutex_lock (&job->pool_lock);
  pool = job->pool ? g_object_ref (job->pool) : NULL;
  g_mutex_unlock (&job->pool_lock);
  return pool;
}

/* Drops the running job's reference to the pool: maybe the last one. */
static void
job_release_pool (PoolJob *job)
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
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
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

  interrupt->job = job_ref (job);
  interrupt->executor = _interp_executor_ref (_interp_interpreter_get_executor (job->worker->interp));
  return interrupt;
}

static void
interrupt_free (gpointer data)
{
  Interrupt *interrupt = data;

  job_unref (interrupt->job);
  _interp_executor_unref (interrupt->executor);
  g_free (interrupt);
}

static void
deferred_init (Deferred *deferred)
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

static void
take_source_locked (GSource  **source,
                    Deferred  *deferred)
{
  if (*source != NULL)
    deferred_add (&deferred->destroy, g_steal_pointer (source), (GDestroyNotify) g_source_unref);
}

static gboolean
notify_cb (gpointer data)
{
  GWeakRef *weak = data;
  g_autoptr(InterpPool) self = g_weak_ref_get (weak);
  gboolean workers, busy, pending, broken;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->lock);
  g_source_unref (self->notify_source);
  g_atomic_pointer_set (&self->notify_source, NULL);
  workers = self->notified_workers != self->workers->len;
  busy = self->notified_busy != self->n_busy;
  pending = self->notified_pending != self->pending.length;
  broken = self->notified_broken != (self->broken != NULL);
  self->notified_workers = self->workers->len;
  self->notified_busy = self->n_busy;
  self->notified_pending = self->pending.length;
  self->notified_broken = self->broken != NULL;
  g_mutex_unlock (&self->lock);

  if (workers)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WORKERS]);
  if (busy)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_BUSY]);
  if (pending)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
  if (broken)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROKEN]);
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_weak_ref_init (weak, object);
  return weak;
}

/* Called with the lock held: one notification pending at a time. */
static void
schedule_notify_locked (InterpPool *self)
{
  GSource *source;

  if (self->notify_source != NULL || !self->initialized)
    return;
  if (self->notified_workers == self->workers->len &&
      self->notified_busy == self->n_busy &&
      self->notified_pending == self->pending.length &&
      self->notified_broken == (self->broken != NULL))
    return;

  source = g_idle_source_new ();
  g_source_set_callback (source, notify_cb, weak_ref_new (self), weak_ref_free);
  g_source_set_static_name (source, "[interp-glib] pool notify");
  g_source_attach (source, self->creator_context);
  g_atomic_pointer_set (&self->notify_source, source);
}

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
  /* A submit_task() that connects after this disconnects itself. */
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
      task_unref (task);
      g_object_unref (gtask);
    }
  return G_SOURCE_REMOVE;
}

static void
batch_free (gpointer data)
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

static void
retire_worker (InterpInterpreter *interp)
{
  if (_interp_interpreter_get_executor (interp) != NULL)
    _interp_executor_close_async (_interp_interpreter_get_executor (interp), NULL);
  g_object_unref (interp);
}

static void spawn (InterpPool *self);

/* Closes @interp (taking the reference) once the lock is dropped. */
static void
retire_locked (InterpPool        *self,
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
                                 run_job, job, job_unref, NULL, job_done, job);
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
static void
unlock_and_run (InterpPool *self,
                Deferred   *deferred)
{
  if (deferred->notify)
    schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);
  deferred_run (self, deferred);
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */

static GSource *
add_timer_locked (InterpPool  *self,
                  guint        ms,
                  GSourceFunc  func,
                  PoolJob     *job)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, job_ref (job), job_unref);
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

/* The job is running: interrupt it, and give it the grace period. */
static void
interrupt_job_locked (InterpPool *self,
                      PoolJob    *job,
                      Deferred   *deferred)
{
  if (g_atomic_int_get (&job->cancel))
    return;
  g_atomic_int_set (&job->cancel, 1);
  deferred_add (&deferred->interrupt, interrupt_new (job), interrupt_free);
  job->grace_source = add_timer_locked (self, self->grace_period, grace_cb, job);
}

static gboolean
timeout_cb (gpointer data)
{
  PoolJob *job = data;
  g_autoptr(InterpPool) self = job_dup_pool (job);
  Deferred deferred;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  if (job->state == JOB_RUNNING && !g_atomic_int_get (&job->cancel))
    {
      job->timed_out = TRUE;
      interrupt_job_locked (self, job, &deferred);
    }
  unlock_and_run (self, &deferred);
  return G_SOURCE_REMOVE;
}

static GError *
timed_out_error (InterpPool *self)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                      "The call ran longer than the pool's task timeout (%u ms)",
                      self->task_timeout);
}

/* The job did not return in time: its worker leaves the pool. */
static gboolean
grace_cb (gpointer data)
{
  PoolJob *job = data;
  g_autoptr(InterpPool) self = job_dup_pool (job);
  Deferred deferred;
  gboolean abandoned = FALSE;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  deferred_init (&deferred);
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
        error = timed_out_error (self);
      else
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
      settle_job_locked (self, job, error, &deferred);
      dispatch_locked (self, &deferred);
      deferred.notify = TRUE;
      g_cond_broadcast (&self->cond);
      abandoned = TRUE;
    }
  unlock_and_run (self, &deferred);
  /* An abandoned job does not keep the pool alive. */
  if (abandoned)
    job_release_pool (job);
  return G_SOURCE_REMOVE;
}

static gboolean
prune_cb (gpointer data)
{
  GWeakRef *weak = data;
  g_autoptr(InterpPool) self = g_weak_ref_get (weak);
  Deferred deferred;
  gint64 now = g_get_monotonic_time ();

  if (self == NULL)
    return G_SOURCE_REMOVE;

  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  /* Oldest idle first: the tail of self->idle. */
  while (self->workers->len > self->min_workers && self->idle.length > 0)
    {
      Worker *worker = g_queue_peek_tail (&self->idle);

      if (now - worker->idle_since < (gint64) self->idle_timeout * G_USEC_PER_SEC)
        break;
      g_queue_pop_tail (&self->idle);
      g_ptr_array_remove_fast (self->workers, worker);
      retire_locked (self, g_steal_pointer (&worker->interp), &deferred);
      g_free (worker);
      deferred.notify = TRUE;
    }
  unlock_and_run (self, &deferred);
  return G_SOURCE_CONTINUE;
}

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
static void
dispatch_locked (InterpPool *self,
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
        job->timeout_source = add_timer_locked (self, chunk_timeout (self->task_timeout, job->n),
                                                timeout_cb, job);
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
static void
drop_pending_locked (InterpPool   *self,
                     const GError *reason,
                     Deferred     *deferred)
{
  PoolJob *job;

  while ((job = g_queue_peek_head (&self->pending)) != NULL)
    {
      g_queue_unlink (&self->pending, &job->link);
      settle_job_locked (self, job, g_error_copy (reason), deferred);
      job_unref (job);  /* the queue's reference */
    }
  deferred->notify = TRUE;
}

static void
retire_idle_locked (InterpPool *self,
                    Deferred   *deferred)
{
  Worker *worker;

  while ((worker = g_queue_pop_head (&self->idle)) != NULL)
    {
      g_ptr_array_remove_fast (self->workers, worker);
      retire_locked (self, g_steal_pointer (&worker->interp), deferred);
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

      self->broken = g_error_new (INTERP_ERROR, INTERP_ERROR_BROKEN,
                                  "The pool is broken: %.*s", (int) len, error->message);
      g_debug ("%s", self->broken->message);
    }
  drop_pending_locked (self, self->broken, deferred);
  retire_idle_locked (self, deferred);
}

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
static void
stop_starting (InterpPool *self)
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
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "a new worker's initializer ran longer than the task timeout (%u ms)%s",
                 self->task_timeout, done ? "" : " and was abandoned");
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

  deferred_init (&deferred);
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
        retire_locked (self, interp, &deferred);
      if (error != NULL)
        break_pool_locked (self, error, &deferred);
    }
  else
    {
      worker->interp = interp;
      worker->idle_since = g_get_monotonic_time ();
      g_queue_push_head (&self->idle, worker);
      dispatch_locked (self, &deferred);
      if (self->state == POOL_SHUTTING_DOWN && self->pending.length == 0)
        retire_idle_locked (self, &deferred);
    }
  deferred.notify = TRUE;
  g_cond_broadcast (&self->cond);
  unlock_and_run (self, &deferred);
}

static gpointer
spawn_thread (gpointer data)
{
  InterpPool *self = data;
  g_autoptr(GError) error = NULL;
  InterpInterpreter *interp = new_interpreter (self);

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
          job_unref (job);  /* the queue's reference */
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
static void
settle_job_locked (InterpPool *self,
                   PoolJob    *job,
                   GError     *error,
                   Deferred   *deferred)
{
  PoolTask *task = job->task;

  job->state = JOB_SETTLED;
  take_source_locked (&job->timeout_source, deferred);
  take_source_locked (&job->grace_source, deferred);

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
  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  if (error != NULL && job->timed_out)
    {
      g_clear_error (&error);
      error = timed_out_error (self);
    }
  job->worker = NULL;
  worker->tasks_done += job->n;
  self->n_busy--;
  /* run_job() gives its results through the job, never as @result. */
  g_clear_pointer (&result, g_variant_unref);
  settle_job_locked (self, job, error, &deferred);

  if ((self->max_tasks_per_worker > 0 && worker->tasks_done >= self->max_tasks_per_worker) ||
      self->broken != NULL || self->state == POOL_SHUT_DOWN ||
      (self->state == POOL_SHUTTING_DOWN && self->pending.length == 0) ||
      interp_interpreter_is_closed (worker->interp))
    {
      g_ptr_array_remove_fast (self->workers, worker);
      retire_locked (self, g_steal_pointer (&worker->interp), &deferred);
      g_free (worker);
    }
  else
    {
      worker->idle_since = g_get_monotonic_time ();
      g_queue_push_head (&self->idle, worker);
    }
  dispatch_locked (self, &deferred);
  if (self->state == POOL_SHUTTING_DOWN && self->pending.length == 0)
    retire_idle_locked (self, &deferred);
  deferred.notify = TRUE;
  g_cond_broadcast (&self->cond);
  unlock_and_run (self, &deferred);
  /* Maybe the last reference, if a caller let go of the pool. */
  job_release_pool (job);
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

  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  if (!task->done)
    {
      /* Every job counts: the task completes once the running ones
       * returned or were abandoned. */
      g_clear_error (&task->error);
      task->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
      task->cancelled = TRUE;
      for (guint i = 0; i < task->jobs->len; i++)
        {
          PoolJob *job = task->jobs->pdata[i];

          if (job->state == JOB_PENDING)
            {
              g_queue_unlink (&self->pending, &job->link);
              job->state = JOB_SETTLED;
              job_unref (job);
              deferred.notify = TRUE;
            }
          else if (job->state == JOB_RUNNING)
            interrupt_job_locked (self, job, &deferred);
        }
      check_task_locked (self, task, &deferred);
    }
  unlock_and_run (self, &deferred);
}

/* Queues @task's jobs, or completes it at once with the pool's refusal. */
static void
submit_task (InterpPool *self,
             PoolTask   *task)
{
  Deferred deferred;
  GError *refusal;

  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  refusal = refusal_locked (self);
  if (refusal == NULL && g_cancellable_is_cancelled (task->cancellable))
    refusal = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
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

          job_ref (job);  /* the queue's */
          g_queue_push_tail_link (&self->pending, &job->link);
        }
      if (task->jobs->len == 0)
        check_task_locked (self, task, &deferred);
      dispatch_locked (self, &deferred);
      deferred.notify = TRUE;
    }
  if (deferred.notify)
    schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);

  /* Connected without the lock (a cancellable cancelled already calls
   * back at once, and the handler takes it). The task may be delivered
   * meanwhile, by a job another thread dispatched and a batch_cb() in a
   * context another thread runs: then nobody else would disconnect. */
  if (refusal == NULL && task->cancellable != NULL)
    {
      gulong id = g_cancellable_connect (task->cancellable, G_CALLBACK (task_cancelled_cb),
                                         task_ref (task), task_unref);
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

static PoolTask *
task_new (InterpPool   *self,
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
  task->jobs = g_ptr_array_new_with_free_func (job_unref);
  task->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  task->task = gtask ? g_object_ref (gtask) : NULL;
  return task;
}

/* Waits for a sync caller's task and takes its outcome. */
static GVariant *
wait_task (InterpPool  *self,
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
  task_unref (task);
  return result;
}

static gboolean
check_initialized (InterpPool  *self,
                   GError     **error)
{
  if (!self->initialized || self->init_error != NULL)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                           "The pool is not initialized: create it with interp_pool_new() "
                           "or g_initable_init()");
      return FALSE;
    }
  return TRUE;
}

static PoolTask *
call_task_new (InterpPool    *self,
               const char    *callable,
               GVariant      *args,
               GVariant      *kwargs,
               GCancellable  *cancellable,
               GTask         *gtask,
               GError       **error)
{
  gpointer call;
  PoolTask *task;

  if (!check_initialized (self, error))
    {
      /* Floating arguments are consumed, as on every other failure. */
      if (args != NULL)
        g_variant_unref (g_variant_ref_sink (args));
      if (kwargs != NULL)
        g_variant_unref (g_variant_ref_sink (kwargs));
      return NULL;
    }
  call = _interp_call_new (callable, args, kwargs, error);
  if (call == NULL)
    return NULL;
  task = task_new (self, FALSE, call, 1, cancellable, gtask);
  g_ptr_array_add (task->jobs, job_new (task, 0, 1));
  return task;
}

static PoolTask *
map_task_new (InterpPool    *self,
              const char    *callable,
              GVariant      *args_list,
              guint          chunk_size,
              GCancellable  *cancellable,
              GTask         *gtask,
              GError       **error)
{
  g_autoptr(GVariant) list = args_list ? g_variant_ref_sink (args_list) : NULL;
  gpointer call;
  PoolTask *task;
  gsize n;

  if (!check_initialized (self, error))
    return NULL;
  if (list == NULL || !g_variant_is_container (list) ||
      g_variant_is_of_type (list, G_VARIANT_TYPE_TUPLE) ||
      g_variant_is_of_type (list, G_VARIANT_TYPE_DICTIONARY) ||
      g_variant_is_of_type (list, G_VARIANT_TYPE_MAYBE) ||
      g_variant_is_of_type (list, G_VARIANT_TYPE_VARIANT))
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                   "args_list must be an array of argument tuples, not '%s'",
                   list ? g_variant_get_type_string (list) : "NULL");
      return NULL;
    }
  n = g_variant_n_children (list);
  if (n >= G_MAXUINT)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                           "args_list has too many items");
      return NULL;
    }

  call = _interp_call_new (callable, NULL, NULL, error);
  if (call == NULL)
    return NULL;
  task = task_new (self, TRUE, call, n, cancellable, gtask);

  if (chunk_size == 0)
    chunk_size = MAX (1, (n + 4 * self->max_workers - 1) / (4 * self->max_workers));
  for (gsize first = 0; first < n; first += chunk_size)
    {
      guint len = MIN (chunk_size, n - first);
      PoolJob *job = job_new (task, first, len);

      job->args = g_new0 (GVariant *, len);
      for (guint i = 0; i < len; i++)
        {
          GVariant *item = g_variant_get_child_value (list, first + i);

          if (g_variant_is_of_type (item, G_VARIANT_TYPE_VARIANT))
            {
              GVariant *inner = g_variant_get_variant (item);
              g_variant_unref (item);
              item = inner;
            }
          if (!g_variant_is_of_type (item, G_VARIANT_TYPE_TUPLE))
            {
              g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                           "args_list item %" G_GSIZE_FORMAT " must be an argument tuple, not '%s'",
                           first + i, g_variant_get_type_string (item));
              g_variant_unref (item);
              job_unref (job);
              g_clear_pointer (&task->jobs, g_ptr_array_unref);
              task_unref (task);
              return NULL;
            }
          job->args[i] = item;
        }
      g_ptr_array_add (task->jobs, job);
    }
  return task;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
interp_pool_dispose (GObject *object)
{
  InterpPool *self = INTERP_POOL (object);
  Deferred deferred;

  /* No call is in flight: each holds a reference. */
  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  self->state = POOL_SHUT_DOWN;
  retire_idle_locked (self, &deferred);
  deferred.notify = FALSE;
  take_source_locked (&self->notify_source, &deferred);
  take_source_locked (&self->prune_source, &deferred);
  unlock_and_run (self, &deferred);

  G_OBJECT_CLASS (interp_pool_parent_class)->dispose (object);
}

static gboolean
quit_timer_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
interp_pool_finalize (GObject *object)
{
  InterpPool *self = INTERP_POOL (object);

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
  g_assert (self->workers->len == 0);
  g_ptr_array_unref (self->workers);
  g_hash_table_unref (self->batches);
  g_ptr_array_unref (self->closing);
  g_ptr_array_unref (self->starting);
  g_free (self->initializer);
  for (guint i = 0; i < N_CONFIG; i++)
    g_value_unset (&self->config[i]);
  g_clear_error (&self->init_error);
  g_clear_error (&self->broken);
  g_clear_pointer (&self->creator_context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (interp_pool_parent_class)->finalize (object);
}

static void
interp_pool_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  InterpPool *self = INTERP_POOL (object);

  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      g_value_set_uint (value, self->max_workers);
      break;
    case PROP_MIN_WORKERS:
      g_value_set_uint (value, self->min_workers);
      break;
    case PROP_MAX_TASKS_PER_WORKER:
      g_value_set_uint (value, self->max_tasks_per_worker);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_INITIALIZER:
      g_value_set_string (value, self->initializer);
      break;
    case PROP_TASK_TIMEOUT:
      g_value_set_uint (value, self->task_timeout);
      break;
    case PROP_GRACE_PERIOD:
      g_value_set_uint (value, self->grace_period);
      break;
    case PROP_N_WORKERS:
      g_value_set_uint (value, interp_pool_get_n_workers (self));
      break;
    case PROP_N_BUSY:
      g_value_set_uint (value, interp_pool_get_n_busy (self));
      break;
    case PROP_N_PENDING:
      g_value_set_uint (value, interp_pool_get_n_pending (self));
      break;
    case PROP_BROKEN:
      g_value_set_boolean (value, interp_pool_is_broken (self));
      break;
    default:
      if (prop_id >= PROP_CONFIG_FIRST && prop_id < N_PROPS)
        g_value_copy (&self->config[prop_id - PROP_CONFIG_FIRST], value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_pool_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  InterpPool *self = INTERP_POOL (object);

  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      self->max_workers = g_value_get_uint (value);
      if (self->max_workers == 0)
        self->max_workers = MAX (1, g_get_num_processors ());
      break;
    case PROP_MIN_WORKERS:
      self->min_workers = g_value_get_uint (value);
      break;
    case PROP_MAX_TASKS_PER_WORKER:
      self->max_tasks_per_worker = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_INITIALIZER:
      g_free (self->initializer);
      self->initializer = g_value_dup_string (value);
      break;
    case PROP_TASK_TIMEOUT:
      self->task_timeout = g_value_get_uint (value);
      break;
    case PROP_GRACE_PERIOD:
      self->grace_period = g_value_get_uint (value);
      break;
    default:
      if (prop_id >= PROP_CONFIG_FIRST && prop_id < N_PROPS)
        g_value_copy (value, &self->config[prop_id - PROP_CONFIG_FIRST]);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The interpreter configuration properties, as #InterpInterpreter has
 * them (same names, types and defaults). */
static GParamSpec *
config_pspec (GObjectClass *interp_class,
              const char   *name)
{
  GParamSpec *model = g_object_class_find_property (interp_class, name);
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  if (G_IS_PARAM_SPEC_ENUM (model))
    return g_param_spec_enum (name, g_param_spec_get_nick (model), g_param_spec_get_blurb (model),
                              model->value_type, G_PARAM_SPEC_ENUM (model)->default_value, co);
  return g_param_spec_boolean (name, g_param_spec_get_nick (model), g_param_spec_get_blurb (model),
                               G_PARAM_SPEC_BOOLEAN (model)->default_value, co);
}

static void
interp_pool_class_init (InterpPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  g_autoptr(GTypeClass) interp_class = g_type_class_ref (INTERP_TYPE_INTERPRETER);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = interp_pool_dispose;
  object_class->finalize = interp_pool_finalize;
  object_class->get_property = interp_pool_get_property;
  object_class->set_property = interp_pool_set_property;

  /**
   * InterpPool:max-workers:
   *
   * How many workers the pool has at most: how many calls run at once.
   * 0, at construction, means one per CPU (g_get_num_processors()); it
   * reads back as that number.
   */
  properties[PROP_MAX_WORKERS] =
    g_param_spec_uint ("max-workers", "Max workers", "How many workers at most (0: one per CPU)",
                       0, G_MAXUINT, 0, co);

  /**
   * InterpPool:min-workers:
   *
   * How many workers are made when the pool is initialized and kept
   * however long they are idle, so that a first call does not wait for an
   * interpreter to be made. At most #InterpPool:max-workers.
   */
  properties[PROP_MIN_WORKERS] =
    g_param_spec_uint ("min-workers", "Min workers", "How many workers are kept warm",
                       0, G_MAXUINT, 0, co);

  /**
   * InterpPool:max-tasks-per-worker:
   *
   * After how many calls (or map items) a worker's interpreter is closed
   * and replaced by a new one; 0 keeps workers for good. The
   * `maxtasksperchild` of Python's `multiprocessing.Pool`.
   */
  properties[PROP_MAX_TASKS_PER_WORKER] =
    g_param_spec_uint ("max-tasks-per-worker", "Max tasks per worker",
                       "Calls after which a worker is replaced (0: never)", 0, G_MAXUINT, 0, co);

  /**
   * InterpPool:idle-timeout:
   *
   * After how many seconds of idleness a worker above
   * #InterpPool:min-workers is closed; 0 keeps them.
   */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", "Idle timeout",
                       "Seconds after which an idle worker above the minimum is closed (0: never)",
                       0, G_MAXUINT / 1000, 0, co);

  /**
   * InterpPool:initializer:
   *
   * Python source code that each new worker runs in its `__main__` before
   * its first call, typically to import modules and define the functions
   * that calls name. If it raises, the pool is broken (see
   * #InterpPool:broken).
   */
  properties[PROP_INITIALIZER] =
    g_param_spec_string ("initializer", "Initializer", "Python code each new worker runs first",
                         NULL, co);

  /**
   * InterpPool:task-timeout:
   *
   * How many milliseconds a call may run (a chunk of a map: this many per
   * item) before it is interrupted and fails with %G_IO_ERROR_TIMED_OUT;
   * 0 for no limit. The time waiting in the queue does not count. Any
   * #guint is valid: up to 49 days, for a call or a whole chunk.
   */
  properties[PROP_TASK_TIMEOUT] =
    g_param_spec_uint ("task-timeout", "Task timeout", "Milliseconds a call may run (0: no limit)",
                       0, G_MAXUINT, 0, co);

  /**
   * InterpPool:grace-period:
   *
   * How many milliseconds an interrupted call (cancelled, or timed out)
   * has to return before it completes anyway and its worker is abandoned.
   */
  properties[PROP_GRACE_PERIOD] =
    g_param_spec_uint ("grace-period", "Grace period",
                       "Milliseconds an interrupted call has before its worker is abandoned",
                       0, G_MAXUINT, DEFAULT_GRACE_MS, co);

  /**
   * InterpPool:n-workers:
   *
   * How many workers the pool has now, those being made included and
   * abandoned ones not. Notified in the creator's main context.
   */
  properties[PROP_N_WORKERS] =
    g_param_spec_uint ("n-workers", "Workers", "How many workers there are", 0, G_MAXUINT, 0, ro);

  /**
   * InterpPool:n-busy:
   *
   * How many workers run a call now. Notified in the creator's main
   * context.
   */
  properties[PROP_N_BUSY] =
    g_param_spec_uint ("n-busy", "Busy", "How many workers run a call", 0, G_MAXUINT, 0, ro);

  /**
   * InterpPool:n-pending:
   *
   * How many calls (and map chunks) wait in the queue for a worker.
   * Notified in the creator's main context.
   */
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", "Pending", "How many calls wait for a worker", 0, G_MAXUINT, 0, ro);

  /**
   * InterpPool:broken:
   *
   * Whether the pool is broken: a worker could not be made, or a new
   * worker's initializer raised. Every call then fails with
   * %INTERP_ERROR_BROKEN. Notified in the creator's main context.
   */
  properties[PROP_BROKEN] =
    g_param_spec_boolean ("broken", "Broken", "Whether a worker could not be started", FALSE, ro);

  /**
   * InterpPool:gil:
   *
   * The #InterpInterpreter:gil of every worker.
   */
  /**
   * InterpPool:use-main-obmalloc:
   *
   * The #InterpInterpreter:use-main-obmalloc of every worker.
   */
  /**
   * InterpPool:allow-fork:
   *
   * The #InterpInterpreter:allow-fork of every worker.
   */
  /**
   * InterpPool:allow-exec:
   *
   * The #InterpInterpreter:allow-exec of every worker.
   */
  /**
   * InterpPool:allow-threads:
   *
   * The #InterpInterpreter:allow-threads of every worker.
   */
  /**
   * InterpPool:allow-daemon-threads:
   *
   * The #InterpInterpreter:allow-daemon-threads of every worker.
   */
  /**
   * InterpPool:check-multi-interp-extensions:
   *
   * The #InterpInterpreter:check-multi-interp-extensions of every worker.
   */
  for (guint i = 0; i < N_CONFIG; i++)
    properties[PROP_CONFIG_FIRST + i] = config_pspec (G_OBJECT_CLASS (interp_class), config_names[i]);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
interp_pool_init (InterpPool *self)
{
  g_autoptr(GTypeClass) interp_class = g_type_class_ref (INTERP_TYPE_INTERPRETER);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->pending);
  g_queue_init (&self->idle);
  self->workers = g_ptr_array_new ();
  self->batches = g_hash_table_new_full (NULL, NULL, NULL, batch_free);
  self->closing = g_ptr_array_new_with_free_func ((GDestroyNotify) _interp_executor_unref);
  self->starting = g_ptr_array_new_with_free_func (g_object_unref);
  self->max_workers = MAX (1, g_get_num_processors ());
  self->grace_period = DEFAULT_GRACE_MS;
  self->creator_context = g_main_context_ref_thread_default ();
  for (guint i = 0; i < N_CONFIG; i++)
    {
      GParamSpec *model = g_object_class_find_property (G_OBJECT_CLASS (interp_class), config_names[i]);

      g_value_init (&self->config[i], model->value_type);
      g_param_value_set_default (model, &self->config[i]);
    }
}

/* Checks the configuration and starts the timer thread and the first
 * workers; returns without waiting for them. */
static gboolean
start (InterpPool  *self,
       GError     **error)
{
  g_autoptr(InterpInterpreter) probe = NULL;
  g_autoptr(GError) thread_error = NULL;
  Deferred deferred;

  if (self->min_workers > self->max_workers)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                   "min-workers (%u) is more than max-workers (%u)",
                   self->min_workers, self->max_workers);
      return FALSE;
    }
  probe = new_interpreter (self);
  if (!_interp_interpreter_check_config (probe, error))
    return FALSE;

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

  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  self->initialized = TRUE;
  if (self->idle_timeout > 0)
    {
      guint interval = MAX (100, MIN (self->idle_timeout * 1000 / 4, 60000));

      self->prune_source = g_timeout_source_new (interval);
      g_source_set_callback (self->prune_source, prune_cb, weak_ref_new (self), weak_ref_free);
      g_source_set_static_name (self->prune_source, "[interp-glib] pool pruning");
      g_source_attach (self->prune_source, self->timer_context);
    }
  dispatch_locked (self, &deferred);
  unlock_and_run (self, &deferred);
  return TRUE;
}

/* A waiter on self->cond looks at its cancellable again. */
static void
wake_cb (GCancellable *cancellable,
         gpointer      data)
{
  InterpPool *self = data;

  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Waits until the first workers are ready; fails if one could not start. */
static gboolean
wait_started (InterpPool    *self,
              GCancellable  *cancellable,
              GError       **error)
{
  gulong cancel_id = 0;
  gboolean ok;

  if (cancellable != NULL)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (wake_cb), self, NULL);
  g_mutex_lock (&self->lock);
  while (self->n_starting > 0 && self->broken == NULL && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->cond, &self->lock);
  ok = self->broken == NULL;
  if (!ok)
    g_propagate_error (error, g_error_copy (self->broken));
  else if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      /* Nobody will use this pool: what is starting stops. */
      ok = FALSE;
      self->state = POOL_SHUT_DOWN;
    }
  g_mutex_unlock (&self->lock);
  if (cancel_id != 0)
    g_cancellable_disconnect (cancellable, cancel_id);
  if (!ok)
    stop_starting (self);
  return ok;
}

static gboolean
interp_pool_initable_init (GInitable     *initable,
                           GCancellable  *cancellable,
                           GError       **error)
{
  InterpPool *self = INTERP_POOL (initable);

  if (self->initialized || self->init_error != NULL)
    {
      if (self->init_error != NULL)
        {
          g_propagate_error (error, g_error_copy (self->init_error));
          return FALSE;
        }
      return TRUE;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, &self->init_error) ||
      !start (self, &self->init_error) ||
      !wait_started (self, cancellable, &self->init_error))
    {
      g_propagate_error (error, g_error_copy (self->init_error));
      return FALSE;
    }
  return TRUE;
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = interp_pool_initable_init;
}

static void
init_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;

  if (!wait_started (source, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
interp_pool_init_async (GAsyncInitable      *initable,
                        int                  io_priority,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  InterpPool *self = INTERP_POOL (initable);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, interp_pool_init_async);
  g_task_set_priority (task, io_priority);
  if (self->initialized || self->init_error != NULL)
    {
      if (self->init_error != NULL)
        g_task_return_error (task, g_error_copy (self->init_error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  if (!start (self, &self->init_error))
    {
      g_task_return_error (task, g_error_copy (self->init_error));
      return;
    }
  /* Short: the workers are made on their own threads. */
  g_task_run_in_thread (task, init_in_thread);
}

static gboolean
interp_pool_init_finish (GAsyncInitable  *initable,
                         GAsyncResult    *result,
                         GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = interp_pool_init_async;
  iface->init_finish = interp_pool_init_finish;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

/**
 * interp_pool_new:
 * @max_workers: how many workers at most; 0 for one per CPU
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Creates a pool with the default settings: no minimum of workers, so
 * the first calls wait for their workers to be made. To set other
 * properties, use g_initable_new() (or g_async_initable_new_async()):
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * g_autoptr(GObject) pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
 *                        "max-workers", 4,
 *                        "min-workers", 4,
 *                        "initializer", "import math\ndef work(n):\n    return math.factorial(n) % 1000\n",
 *                        "task-timeout", 5000,
 *                        NULL);
 * ]|
 *
 * The counterpart of CPython's `InterpreterPoolExecutor(max_workers)`.
 *
 * Returns: (transfer full): the new pool, or %NULL with @error set
 */
InterpPool *
interp_pool_new (guint          max_workers,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (INTERP_TYPE_POOL, cancellable, error, "max-workers", max_workers, NULL);
}

/**
 * interp_pool_get_max_workers:
 * @self: a pool
 *
 * How many workers @self has at most.
 *
 * Returns: the #InterpPool:max-workers of @self
 */
guint
interp_pool_get_max_workers (InterpPool *self)
{
  g_return_val_if_fail (INTERP_IS_POOL (self), 0);

  return self->max_workers;
}

/**
 * interp_pool_get_min_workers:
 * @self: a pool
 *
 * How many workers @self keeps however idle they are.
 *
 * Returns: the #InterpPool:min-workers of @self
 */
guint
interp_pool_get_min_workers (InterpPool *self)
{
  g_return_val_if_fail (INTERP_IS_POOL (self), 0);

  return self->min_workers;
}

/**
 * interp_pool_get_n_workers:
 * @self: a pool
 *
 * How many workers @self has now, those being made included.
 *
 * Returns: how many workers @self has now (#InterpPool:n-workers)
 */
guint
interp_pool_get_n_workers (InterpPool *self)
{
  guint n;

  g_return_val_if_fail (INTERP_IS_POOL (self), 0);

  g_mutex_lock (&self->lock);
  n = self->workers->len;
  g_mutex_unlock (&self->lock);
  return n;
}

/**
 * interp_pool_get_n_busy:
 * @self: a pool
 *
 * How many workers of @self run a call now.
 *
 * Returns: how many workers of @self run a call now (#InterpPool:n-busy)
 */
guint
interp_pool_get_n_busy (InterpPool *self)
{
  guint n;

  g_return_val_if_fail (INTERP_IS_POOL (self), 0);

  g_mutex_lock (&self->lock);
  n = self->n_busy;
  g_mutex_unlock (&self->lock);
  return n;
}

/**
 * interp_pool_get_n_pending:
 * @self: a pool
 *
 * How many calls and map chunks wait for a worker of @self.
 *
 * Returns: how many calls and map chunks wait for a worker
 *   (#InterpPool:n-pending)
 */
guint
interp_pool_get_n_pending (InterpPool *self)
{
  guint n;

  g_return_val_if_fail (INTERP_IS_POOL (self), 0);

  g_mutex_lock (&self->lock);
  n = self->pending.length;
  g_mutex_unlock (&self->lock);
  return n;
}

/**
 * interp_pool_is_broken:
 * @self: a pool
 *
 * Whether @self is broken: a worker could not be made or a new worker's
 * initializer raised (#InterpPool:broken).
 *
 * Returns: %TRUE if every call now fails with %INTERP_ERROR_BROKEN
 */
gboolean
interp_pool_is_broken (InterpPool *self)
{
  gboolean broken;

  g_return_val_if_fail (INTERP_IS_POOL (self), FALSE);

  g_mutex_lock (&self->lock);
  broken = self->broken != NULL;
  g_mutex_unlock (&self->lock);
  return broken;
}

/**
 * interp_pool_call:
 * @self: a pool
 * @callable: what to call, as for interp_interpreter_call(): "name" or
 *   "name.attr" in the worker's `__main__` (or a builtin), or
 *   "module:qualname"
 * @args: (nullable): positional arguments, a #GVariant tuple
 * @kwargs: (nullable): keyword arguments, a dictionary with string keys
 * @cancellable: (nullable): a #GCancellable to drop or interrupt the call
 * @error: return location for a #GError
 *
 * Runs a call on the next free worker and waits for its result. May be
 * called from any thread, also from many at once.
 *
 * Returns: (transfer full): the result, or %NULL with @error set: the
 *   errors of interp_interpreter_call(), %G_IO_ERROR_TIMED_OUT after
 *   #InterpPool:task-timeout, %INTERP_ERROR_BROKEN or
 *   %INTERP_ERROR_SHUT_DOWN
 */
GVariant *
interp_pool_call (InterpPool    *self,
                  const char    *callable,
                  GVariant      *args,
                  GVariant      *kwargs,
                  GCancellable  *cancellable,
                  GError       **error)
{
  PoolTask *task;

  g_return_val_if_fail (INTERP_IS_POOL (self), NULL);
  g_return_val_if_fail (callable != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  task = call_task_new (self, callable, args, kwargs, cancellable, NULL, error);
  if (task == NULL)
    return NULL;
  submit_task (self, task);
  return wait_task (self, task, error);
}

/* The GTask of a call or map. The pool decides about cancellation: a
 * running call completes only once it returned or its grace ended. */
static GTask *
async_gtask_new (InterpPool          *self,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data,
                 gpointer             source_tag)
{
  GTask *gtask = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (gtask, source_tag);
  g_task_set_check_cancellable (gtask, FALSE);
  return gtask;
}

/* Queues @task, or returns @error (the task could not be made). */
static void
submit_async (InterpPool *self,
              GTask      *gtask,
              PoolTask   *task,
              GError     *error)
{
  if (task == NULL)
    {
      g_task_return_error (gtask, error);
      return;
    }
  submit_task (self, task);
  task_unref (task);
}

/**
 * interp_pool_call_async:
 * @self: a pool
 * @callable: what to call, as for interp_pool_call()
 * @args: (nullable): positional arguments, a #GVariant tuple
 * @kwargs: (nullable): keyword arguments, a dictionary with string keys
 * @cancellable: (nullable): a #GCancellable to drop or interrupt the call
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Queues a call for the next free worker; @callback runs in the
 * thread-default main context of the caller. The counterpart of
 * `InterpreterPoolExecutor.submit()`.
 */
void
interp_pool_call_async (InterpPool          *self,
                        const char          *callable,
                        GVariant            *args,
                        GVariant            *kwargs,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  GError *error = NULL;
  PoolTask *task;

  g_return_if_fail (INTERP_IS_POOL (self));
  g_return_if_fail (callable != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  gtask = async_gtask_new (self, cancellable, callback, user_data, interp_pool_call_async);
  task = call_task_new (self, callable, args, kwargs, cancellable, gtask, &error);
  submit_async (self, gtask, task, error);
}

/**
 * interp_pool_call_finish:
 * @self: a pool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_pool_call_async().
 *
 * Returns: (transfer full): the call's result, or %NULL with @error set
 */
GVariant *
interp_pool_call_finish (InterpPool    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (INTERP_IS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * interp_pool_map:
 * @self: a pool
 * @callable: what to call, as for interp_pool_call()
 * @args_list: an array of argument tuples (such as `a(xs)`, or `av`
 *   holding tuples): one call each
 * @chunk_size: how many calls a worker takes at once; 0 chooses (about
 *   four chunks per worker, as `multiprocessing.Pool.map()` does)
 * @cancellable: (nullable): a #GCancellable to stop the map
 * @error: return location for a #GError
 *
 * Calls @callable once for each tuple of @args_list, spread over the
 * workers, and waits for all results. Larger chunks cost less per call
 * for short calls. The first call that fails, in input order, fails the
 * map with its error, and the calls after it that have not run are
 * dropped (a running chunk stops after its current call).
 *
 * Returns: (transfer full): the results in input order, an `av`, or
 *   %NULL with @error set
 */
GVariant *
interp_pool_map (InterpPool    *self,
                 const char    *callable,
                 GVariant      *args_list,
                 guint          chunk_size,
                 GCancellable  *cancellable,
                 GError       **error)
{
  PoolTask *task;

  g_return_val_if_fail (INTERP_IS_POOL (self), NULL);
  g_return_val_if_fail (callable != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  task = map_task_new (self, callable, args_list, chunk_size, cancellable, NULL, error);
  if (task == NULL)
    return NULL;
  submit_task (self, task);
  return wait_task (self, task, error);
}

/**
 * interp_pool_map_async:
 * @self: a pool
 * @callable: what to call, as for interp_pool_call()
 * @args_list: an array of argument tuples, as for interp_pool_map()
 * @chunk_size: how many calls a worker takes at once; 0 chooses
 * @cancellable: (nullable): a #GCancellable to stop the map
 * @callback: (scope async): called with the results
 * @user_data: data for @callback
 *
 * The non-blocking form of interp_pool_map(): @callback runs in the
 * thread-default main context of the caller. The counterpart of
 * `InterpreterPoolExecutor.map(fn, *iterables, chunksize=)`.
 */
void
interp_pool_map_async (InterpPool          *self,
                       const char          *callable,
                       GVariant            *args_list,
                       guint                chunk_size,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  GError *error = NULL;
  PoolTask *task;

  g_return_if_fail (INTERP_IS_POOL (self));
  g_return_if_fail (callable != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  gtask = async_gtask_new (self, cancellable, callback, user_data, interp_pool_map_async);
  task = map_task_new (self, callable, args_list, chunk_size, cancellable, gtask, &error);
  submit_async (self, gtask, task, error);
}

/**
 * interp_pool_map_finish:
 * @self: a pool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_pool_map_async().
 *
 * Returns: (transfer full): the results in input order, an `av`, or
 *   %NULL with @error set
 */
GVariant *
interp_pool_map_finish (InterpPool    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return interp_pool_call_finish (self, result, error);
}

static gboolean
is_own_worker_locked (InterpPool *self)
{
  InterpExecutor *current = _interp_executor_get_current ();

  for (guint i = 0; current != NULL && i < self->workers->len; i++)
    {
      Worker *worker = self->workers->pdata[i];

      if (worker->interp != NULL && _interp_interpreter_get_executor (worker->interp) == current)
        return TRUE;
    }
  return FALSE;
}

/**
 * interp_pool_shutdown:
 * @self: a pool
 * @cancel_pending: whether the calls still queued fail with
 *   %G_IO_ERROR_CANCELLED instead of running
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @error: return location for a #GError
 *
 * Shuts the pool down: later calls fail with %INTERP_ERROR_SHUT_DOWN; the
 * queued calls run (or, with @cancel_pending, are cancelled); then waits
 * for the running calls and closes every worker. Cancelling @cancellable
 * stops the waiting (the shutdown goes on) and fails with
 * %G_IO_ERROR_CANCELLED. Calling it again waits again. The counterpart of
 * `InterpreterPoolExecutor.shutdown(wait=True, cancel_futures=)`.
 *
 * Returns: %TRUE once every worker is closed, or %FALSE with @error set:
 *   %INTERP_ERROR_RUNNING when called from one of the pool's own workers
 */
gboolean
interp_pool_shutdown (InterpPool    *self,
                      gboolean       cancel_pending,
                      GCancellable  *cancellable,
                      GError       **error)
{
  Deferred deferred;
  gulong cancel_id = 0;
  gboolean ok = TRUE;
  g_autoptr(GPtrArray) closing = NULL;

  g_return_val_if_fail (INTERP_IS_POOL (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_initialized (self, error))
    return FALSE;

  deferred_init (&deferred);
  g_mutex_lock (&self->lock);
  if (is_own_worker_locked (self))
    {
      g_mutex_unlock (&self->lock);
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_RUNNING,
                           "A pool cannot be shut down from code running in one of its workers");
      return FALSE;
    }
  if (self->state == POOL_RUNNING)
    self->state = POOL_SHUTTING_DOWN;
  if (cancel_pending)
    {
      GError *cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               "The pool was shut down before the call ran");
      drop_pending_locked (self, cancelled, &deferred);
      g_error_free (cancelled);
    }
  if (self->pending.length == 0)
    retire_idle_locked (self, &deferred);
  unlock_and_run (self, &deferred);
  /* Nothing queued needs the workers that are starting. */
  if (cancel_pending)
    stop_starting (self);

  if (cancellable != NULL)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (wake_cb), self, NULL);

  g_mutex_lock (&self->lock);
  while ((self->pending.length > 0 || self->n_busy > 0 || self->n_starting > 0 ||
          self->idle.length > 0 || self->n_retiring > 0) &&
         !g_cancellable_is_cancelled (cancellable))
    {
      if (self->pending.length == 0 && self->n_busy == 0 && self->idle.length > 0)
        {
          deferred_init (&deferred);
          retire_idle_locked (self, &deferred);
          unlock_and_run (self, &deferred);
          g_mutex_lock (&self->lock);
          continue;
        }
      g_cond_wait (&self->cond, &self->lock);
    }
  ok = !g_cancellable_is_cancelled (cancellable);
  if (ok)
    {
      self->state = POOL_SHUT_DOWN;
      closing = g_steal_pointer (&self->closing);
      self->closing = g_ptr_array_new_with_free_func ((GDestroyNotify) _interp_executor_unref);
    }
  g_mutex_unlock (&self->lock);

  if (cancel_id != 0)
    g_cancellable_disconnect (cancellable, cancel_id);
  /* Closed: their threads end once the interpreters are destroyed. */
  for (guint i = 0; closing != NULL && i < closing->len; i++)
    _interp_executor_join (closing->pdata[i]);
  if (!ok)
    g_cancellable_set_error_if_cancelled (cancellable, error);
  return ok;
}

typedef struct
{
  gboolean cancel_pending;
} ShutdownData;

static gpointer
shutdown_thread (gpointer data)
{
  GTask *task = data;
  ShutdownData *sd = g_task_get_task_data (task);
  GError *error = NULL;

  if (interp_pool_shutdown (g_task_get_source_object (task), sd->cancel_pending,
                            g_task_get_cancellable (task), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
  return NULL;
}

/**
 * interp_pool_shutdown_async:
 * @self: a pool
 * @cancel_pending: whether the calls still queued are cancelled
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @callback: (scope async): called once every worker is closed
 * @user_data: data for @callback
 *
 * The non-blocking form of interp_pool_shutdown(): later calls fail at
 * once, and @callback runs in the thread-default main context of the
 * caller when the pool is shut down.
 */
void
interp_pool_shutdown_async (InterpPool          *self,
                            gboolean             cancel_pending,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GError) error = NULL;
  GThread *thread;
  GTask *task;
  ShutdownData *sd;

  g_return_if_fail (INTERP_IS_POOL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, interp_pool_shutdown_async);
  sd = g_new0 (ShutdownData, 1);
  sd->cancel_pending = cancel_pending;
  g_task_set_task_data (task, sd, g_free);

  /* Refuse new calls now, as the sync form does, before returning. */
  g_mutex_lock (&self->lock);
  if (self->state == POOL_RUNNING && self->initialized)
    self->state = POOL_SHUTTING_DOWN;
  g_mutex_unlock (&self->lock);

  thread = g_thread_try_new ("interp-pool-shutdown", shutdown_thread, task, &error);
  if (thread != NULL)
    g_thread_unref (thread);
  else
    {
      g_task_return_new_error (task, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                               "Could not start a thread to shut the pool down: %s", error->message);
      g_object_unref (task);
    }
}

/**
 * interp_pool_shutdown_finish:
 * @self: a pool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes interp_pool_shutdown_async().
 *
 * Returns: %TRUE once every worker is closed, or %FALSE with @error set
 */
gboolean
interp_pool_shutdown_finish (InterpPool    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (INTERP_IS_POOL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
