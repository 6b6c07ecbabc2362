/* interp-pool-private.h: what the pool's three files share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One pool, three roles: interp-pool.c is the GObject and the public API,
 * interp-pool-scheduler.c moves tasks to the workers and their outcomes
 * back (jobs, dispatch, workers, completions), interp-pool-timers.c keeps
 * time on a thread of its own (task timeouts, the grace period, pruning).
 *
 * All three work on struct _InterpPool under pool->lock. Functions named
 * _locked are called with it held. A locked section collects what it
 * decides to do in an InterpDeferred (interp-deferred-private.h) and ends
 * with _interp_pool_unlock_and_run(), which does it without the lock.
 */

#pragma once

#include "interp-cancel-waiter-private.h"
#include "interp-completion-private.h"
#include "interp-deferred-private.h"
#include "interp-interpreter-private.h"
#include "interp-map-results-private.h"
#include "interp-pool.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* The pool                                                            */

typedef enum
{
  POOL_RUNNING,
  POOL_SHUTTING_DOWN,
  POOL_SHUT_DOWN,
} PoolState;

typedef struct _PoolTask PoolTask;
typedef struct _PoolJob PoolJob;

typedef struct
{
  InterpInterpreter *interp;  /* NULL while starting */
  guint tasks_done;
  gint64 idle_since;
} Worker;

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
  InterpConfig config;         /* the workers' */
  GMainContext *creator_context;

  gboolean initialized;
  GError *init_error;

  GMutex lock;
  GCond cond;                 /* a task completed, a worker started or left */
  guint cond_waiters;         /* threads in _interp_pool_wait_locked() */
  PoolState state;
  GError *broken;
  GQueue pending;             /* PoolJob, through their link */
  GPtrArray *workers;         /* Worker, not abandoned */
  GQueue idle;                /* Worker, most recently idle first */
  guint n_starting;
  GPtrArray *starting;        /* GCancellable: initializers running */
  gboolean stop_starting;     /* interrupt initializers: cancelled init or shutdown */
  guint n_busy;
  GPtrArray *closing;         /* InterpExecutor: retired since shutdown began */
  guint n_retiring;           /* workers whose retirement is deferred */

  /* What was last notified, and the notifier that notifies the rest. */
  guint notified_workers;
  guint notified_busy;
  guint notified_pending;
  gboolean notified_broken;
  InterpNotifier *notifier;

  /* The timer thread. */
  GMainContext *timer_context;
  GMainLoop *timer_loop;
  GThread *timer_thread;
  GSource *prune_source;
};

/* ------------------------------------------------------------------ */
/* Tasks and jobs (interp-pool-scheduler.c)                            */

typedef enum
{
  JOB_PENDING,
  JOB_RUNNING,
  JOB_SETTLED,
} PoolJobState;

typedef enum
{
  POOL_TASK_CALL,   /* one call, its result the task's */
  POOL_TASK_MAP,    /* one call per item, the results an array */
} PoolTaskKind;

/* A call or a map as the caller sees it (in a g_atomic_rc_box). */
struct _PoolTask
{
  InterpPool *pool;           /* kept alive by the caller: GTask or waiter */
  PoolTaskKind kind;
  gboolean cancelled;
  InterpCall *call;           /* the prepared callable (and args for a call) */
  InterpAsyncResult *result_task; /* _async; NULL for a sync caller */
  GCancellable *cancellable;
  InterpCancelWaiter cancel;  /* task_cancelled_cb(), until delivered */
  /* n_jobs PoolJob, in input order. Once the task is done they are no
   * longer looked at, and whoever takes the outcome lets go of them: the
   * thread that made them, whose allocator arena they come from (freed
   * on a worker, they made it contend with the caller's for its lock). */
  PoolJob **jobs;
  guint n_jobs;
  PoolJob *one_job;           /* jobs' storage for a call */
  guint n_jobs_settled;       /* the jobs before this index have all settled */
  guint n_items;
  GVariant **results;         /* n_items (one for a call) */
  GVariant *one_result;       /* results' storage when there is one */
  InterpMapResults *stream;   /* map_stream: where items settle */
  guint fail_index;           /* first failed item; G_MAXUINT: none */
  GError *error;              /* the outcome, once failed */
  GVariant *result;
  gboolean done;              /* completed: exactly once */
};

/* What one worker runs at once: a call, or a chunk of a map (in a
 * g_atomic_rc_box). */
struct _PoolJob
{
  PoolTask *task;
  PoolJobState state;
  GList link;                 /* in pool->pending while pending */
  guint first;                /* index of its first item */
  guint n;
  GVariant **args;            /* map: n argument tuples */
  GVariant **results;         /* n, filled on the worker's thread */
  GVariant *one_result;       /* results' storage when n is 1 */
  GError **errors;            /* map_stream: n, the failures of items that ran */
  /* Atomic: how many items have their outcome in results (and, for a
   * stream, errors); a map stops at its first failure. */
  guint n_done;
  Worker *worker;
  gint cancel;                /* atomic: an interrupt was asked for */
  gint stop;                  /* atomic: run no more of its items */
  gboolean timed_out;
  GSource *timeout_source;
  GSource *grace_source;
  /* Who finishes the job: job_done(), or grace_cb() abandoning it. */
  gint finished;
  /* A reference to the pool while the job runs and is not abandoned;
   * the timers take theirs through _interp_pool_job_dup_pool(). */
  GMutex pool_lock;
  InterpPool *pool;
};

