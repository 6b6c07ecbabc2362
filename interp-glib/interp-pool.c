/* interp-pool.c: a warm pool of interpreters for parallel work
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The GObject (its properties, the notifications of its counters, its
 * initialization) and the public API, which checks what a caller asks and
 * makes it a task. interp-pool-scheduler.c runs the tasks on the workers,
 * interp-pool-timers.c keeps their time; interp-pool-private.h has what
 * the three share, and how they share it.
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-pool-private.h"
#include "interp-config-private.h"
#include "interp-error.h"
#include "interp-interpreter-private.h"
#include "interp-runtime-private.h"

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
 * timed out breaks the pool. The cancellable given to the pool's
 * initialization (#GInitable or #GAsyncInitable), which waits for
 * #InterpPool:min-workers, interrupts the initializers that run, and so does
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
  /* One per InterpConfigSetting, in its order. */
  PROP_CONFIG_FIRST,
  N_PROPS = PROP_CONFIG_FIRST + INTERP_CONFIG_N_SETTINGS
};

static GParamSpec *properties[N_PROPS];

static void initable_iface_init (GInitableIface *iface);
static void async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (InterpPool, interp_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, async_initable_iface_init))

/* ------------------------------------------------------------------ */
/* Notifications                                                       */

/* In the creator's context, through the pool's notifier: what changed
 * since the last notification. */
static void
notify_changes (GObject *object,
                guint    changes)
{
  InterpPool *self = INTERP_POOL (object);
  gboolean workers, busy, pending, broken;

  g_mutex_lock (&self->lock);
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
    g_object_notify_by_pspec (object, properties[PROP_N_WORKERS]);
  if (busy)
    g_object_notify_by_pspec (object, properties[PROP_N_BUSY]);
  if (pending)
    g_object_notify_by_pspec (object, properties[PROP_N_PENDING]);
  if (broken)
    g_object_notify_by_pspec (object, properties[PROP_BROKEN]);
}

void
_interp_pool_weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

GWeakRef *
_interp_pool_weak_ref_new (gpointer object)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_weak_ref_init (weak, object);
  return weak;
}

/* Called with the lock held: a notification once something changed. */
void
_interp_pool_schedule_notify_locked (InterpPool *self)
{
  if (!self->initialized)
    return;
  if (self->notified_workers == self->workers->len &&
      self->notified_busy == self->n_busy &&
      self->notified_pending == self->pending.length &&
      self->notified_broken == (self->broken != NULL))
    return;
  _interp_notifier_post (self->notifier, 1);
}

/* ------------------------------------------------------------------ */
/* Making tasks                                                        */

static gboolean
check_initialized (InterpPool  *self,
                   GError     **error)
{
  /* Words every language shares: the GInitable and GAsyncInitable
   * methods are "init" and "init_async" in GJS, Python and Vala alike. */
  if (self->init_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->init_error));  /* why it is unusable */
      return FALSE;
    }
  if (!self->initialized)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                           "The pool is not initialized: call its init or init_async "
                           "method (GInitable, GAsyncInitable) first");
      return FALSE;
    }
  return TRUE;
}

static PoolTask *
call_task_new (InterpPool    *self,
               const char    *callable,
               GVariant      *args,
               GVariant      *kwargs,
               GCancellable       *cancellable,
               InterpAsyncResult  *async_result,
               GError            **error)
{
  InterpCall *call;
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
  task = _interp_pool_task_new (self, POOL_TASK_CALL, call, 1, 1, cancellable, async_result);
  _interp_pool_task_add_job (task, _interp_pool_job_new (task, 0, 1));
  return task;
}

/* A map's task; with @stream, a streaming map's, whose items settle
 * there. */
static PoolTask *
map_task_new (InterpPool         *self,
              const char         *callable,
              GVariant           *args_list,
              guint               chunk_size,
              GCancellable       *cancellable,
              InterpAsyncResult  *async_result,
              InterpMapResults   *stream,
              GError            **error)
{
  g_autoptr(GVariant) list = args_list ? g_variant_ref_sink (args_list) : NULL;
  InterpCall *call;
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
                   "args_list must be an array of argument tuples (GVariant type "
                   "such as 'a(x)', or 'av' holding tuples), got %s%s%s",
                   list ? "'" : "", list ? g_variant_get_type_string (list) : "NULL",
                   list ? "'" : "");
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
  if (chunk_size == 0)
    chunk_size = MAX (1, (n + 4 * self->max_workers - 1) / (4 * self->max_workers));
  task = _interp_pool_task_new (self, POOL_TASK_MAP, call, n, (n + chunk_size - 1) / chunk_size,
                                cancellable, async_result);
  task->stream = stream ? g_object_ref (stream) : NULL;
  for (gsize first = 0; first < n; first += chunk_size)
    {
      guint len = MIN (chunk_size, n - first);
      PoolJob *job = _interp_pool_job_new (task, first, len);

      job->args = g_new0 (GVariant *, len);
      if (stream != NULL)
        job->errors = g_new0 (GError *, len);
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
                           "args_list item %" G_GSIZE_FORMAT " must be a tuple of arguments "
                           "(GVariant type 'r', such as '(xs)'), got '%s'",
                           first + i, g_variant_get_type_string (item));
              g_variant_unref (item);
              _interp_pool_job_unref (job);
              _interp_pool_task_drop_jobs (task);
              _interp_pool_task_unref (task);
              return NULL;
            }
          job->args[i] = item;
        }
      _interp_pool_task_add_job (task, job);
    }
  return task;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
