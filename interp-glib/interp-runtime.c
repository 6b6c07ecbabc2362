/* interp-runtime.c: the process's relationship with Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-runtime-private.h"
#include "interp-error.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/**
 * SECTION:interp-runtime
 * @Title: Runtime
 * @Short_description: starting and stopping Python
 *
 * interp-glib starts Python the first time it needs it (creating an
 * interpreter, interp_get_main(), interp_init()). Two cases:
 *
 * - *Embedded*: Python is not running yet (a C or GJS application). The
 *   library initializes it on a thread of its own, the main interpreter's
 *   executor thread, without installing signal handlers (the application
 *   keeps its own; Python code in the main interpreter can still replace
 *   them with `signal.signal()`), and finalizes it only in interp_shutdown().
 * - *Hosted*: Python is already running (a PyGObject application). The
 *   library never initializes or finalizes it; it takes the GIL on its own
 *   threads, and closes its interpreters from an `atexit` hook when the
 *   host's Python exits.
 *
 * Either way the running Python must have the major.minor version the
 * library was built against (%INTERP_PYTHON_VERSION_S); any other fails with
 * %INTERP_ERROR_RUNTIME instead of mixing two Pythons in one process. So does
 * a free-threaded build of the same version (3.13t, 3.14t: objects there have
 * another layout): the library needs the default build, with the GIL, and
 * its build refuses a free-threaded one too.
 *
 * The first use decides between the two cases by asking whether Python is
 * initialized. Since Python 3.15 that is false until `site` has been
 * imported: a first use from `sitecustomize` or a `.pth` file fails with
 * %INTERP_ERROR_RUNTIME ("Python is still starting up") and changes
 * nothing, and the next use after startup starts hosted mode (the "Limits"
 * page of the manual says more).
 *
 * With Python 3.11 every interpreter shares one GIL, and CPython 3.11 does
 * not hand that GIL from an interpreter running CPU-bound code to a thread
 * of another interpreter until the code blocks or ends: a long computation
 * in one interpreter then holds up the others, and in hosted mode the
 * application's own Python code too. Python 3.12 and later, where each
 * interpreter has its own GIL, do not have this limit (see
 * interp_supports_own_gil()).
 *
 * Isolation between interpreters is not a security sandbox: all of them
 * share one process, and extension modules can break the isolation.
 */

typedef enum
{
  RUNTIME_UNINIT,
  RUNTIME_READY,
  RUNTIME_SHUTTING_DOWN,
  RUNTIME_SHUT_DOWN,
  RUNTIME_FAILED,
} RuntimeState;

static GMutex runtime_lock;
static RuntimeState runtime_state;
static GError *runtime_error;
static gboolean runtime_embedded;
static InterpExecutor *main_executor;
static GSList *shutdown_notifies;      /* InterpRuntimeShutdownNotify */

#ifdef Py_GIL_DISABLED
# error "interp-glib needs a Python build with the GIL, not a free-threaded one"
#endif

static gboolean
check_python_version (GError **error)
{
  const char *running = Py_GetVersion ();
  int major = 0, minor = 0;

  if (sscanf (running, "%d.%d", &major, &minor) != 2 ||
      major != PY_MAJOR_VERSION || minor != PY_MINOR_VERSION)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                   "interp-glib was built for Python %d.%d but the running Python is %.*s",
                   PY_MAJOR_VERSION, PY_MINOR_VERSION,
                   (int) strcspn (running, " "), running);
      return FALSE;
    }
  /* A free-threaded host of the same major.minor (its version string says
   * so, "[experimental ]free-threading build"): its objects have another
   * layout, so nothing else of it may be touched. */
  if (strstr (running, "free-threading build") != NULL)
    {
      g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                   "interp-glib needs Python %d.%d with the GIL, but the running Python %.*s "
                   "is a free-threaded build",
                   PY_MAJOR_VERSION, PY_MINOR_VERSION,
                   (int) strcspn (running, " "), running);
      return FALSE;
    }
  return TRUE;
}

