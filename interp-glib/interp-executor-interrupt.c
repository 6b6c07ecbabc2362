/* interp-executor-interrupt.c: interrupting the code a job runs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cancelling a running job raises interp_glib.CancelledError in the
 * executor's thread state with PyThreadState_SetAsyncExc(), or on 3.12
 * and 3.13 from a sys.monitoring callback (see INTERP_MONITOR_INTERRUPT),
 * from code that holds the interpreter's GIL: on 3.12 and later a pending
 * call, which the running code itself runs at its next eval-breaker check
 * (see INTERP_PENDING_INTERRUPT); on 3.11, or when CPython's queue of
 * pending calls is full, a short-lived interrupter thread that attaches
 * to the same interpreter and waits for its GIL, which the running code
 * drops after the switch interval (on 3.11 shortened while interrupters
 * wait). Either checks, with the GIL held, that
 * the job it came for still runs: the executor clears running_job with
 * the GIL held too, so an interruption never lands in a later job.
 * Teardown runs the pending calls left and waits for the interrupters:
 * none is attached when the interpreter goes away. A blocking wait in the job's code ends
 * through the job's wait cancellable instead, and raises the cancellation
 * itself.
 *
 * A cancellation never lands in CPython's own importlib: raised between
 * its _imp.acquire_lock() and the `try` that releases it, it would leave
 * the import lock held for good (on 3.11 the process's, so every
 * interpreter's next import would hang). While the executor thread runs
 * importlib's code, delivery waits: on 3.11 a trace function raises it
 * at the first line outside importlib, a pending call queues itself
 * again, the monitoring callback waits for an instruction outside it.
 */

#include "interp-executor-internal-private.h"
#include "interp-error.h"

#include <gio/gio.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Interrupting running code                                           */

typedef struct
{
  InterpExecutor *executor;
  InterpJob *job;
} Interrupt;

#if INTERP_PENDING_INTERRUPT
/* Exported by every CPython from 3.12 on (for _testinternalcapi), with
 * this signature, but declared only in its internal headers. */
PyAPI_FUNC (int) _PyEval_AddPendingCall (PyInterpreterState *interp,
                                         int               (*func) (void *),
                                         void               *arg,
                                         int                 flags);

static int pending_interrupt (void *data);
#endif

/* How long an interrupter lets importlib's code run before it tries again. */
#define INTERRUPT_RETRY_US 200

/* Whether @code is CPython's frozen importlib (_bootstrap or
 * _bootstrap_external). */
static gboolean
code_is_importlib (PyCodeObject *code)
{
  const char *filename = PyUnicode_Check (code->co_filename) ? PyUnicode_AsUTF8 (code->co_filename) : NULL;

  if (filename == NULL)
    {
      PyErr_Clear ();
      return FALSE;
    }
  return g_str_has_prefix (filename, "<frozen importlib.");
}

/* The GIL held: whether an exception raised now in @frame would land in
 * importlib's code. It would if @frame is importlib's, and also if @frame
 * was called from importlib (a trace function, a weakref callback, a
 * finder), except through _call_with_frames_removed(), the one place from
 * which importlib runs a module's code and expects any exception. */
static gboolean
frame_in_importlib (PyFrameObject *frame)
{
  PyFrameObject *f = (PyFrameObject *) Py_XNewRef (frame);
  gboolean in_importlib = FALSE;

  while (f != NULL)
    {
      PyCodeObject *code = PyFrame_GetCode (f);
      PyFrameObject *back;

      if (code_is_importlib (code))
        {
          in_importlib = PyUnicode_CompareWithASCIIString (code->co_name, "_call_with_frames_removed") != 0;
          Py_DECREF (code);
          break;
        }
      Py_DECREF (code);
      back = PyFrame_GetBack (f);
      Py_DECREF (f);
      f = back;
    }
  Py_XDECREF (f);
  return in_importlib;
}

/* The same for the code @tstate runs. */
static gboolean
thread_in_importlib (PyThreadState *tstate)
{
  PyFrameObject *frame = PyThreadState_GetFrame (tstate);
  gboolean in_importlib = frame_in_importlib (frame);

  Py_XDECREF (frame);
  return in_importlib;
}