interp_pool_dispose (GObject *object)
{
  InterpPool *self = INTERP_POOL (object);
  InterpDeferred deferred;

  /* No call is in flight: each holds a reference. */
  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  self->state = POOL_SHUT_DOWN;
  _interp_pool_retire_idle_locked (self, &deferred);
  _interp_pool_take_source_locked (&self->prune_source, &deferred);
  /* Nobody to notify. */
  g_mutex_unlock (&self->lock);
  _interp_deferred_run (&deferred);

  G_OBJECT_CLASS (interp_pool_parent_class)->dispose (object);
}

static void
interp_pool_finalize (GObject *object)
{
  InterpPool *self = INTERP_POOL (object);

  _interp_pool_stop_timers (self);
  g_assert (self->workers->len == 0);
  g_ptr_array_unref (self->workers);
  g_clear_pointer (&self->notifier, _interp_notifier_unref);
  g_ptr_array_unref (self->closing);
  g_ptr_array_unref (self->starting);
  g_free (self->initializer);
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
        _interp_config_get_value (&self->config, prop_id - PROP_CONFIG_FIRST, value);
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
        _interp_config_set_value (&self->config, prop_id - PROP_CONFIG_FIRST, value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
interp_pool_class_init (InterpPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
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
  for (guint i = 0; i < INTERP_CONFIG_N_SETTINGS; i++)
    properties[PROP_CONFIG_FIRST + i] = _interp_config_param_spec (i);  /* as #InterpInterpreter's */

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
interp_pool_init (InterpPool *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->pending);
  g_queue_init (&self->idle);
  self->workers = g_ptr_array_new ();
  self->closing = g_ptr_array_new_with_free_func ((GDestroyNotify) _interp_executor_unref);
  self->starting = g_ptr_array_new_with_free_func (g_object_unref);
  self->max_workers = MAX (1, g_get_num_processors ());
  self->grace_period = DEFAULT_GRACE_MS;
  self->creator_context = g_main_context_ref_thread_default ();
  /* The defaults of InterpInterpreter's properties. */
  self->config = _interp_config_named (INTERP_CONFIG_ISOLATED);
}

/* An interpreter with the pool's configuration, not yet initialized: a
 * new worker's, or the probe that checks the configuration. */
InterpInterpreter *
_interp_pool_new_interpreter (InterpPool *self)
{
  const char *names[INTERP_CONFIG_N_SETTINGS];
  GValue values[INTERP_CONFIG_N_SETTINGS] = { G_VALUE_INIT, };

  return _interp_config_new_object (INTERP_TYPE_INTERPRETER, &self->config, 0, names, values);
}

/* Checks the configuration and starts the timer thread and the first
 * workers; returns without waiting for them. */
static gboolean
start (InterpPool  *self,
       GError     **error)
{
  g_autoptr(InterpInterpreter) probe = NULL;
  InterpDeferred deferred;

  if (self->min_workers > self->max_workers)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT,
                   "min-workers (%u) is more than max-workers (%u)",
                   self->min_workers, self->max_workers);
      return FALSE;
    }
  probe = _interp_pool_new_interpreter (self);
  if (!_interp_interpreter_check_config (probe, error))
    return FALSE;
  if (!_interp_pool_start_timers (self, error))
    return FALSE;

  self->notifier = _interp_notifier_new (G_OBJECT (self), self->creator_context,
                                         G_PRIORITY_DEFAULT_IDLE, 0, notify_changes);
  _interp_deferred_init (&deferred, self);
  g_mutex_lock (&self->lock);
  self->initialized = TRUE;
  _interp_pool_start_pruning_locked (self);
  _interp_pool_dispatch_locked (self, &deferred);
  _interp_pool_unlock_and_run (self, &deferred);
  return TRUE;
}