/* Python 3.15+ reports itself initialized only once `site` is imported:
 * in between, the main interpreter exists but Py_IsInitialized() is false.
 * Initializing it again from here would fail (or worse). */
static gboolean
python_is_starting_up (void)
{
  return !Py_IsInitialized () && PyInterpreterState_Main () != NULL;
}

static gboolean shutdown_runtime (gboolean at_exit, GError **error);

static PyObject *
atexit_shutdown (PyObject *module,
                 PyObject *unused)
{
  GError *error = NULL;

  Py_BEGIN_ALLOW_THREADS
  shutdown_runtime (TRUE, &error);
  Py_END_ALLOW_THREADS

  if (error != NULL)
    {
      g_warning ("Shutting down at Python exit: %s", error->message);
      g_error_free (error);
    }
  Py_RETURN_NONE;
}

static PyMethodDef atexit_def = {
  "_interp_glib_shutdown", atexit_shutdown, METH_NOARGS,
  "Closes the interpreters interp-glib made before the host's Python exits.",
};

/* Hosted mode: the host's Python will finalize; close our interpreters first. */
static gboolean
register_atexit_job (InterpExecutor  *executor,
                     gpointer         data,
                     GVariant       **result,
                     GError         **error)
{
  PyObject *func = PyCFunction_New (&atexit_def, NULL);
  /* The interp_glib host module imported atexit first: found in
   * sys.modules, it takes no import lock, which the host thread waiting
   * for this job may hold (an import hook that imports interp_glib). */
  PyObject *atexit = func ? PyImport_ImportModule ("atexit") : NULL;
  PyObject *res = atexit ? PyObject_CallMethod (atexit, "register", "O", func) : NULL;
  gboolean ok = res != NULL;

  if (!ok)
    {
      PyErr_Clear ();
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                           "Could not register the atexit hook in the host's Python");
    }
  Py_XDECREF (res);
  Py_XDECREF (atexit);
  Py_XDECREF (func);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Python itself, on the executor's threads                            */

/* The main executor's thread holds the GIL state of a hosted Python. */
static PyGILState_STATE host_gilstate;

/* Importing `signal` in the main interpreter installs Python's SIGINT
 * handler whatever install_signal_handlers says. Import it now, once, and
 * put the host's handler back, so that a later import (asyncio and
 * subprocess import it) leaves the host's Ctrl-C alone. */
static void
keep_host_sigint (void)
{
  struct sigaction saved;
  PyObject *module;

  sigaction (SIGINT, NULL, &saved);
  module = PyImport_ImportModule ("signal");
  if (module == NULL)
    PyErr_Clear ();
  Py_XDECREF (module);
  sigaction (SIGINT, &saved, NULL);
}

/* What Python's own startup would have done without -S: site.main(),
 * in the main interpreter. */
static gboolean
run_site (GError **error)
{
  PyObject *site = PyImport_ImportModule ("site");
  PyObject *res = site ? PyObject_CallMethod (site, "main", NULL) : NULL;

  Py_XDECREF (site);
  if (res == NULL)
    {
      g_autofree char *why = _interp_python_take_error_text ();

      g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                   "Could not initialize Python %s: site: %s", PY_VERSION,
                   why ? why : "unknown error");
      return FALSE;
    }
  Py_DECREF (res);
  return TRUE;
}