#if INTERP_MONITOR_INTERRUPT
/* Calls sys.monitoring.@name (@args); FALSE (error cleared) on failure. */
static gboolean
monitor_call (const char *name,
              const char *format,
              ...)
{
  PyObject *monitoring = PySys_GetObject ("monitoring");  /* borrowed */
  PyObject *method = monitoring ? PyObject_GetAttrString (monitoring, name) : NULL;
  PyObject *args = NULL;
  PyObject *res = NULL;
  va_list ap;

  if (method != NULL)
    {
      va_start (ap, format);
      args = Py_VaBuildValue (format, ap);
      va_end (ap);
    }
  if (args != NULL && !PyTuple_Check (args))
    {
      PyObject *tuple = PyTuple_Pack (1, args);
      Py_DECREF (args);
      args = tuple;
    }
  if (args != NULL)
    res = PyObject_Call (method, args, NULL);
  if (res == NULL)
    PyErr_Clear ();
  Py_XDECREF (res);
  Py_XDECREF (args);
  Py_XDECREF (method);
  return res != NULL;
}

static long
monitor_instruction_event (void)
{
  PyObject *monitoring = PySys_GetObject ("monitoring");
  PyObject *events = monitoring ? PyObject_GetAttrString (monitoring, "events") : NULL;
  PyObject *value = events ? PyObject_GetAttrString (events, "INSTRUCTION") : NULL;
  long event = value ? PyLong_AsLong (value) : -1;

  if (event == -1)
    PyErr_Clear ();
  Py_XDECREF (value);
  Py_XDECREF (events);
  return event;
}

/* The INSTRUCTION callback: raises the cancellation in the executor's
 * thread, at the instruction about to run, once. */
static PyObject *
monitor_on_instruction (PyObject *capsule,
                        PyObject *args)
{
  InterpExecutor *executor = PyCapsule_GetPointer (capsule, NULL);
  gboolean raise = FALSE;

  if (executor == NULL || PyThread_get_thread_ident () != executor->thread_ident)
    {
      PyErr_Clear ();
      Py_RETURN_NONE;
    }
  /* Not in importlib: the event stays on until an instruction outside. */
  if (thread_in_importlib (PyThreadState_Get ()))
    Py_RETURN_NONE;
  g_mutex_lock (&executor->lock);
  if (executor->armed_serial != 0 && executor->armed_serial == executor->job_serial &&
      executor->running_job != NULL && !executor->running_job->cancel_delivered)
    raise = TRUE;
  executor->armed_serial = 0;
  g_mutex_unlock (&executor->lock);

  /* Every instruction of the interpreter pays for the event: off at once. */
  monitor_call ("set_events", "(ii)", executor->monitor_tool, 0);
  if (!raise)
    Py_RETURN_NONE;
  PyErr_SetNone (executor->cancel_exc);
  return NULL;
}

static PyMethodDef monitor_def = {
  "_interp_glib_cancel", monitor_on_instruction, METH_VARARGS, NULL
};

/* From an interrupter, the GIL held: claims a free tool ID (if not yet),
 * and turns the event on for job @serial. FALSE when no tool ID is free:
 * the caller falls back to PyThreadState_SetAsyncExc(). */
static gboolean
monitor_arm (InterpExecutor *executor,
             guint64         serial)
{
  static const int tools[] = { 4, 3, 5, 2, 1, 0 };
  long event = monitor_instruction_event ();

  if (event <= 0 || executor->monitor_callback == NULL)
    return FALSE;
  if (executor->monitor_tool < 0)
    {
      PyObject *monitoring = PySys_GetObject ("monitoring");

      for (guint i = 0; i < G_N_ELEMENTS (tools) && executor->monitor_tool < 0; i++)
        {
          PyObject *owner = monitoring ? PyObject_CallMethod (monitoring, "get_tool", "i", tools[i]) : NULL;

          if (owner == Py_None &&
              monitor_call ("use_tool_id", "(is)", tools[i], "interp-glib cancellation"))
            executor->monitor_tool = tools[i];
          if (owner == NULL)
            PyErr_Clear ();
          Py_XDECREF (owner);
        }
      if (executor->monitor_tool < 0)
        return FALSE;
      if (!monitor_call ("register_callback", "(ilO)", executor->monitor_tool, event,
                         executor->monitor_callback))
        {
          monitor_call ("free_tool_id", "(i)", executor->monitor_tool);
          executor->monitor_tool = -1;
          return FALSE;
        }
    }

  g_mutex_lock (&executor->lock);
  executor->armed_serial = serial;
  g_mutex_unlock (&executor->lock);
  return monitor_call ("set_events", "(il)", executor->monitor_tool, event);
}

