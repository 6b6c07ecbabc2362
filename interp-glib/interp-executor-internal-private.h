/* interp-executor-internal-private.h: what the executor's files share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One executor, four files, one role each:
 * - interp-executor.c, the executor proper: the job model, the thread
 *   loop, closing;
 * - interp-executor-interrupt.c: interrupting running code;
 * - interp-executor-registry.c: the live executors, the hooks of the
 *   layers above (the runtime's included), the wait-for graph;
 * - interp-executor-lifecycle.c: creating and ending the interpreter on
 *   the executor's thread.
 * They share the two structures below and the calls declared here; the
 * layers above include interp-executor-private.h only.
 *
 * Functions named _locked are called with executor->lock held.
 */

#pragma once

#include "interp-executor-private.h"
#include "interp-cancel-waiter-private.h"

#include <time.h>

G_BEGIN_DECLS

/* Python 3.12 and 3.13 raise an exception set with
 * PyThreadState_SetAsyncExc() at a loop's backward jump with the wrong
 * location, so the loop's own `except` and `finally` are skipped: on 3.12
 * for a one-line `while True: pass` (gh-108214), on 3.13 for every
 * `while <condition>:` loop (gh-130279, gh-139622). There the executor
 * raises the cancellation from a sys.monitoring INSTRUCTION callback
 * instead: it fires before the next instruction the executor thread runs,
 * at that instruction's true location. 3.11 has no sys.monitoring;
 * 3.14 and later are not affected. */
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030E0000
# define INTERP_MONITOR_INTERRUPT 1
#else
# define INTERP_MONITOR_INTERRUPT 0
#endif

/* Python 3.12 and later run a function queued for an interpreter with
 * _PyEval_AddPendingCall() in whichever of its threads next checks its
 * eval breaker, within microseconds, without waiting for the GIL (3.11
 * runs them in the process's main thread only). A cancel goes that way:
 * an interrupter thread would wait for the running code to drop the GIL,
 * which it does only after the switch interval (5 ms). */
#if PY_VERSION_HEX >= 0x030C0000
# define INTERP_PENDING_INTERRUPT 1
#else
# define INTERP_PENDING_INTERRUPT 0
#endif

/* ------------------------------------------------------------------ */
/* The executor and its jobs                                           */

typedef enum
{
  EXECUTOR_NEW,
  EXECUTOR_READY,
  EXECUTOR_CLOSING,
  EXECUTOR_CLOSED,
  EXECUTOR_FAILED,
} ExecutorState;

typedef enum
{
  JOB_SETUP,
  JOB_NORMAL,
  JOB_INTERNAL,   /* the library's own work; runs even while closing */
  JOB_CLOSE,
} JobKind;

typedef enum
{
  JOB_STATE_NEW,
  JOB_STATE_QUEUED,
  JOB_STATE_RUNNING,
  JOB_STATE_DONE,
} JobState;

/* In a g_atomic_rc_box. */
typedef struct
{
  JobKind kind;
  JobState state;
  InterpJobFunc func;
  gpointer data;
  GDestroyNotify data_free;
  InterpExecutor *executor;
  GCancellable *cancellable;
  InterpCancelWaiter cancel;  /* job_cancelled_cb() on the cancellable */
  gboolean cancel_requested;
  gboolean interrupted;       /* an interrupter was started for it */
  gboolean cancel_delivered;  /* a blocking wait raised the cancellation itself */
  gboolean detached;          /* a close nobody waits for (the owner let go) */
  GError *interrupt_reason;   /* why the job was interrupted, if not by its cancellable */
  GCancellable *wait_cancellable; /* for blocking waits in the job's code */
  GTask *task;                /* async jobs */
  InterpJobDoneFunc done_func; /* jobs completed through a callback */
  gpointer done_data;
  gboolean done;              /* sync jobs: guarded by executor->lock */
  gint done_flag;             /* the same, atomic, for a spinning waiter */
  GVariant *result;
  GError *error;
  guint64 seq;                /* numbers the executor's jobs, for the debug log */
} InterpJob;

/* In a g_atomic_rc_box. */
struct _InterpExecutor
{
  gboolean is_main;
  gboolean embedded;
  InterpConfig config;

  GMutex lock;
  GCond job_cond;             /* work queued or state changed */
  GCond done_cond;            /* a sync job finished, or interrupters dropped */
  GCond ticker_cond;          /* Python 3.11: a job started, or the executor ended */
  GQueue jobs;
  gint n_queued;              /* jobs.length, atomic, for the idle spin */
  gboolean idle_sleeping;     /* the executor thread waits on job_cond */
  gboolean ticker_sleeping;   /* Python 3.11: the ticker waits on ticker_cond */
#if !INTERP_PY_HAS_OWN_GIL
  clockid_t thread_clock;     /* Python 3.11: the executor thread's CPU clock */
  gboolean has_thread_clock;
  guint64 traced_serial;      /* Python 3.11: the job a trace function is to interrupt */
  Py_tracefunc job_trace;     /* Python 3.11, the GIL held: the job's own trace function */
  PyObject *job_trace_obj;    /* and its object, while ours is in its place */
#endif
  guint done_sleepers;        /* sync callers waiting on done_cond */
  guint idle_waiters;         /* _interp_executor_wait_idle() callers */
  gboolean abandoned;         /* left by a pool while blocked in C */
  InterpJob *running_job;
  ExecutorState state;
  guint interrupters;         /* interrupter threads attached or to come */
  guint pending_interrupts;   /* interruptions queued as pending calls */
  guint exports;              /* buffers of this interpreter used elsewhere */
  gboolean teardown_deferred; /* closed, destroyed when exports reach 0 */
  gboolean thread_started;
  GThread *thread;
  GWeakRef owner;
  guint64 n_submitted;        /* jobs numbered so far */

