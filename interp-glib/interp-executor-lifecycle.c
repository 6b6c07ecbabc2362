/* interp-executor-lifecycle.c: creating and ending the executor's interpreter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On the executor's thread, its setup job creates a sub-interpreter
 * (Py_NewInterpreterFromConfig) and its close job ends it
 * (Py_EndInterpreter). The main interpreter is the runtime's: through its
 * hooks (InterpExecutorRuntimeHooks) it starts Python or joins the host's,
 * and finalizes it. An interpreter goes away only once no interrupter is
 * attached to it, and, but at the host's exit, once no other thread runs
 * in it.
 */

#include "interp-executor-internal-private.h"
#include "interp-error.h"

static gboolean
setup_common (InterpExecutor  *executor,
              GError         **error)
{
  executor->thread_ident = PyThread_get_thread_ident ();
  executor->interp = PyThreadState_GetInterpreter (PyThreadState_Get ());
  executor->id = PyInterpreterState_GetID (executor->interp);

  if (!_interp_executor_interrupt_setup (executor, error))
    return FALSE;

  /* Built when first imported: creating an interpreter stays cheap, and
   * in hosted mode its imports (threading) happen on the host's thread. */
  return _interp_executor_run_started_hooks (executor, error);
}

static gboolean
setup_main (InterpExecutor  *executor,
            GError         **error)
{
  const InterpExecutorRuntimeHooks *runtime = _interp_executor_get_runtime_hooks ();
  gboolean ok;

  if (runtime == NULL)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                           "Nothing starts Python: the runtime registered no hooks");
      return FALSE;
    }
  if (!runtime->main_setup (executor->embedded, error))
    return FALSE;

  ok = setup_common (executor, error);
  executor->tstate = PyEval_SaveThread ();
  return ok;
}

/* Ends the executor's sub-interpreter, its thread state current; returns
 * with no thread state and the GIL released. On 3.11 Py_EndInterpreter()
 * leaves the shared GIL held, and only a thread state can release it: a
 * throw-away one of the main interpreter, made once the sub-interpreter is
 * gone. It needs neither the GIL nor a current thread state to be made,
 * and made earlier it would stand in the main interpreter's list of
 * threads while the sub-interpreter's atexit and thread shutdown run. */
static void
end_sub_interpreter (InterpExecutor *executor)
{
  Py_EndInterpreter (executor->tstate);
#if !INTERP_PY_HAS_OWN_GIL
  {
    PyThreadState *tmp = PyThreadState_New (PyInterpreterState_Main ());

    PyThreadState_Swap (tmp);
    PyThreadState_Clear (tmp);
    PyThreadState_DeleteCurrent ();
  }
#endif
  executor->tstate = NULL;
}

/* One try at a new interpreter: returns its thread state, current, or
 * NULL (the caller makes its own thread state current again). */
static PyThreadState *
new_sub_interpreter (InterpExecutor  *executor,
                     GError         **error)
{
  PyThreadState *tstate = NULL;

#if INTERP_PY_HAS_OWN_GIL
  PyInterpreterConfig config = {
    .use_main_obmalloc = executor->config.use_main_obmalloc,
    .allow_fork = executor->config.allow_fork,
    .allow_exec = executor->config.allow_exec,
    .allow_threads = executor->config.allow_threads,
    .allow_daemon_threads = executor->config.allow_daemon_threads,
    .check_multi_interp_extensions = executor->config.check_multi_interp_extensions,
    .gil = executor->config.gil == INTERP_GIL_SHARED ? PyInterpreterConfig_SHARED_GIL
                                                     : PyInterpreterConfig_OWN_GIL,
  };
  PyStatus status = Py_NewInterpreterFromConfig (&tstate, &config);

  if (PyStatus_Exception (status) || tstate == NULL)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                   "Could not create an interpreter: %s",
                   status.err_msg ? status.err_msg : "unknown error");
      return NULL;
    }
#else
  tstate = Py_NewInterpreter ();
  if (tstate == NULL)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_FAILED,
                           "Could not create an interpreter");
      return NULL;
    }
#endif
  return tstate;
}

/* Tries at creating an interpreter before its failure is reported. While
 * another thread creates or ends an interpreter, CPython (3.12 to 3.14 at
 * least) now and then fails a creation ("Failed to import encodings
 * module"; python/cpython#128381, #131485): a failed creation cleans up
 * after itself, and the next try works. */
#define CREATE_TRIES 3