/* On the executor thread after a job, the GIL held: gives the tool ID
 * back, so that the job's code and the application find all of them. */
static void
monitor_release (InterpExecutor *executor)
{
  if (executor->monitor_tool < 0)
    return;
  g_mutex_lock (&executor->lock);
  executor->armed_serial = 0;
  g_mutex_unlock (&executor->lock);
  monitor_call ("set_events", "(ii)", executor->monitor_tool, 0);
  monitor_call ("register_callback", "(ilO)", executor->monitor_tool,
                monitor_instruction_event (), Py_None);
  monitor_call ("free_tool_id", "(i)", executor->monitor_tool);
  executor->monitor_tool = -1;
}
#endif

/* With a thread state of the executor's interpreter attached (any of its
 * threads): raises the cancellation in the executor's thread, if the job
 * it came for still runs. FALSE when it must wait: the executor thread
 * runs importlib's code, the caller tries again later. */
static gboolean
deliver (Interrupt *interrupt)
{
  InterpExecutor *executor = interrupt->executor;
  gboolean running;

#if INTERP_MONITOR_INTERRUPT
  {
    guint64 serial = 0;

    g_mutex_lock (&executor->lock);
    if (executor->running_job == interrupt->job && !interrupt->job->cancel_delivered)
      serial = executor->job_serial;
    g_mutex_unlock (&executor->lock);
    if (serial != 0 && monitor_arm (executor, serial))
      return TRUE;
  }
#endif
  /* Checked with the GIL held: the executor clears running_job with the
   * GIL held too, so the exception cannot land in a later job. */
  g_mutex_lock (&executor->lock);
  running = executor->running_job == interrupt->job && !interrupt->job->cancel_delivered;
  g_mutex_unlock (&executor->lock);
  if (!running)
    return TRUE;
  if (thread_in_importlib (executor->tstate))
    return FALSE;
  PyThreadState_SetAsyncExc (executor->thread_ident, executor->cancel_exc);
  return TRUE;
}

static void
interrupt_free (Interrupt *interrupt)
{
  _interp_job_unref (interrupt->job);
  _interp_executor_unref (interrupt->executor);
  g_free (interrupt);
}

#if !INTERP_PY_HAS_OWN_GIL
/* Python 3.11: an interrupter waits for the one GIL, which the running
 * code gives up only when a waiter has waited a switch interval (5 ms by
 * default). While interrupters wait, the interval is shortened; 3.11's is
 * the process's and can be set without the GIL. A value someone set
 * meanwhile is kept. */
#define INTERRUPT_SWITCH_INTERVAL_US 100

static GMutex short_interval_lock;
static guint short_interval_users;
static unsigned long saved_interval;
static gboolean interval_lowered;

static void
short_interval_begin (void)
{
  g_mutex_lock (&short_interval_lock);
  if (short_interval_users++ == 0)
    {
      saved_interval = _PyEval_GetSwitchInterval ();
      interval_lowered = saved_interval > INTERRUPT_SWITCH_INTERVAL_US;
      if (interval_lowered)
        _PyEval_SetSwitchInterval (INTERRUPT_SWITCH_INTERVAL_US);
    }
  g_mutex_unlock (&short_interval_lock);
}

