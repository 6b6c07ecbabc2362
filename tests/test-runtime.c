/* test-runtime.c: embedded and hosted modes, shutdown
 *
 * Each case runs in a child process (g_test_trap_subprocess), since
 * Python can be started and finalized only once per process.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "test-common.h"

#include <signal.h>

static void
test_embedded (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpInterpreter) interp = NULL;
      struct sigaction before, after;

      g_assert_false (Py_IsInitialized ());
      g_assert_false (interp_is_embedded ());
      sigaction (SIGINT, NULL, &before);

      g_assert_true (interp_init (&error));
      g_assert_no_error (error);
      g_assert_true (interp_init (&error));
      g_assert_true (Py_IsInitialized ());
      g_assert_true (interp_is_embedded ());
      g_assert_true (g_str_has_prefix (interp_get_python_version (), INTERP_PYTHON_VERSION_S "."));

      /* The host keeps its signal handlers. */
      sigaction (SIGINT, NULL, &after);
      g_assert_true (before.sa_handler == after.sa_handler);

      interp = new_interpreter ();
      g_assert_cmpint (eval_int (interp, "2 ** 10"), ==, 1024);

      g_assert_true (interp_shutdown (&error));
      g_assert_no_error (error);
      /* The library started Python, so it finalized it. */
      g_assert_false (Py_IsInitialized ());
      g_assert_true (interp_interpreter_is_closed (interp));
      g_assert_false (interp_is_embedded ());

      /* Afterwards: clear errors, no crash. */
      g_assert_false (interp_interpreter_exec (interp, "pass", NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
      g_clear_error (&error);
      g_assert_null (interp_interpreter_new (NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME);
      g_clear_error (&error);
      g_assert_false (interp_init (&error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME);
      g_assert_true (interp_shutdown (NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Embedded, `site` runs once, in the main interpreter: a new interpreter
 * skips it (it is the largest part of an interpreter's cost) and gets the
 * main one's sys.path and prefixes, and the builtins programs use. */
static void
test_embedded_site_once (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpInterpreter) main_interp = NULL;
      g_autoptr(InterpInterpreter) interp = NULL;
      const char *paths = "'|'.join([*__import__('sys').path, __import__('sys').prefix, __import__('sys').exec_prefix])";
      g_autoptr(GVariant) main_paths = NULL;
      g_autoptr(GVariant) sub_paths = NULL;

      g_assert_true (interp_init (&error));
      g_assert_no_error (error);
      main_interp = interp_get_main ();
      g_assert_true (eval_bool (main_interp, "'site' in __import__('sys').modules"));
      g_assert_true (eval_bool (main_interp, "callable(exit) and callable(help) and 'copyright' in dir(__builtins__)"));
      main_paths = interp_interpreter_eval (main_interp, paths, NULL, &error);
      g_assert_no_error (error);

      interp = new_interpreter ();
      g_assert_false (eval_bool (interp, "'site' in __import__('sys').modules"));
      g_assert_false (eval_bool (interp, "'os' in __import__('sys').modules"));
      sub_paths = interp_interpreter_eval (interp, paths, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (g_variant_get_string (sub_paths, NULL), ==, g_variant_get_string (main_paths, NULL));
      g_assert_true (eval_bool (interp, "'-packages' in ' '.join(__import__('sys').path)"));
      g_assert_true (eval_bool (interp, "callable(quit) and callable(help) and 'exit()' in repr(exit)"));
      g_assert_false (interp_interpreter_exec (interp, "exit(3)", NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
      g_assert_true (g_str_has_prefix (error->message, "SystemExit: 3"));
      g_clear_error (&error);
      /* What site's path gives is importable. */
      g_assert_true (eval_bool (interp, "__import__('json').dumps(1) == '1'"));

      g_assert_true (interp_shutdown (&error));
      g_assert_no_error (error);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* As a PyGObject application would: Python runs before the library. */
static void
test_hosted (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpInterpreter) interp = NULL;
      g_autoptr(InterpInterpreter) main_interp = NULL;
      PyThreadState *host_tstate;
      PyObject *main_module;
      PyObject *value;

      Py_InitializeEx (0);
      PyRun_SimpleString ("host_value = 'set by the host'\n");
      host_tstate = PyEval_SaveThread ();

      g_assert_true (interp_init (&error));
      g_assert_no_error (error);
      g_assert_false (interp_is_embedded ());

      /* The main interpreter is the host's own. */
      main_interp = interp_get_main ();
      g_assert_true (eval_bool (main_interp, "host_value == 'set by the host'"));
      exec_ok (main_interp, "from_library = 42\n");

      interp = new_interpreter ();
      g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);
      g_assert_false (eval_bool (interp, "'host_value' in globals()"));
      /* The host's configuration imports site: so does a new interpreter. */
      g_assert_true (eval_bool (interp, "'site' in __import__('sys').modules"));

      g_assert_true (interp_shutdown (&error));
      g_assert_no_error (error);
      g_assert_true (interp_interpreter_is_closed (interp));

      /* Hosted: Python is still the host's, running and intact. */
      g_assert_true (Py_IsInitialized ());
      PyEval_RestoreThread (host_tstate);
      main_module = PyImport_AddModule ("__main__");
      value = PyObject_GetAttrString (main_module, "from_library");
      g_assert_nonnull (value);
      g_assert_cmpint (PyLong_AsLong (value), ==, 42);
      Py_DECREF (value);
      g_assert_cmpint (Py_FinalizeEx (), ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Hosted, and the host's Python exits with interpreters still open: the
 * library's atexit hook closes them first, and finalizing succeeds. */
static void
test_hosted_exit (void)
{
  if (g_test_subprocess ())
    {
      InterpInterpreter *interp;
      AsyncWait wait = { 0 };

      Py_InitializeEx (0);
      PyEval_SaveThread ();

      interp = new_interpreter ();
      exec_ok (interp, "import threading\nt = threading.Thread(target=lambda: None)\nt.start()\n");
      interp_interpreter_eval_async (interp, "sum(range(1000))", NULL, async_wait_cb, &wait);
      async_wait_run (&wait);
      async_wait_clear (&wait);

      PyGILState_Ensure ();
      g_assert_cmpint (Py_FinalizeEx (), ==, 0);
      g_assert_true (interp_interpreter_is_closed (interp));
      g_object_unref (interp);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* An interpreter with CPython's legacy settings, where daemon threads are
 * allowed on every version. */
static InterpInterpreter *
new_legacy_interpreter (void)
{
  g_autoptr(GError) error = NULL;
  InterpInterpreter *interp = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                                              "gil", INTERP_GIL_SHARED,
                                              "use-main-obmalloc", TRUE,
                                              "allow-daemon-threads", TRUE,
                                              "check-multi-interp-extensions", FALSE,
                                              NULL);

  g_assert_no_error (error);
  return interp;
}

#define DAEMON_THREADS \
  "import threading, time\n" \
  "def tick():\n" \
  "    while True:\n" \
  "        time.sleep(0.001)\n" \
  "threading.Thread(target=lambda: time.sleep(1000), daemon=True).start()\n" \
  "threading.Thread(target=tick, daemon=True).start()\n"

/* Hosted, and the host's Python exits while daemon threads run in an
 * interpreter: before 3.14, Py_EndInterpreter() aborts the process when
 * the interpreter has another thread. The library destroys the
 * interpreter all the same, and the exit is a normal one. */
static void
test_hosted_exit_daemon_threads (void)
{
  if (g_test_subprocess ())
    {
      InterpInterpreter *interp;
      g_autoptr(GError) error = NULL;

      Py_InitializeEx (0);
      PyEval_SaveThread ();

      interp = new_legacy_interpreter ();
      exec_ok (interp, DAEMON_THREADS);
      /* A failed close changes nothing at exit. */
      g_assert_false (interp_interpreter_close (interp, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING);

      PyGILState_Ensure ();
      g_assert_cmpint (Py_FinalizeEx (), ==, 0);
      g_assert_true (interp_interpreter_is_closed (interp));
      g_object_unref (interp);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*Fatal Python error*");
}

/* Embedded: closing an interpreter, or interp_shutdown(), while daemon
 * threads run in it fails with a one-line error and never ends the
 * interpreter under them (CPython would abort); the interpreter and the
 * runtime keep working, and the application can exit. */
static void
test_shutdown_daemon_threads (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(InterpInterpreter) interp = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *expected = NULL;

      interp = new_legacy_interpreter ();
      exec_ok (interp, DAEMON_THREADS);
      expected = g_strdup_printf ("Interpreter %" G_GINT64_FORMAT " still has 2 running threads",
                                  interp_interpreter_get_id (interp));

      g_assert_false (interp_interpreter_close (interp, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING);
      g_assert_cmpstr (error->message, ==, expected);
      g_clear_error (&error);
      g_assert_false (interp_interpreter_is_closed (interp));
      g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);

      g_assert_false (interp_shutdown (&error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING);
      g_assert_cmpstr (error->message, ==, expected);
      g_clear_error (&error);
      g_assert_true (Py_IsInitialized ());
      g_assert_true (interp_is_embedded ());
      g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);
      /* Exits without finalizing Python, the threads still running. */
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*Fatal Python error*");
}

/* Shutting down with work queued and running: every async call completes
 * exactly once, and the running one is interrupted. */
typedef struct
{
  guint completions;
  guint not_found;
  guint runtime;
} ShutdownCounts;

static void
shutdown_count_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ShutdownCounts *counts = user_data;
  g_autoptr(GError) error = NULL;

  interp_interpreter_exec_finish (INTERP_INTERPRETER (source), result, &error);
  counts->completions++;
  if (g_error_matches (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND))
    counts->not_found++;
  else if (g_error_matches (error, INTERP_ERROR, INTERP_ERROR_RUNTIME))
    counts->runtime++;
}

static void
test_shutdown_pending (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(InterpInterpreter) interp = new_interpreter ();
      ShutdownCounts counts = { 0 };
      g_autoptr(GError) error = NULL;

      exec_ok (interp, "started = False\n");
      interp_interpreter_exec_async (interp, "started = True\nwhile True: pass\n", NULL,
                                     shutdown_count_cb, &counts);
      for (guint i = 0; i < 5; i++)
        interp_interpreter_exec_async (interp, "pass", NULL, shutdown_count_cb, &counts);
      while (!interp_interpreter_is_running (interp))
        g_usleep (1000);

      g_assert_true (interp_shutdown (&error));
      g_assert_no_error (error);

      while (counts.completions < 6)
        g_main_context_iteration (NULL, TRUE);
      /* Nothing more arrives later. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_assert_cmpuint (counts.completions, ==, 6);
      g_assert_cmpuint (counts.not_found, ==, 5);
      g_assert_cmpuint (counts.runtime, ==, 1);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* interp_shutdown() from code running in an interpreter would wait on
 * itself: it fails instead. */
static void
test_shutdown_from_inside (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(InterpInterpreter) main_interp = interp_get_main ();

      exec_ok (main_interp,
               "import ctypes\n"
               "lib = ctypes.CDLL('libinterp-glib-1.0.so.0')\n"
               "lib.interp_shutdown.restype = ctypes.c_int\n"
               "lib.interp_shutdown.argtypes = [ctypes.c_void_p]\n"
               "result = lib.interp_shutdown(None)\n");
      g_assert_cmpint (eval_int (main_interp, "result"), ==, 0);
      g_assert_true (interp_shutdown (NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Closing an interpreter from code running in it fails clearly. */
static void
test_close_from_inside (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(InterpInterpreter) main_interp = interp_get_main ();

      exec_ok (main_interp,
               "import ctypes\n"
               "lib = ctypes.CDLL('libinterp-glib-1.0.so.0')\n"
               "lib.interp_get_main.restype = ctypes.c_void_p\n"
               "lib.interp_interpreter_eval.restype = ctypes.c_void_p\n"
               "lib.interp_interpreter_eval.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]\n"
               "lib.g_object_unref.argtypes = [ctypes.c_void_p]\n"
               "me = lib.interp_get_main()\n"
               "result = lib.interp_interpreter_eval(me, b'1', None, None)\n"
               "lib.g_object_unref(me)\n");
      /* A sync call into the same interpreter returns NULL (RUNNING), no deadlock. */
      g_assert_true (eval_bool (main_interp, "result is None"));
      g_assert_true (interp_shutdown (NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* `import signal` in the main interpreter leaves the host its SIGINT. */
static void
test_sigint_kept (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(InterpInterpreter) main_interp = NULL;
      struct sigaction before, after;

      sigaction (SIGINT, NULL, &before);
      main_interp = interp_get_main ();
      exec_ok (main_interp, "import signal, asyncio, subprocess\n");
      sigaction (SIGINT, NULL, &after);
      g_assert_true (before.sa_handler == after.sa_handler);
      g_assert_true (interp_shutdown (NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* A creation cancelled before its thread started does not hold up
 * shutdown. */
static void
test_shutdown_after_cancelled_create (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpInterpreter) interp = NULL;
      AsyncWait wait = { 0 };

      g_assert_true (interp_init (NULL));
      g_cancellable_cancel (cancellable);
      interp_interpreter_new_async (cancellable, async_wait_cb, &wait);
      interp = interp_interpreter_new_finish (async_wait_run (&wait), &error);
      g_assert_null (interp);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      async_wait_clear (&wait);
      g_assert_true (interp_shutdown (NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* With several interpreters, shutdown fails every queued call: none of
 * them starts after the running one was interrupted. */
static void
test_shutdown_many_pending (void)
{
  if (g_test_subprocess ())
    {
      InterpInterpreter *interps[2];
      ShutdownCounts counts = { 0 };

      for (guint i = 0; i < G_N_ELEMENTS (interps); i++)
        {
          interps[i] = new_interpreter ();
          interp_interpreter_exec_async (interps[i], "while True: pass", NULL, shutdown_count_cb, &counts);
          interp_interpreter_exec_async (interps[i], "pass", NULL, shutdown_count_cb, &counts);
        }
      for (guint i = 0; i < G_N_ELEMENTS (interps); i++)
        while (!interp_interpreter_is_running (interps[i]))
          g_usleep (1000);

      g_assert_true (interp_shutdown (NULL));
      while (counts.completions < 4)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (counts.runtime, ==, 2);
      g_assert_cmpuint (counts.not_found, ==, 2);
      for (guint i = 0; i < G_N_ELEMENTS (interps); i++)
        g_object_unref (interps[i]);
      return;
    }

  /* No timeout of its own: meson's (stretched under valgrind, where the
   * spinning interpreters make everything slow) catches a hang. */
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/runtime/embedded", test_embedded);
  g_test_add_func ("/runtime/embedded-site-once", test_embedded_site_once);
  g_test_add_func ("/runtime/hosted", test_hosted);
  g_test_add_func ("/runtime/hosted-exit", test_hosted_exit);
  g_test_add_func ("/runtime/hosted-exit-daemon-threads", test_hosted_exit_daemon_threads);
  g_test_add_func ("/runtime/shutdown-daemon-threads", test_shutdown_daemon_threads);
  g_test_add_func ("/runtime/shutdown-pending", test_shutdown_pending);
  g_test_add_func ("/runtime/shutdown-from-inside", test_shutdown_from_inside);
  g_test_add_func ("/runtime/call-self-from-inside", test_close_from_inside);
  g_test_add_func ("/runtime/sigint-kept", test_sigint_kept);
  g_test_add_func ("/runtime/shutdown-after-cancelled-create", test_shutdown_after_cancelled_create);
  g_test_add_func ("/runtime/shutdown-many-pending", test_shutdown_many_pending);

  return g_test_run ();
}