/* Waits until the first workers are ready; fails if one could not start. */
static gboolean
wait_started (InterpPool    *self,
              GCancellable  *cancellable,
              GError       **error)
{
  InterpCancelWaiter wake = INTERP_CANCEL_WAITER_INIT;
  gboolean ok;

  _interp_cancel_waiter_connect_wake (&wake, cancellable, &self->lock, &self->cond);
  g_mutex_lock (&self->lock);
  while (self->n_starting > 0 && self->broken == NULL && !g_cancellable_is_cancelled (cancellable))
    _interp_pool_wait_locked (self);
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
  _interp_cancel_waiter_finish (&wake, FALSE);
  if (!ok)
    _interp_pool_stop_starting (self);
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
  _interp_pool_submit_task (self, task);
  return _interp_pool_wait_task (self, task, error);
}

/* The result of a call or map (interp-completion.c: a GTask costs more
 * than the rest of a short call). The pool decides about cancellation: a
 * running call completes only once it returned or its grace ended, and
 * with what it gave; so the result does not look at the cancellable. */
static InterpAsyncResult *
async_result_new (InterpPool          *self,
                  GMainContext        *context,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data,
                  gpointer             source_tag)
{
  return _interp_async_result_new (self, context, NULL, callback, user_data, source_tag);
}

/* Queues @task, or returns @error (the task could not be made). */
static void
submit_async (InterpPool        *self,
              InterpAsyncResult *async_result,
              PoolTask          *task,
              GError            *error)
{
  if (task == NULL)
    {
      _interp_async_result_return (g_object_ref (async_result), NULL, error);
      return;
    }
  _interp_pool_submit_task (self, task);
  _interp_pool_task_unref (task);
}

/* Queues a call that completes in @context (NULL: the caller's
 * thread-default one); returns a reference to its task, or NULL when it
 * could not be made (the callback then gets the error). */