static void
short_interval_end (void)
{
  g_mutex_lock (&short_interval_lock);
  if (--short_interval_users == 0 && interval_lowered &&
      _PyEval_GetSwitchInterval () == INTERRUPT_SWITCH_INTERVAL_US)
    _PyEval_SetSwitchInterval (saved_interval);
  g_mutex_unlock (&short_interval_lock);
}
#endif

#if !INTERP_PY_HAS_OWN_GIL
static int trace_cancel (PyObject *cancel_exc, PyFrameObject *frame, int what, PyObject *arg);

/* The GIL held: puts the job's own trace function (if any) back in place
 * of ours, if ours is still there. */
static void
trace_release (InterpExecutor *executor)
{
  Py_tracefunc func = executor->job_trace;
  PyObject *obj = executor->job_trace_obj;

  executor->job_trace = NULL;
  executor->job_trace_obj = NULL;
  if (executor->tstate != NULL && executor->tstate->c_tracefunc == trace_cancel &&
      _PyEval_SetTrace (executor->tstate, func, obj) < 0)
    PyErr_Clear ();
  Py_XDECREF (obj);
}

/* Python 3.11, the executor thread's trace function while a cancellation
 * waits for importlib's code to end: calls the job's own trace function
 * first, if it had one; raises the cancellation at the first line outside
 * importlib, and gives the job its trace function back. */
static int
trace_cancel (PyObject      *cancel_exc,
              PyFrameObject *frame,
              int            what,
              PyObject      *arg)
{
  InterpExecutor *executor = _interp_executor_get_current ();
  gboolean raise;

  if (executor == NULL)
    return 0;
  if (executor->job_trace != NULL &&
      executor->job_trace (executor->job_trace_obj, frame, what, arg) < 0)
    {
      /* It failed, and a failing Python trace function takes itself off. */
      trace_release (executor);
      return -1;
    }
  if (what != PyTrace_LINE || frame_in_importlib (frame))
    return 0;

  g_mutex_lock (&executor->lock);
  raise = executor->traced_serial != 0 && executor->traced_serial == executor->job_serial &&
          executor->running_job != NULL && !executor->running_job->cancel_delivered;
  executor->traced_serial = 0;
  g_mutex_unlock (&executor->lock);
  trace_release (executor);
  if (!raise)
    return 0;
  PyErr_SetNone (cancel_exc);
  return -1;
}

/* From an interrupter, the GIL held, the executor thread in importlib:
 * puts trace_cancel() in place of the job's trace function for
 * @interrupt's job. FALSE if that failed (an audit hook refused it). */
static gboolean
trace_arm (Interrupt *interrupt)
{
  InterpExecutor *executor = interrupt->executor;
  PyThreadState *tstate = executor->tstate;
  gboolean running;

  g_mutex_lock (&executor->lock);
  running = executor->running_job == interrupt->job && !interrupt->job->cancel_delivered;
  if (running)
    executor->traced_serial = executor->job_serial;
  g_mutex_unlock (&executor->lock);
  if (!running || tstate->c_tracefunc == trace_cancel)
    return TRUE;

  executor->job_trace = tstate->c_tracefunc;
  executor->job_trace_obj = Py_XNewRef (tstate->c_traceobj);
  if (_PyEval_SetTrace (tstate, trace_cancel, executor->cancel_exc) < 0)
    {
      PyErr_Clear ();
      Py_CLEAR (executor->job_trace_obj);
      executor->job_trace = NULL;
      return FALSE;
    }
  return TRUE;
}
#endif

/* A thread of ours that took the interpreter's GIL with @tstate lets go
 * of both and stops counting as an interrupter: teardown waits for none. */
static void
interrupter_leave (InterpExecutor *executor,
                   PyThreadState  *tstate)
{
  PyThreadState_Clear (tstate);
  PyThreadState_DeleteCurrent ();

  g_mutex_lock (&executor->lock);
  executor->interrupters--;
  g_cond_broadcast (&executor->done_cond);
  g_mutex_unlock (&executor->lock);
}

#if INTERP_PENDING_INTERRUPT
/* Queues @interrupt as a pending call, which takes it; FALSE when
 * CPython's queue is full. Counted first: teardown never sees it in
 * neither count. */