static gboolean
setup_sub (InterpExecutor  *executor,
           GError         **error)
{
  PyThreadState *main_tstate;
  PyThreadState *tstate = NULL;
  gboolean ok;

  /* Creating an interpreter needs a current thread state: a temporary one
   * in the main interpreter, dropped once the new interpreter stands. */
  main_tstate = PyThreadState_New (PyInterpreterState_Main ());
  PyEval_RestoreThread (main_tstate);

  for (guint try = 1;; try++)
    {
      g_autoptr(GError) local_error = NULL;

      tstate = new_sub_interpreter (executor, &local_error);
      if (tstate != NULL)
        break;
      PyThreadState_Swap (main_tstate);
      PyErr_Clear ();
      if (try == CREATE_TRIES)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          PyThreadState_Clear (main_tstate);
          PyThreadState_DeleteCurrent ();
          return FALSE;
        }
      INTERP_DEBUG ("Creating an interpreter failed (%s), trying again", local_error->message);
      /* The GIL released, to let the creation or end that raced finish. */
      Py_BEGIN_ALLOW_THREADS
      g_usleep (1000);
      Py_END_ALLOW_THREADS
    }

  ok = setup_common (executor, error);
  executor->tstate = PyEval_SaveThread ();

  PyEval_RestoreThread (main_tstate);
  PyThreadState_Clear (main_tstate);
  PyThreadState_DeleteCurrent ();

  if (!ok)
    {
      PyEval_RestoreThread (executor->tstate);
      end_sub_interpreter (executor);
    }
  return ok;
}

gboolean
_interp_executor_setup (InterpExecutor  *executor,
                        GError         **error)
{
  return executor->is_main ? setup_main (executor, error) : setup_sub (executor, error);
}

#define THREADS_GRACE_US (250 * 1000)

/* With the interpreter attached: waits up to THREADS_GRACE_US (the GIL
 * released meanwhile) for the thread states other than the executor's
 * to go, and returns how many are left. A daemon thread whose function
 * just returned still has its thread state for a moment. */
guint
_interp_executor_wait_other_threads (InterpExecutor *executor)
{
  for (gint64 until = g_get_monotonic_time () + THREADS_GRACE_US;;)
    {
      guint others = 0;

      for (PyThreadState *t = PyInterpreterState_ThreadHead (executor->interp);
           t != NULL; t = PyThreadState_Next (t))
        if (t != executor->tstate)
          others++;
      if (others == 0 || g_get_monotonic_time () >= until)
        return others;
      Py_BEGIN_ALLOW_THREADS
      g_usleep (2000);
      Py_END_ALLOW_THREADS
    }
}

/* With the interpreter attached. The executor's thread is no
 * threading.Thread: code that asks threading.current_thread() there (as
 * logging does) makes a _DummyThread, which Python 3.12 and later remove
 * through a thread-local object when the thread state goes. The executor's
 * thread state goes after the interpreter's modules, so that removal would
 * find the threading module torn down and print "Exception ignored".
 * CPython's own interpreters run on a thread state per call, gone while
 * the modules live; here the object is dropped now, while they do. */
static void
drop_dummy_thread (PyObject *threading)
{
  PyObject *local = PyObject_GetAttrString (threading, "_thread_local_info");

  if (local != NULL && PyObject_HasAttrString (local, "_track_dummy_thread_ref") &&
      PyObject_DelAttrString (local, "_track_dummy_thread_ref") < 0)
    PyErr_WriteUnraisable (local);
  PyErr_Clear ();
  Py_XDECREF (local);
}

/* With the interpreter attached: lets its non-daemon threads finish, as
 * Py_EndInterpreter() would, then counts the thread states left, which
 * fails the close; except at the host's exit (the runtime's
 * end_threads_at_exit hook), where *@left says whether the interpreter is
 * to be left to CPython. */
static gboolean
wait_for_threads (InterpExecutor  *executor,
                  gboolean        *left,
                  GError         **error)
{
  const InterpExecutorRuntimeHooks *runtime = _interp_executor_get_runtime_hooks ();
  PyObject *modules = PyImport_GetModuleDict ();
  PyObject *threading = modules ? PyDict_GetItemString (modules, "threading") : NULL;
  guint others;

  *left = FALSE;
  if (threading != NULL)
    {
      PyObject *res = PyObject_CallMethod (threading, "_shutdown", NULL);
      if (res == NULL)
        PyErr_Clear ();
      Py_XDECREF (res);
      drop_dummy_thread (threading);
    }

  if (runtime != NULL && runtime->end_threads_at_exit (executor, left))
    return TRUE;
  others = _interp_executor_wait_other_threads (executor);
  if (others == 0)
    return TRUE;
  g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING,
               "Interpreter %" G_GINT64_FORMAT " still has %u running thread%s",
               executor->id, others, others == 1 ? "" : "s");
  return FALSE;
}

gboolean
_interp_executor_teardown (InterpExecutor  *executor,
                           GError         **error)
{
  gboolean left = FALSE;

  /* No interrupter may be attached when the interpreter goes away. */
  g_mutex_lock (&executor->lock);
  while (executor->interrupters > 0)
    g_cond_wait (&executor->done_cond, &executor->lock);
  g_mutex_unlock (&executor->lock);

  PyEval_RestoreThread (executor->tstate);

  if (!executor->is_main && !wait_for_threads (executor, &left, error))
    {
      executor->tstate = PyEval_SaveThread ();
      return FALSE;
    }

  _interp_executor_interrupt_teardown (executor);

  if (executor->is_main)
    _interp_executor_get_runtime_hooks ()->main_teardown (executor->embedded);
  else if (left)
    {
      /* CPython ends it as it finalizes; the executor's thread state goes,
       * releasing the GIL. */
      PyThreadState_Clear (executor->tstate);
      PyThreadState_DeleteCurrent ();
    }
  else
    end_sub_interpreter (executor);
  executor->tstate = NULL;
  return TRUE;
}