  /* Set before the first job, read-only afterwards. */
  InterpExecutorStateHook state_hook;
  gpointer state_hook_data;
  GDestroyNotify state_hook_data_free;

  InterpExecutor *waiting_for; /* wait_graph_lock: this thread waits for it */

  /* Written during setup on the executor thread, read-only afterwards. */
  gint64 id;

  /* Executor thread only. */
  PyInterpreterState *interp;
  PyThreadState *tstate;
  unsigned long thread_ident;
  PyObject *cancel_exc;
#if INTERP_MONITOR_INTERRUPT
  /* Delivering a cancellation through sys.monitoring; the GIL held. */
  PyObject *monitor_callback;
  int monitor_tool;           /* the tool ID claimed, or -1 */
  guint64 armed_serial;       /* executor->lock: the job to interrupt */
#endif
  guint64 job_serial;         /* executor->lock: the running job's number */
  gboolean flush_output;      /* output capture is on: flush after each job */
};

/* ------------------------------------------------------------------ */
/* The job model (interp-executor.c)                                   */

static inline InterpJob *
_interp_job_ref (InterpJob *job) { return g_atomic_rc_box_acquire (job); }
void            _interp_job_unref              (gpointer             job);

/* ------------------------------------------------------------------ */
/* Registry, hooks, wait-for graph (interp-executor-registry.c)        */

/* A new executor gets in as it starts (see _interp_executor_start()),
 * FALSE with @error set when the registry is closed; it leaves as its
 * thread ends. */
gboolean        _interp_executor_registry_add       (InterpExecutor  *executor,
                                                     GError         **error);
void            _interp_executor_registry_remove    (InterpExecutor  *executor);
/* On the executor thread: the hooks of the layers above, in registration
 * order (see InterpExecutorHooks). */
gboolean        _interp_executor_run_started_hooks  (InterpExecutor  *executor,
                                                     GError         **error);
void            _interp_executor_run_closing_hooks  (InterpExecutor  *executor);
/* Code running in @caller is about to wait for @target (a sync call or
 * close): FALSE with @error set when that would close a cycle of waits.
 * Every successful enter is followed by a leave. */
gboolean        _interp_executor_wait_graph_enter   (InterpExecutor  *caller,
                                                     InterpExecutor  *target,
                                                     GError         **error);
void            _interp_executor_wait_graph_leave   (InterpExecutor  *caller);
/* (nullable) What the runtime registered. */
const InterpExecutorRuntimeHooks *_interp_executor_get_runtime_hooks (void);

/* ------------------------------------------------------------------ */
/* Interruption (interp-executor-interrupt.c)                          */

/* On the executor thread during setup, the GIL held: what interrupting
 * needs in the new interpreter (its CancelledError). */
gboolean        _interp_executor_interrupt_setup    (InterpExecutor  *executor,
                                                     GError         **error);
/* On the executor thread during teardown, the GIL held. */
void            _interp_executor_interrupt_teardown (InterpExecutor  *executor);
/* Interrupts @job if it is the running one. Returns the job's wait
 * cancellable, if any, for _interp_executor_cancel_wait() once the lock
 * is released (its handlers take queue locks). */
GCancellable   *_interp_executor_interrupt_job_locked (InterpExecutor *executor,
                                                       InterpJob      *job);
/* Cancels @wait (nullable) and drops the reference. */
void            _interp_executor_cancel_wait        (GCancellable    *wait);
/* On the executor thread after @job ran, the GIL held and no exception
 * set: nothing of its interruption is left for the next job. */
void            _interp_executor_interrupt_job_ended (InterpExecutor *executor,
                                                      InterpJob      *job);
#if !INTERP_PY_HAS_OWN_GIL
/* Python 3.11: the thread that makes a sub-interpreter take turns; on
 * the executor thread. */
void            _interp_executor_start_ticker       (InterpExecutor  *executor);
#endif

/* ------------------------------------------------------------------ */
/* The interpreter's life (interp-executor-lifecycle.c)                */

/* The setup job's work, on the executor thread without a thread state:
 * creates the interpreter (the main one through the runtime's hooks) and
 * leaves it detached; FALSE with @error set when it could not. */
gboolean        _interp_executor_setup              (InterpExecutor  *executor,
                                                     GError         **error);
/* The close job's work, detached: ends the interpreter once no
 * interrupter is attached to it; FALSE with @error set (the interpreter
 * stays, detached) while threads it started still run. */
gboolean        _interp_executor_teardown           (InterpExecutor  *executor,
                                                     GError         **error);

G_END_DECLS