static gboolean
queue_pending_interrupt (Interrupt *interrupt)
{
  InterpExecutor *executor = interrupt->executor;

  g_mutex_lock (&executor->lock);
  executor->pending_interrupts++;
  g_mutex_unlock (&executor->lock);
  if (_PyEval_AddPendingCall (executor->interp, pending_interrupt, interrupt, 0) == 0)
    return TRUE;
  g_mutex_lock (&executor->lock);
  executor->pending_interrupts--;
  g_mutex_unlock (&executor->lock);
  return FALSE;
}
#endif

static gpointer
interrupter_thread (gpointer data)
{
  Interrupt *interrupt = data;
  InterpExecutor *executor = interrupt->executor;
  PyThreadState *tstate;

  /* A thread state of our own in the target interpreter: taking its GIL
   * makes the running code drop it at the next eval-breaker check. The
   * interpreter cannot go away meanwhile: teardown waits for interrupters. */
  tstate = PyThreadState_New (executor->interp);
#if !INTERP_PY_HAS_OWN_GIL
  short_interval_begin ();
#endif
  PyEval_RestoreThread (tstate);
  while (!deliver (interrupt))
    {
      /* The executor thread runs importlib: let it go on a while. */
#if !INTERP_PY_HAS_OWN_GIL
      if (trace_arm (interrupt))
        break;
#else
      /* A pending call tries at every eval-breaker check instead. */
      if (queue_pending_interrupt (interrupt))
        {
          interrupt = NULL;
          break;
        }
#endif
      PyEval_SaveThread ();
      g_usleep (INTERRUPT_RETRY_US);
      PyEval_RestoreThread (tstate);
    }
#if !INTERP_PY_HAS_OWN_GIL
  short_interval_end ();
#endif
  interrupter_leave (executor, tstate);
  if (interrupt != NULL)
    interrupt_free (interrupt);
  return NULL;
}

/* Called with executor->lock held: starts an interrupter thread for
 * @interrupt, which it takes. FALSE when there is no thread to be had:
 * @interrupt is freed, and the code is not interrupted. Its wait still
 * ends, and a pool's timeout still abandons it after the grace. */
static gboolean
start_interrupter_locked (Interrupt *interrupt)
{
  InterpExecutor *executor = interrupt->executor;
  GThread *thread = g_thread_try_new ("interp-interrupt", interrupter_thread, interrupt, NULL);

  if (thread == NULL)
    {
      INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT ": no thread to interrupt its code",
                    executor->id);
      /* Neither is the last reference: the executor runs the job. */
      interrupt_free (interrupt);
      return FALSE;
    }
  executor->interrupters++;
  g_thread_unref (thread);
  return TRUE;
}

#if INTERP_PENDING_INTERRUPT

/* The pending call: runs in a thread of the executor's interpreter at its
 * next eval-breaker check, the GIL held. */
static int
pending_interrupt (void *data)
{
  Interrupt *interrupt = data;
  InterpExecutor *executor = interrupt->executor;
  gboolean raise = FALSE;
  gboolean done = TRUE;

#if !INTERP_MONITOR_INTERRUPT
  /* In the executor's thread, raised here: an exception set with
   * PyThreadState_SetAsyncExc() now would wait for the next eval-breaker
   * check (3.14 reads its bits once per check), past the line after a
   * blocking call. */
  if (PyThread_get_thread_ident () == executor->thread_ident)
    {
      g_mutex_lock (&executor->lock);
      raise = executor->running_job == interrupt->job && !interrupt->job->cancel_delivered;
      g_mutex_unlock (&executor->lock);
      done = !raise || !thread_in_importlib (executor->tstate);
      raise = raise && done;
    }
  else
#endif
    done = deliver (interrupt);
  /* Not yet (importlib runs): at the next eval-breaker check again, or
   * from an interrupter when CPython's queue is full. */
  if (!done && _PyEval_AddPendingCall (executor->interp, pending_interrupt, interrupt, 0) == 0)
    return 0;
  g_mutex_lock (&executor->lock);
  executor->pending_interrupts--;
  if (!done)
    start_interrupter_locked (interrupt);  /* takes it */
  g_mutex_unlock (&executor->lock);
  if (done)
    interrupt_free (interrupt);
  if (!raise)
    return 0;
  PyErr_SetNone (executor->cancel_exc);
  return -1;
}
#endif