/* The main executor sets up: Python starts here in embedded mode. */
static gboolean
main_setup (gboolean   embedded,
            GError   **error)
{
  if (embedded)
    {
      PyConfig config;
      PyStatus status;

      /* The host keeps its signals: Python installs no handlers. `site`
       * runs once, here, rather than in every interpreter: new ones copy
       * this configuration, so they skip it and take this interpreter's
       * sys.path instead (interp-module-install.c). */
      PyConfig_InitPythonConfig (&config);
      config.install_signal_handlers = 0;
      config.parse_argv = 0;
      config.site_import = 0;
      status = Py_InitializeFromConfig (&config);
      PyConfig_Clear (&config);
      if (!PyStatus_Exception (status))
        {
          keep_host_sigint ();
          if (!run_site (error))
            {
              /* As a failing site at startup: Python does not stay up. */
              Py_FinalizeEx ();
              return FALSE;
            }
        }
      if (PyStatus_Exception (status))
        {
          g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                       "Could not initialize Python %s: %s%s%s", PY_VERSION,
                       status.func ? status.func : "",
                       status.func ? ": " : "",
                       status.err_msg ? status.err_msg : "unknown error");
          return FALSE;
        }
    }
  else
    {
      /* Hosted: the application's Python; PyGObject released the GIL. */
      host_gilstate = PyGILState_Ensure ();
    }
  return TRUE;
}

/* The main executor closes: Python ends here in embedded mode. */
static void
main_teardown (gboolean embedded)
{
  if (embedded)
    {
      if (Py_FinalizeEx () < 0)
        g_debug ("Python reported errors while finalizing");
    }
  else
    PyGILState_Release (host_gilstate);
}

/* What becomes of the threads left in an interpreter (daemon threads)
 * when the host's Python exits. Before 3.14, Py_EndInterpreter() aborts
 * the process when the interpreter has another thread ("not the last
 * thread"), and a thread that takes the GIL once its thread state or its
 * interpreter is gone uses freed memory, unless the runtime is finalizing
 * already (it exits then). So, before 3.14, the threads still running
 * Python code first get SystemExit, which ends a thread silently; for the
 * threads left, blocked in C:
 * - 3.11 and 3.12 abort when they finalize with a sub-interpreter left
 *   ("remaining subinterpreters"): the library deletes their thread
 *   states and ends the interpreter;
 * - 3.13 ends the sub-interpreters left once it is finalizing, but only
 *   those with a single thread state: the library leaves the interpreter
 *   to it, with an atexit hook in it that deletes the other thread states
 *   then (the hook runs in Py_EndInterpreter(), before the check).
 * From 3.14, CPython ends the sub-interpreters left once it finalizes,
 * whatever their threads: the library leaves the interpreter to it. (Its
 * Py_EndInterpreter() deletes the other thread states itself; called from
 * here, before the runtime finalizes, a thread that woke up every
 * millisecond crashed the process about one exit in two.) */
#define EXIT_THREADS_DROP 0
#define EXIT_THREADS_LEAVE 1
#define EXIT_THREADS_PYTHON 2
#if PY_VERSION_HEX >= 0x030E0000
# define EXIT_THREADS EXIT_THREADS_PYTHON
#elif PY_VERSION_HEX >= 0x030D0000
# define EXIT_THREADS EXIT_THREADS_LEAVE
#else
# define EXIT_THREADS EXIT_THREADS_DROP
#endif

/* Set when the host's Python exits: closing destroys an interpreter with
 * threads left then (see EXIT_THREADS) rather than fail. */
static gint ending_at_exit;

/* With the interpreter attached: raises SystemExit in its other
 * `threading` threads. */
static void
stop_threads (void)
{
  PyObject *modules = PyImport_GetModuleDict ();
  PyObject *threading = modules ? PyDict_GetItemString (modules, "threading") : NULL;
  PyObject *all = threading ? PyObject_CallMethod (threading, "enumerate", NULL) : NULL;
  unsigned long self = PyThread_get_thread_ident ();

  for (Py_ssize_t i = 0; all != NULL && PyList_Check (all) && i < PyList_GET_SIZE (all); i++)
    {
      PyObject *ident = PyObject_GetAttrString (PyList_GET_ITEM (all, i), "ident");
      unsigned long id = ident != NULL && PyLong_Check (ident) ? PyLong_AsUnsignedLong (ident) : 0;

      if (id != 0 && id != self && !PyErr_Occurred ())
        PyThreadState_SetAsyncExc (id, PyExc_SystemExit);
      PyErr_Clear ();
      Py_XDECREF (ident);
    }
  PyErr_Clear ();
  Py_XDECREF (all);
}

