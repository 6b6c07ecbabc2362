/* interp-executor-private.h: one OS thread and job queue per interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The private layers, bottom up: executor, runtime, carrier, queue-state,
 * interpreter (with the public queue and channel), pool, module (the
 * Python face). A layer calls only the layers below it; where a lower one
 * must reach up (the executor starting and stopping Python through the
 * runtime, installing the interp_glib module in a new interpreter, or
 * telling the queues that an interpreter closes; the carrier wrapping a
 * queue in a Python object), the upper layer registers hooks with it.
 * build-aux/check-layers.py checks this.
 */

#pragma once

#include "interp-python-private.h"
#include "interp-interpreter.h"

G_BEGIN_DECLS

typedef struct _InterpExecutor InterpExecutor;

typedef struct
{
  InterpGil gil;
  gboolean use_main_obmalloc;
  gboolean allow_fork;
  gboolean allow_exec;
  gboolean allow_threads;
  gboolean allow_daemon_threads;
  gboolean check_multi_interp_extensions;
} InterpConfig;

/* ------------------------------------------------------------------ */
/* The live executors and the hooks (interp-executor-registry.c)       */

/* What the layers above the executor do when an interpreter starts or
 * closes. Either member may be NULL. */
typedef struct
{
  /* On the executor thread with the new interpreter's GIL held, before its
   * first job; FALSE (with @error set) fails the interpreter's creation. */
  gboolean (*started) (InterpExecutor  *executor,
                       GError         **error);
  /* On the executor thread without the GIL, when the close job starts:
   * the interpreter still exists and runs nothing. */
  void     (*closing) (InterpExecutor  *executor);
} InterpExecutorHooks;

/* Registers @hooks (static storage; registering twice is a no-op) for
 * every interpreter that starts or closes from now on, in registration
 * order. Any thread. */
void            _interp_executor_add_hooks     (const InterpExecutorHooks *hooks);

/* The live executors: started, their thread not yet ended. Sub-interpreter
 * executors may start only while the registry is open (the runtime opens
 * it once Python runs and closes it to shut down); starting fails with
 * %INTERP_ERROR_RUNTIME otherwise. The main executor always starts. */
void            _interp_executor_set_registry_open (gboolean          open);
/* (transfer full) The live executor of the interpreter @id, main included. */
InterpExecutor *_interp_executor_dup_for_id    (gint64               id);
/* (element-type InterpExecutor) (transfer full) The live sub-interpreter
 * executors. */
GPtrArray      *_interp_executor_list_live     (void);
/* Waits until no sub-interpreter executor is live. */
void            _interp_executor_wait_no_live  (void);

/* ------------------------------------------------------------------ */
/* The executor and its jobs (interp-executor.c)                       */

/* Runs on the executor thread with the interpreter attached (its GIL held).
 * Sets *result (may stay NULL) or returns FALSE with @error set. */
typedef gboolean (*InterpJobFunc) (InterpExecutor  *executor,
                                   gpointer         data,
                                   GVariant       **result,
                                   GError         **error);

/* Receives a job's outcome (both owned by the callee; @result may be NULL
 * on success) on whichever thread completed the job: the executor thread,
 * or the thread that cancelled it while it was queued, or the submitting
 * thread when the executor refused it. Must not block. */
typedef void (*InterpJobDoneFunc) (GVariant *result,
                                   GError   *error,
                                   gpointer  user_data);

InterpExecutor *_interp_executor_new_main      (gboolean             embedded);
InterpExecutor *_interp_executor_new_sub       (const InterpConfig  *config);
static inline InterpExecutor *
_interp_executor_ref (InterpExecutor *executor) { return g_atomic_rc_box_acquire (executor); }
void            _interp_executor_unref         (InterpExecutor      *executor);

gboolean        _interp_executor_start         (InterpExecutor      *executor,
                                                GCancellable        *cancellable,
                                                GError             **error);
void            _interp_executor_start_async   (InterpExecutor      *executor,
                                                GTask               *task);

gint64          _interp_executor_get_id        (InterpExecutor      *executor);
const InterpConfig *_interp_executor_get_config (InterpExecutor     *executor);
gboolean        _interp_executor_is_running    (InterpExecutor      *executor);
gboolean        _interp_executor_is_closed     (InterpExecutor      *executor);
/* A pool gave up on the job this executor runs (blocked in C). */
void            _interp_executor_set_abandoned (InterpExecutor      *executor);
gboolean        _interp_executor_is_abandoned  (InterpExecutor      *executor);
/* Waits until no job runs, at most @timeout_us; TRUE if none runs. */
gboolean        _interp_executor_wait_idle     (InterpExecutor      *executor,
                                                gint64               timeout_us);
void            _interp_executor_add_export    (InterpExecutor      *executor);
void            _interp_executor_release_buffer (InterpExecutor     *executor,
                                                 Py_buffer          *view);

void            _interp_executor_set_output_flush (InterpExecutor   *executor,
                                                   gboolean          flush);

void            _interp_executor_set_owner     (InterpExecutor      *executor,
                                                gpointer             owner);

/* What changed, for the state hook: bits of a mask. */
typedef enum
{
  INTERP_EXECUTOR_CHANGED_RUNNING = 1 << 0,
  INTERP_EXECUTOR_CHANGED_CLOSED = 1 << 1,
} InterpExecutorChange;

/* Called on whatever thread made the change (usually the executor's),
 * without the executor's lock: it must be cheap and must not block. */
typedef void (*InterpExecutorStateHook) (gpointer              data,
                                         InterpExecutorChange  change);