/* Called with executor->lock held. Returns the job's wait cancellable, if
 * any, for the caller to cancel once the lock is released (its handlers
 * take queue locks). */
GCancellable *
_interp_executor_interrupt_job_locked (InterpExecutor *executor,
                                       InterpJob      *job)
{
  Interrupt *interrupt;

  if (executor->running_job != job || executor->cancel_exc == NULL ||
      executor->state == EXECUTOR_CLOSED)
    return NULL;

  interrupt = g_new0 (Interrupt, 1);
  interrupt->executor = _interp_executor_ref (executor);
  interrupt->job = _interp_job_ref (job);
#if INTERP_PENDING_INTERRUPT
  /* Runs at once where the code runs; an interrupter thread only when
   * CPython's queue of pending calls (32) is full. pending_interrupt()
   * waits for the lock we hold. */
  if (_PyEval_AddPendingCall (executor->interp, pending_interrupt, interrupt, 0) == 0)
    {
      job->interrupted = TRUE;
      executor->pending_interrupts++;
      return job->wait_cancellable ? g_object_ref (job->wait_cancellable) : NULL;
    }
#endif
  if (start_interrupter_locked (interrupt))
    job->interrupted = TRUE;
  return job->wait_cancellable ? g_object_ref (job->wait_cancellable) : NULL;
}

void
_interp_executor_cancel_wait (GCancellable *wait)
{
  if (wait != NULL)
    {
      g_cancellable_cancel (wait);
      g_object_unref (wait);
    }
}

/* Throws away an interruption still pending for the executor's thread,
 * the GIL held and no exception set. PyThreadState_SetAsyncExc (id, NULL)
 * is not the way: on 3.11 and 3.12 it raises the interpreter's "async
 * exception pending" flag too, and only raising an exception lowers it
 * again, so the eval loop would check for pending work at every chance for
 * good (with tracing on, 3.11 spins at the next function entry). Instead,
 * let the eval loop itself take the exception: a code object checks for
 * pending work as it starts, and raising lowers the flag on every version. */
static void
discard_pending_interrupt (void)
{
  PyObject *code = Py_CompileString ("None", "<interp-glib>", Py_eval_input);
  PyObject *globals = code ? PyDict_New () : NULL;

  if (globals != NULL)
    Py_XDECREF (PyEval_EvalCode (code, globals, globals));
  PyErr_Clear ();
  Py_XDECREF (globals);
  Py_XDECREF (code);
}

void
_interp_executor_interrupt (InterpExecutor *executor,
                            const GError   *reason)
{
  GCancellable *wait = NULL;
  guint64 seq = 0;

  g_mutex_lock (&executor->lock);
  if (executor->running_job != NULL && executor->running_job->kind == JOB_NORMAL)
    {
      InterpJob *job = executor->running_job;

      if (job->interrupt_reason == NULL && reason != NULL)
        job->interrupt_reason = g_error_copy (reason);
      wait = _interp_executor_interrupt_job_locked (executor, job);
      seq = job->seq;
    }
  g_mutex_unlock (&executor->lock);
  _interp_executor_cancel_wait (wait);

  if (seq != 0)
    INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT ": interrupting job %" G_GUINT64_FORMAT ": %s",
                  executor->id, seq, reason != NULL ? reason->message : "no reason given");
}

void
_interp_executor_interrupt_data (InterpExecutor *executor,
                                 gpointer        data)
{
  GCancellable *wait = NULL;

  g_mutex_lock (&executor->lock);
  if (executor->running_job != NULL && executor->running_job->kind == JOB_NORMAL &&
      executor->running_job->data == data)
    wait = _interp_executor_interrupt_job_locked (executor, executor->running_job);
  g_mutex_unlock (&executor->lock);
  _interp_executor_cancel_wait (wait);
}