#if EXIT_THREADS != EXIT_THREADS_PYTHON

/* Deletes the thread states of @interp but the current one, as CPython's
 * own finalization does with daemon threads. From the head each time:
 * clearing one runs destructors, which may let another thread go. */
static void
drop_other_thread_states (PyInterpreterState *interp)
{
  PyThreadState *current = PyThreadState_Get ();

  for (;;)
    {
      PyThreadState *t = PyInterpreterState_ThreadHead (interp);

      while (t != NULL && t == current)
        t = PyThreadState_Next (t);
      if (t == NULL)
        break;
      PyThreadState_Clear (t);
      PyThreadState_Delete (t);
    }
}
#endif

#if EXIT_THREADS == EXIT_THREADS_LEAVE
/* The atexit hook of an interpreter left to CPython: it runs in
 * Py_EndInterpreter() right before the check for other threads. */
static PyObject *
drop_threads_hook (PyObject *module,
                   PyObject *unused)
{
  /* Not if CPython ends it before it finalizes (as 3.14 does), when a
   * thread could still use its thread state: it deletes them itself. */
  if (Py_IsFinalizing ())
    drop_other_thread_states (PyThreadState_GetInterpreter (PyThreadState_Get ()));
  Py_RETURN_NONE;
}

static PyMethodDef drop_threads_def = {
  "_interp_glib_drop_threads", drop_threads_hook, METH_NOARGS, NULL,
};

/* With the interpreter attached: registers drop_threads_hook. */
static gboolean
leave_to_python (void)
{
  PyObject *func = PyCFunction_New (&drop_threads_def, NULL);
  PyObject *atexit = func ? PyImport_ImportModule ("atexit") : NULL;
  PyObject *res = atexit ? PyObject_CallMethod (atexit, "register", "O", func) : NULL;
  gboolean ok = res != NULL;

  PyErr_Clear ();
  Py_XDECREF (res);
  Py_XDECREF (atexit);
  Py_XDECREF (func);
  return ok;
}
#endif

/* A sub-interpreter closes, attached, its non-daemon threads done: at the
 * host's exit, its other threads go with it (see EXIT_THREADS). */
static gboolean
end_threads_at_exit (InterpExecutor *executor,
                     gboolean       *left)
{
  guint others;

  if (!g_atomic_int_get (&ending_at_exit))
    return FALSE;
  /* Every version: a thread still running Python code that wakes up as
   * the interpreter goes crashed 3.13 (1 exit in 10) and, under load,
   * 3.14 too. */
  stop_threads ();
  others = _interp_executor_wait_other_threads (executor);
  if (others == 0)
    return TRUE;

  INTERP_DEBUG ("Interpreter %" G_GINT64_FORMAT " ends at exit with %u thread%s left",
                _interp_executor_get_id (executor), others, others == 1 ? "" : "s");
#if EXIT_THREADS == EXIT_THREADS_LEAVE
  *left = leave_to_python ();
#elif EXIT_THREADS == EXIT_THREADS_PYTHON
  *left = TRUE;
#endif
#if EXIT_THREADS != EXIT_THREADS_PYTHON
  if (!*left)
    drop_other_thread_states (PyThreadState_GetInterpreter (PyThreadState_Get ()));
#endif
  return TRUE;
}

static const InterpExecutorRuntimeHooks executor_hooks = {
  .main_setup = main_setup,
  .main_teardown = main_teardown,
  .end_threads_at_exit = end_threads_at_exit,
};

/* ------------------------------------------------------------------ */
/* Starting and shutting down                                          */