/* Set once (for a new executor, before its first job). The executor keeps @data
 * until it is freed itself and then calls @data_free. */
void            _interp_executor_set_state_hook (InterpExecutor         *executor,
                                                 InterpExecutorStateHook hook,
                                                 gpointer                data,
                                                 GDestroyNotify          data_free);

/* Whether g_debug() messages of the Interp domain are shown: checked once,
 * so that the hot paths pay one load when they are not. */
gboolean        _interp_debug_enabled          (void);

#define INTERP_DEBUG(...) \
  G_STMT_START { if (G_UNLIKELY (_interp_debug_enabled ())) g_debug (__VA_ARGS__); } G_STMT_END
gpointer        _interp_executor_dup_owner     (InterpExecutor      *executor);
InterpExecutor *_interp_executor_get_current   (void);

gboolean        _interp_executor_run           (InterpExecutor      *executor,
                                                InterpJobFunc        func,
                                                gpointer             data,
                                                GDestroyNotify       data_free,
                                                GCancellable        *cancellable,
                                                GVariant           **result,
                                                GError             **error);
/* Like _interp_executor_run() without a result, but while it waits calls
 * @watch->check (@watch->data) about every INTERP_WAIT_CHECK_INTERVAL_US:
 * when it returns FALSE (it cancelled @cancellable, say) the wait ends at
 * once with G_IO_ERROR_CANCELLED and the job completes on its own; @data
 * must then outlive it (@data_free). */
#define INTERP_WAIT_CHECK_INTERVAL_US (20 * G_TIME_SPAN_MILLISECOND)
typedef gboolean (*InterpWaitCheck) (gpointer data);
typedef struct
{
  InterpWaitCheck check;
  gpointer data;
} InterpWaitWatch;
gboolean        _interp_executor_run_checked   (InterpExecutor        *executor,
                                                InterpJobFunc          func,
                                                gpointer               data,
                                                GDestroyNotify         data_free,
                                                GCancellable          *cancellable,
                                                const InterpWaitWatch *watch,
                                                GError               **error);
void            _interp_executor_run_async     (InterpExecutor      *executor,
                                                InterpJobFunc        func,
                                                gpointer             data,
                                                GDestroyNotify       data_free,
                                                GTask               *task);
void            _interp_executor_run_full      (InterpExecutor      *executor,
                                                InterpJobFunc        func,
                                                gpointer             data,
                                                GDestroyNotify       data_free,
                                                GCancellable        *cancellable,
                                                InterpJobDoneFunc    done_func,
                                                gpointer             done_data);

gboolean        _interp_executor_close         (InterpExecutor      *executor,
                                                GError             **error);
void            _interp_executor_close_async   (InterpExecutor      *executor,
                                                GTask               *task);
void            _interp_executor_join          (InterpExecutor      *executor);

/* ------------------------------------------------------------------ */
/* Interrupting running code (interp-executor-interrupt.c)             */

/* Interrupts the running call, if any (not the library's own work): its
 * code gets interp_glib.CancelledError at its next bytecode boundary and
 * its blocking waits end; the call then fails with @reason (nullable)
 * rather than as cancelled. Any thread. */
void            _interp_executor_interrupt     (InterpExecutor      *executor,
                                                const GError        *reason);
/* Interrupts the running job if its data is @data (else does nothing):
 * for callers that know their job only by its data. */
void            _interp_executor_interrupt_data (InterpExecutor    *executor,
                                                 gpointer           data);
/* The exception a cancellation raises in the executor's interpreter. */
PyObject       *_interp_executor_get_cancel_exception (InterpExecutor *executor);
/* For the running job's blocking waits: cancelled when it is
 * interrupted. Executor thread only; NULL elsewhere. */
GCancellable   *_interp_executor_get_wait_cancellable (void);
/* A blocking wait in the running job's code raises the cancellation itself
 * (GIL held): no interrupter adds a second one. */
void            _interp_executor_cancel_delivered (void);

/* ------------------------------------------------------------------ */
/* Python itself: the runtime's hooks                                  */

/* How the process's Python starts and stops, and what becomes of an
 * interpreter's threads when it exits, is the runtime's business: the
 * executor calls these on its threads. */
typedef struct
{
  /* On the main executor's thread without a thread state, as it sets up:
   * starts Python (@embedded) or joins the host's, and returns with the
   * main interpreter attached (its GIL held); FALSE with @error set fails
   * the main executor's setup. */
  gboolean (*main_setup)          (gboolean         embedded,
                                   GError         **error);
  /* On the main executor's thread as it closes, the main interpreter
   * attached: finalizes Python (@embedded) or lets go of the host's;
   * returns without a thread state. */
  void     (*main_teardown)       (gboolean         embedded);
  /* On a sub-interpreter's executor thread as it closes, the interpreter
   * attached and its non-daemon threads done. FALSE unless the host's
   * Python exits: threads left then fail the close. At the exit, ends the
   * threads left and returns TRUE, *@left set when the interpreter is to
   * be left to CPython to end as it finalizes. */
  gboolean (*end_threads_at_exit) (InterpExecutor  *executor,
                                   gboolean        *left);
} InterpExecutorRuntimeHooks;

/* For the runtime alone, before the main executor starts: @hooks
 * (static storage, all set) are the process's Python. */
void            _interp_executor_set_runtime_hooks (const InterpExecutorRuntimeHooks *hooks);
/* For end_threads_at_exit: waits a short grace (the GIL released
 * meanwhile) for the interpreter's thread states other than the
 * executor's to go, and returns how many are left. */
guint           _interp_executor_wait_other_threads (InterpExecutor *executor);

G_END_DECLS