/* A task with room for @n_jobs jobs, added with _interp_pool_task_add_job(). */
PoolTask          *_interp_pool_task_new               (InterpPool         *self,
                                                        PoolTaskKind        kind,
                                                        InterpCall         *call,
                                                        guint               n_items,
                                                        guint               n_jobs,
                                                        GCancellable       *cancellable,
                                                        InterpAsyncResult  *async_result);
/* Adds @job (taking it) after the task's other jobs. */
void               _interp_pool_task_add_job           (PoolTask           *task,
                                                        PoolJob            *job);
/* Lets go of the task's jobs, before it is submitted. */
void               _interp_pool_task_drop_jobs         (PoolTask           *task);
PoolTask          *_interp_pool_task_ref               (PoolTask           *task);
void               _interp_pool_task_unref             (gpointer            data);
PoolJob           *_interp_pool_job_new                (PoolTask           *task,
                                                        guint               first,
                                                        guint               n);
static inline PoolJob *
_interp_pool_job_ref (PoolJob *job) { return g_atomic_rc_box_acquire (job); }
void               _interp_pool_job_unref              (gpointer            data);
/* (transfer full) The pool of a running job; NULL once the job let go of
 * it (returned, or abandoned). */
InterpPool        *_interp_pool_job_dup_pool           (PoolJob            *job);
void               _interp_pool_job_release_pool       (PoolJob            *job);

/* Queues a task's jobs; a sync caller then waits for its outcome. */
void               _interp_pool_submit_task            (InterpPool         *self,
                                                        PoolTask           *task);
GVariant          *_interp_pool_wait_task              (InterpPool         *self,
                                                        PoolTask           *task,
                                                        GError            **error);

/* For interp_glib's executor, whose futures can be cancelled only while
 * their call waits (interp-module-pool.c): interp_pool_call_async()
 * completing in @context, that also returns (transfer full) its task,
 * or NULL when the call completed at once (an error). */
PoolTask          *_interp_pool_call_async_task        (InterpPool         *self,
                                                        const char         *callable,
                                                        GVariant           *args,
                                                        GCancellable       *cancellable,
                                                        GMainContext       *context,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
/* Drops @task, which then completes with G_IO_ERROR_CANCELLED, if none of
 * its jobs has started; FALSE (and nothing happens) otherwise. */
gboolean           _interp_pool_task_drop_if_pending   (InterpPool         *self,
                                                        PoolTask           *task);
/* Whether a job of @task started (or the task is done). */
gboolean           _interp_pool_task_started           (InterpPool         *self,
                                                        PoolTask           *task);

/* ------------------------------------------------------------------ */
/* Deferred side effects (interp-pool-scheduler.c)                     */

/* Ends a locked section whose InterpDeferred has the pool as its owner:
 * schedules the notification of what changed, drops the lock and runs
 * the effects. */
void               _interp_pool_unlock_and_run         (InterpPool         *self,
                                                        InterpDeferred     *deferred);
/* Waits on the pool's cond, the lock held. */
void               _interp_pool_wait_locked            (InterpPool         *self);
/* Wakes the threads in _interp_pool_wait_locked(), if there are any. */
void               _interp_pool_wake_locked            (InterpPool         *self);
/* Destroys *@source (taking it) once the lock is dropped. */
void               _interp_pool_take_source_locked     (GSource           **source,
                                                        InterpDeferred     *deferred);

/* ------------------------------------------------------------------ */
/* Dispatching and settling (interp-pool-scheduler.c)                  */

void               _interp_pool_dispatch_locked        (InterpPool         *self,
                                                        InterpDeferred     *deferred);
void               _interp_pool_settle_job_locked      (InterpPool         *self,
                                                        PoolJob            *job,
                                                        GError             *error,
                                                        InterpDeferred     *deferred);
void               _interp_pool_interrupt_job_locked   (InterpPool         *self,
                                                        PoolJob            *job,
                                                        InterpDeferred     *deferred);
void               _interp_pool_drop_pending_locked    (InterpPool         *self,
                                                        const GError       *reason,
                                                        InterpDeferred     *deferred);
void               _interp_pool_retire_locked          (InterpPool         *self,
                                                        InterpInterpreter  *interp,
                                                        InterpDeferred     *deferred);
void               _interp_pool_retire_idle_locked     (InterpPool         *self,
                                                        InterpDeferred     *deferred);
void               _interp_pool_stop_starting          (InterpPool         *self);

/* ------------------------------------------------------------------ */
/* Timers (interp-pool-timers.c)                                       */

gboolean           _interp_pool_start_timers           (InterpPool         *self,
                                                        GError            **error);
void               _interp_pool_stop_timers            (InterpPool         *self);
void               _interp_pool_start_pruning_locked   (InterpPool         *self);
/* (transfer full) A timer on the timer thread, holding a reference to
 * @job: its task timeout (for @job->n items), or its grace period. */
GSource           *_interp_pool_add_timeout_locked     (InterpPool         *self,
                                                        PoolJob            *job);
GSource           *_interp_pool_add_grace_locked       (InterpPool         *self,
                                                        PoolJob            *job);
GError            *_interp_pool_timed_out_error        (InterpPool         *self);
/* (transfer full) The task timeout in seconds, as every face's users set
 * it or read it: "0.2 s", "5 s". */
char              *_interp_pool_dup_timeout_text       (InterpPool         *self);

/* ------------------------------------------------------------------ */
/* The GObject (interp-pool.c)                                         */

void               _interp_pool_schedule_notify_locked (InterpPool         *self);
GWeakRef          *_interp_pool_weak_ref_new           (gpointer            object);
void               _interp_pool_weak_ref_free          (gpointer            data);
InterpInterpreter *_interp_pool_new_interpreter        (InterpPool         *self);

G_END_DECLS