gboolean
_interp_runtime_ensure (GError **error)
{
  gboolean ok = FALSE;

  g_mutex_lock (&runtime_lock);
  switch (runtime_state)
    {
    case RUNTIME_READY:
      ok = TRUE;
      break;

    case RUNTIME_SHUTTING_DOWN:
    case RUNTIME_SHUT_DOWN:
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                           "interp-glib was shut down");
      break;

    case RUNTIME_FAILED:
      g_propagate_error (error, g_error_copy (runtime_error));
      break;

    case RUNTIME_UNINIT:
    default:
      {
        GError *local_error = NULL;

        if (check_python_version (&local_error) && python_is_starting_up ())
          {
            /* Not a failure of the runtime: it can start once Python has. */
            g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_RUNTIME,
                                 "Python is still starting up in this process (code run "
                                 "while site is imported): use interp-glib once startup "
                                 "has finished");
            break;
          }
        if (local_error == NULL)
          {
            runtime_embedded = !Py_IsInitialized ();
            _interp_executor_set_runtime_hooks (&executor_hooks);
            main_executor = _interp_executor_new_main (runtime_embedded);
            if (_interp_executor_start (main_executor, NULL, &local_error) &&
                (runtime_embedded ||
                 _interp_executor_run (main_executor, register_atexit_job, NULL, NULL,
                                       NULL, NULL, &local_error)))
              {
                _interp_executor_set_registry_open (TRUE);
                runtime_state = RUNTIME_READY;
                ok = TRUE;
              }
            else
              g_clear_pointer (&main_executor, _interp_executor_unref);
          }

        if (!ok)
          {
            runtime_state = RUNTIME_FAILED;
            runtime_error = g_error_copy (local_error);
            g_propagate_error (error, local_error);
          }
      }
      break;
    }
  g_mutex_unlock (&runtime_lock);

  return ok;
}

InterpExecutor *
_interp_runtime_dup_main_executor (void)
{
  InterpExecutor *executor = NULL;

  g_mutex_lock (&runtime_lock);
  if (runtime_state == RUNTIME_READY && main_executor != NULL)
    executor = _interp_executor_ref (main_executor);
  g_mutex_unlock (&runtime_lock);
  return executor;
}

void
_interp_runtime_add_shutdown_notify (InterpRuntimeShutdownNotify notify)
{
  g_mutex_lock (&runtime_lock);
  if (g_slist_find (shutdown_notifies, notify) == NULL)
    shutdown_notifies = g_slist_append (shutdown_notifies, notify);
  g_mutex_unlock (&runtime_lock);
}

/**
 * interp_init:
 * @error: return location for a #GError
 *
 * Starts Python (embedded mode) or joins the host's (hosted mode) now
 * rather than at first use. Calling it is optional and it may be called
 * any number of times.
 *
 * Returns: %TRUE when Python is ready, %FALSE with @error set (for instance
 *   %INTERP_ERROR_RUNTIME when the running Python is not the one the
 *   library was built for, or after interp_shutdown())
 */
gboolean
interp_init (GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return _interp_runtime_ensure (error);
}

/**
 * interp_shutdown:
 * @error: return location for a #GError
 *
 * Closes every interpreter the library made and, in embedded mode,
 * finalizes Python. Code still running in an interpreter is interrupted
 * (see interp_interpreter_exec()); queued calls fail with
 * %INTERP_ERROR_NOT_FOUND and running ones with %INTERP_ERROR_RUNTIME,
 * every `_async` call completing once as always. Afterwards the closed
 * interpreters fail calls with %INTERP_ERROR_NOT_FOUND, and creating an
 * interpreter or interp_init() fails with %INTERP_ERROR_RUNTIME: Python
 * cannot be started twice in one process.
 *
 * Calling it is optional: an application may as well exit without it. In
 * hosted mode it runs by itself when the host's Python exits.
 *
 * An interpreter whose call an #InterpPool abandoned (blocked in C past
 * its grace period) gets two seconds to return; if it does not, the
 * shutdown fails with %INTERP_ERROR_RUNNING rather than wait for ever, and
 * Python is not finalized. When a hosted Python exits, the shutdown waits
 * for such an interpreter instead, after a warning: CPython aborts if it
 * finalizes with sub-interpreters left. For the same reason it destroys an
 * interpreter whose threads still run then, rather than fail.
 *
 * Returns: %TRUE on success, %FALSE with @error set when called from code
 *   running in an interpreter (%INTERP_ERROR_RUNNING) or when an
 *   interpreter cannot be closed because threads it started still run, or
 *   its code is blocked in a call an #InterpPool abandoned
 */