void
_interp_executor_cancel_delivered (void)
{
  InterpExecutor *executor = _interp_executor_get_current ();

  if (executor == NULL)
    return;
  g_mutex_lock (&executor->lock);
  if (executor->running_job != NULL)
    executor->running_job->cancel_delivered = TRUE;
  g_mutex_unlock (&executor->lock);
  /* The GIL is held: an interrupter that came first is undone, and one
   * that comes later sees the flag. */
#if INTERP_MONITOR_INTERRUPT
  if (executor->monitor_tool >= 0)
    monitor_call ("set_events", "(ii)", executor->monitor_tool, 0);
#endif
  discard_pending_interrupt ();
}

GCancellable *
_interp_executor_get_wait_cancellable (void)
{
  InterpExecutor *executor = _interp_executor_get_current ();
  InterpJob *job;
  GCancellable *wait = NULL;
  gboolean cancel = FALSE;

  if (executor == NULL)
    return NULL;

  g_mutex_lock (&executor->lock);
  job = executor->running_job;
  if (job != NULL)
    {
      if (job->wait_cancellable == NULL)
        {
          job->wait_cancellable = g_cancellable_new ();
          cancel = job->interrupted ||
                   (job->cancellable != NULL && g_cancellable_is_cancelled (job->cancellable));
        }
      wait = job->wait_cancellable;
    }
  g_mutex_unlock (&executor->lock);

  if (cancel)
    g_cancellable_cancel (wait);
  /* Owned by the running job, which outlives every wait in its code. */
  return wait;
}

/* ------------------------------------------------------------------ */
/* Taking turns under Python 3.11's shared GIL                         */

#if !INTERP_PY_HAS_OWN_GIL
/* CPython 3.11 asks the GIL holder to let go only through the waiting
 * thread's own interpreter: code running in one interpreter never yields
 * to threads of another (the host's included) until it blocks. Each
 * sub-interpreter gets a ticker thread that, once a job has run for a
 * switch interval, waits for the GIL with a thread state of that
 * interpreter: after a switch interval, that asks the interpreter itself
 * to drop the GIL, so every waiter gets its turn, whichever interpreter
 * holds the GIL.
 *
 * The interval counts the executor thread's CPU time where the system
 * gives it: a job that blocks, or that waits for the CPU on a loaded
 * machine, holds nobody up. A short job so never sees the ticker's thread
 * state, which CPython's own _xxsubinterpreters.is_running() would take
 * for a second thread of the interpreter. */
#define TICKER_INTERVAL_US 5000

/* The executor thread's CPU time, or the time of day without it. */
static gint64
executor_time (InterpExecutor *executor)
{
#if defined(_POSIX_THREAD_CPUTIME) && _POSIX_THREAD_CPUTIME >= 0
  if (executor->has_thread_clock)
    {
      struct timespec ts;

      /* Fails once the thread is gone: the job has ended too. */
      if (clock_gettime (executor->thread_clock, &ts) != 0)
        return 0;
      return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
    }
#endif
  return g_get_monotonic_time ();
}

/* Called and returns with executor->lock held: TRUE once the job numbered
 * @serial has run for TICKER_INTERVAL_US, FALSE if it ended first. */
static gboolean
job_ran_interval (InterpExecutor *executor,
                  guint64         serial)
{
  gint64 start;

  g_mutex_unlock (&executor->lock);
  start = executor_time (executor);
  for (;;)
    {
      gboolean running;

      g_usleep (TICKER_INTERVAL_US);
      g_mutex_lock (&executor->lock);
      running = executor->running_job != NULL && executor->job_serial == serial;
      if (!running || executor_time (executor) - start >= TICKER_INTERVAL_US)
        return running;
      g_mutex_unlock (&executor->lock);
    }
}