static PoolTask *
submit_call (InterpPool          *self,
             const char          *callable,
             GVariant            *args,
             GVariant            *kwargs,
             GCancellable        *cancellable,
             GMainContext        *context,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(InterpAsyncResult) async_result = NULL;
  GError *error = NULL;
  PoolTask *task;

  async_result = async_result_new (self, context, callback, user_data, interp_pool_call_async);
  task = call_task_new (self, callable, args, kwargs, cancellable, async_result, &error);
  if (task != NULL)
    _interp_pool_task_ref (task);
  submit_async (self, async_result, task, error);
  return task;
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
  PoolTask *task;

  g_return_if_fail (INTERP_IS_POOL (self));
  g_return_if_fail (callable != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = submit_call (self, callable, args, kwargs, cancellable, NULL, callback, user_data);
  if (task != NULL)
    _interp_pool_task_unref (task);
}

PoolTask *
_interp_pool_call_async_task (InterpPool          *self,
                              const char          *callable,
                              GVariant            *args,
                              GCancellable        *cancellable,
                              GMainContext        *context,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  return submit_call (self, callable, args, NULL, cancellable, context, callback, user_data);
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
  g_return_val_if_fail (_interp_async_result_is_valid (result, self), NULL);

  return _interp_async_result_propagate (result, error);
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
 * map with its error, whose message then names the item by its index in
 * @args_list (`ValueError: bad input -1 (item 500)`), and the calls after
 * it that have not run are dropped (a running chunk stops after its
 * current call). interp_pool_map_stream() keeps every result instead.
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

  task = map_task_new (self, callable, args_list, chunk_size, cancellable, NULL, NULL, error);
  if (task == NULL)
    return NULL;
  _interp_pool_submit_task (self, task);
  return _interp_pool_wait_task (self, task, error);
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
  g_autoptr(InterpAsyncResult) async_result = NULL;
  GError *error = NULL;
  PoolTask *task;

  g_return_if_fail (INTERP_IS_POOL (self));
  g_return_if_fail (callable != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  async_result = async_result_new (self, NULL, callback, user_data, interp_pool_map_async);
  task = map_task_new (self, callable, args_list, chunk_size, cancellable, async_result, NULL, &error);
  submit_async (self, async_result, task, error);
}

/* Nothing to do: the task's result keeps the pool until the map ended
 * and takes the cancellable's handler back in the creator's context. */
static void
map_stream_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
}

/* How many items @args_list has, if it is a list at all. */
static guint
args_list_length (GVariant *args_list)
{
  if (args_list == NULL || !g_variant_is_container (args_list) ||
      g_variant_is_of_type (args_list, G_VARIANT_TYPE_TUPLE) ||
      g_variant_is_of_type (args_list, G_VARIANT_TYPE_DICTIONARY) ||
      g_variant_is_of_type (args_list, G_VARIANT_TYPE_MAYBE) ||
      g_variant_is_of_type (args_list, G_VARIANT_TYPE_VARIANT))
    return 0;
  return (guint) MIN (g_variant_n_children (args_list), G_MAXUINT - 1);
}

/**
 * interp_pool_map_stream:
 * @self: a pool
 * @callable: what to call, as for interp_pool_call()
 * @args_list: an array of argument tuples, as for interp_pool_map()
 * @chunk_size: how many calls a worker takes at once; 0 chooses, as for
 *   interp_pool_map()
 * @cancellable: (nullable): a #GCancellable to stop the map
 *
 * Calls @callable once for each tuple of @args_list, as
 * interp_pool_map_async() does, and gives the results as they come: an
 * #InterpMapResults, a #GListModel with one #InterpMapItem per tuple, in
 * input order, from the start. Each item's #InterpMapItem:done is
 * notified once, with its value or its error, in the thread-default main
 * context of the caller; interp_map_results_wait_async() waits for them
 * all.
 *
 * Items are done a chunk at a time: @chunk_size 1 shows each item as soon
 * as it is done, larger chunks cost less per call for short calls. One
 * failing item does not stop the others, in its chunk or elsewhere.
 * Cancelling @cancellable keeps the items that are done; the others fail
 * with %G_IO_ERROR_CANCELLED (a running call is interrupted, as for
 * interp_pool_call()). With #InterpPool:task-timeout, a chunk that runs
 * too long fails its items not yet done with %G_IO_ERROR_TIMED_OUT.
 *
 * Whatever keeps the map from starting (@args_list is not a list of
 * tuples, @callable is not a name, the pool is shut down or broken) fails
 * every item with that error, and interp_map_results_wait_finish() gives
 * it (also when there are no items). The map runs to its end even if
 * the results are dropped, and keeps @self alive until then, as an
 * `_async` call does; cancel it to stop it. May be called from any thread.
 *
 * Returns: (transfer full): the results, filling while the map runs
 */
InterpMapResults *
interp_pool_map_stream (InterpPool   *self,
                        const char   *callable,
                        GVariant     *args_list,
                        guint         chunk_size,
                        GCancellable *cancellable)
{
  g_autoptr(GVariant) list = args_list ? g_variant_ref_sink (args_list) : NULL;
  g_autoptr(InterpAsyncResult) async_result = NULL;
  InterpMapResults *results;
  GError *error = NULL;
  PoolTask *task;

  g_return_val_if_fail (INTERP_IS_POOL (self), NULL);
  g_return_val_if_fail (callable != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  results = _interp_map_results_new (args_list_length (list));
  async_result = async_result_new (self, NULL, map_stream_done_cb, NULL, interp_pool_map_stream);
  task = map_task_new (self, callable, list, chunk_size, cancellable, async_result, results, &error);
  if (task == NULL)
    _interp_map_results_refuse (results, g_error_copy (error));
  submit_async (self, async_result, task, error);
  return results;
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
  InterpDeferred deferred;
  InterpCancelWaiter wake = INTERP_CANCEL_WAITER_INIT;
  gboolean ok = TRUE;
  g_autoptr(GPtrArray) closing = NULL;

  g_return_val_if_fail (INTERP_IS_POOL (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_initialized (self, error))
    return FALSE;

  _interp_deferred_init (&deferred, self);
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
      _interp_pool_drop_pending_locked (self, cancelled, &deferred);
      g_error_free (cancelled);
    }
  if (self->pending.length == 0)
    _interp_pool_retire_idle_locked (self, &deferred);
  _interp_pool_unlock_and_run (self, &deferred);
  /* Nothing queued needs the workers that are starting. */
  if (cancel_pending)
    _interp_pool_stop_starting (self);

  _interp_cancel_waiter_connect_wake (&wake, cancellable, &self->lock, &self->cond);

  g_mutex_lock (&self->lock);
  while ((self->pending.length > 0 || self->n_busy > 0 || self->n_starting > 0 ||
          self->idle.length > 0 || self->n_retiring > 0) &&
         !g_cancellable_is_cancelled (cancellable))
    {
      if (self->pending.length == 0 && self->n_busy == 0 && self->idle.length > 0)
        {
          _interp_deferred_init (&deferred, self);
          _interp_pool_retire_idle_locked (self, &deferred);
          _interp_pool_unlock_and_run (self, &deferred);
          g_mutex_lock (&self->lock);
          continue;
        }
      _interp_pool_wait_locked (self);
    }
  ok = !g_cancellable_is_cancelled (cancellable);
  if (ok)
    {
      self->state = POOL_SHUT_DOWN;
      closing = g_steal_pointer (&self->closing);
      self->closing = g_ptr_array_new_with_free_func ((GDestroyNotify) _interp_executor_unref);
    }
  g_mutex_unlock (&self->lock);

  _interp_cancel_waiter_finish (&wake, FALSE);
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