/* How long interp_shutdown() waits for code a pool abandoned. */
#define ABANDONED_WAIT_US (2 * G_USEC_PER_SEC)

gboolean
interp_shutdown (GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return shutdown_runtime (FALSE, error);
}

/* A shutdown that could not close everything leaves the runtime as it was. */
static void
shutdown_failed (void)
{
  g_mutex_lock (&runtime_lock);
  runtime_state = RUNTIME_READY;
  g_mutex_unlock (&runtime_lock);
  _interp_executor_set_registry_open (TRUE);
}

/* At a hosted Python's exit (@at_exit) every interpreter has to go, or
 * CPython aborts as it finalizes: 3.11 and 3.12 with any sub-interpreter
 * left, 3.13 with one that has threads left. So abandoned code is waited
 * for, and an interpreter whose threads (daemon threads) still run is
 * destroyed all the same (see EXIT_THREADS). */
static gboolean
shutdown_runtime (gboolean   at_exit,
                  GError   **error)
{
  g_autoptr(GError) reason = NULL;
  GPtrArray *pending;
  GSList *notifies;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (_interp_executor_get_current () != NULL)
    {
      g_set_error_literal (error, INTERP_ERROR, INTERP_ERROR_RUNNING,
                           "interp-glib cannot be shut down from code running in an interpreter");
      return FALSE;
    }

  g_mutex_lock (&runtime_lock);
  if (runtime_state != RUNTIME_READY)
    {
      g_mutex_unlock (&runtime_lock);
      return TRUE;
    }
  runtime_state = RUNTIME_SHUTTING_DOWN;
  g_mutex_unlock (&runtime_lock);
  if (at_exit)
    g_atomic_int_set (&ending_at_exit, 1);
  /* No interpreter starts from now on; those that did are all listed. */
  _interp_executor_set_registry_open (FALSE);
  pending = _interp_executor_list_live ();

  reason = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_RUNTIME,
                                "interp-glib was shut down while the job ran");

  /* Refuse new work and fail the queued jobs everywhere first, then stop
   * what runs: so no queued job can start in between. */
  for (guint i = 0; i < pending->len; i++)
    _interp_executor_close_async (g_ptr_array_index (pending, i), NULL);
  for (guint i = 0; i < pending->len; i++)
    _interp_executor_interrupt (g_ptr_array_index (pending, i), reason);
  for (guint i = 0; i < pending->len; i++)
    {
      InterpExecutor *executor = g_ptr_array_index (pending, i);

      /* A pool gave up on its code, blocked in C: waiting for it could take
       * forever, and Python cannot be finalized under it. */
      if (_interp_executor_is_abandoned (executor) &&
          !_interp_executor_wait_idle (executor, ABANDONED_WAIT_US))
        {
          if (!at_exit)
            {
              g_set_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING,
                           "Interpreter %" G_GINT64_FORMAT " is still blocked in a call that its "
                           "pool abandoned, and cannot be closed", _interp_executor_get_id (executor));
              goto failed;
            }
          g_warning ("Python exits once interpreter %" G_GINT64_FORMAT " returns from a call "
                     "that its pool abandoned, blocked in C", _interp_executor_get_id (executor));
        }
      if (!_interp_executor_close (executor, error))
        goto failed;
    }
  g_ptr_array_unref (pending);

  /* Closed executors leave the registry as their threads end. */
  _interp_executor_wait_no_live ();

  _interp_executor_interrupt (main_executor, reason);
  if (!_interp_executor_close (main_executor, error))
    return FALSE;
  _interp_executor_join (main_executor);

  g_mutex_lock (&runtime_lock);
  runtime_state = RUNTIME_SHUT_DOWN;
  g_clear_pointer (&main_executor, _interp_executor_unref);
  notifies = g_steal_pointer (&shutdown_notifies);
  g_mutex_unlock (&runtime_lock);

  /* The layers above let go of what they keep for the process's life. */
  for (GSList *l = notifies; l != NULL; l = l->next)
    ((InterpRuntimeShutdownNotify) l->data) ();
  g_slist_free (notifies);

  return TRUE;