static gpointer
ticker_thread (gpointer data)
{
  InterpExecutor *executor = data;

  g_mutex_lock (&executor->lock);
  while (executor->state != EXECUTOR_CLOSED && executor->state != EXECUTOR_FAILED)
    {
      PyThreadState *tstate;

      if (executor->running_job == NULL)
        {
          executor->ticker_sleeping = TRUE;
          g_cond_wait (&executor->ticker_cond, &executor->lock);
          executor->ticker_sleeping = FALSE;
          continue;
        }
      if (!job_ran_interval (executor, executor->job_serial))
        continue;
      /* Counted as an interrupter: teardown waits for us. */
      executor->interrupters++;
      g_mutex_unlock (&executor->lock);

      tstate = PyThreadState_New (executor->interp);
      PyEval_RestoreThread (tstate);
      interrupter_leave (executor, tstate);
      g_mutex_lock (&executor->lock);
    }
  g_mutex_unlock (&executor->lock);
  _interp_executor_unref (executor);
  return NULL;
}

/* Without a thread to spare, the interpreter still works: its code just
 * does not hand the shared GIL over between bytecodes on time. */
void
_interp_executor_start_ticker (InterpExecutor *executor)
{
  GThread *thread;

#if defined(_POSIX_THREAD_CPUTIME) && _POSIX_THREAD_CPUTIME >= 0
  executor->has_thread_clock = pthread_getcpuclockid (pthread_self (), &executor->thread_clock) == 0;
#endif
  thread = g_thread_try_new ("interp-ticker", ticker_thread, _interp_executor_ref (executor), NULL);
  if (thread != NULL)
    g_thread_unref (thread);
  else
    {
      INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT ": no thread for its GIL ticker", executor->id);
      _interp_executor_unref (executor);
    }
}
#endif

/* ------------------------------------------------------------------ */
/* Setting up and tearing down                                         */

gboolean
_interp_executor_interrupt_setup (InterpExecutor  *executor,
                                  GError         **error)
{
  /* BaseException, so that `except Exception:` does not swallow a cancel. */
  executor->cancel_exc = PyErr_NewExceptionWithDoc ("interp_glib.CancelledError",
                                                    "The job was cancelled from outside the interpreter.",
                                                    PyExc_BaseException, NULL);
  if (executor->cancel_exc == NULL)
    {
      PyErr_Clear ();
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                   "Could not set up interpreter %" G_GINT64_FORMAT, executor->id);
      return FALSE;
    }
#if INTERP_MONITOR_INTERRUPT
  {
    PyObject *capsule = PyCapsule_New (executor, NULL, NULL);

    executor->monitor_callback = capsule ? PyCFunction_New (&monitor_def, capsule) : NULL;
    Py_XDECREF (capsule);
    if (executor->monitor_callback == NULL)
      PyErr_Clear ();  /* cancelling falls back to PyThreadState_SetAsyncExc() */
  }
#endif
  return TRUE;
}

void
_interp_executor_interrupt_teardown (InterpExecutor *executor)
{
#if INTERP_PENDING_INTERRUPT
  /* Pending calls queued for this interpreter run before it goes: they
   * hold references. Running code runs them (another thread of the
   * interpreter may be running them now: wait for it, boundedly). */
  for (guint tries = 0; tries < 1000; tries++)
    {
      guint pending;

      g_mutex_lock (&executor->lock);
      pending = executor->pending_interrupts;
      g_mutex_unlock (&executor->lock);
      if (pending == 0)
        break;
      if (tries > 0)
        {
          Py_BEGIN_ALLOW_THREADS
          g_usleep (1000);
          Py_END_ALLOW_THREADS
        }
      discard_pending_interrupt ();
    }
#endif
  Py_CLEAR (executor->cancel_exc);
#if INTERP_MONITOR_INTERRUPT
  monitor_release (executor);
  Py_CLEAR (executor->monitor_callback);
#endif
}

void
_interp_executor_interrupt_job_ended (InterpExecutor *executor,
                                      InterpJob      *job)
{
#if INTERP_MONITOR_INTERRUPT
  monitor_release (executor);
#endif
#if !INTERP_PY_HAS_OWN_GIL
  trace_release (executor);
#endif
  if (job->interrupted)
    discard_pending_interrupt ();
}

PyObject *
_interp_executor_get_cancel_exception (InterpExecutor *executor)
{
  return executor->cancel_exc;
}