failed:
  g_ptr_array_unref (pending);
  shutdown_failed ();
  return FALSE;
}

/**
 * interp_is_embedded:
 *
 * Whether interp-glib started Python itself (embedded mode) rather than
 * joining an application's running Python (hosted mode, e.g. PyGObject).
 *
 * Returns: %TRUE in embedded mode once Python is running, %FALSE in
 *   hosted mode or before Python started
 */
gboolean
interp_is_embedded (void)
{
  gboolean embedded;

  g_mutex_lock (&runtime_lock);
  embedded = runtime_state == RUNTIME_READY && runtime_embedded;
  g_mutex_unlock (&runtime_lock);
  return embedded;
}

/**
 * interp_supports_own_gil:
 *
 * Whether interpreters can have their own GIL here and so run Python code
 * truly in parallel: %TRUE with Python 3.12 and later. With Python 3.11
 * all interpreters share one GIL; they are isolated but take turns.
 *
 * Returns: %TRUE if %INTERP_GIL_OWN is available
 */
gboolean
interp_supports_own_gil (void)
{
  return INTERP_PY_HAS_OWN_GIL;
}

/**
 * interp_get_python_version:
 *
 * The version of the Python in this process, as `sys.version` gives it,
 * e.g. "3.13.0 (main, ...) [GCC 12.2.0]".
 *
 * Returns: the version string
 */
const char *
interp_get_python_version (void)
{
  return Py_GetVersion ();
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/**
 * interp_list_lingering:
 * @n_ids: (out): return location for the number of IDs
 *
 * The IDs of the interpreters that were released (their last
 * #InterpInterpreter reference dropped) while threads their Python code
 * started still ran, typically daemon threads. Such an interpreter cannot
 * be destroyed then; it stays alive, with its threads, until
 * interp_shutdown(), and interp_list_all() no longer lists it. A warning
 * is logged when that happens. Close an interpreter, and check the error,
 * to learn about its threads while it is still yours.
 *
 * Returns: (array length=n_ids) (transfer full) (nullable): the IDs, in
 *   increasing order; %NULL when there are none
 */
gint64 *
interp_list_lingering (gsize *n_ids)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) live = NULL;

  g_return_val_if_fail (n_ids != NULL, NULL);

  live = _interp_executor_list_live ();
  for (guint i = 0; i < live->len; i++)
    {
      InterpExecutor *executor = g_ptr_array_index (live, i);
      /* Dropped at once, outside any lock: a last reference closes it. */
      g_autoptr(GObject) owner = _interp_executor_dup_owner (executor);

      if (owner == NULL && !_interp_executor_is_closed (executor))
        {
          gint64 id = _interp_executor_get_id (executor);

          if (id >= 0)
            g_array_append_val (ids, id);
        }
    }

  g_array_sort (ids, compare_ids);
  *n_ids = ids->len;
  if (ids->len == 0)
    {
      g_array_free (ids, TRUE);
      return NULL;
    }
  return (gint64 *) g_array_free (ids, FALSE);
}
