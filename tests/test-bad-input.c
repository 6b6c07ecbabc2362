/* test-bad-input.c: the bad-input catalog
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a hostile or careless caller tries that the other suites do not
 * cover. For each: a clear GError (its first line names the Python
 * exception; a traceback block may follow, see interp-error.c),
 * the process survives, and the interpreter stays usable (the next call
 * works). os._exit() and os.abort() are left out on purpose: they end the
 * process by design and the docs say so.
 */

#include "test-common.h"

/* The first line of an error message, the one meant for people. */
static char *
first_line (const GError *error)
{
  const char *nl = strchr (error->message, '\n');

  return nl ? g_strndup (error->message, nl - error->message) : g_strdup (error->message);
}

/* A clear error: a non-empty, valid UTF-8 first line. */
static void
assert_clear_error (const GError *error)
{
  g_autofree char *line = NULL;

  g_assert_nonnull (error);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  line = first_line (error);
  g_assert_cmpstr (line, !=, "");
  g_test_message ("%s", line);
}

/* @code fails with an EXECUTION_FAILED error whose first line starts with
 * @prefix; then the interpreter still answers. */
static void
assert_exec_fails (InterpInterpreter *interp,
                   const char        *code,
                   const char        *prefix)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (interp_interpreter_exec (interp, code, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  assert_clear_error (error);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("expected an error starting with \"%s\", got \"%s\"", prefix, error->message);
  g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);
}

static void
assert_usable (InterpInterpreter *interp)
{
  g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);
  exec_ok (interp, "def _probe(x):\n    return x + 1\n");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) v = interp_interpreter_call (interp, "_probe",
                                                     g_variant_new ("(x)", (gint64) 1),
                                                     NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_variant_get_int64 (v), ==, 2);
  }
}

/* ------------------------------------------------------------------ */

static void
test_signal (void)
{
  g_autoptr(TestInterp) interp = new_interpreter ();

  /* CPython: signal handlers belong to the main thread of the main
   * interpreter; our interpreters run on their own threads. */
  assert_exec_fails (interp,
                     "import signal\n"
                     "signal.signal(signal.SIGINT, lambda *a: None)\n",
                     "ValueError: ");
  assert_exec_fails (interp,
                     "import signal\n"
                     "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n",
                     "ValueError: ");
  /* Reading them is harmless. */
  g_assert_true (eval_bool (interp, "__import__('signal').getsignal(2) is not None or True"));
  assert_usable (interp);
}

static void
test_atexit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(GVariant) item = NULL;
  InterpInterpreter *interp = new_interpreter ();

  /* One handler that reports, one that raises: close succeeds anyway. */
  exec_fmt (interp,
            "import atexit, interp_glib\n"
            "q = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
            "def report():\n"
            "    q.put('atexit ran')\n"
            "def broken():\n"
            "    raise RuntimeError('atexit handler fails')\n"
            "atexit.register(report)\n"
            "atexit.register(broken)\n",
            interp_queue_get_id (queue));
  assert_usable (interp);
  g_assert_true (interp_interpreter_close (interp, &error));
  g_assert_no_error (error);
  g_object_unref (interp);

  /* The handlers run when the interpreter is finalized. */
  item = interp_queue_get (queue, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (item, NULL), ==, "atexit ran");

  /* The process and other interpreters carry on. */
  {
    g_autoptr(TestInterp) other = new_interpreter ();
    assert_usable (other);
  }
}

/* fork() and exec() would take the whole host with them: refused in
 * isolated interpreters (Python >= 3.12: allow_fork/allow_exec FALSE). Run
 * in a child process, so that a regression cannot wreck the test runner. */
static void
test_fork_refused (void)
{
  if (!interp_supports_own_gil ())
    {
      g_test_skip ("Python 3.11 has no per-interpreter fork restriction");
      return;
    }
  if (g_test_subprocess ())
    {
      g_autoptr(TestInterp) interp = new_interpreter ();

      assert_exec_fails (interp, "import os\nos.fork()\n", "RuntimeError: ");
      assert_exec_fails (interp, "import os\nos.forkpty()\n", "RuntimeError: ");
      assert_usable (interp);
      g_print ("fork refused, checks done\n");
      g_assert_true (interp_shutdown (NULL));
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*fork refused, checks done*");
}

static void
test_exec_refused (void)
{
  if (!interp_supports_own_gil ())
    {
      g_test_skip ("Python 3.11 has no per-interpreter exec restriction");
      return;
    }
  if (g_test_subprocess ())
    {
      g_autoptr(TestInterp) interp = new_interpreter ();

      assert_exec_fails (interp, "import os\nos.execv('/bin/true', ['true'])\n",
                         "RuntimeError: ");
      assert_exec_fails (interp, "import os\nos.execve('/bin/true', ['true'], {})\n",
                         "RuntimeError: ");
      assert_usable (interp);
      g_print ("exec refused, checks done\n");
      g_assert_true (interp_shutdown (NULL));
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* The child was not replaced by /bin/true: it ran its checks. */
  g_test_trap_assert_stdout ("*exec refused, checks done*");
}

/* Extension modules with single-phase init cannot be isolated: importing
 * one in an isolated interpreter is a clear ImportError. */
static void
test_single_phase_import (void)
{
  /* Single-phase on 3.12 and 3.13; the first the Python has is used. */
  static const char *const candidates[] = { "_testsinglephase", "_curses", "readline", "_tkinter" };
  g_autoptr(TestInterp) interp = NULL;
  const char *module = NULL;

  if (!interp_supports_own_gil ())
    {
      g_test_skip ("Python 3.11 interpreters share extension modules (no isolation check)");
      return;
    }
  interp = new_interpreter ();
  for (guint i = 0; i < G_N_ELEMENTS (candidates) && module == NULL; i++)
    if (eval_bool_fmt (interp, "__import__('importlib.util').util.find_spec('%s') is not None",
                       candidates[i]))
      module = candidates[i];
  if (module == NULL)
    {
      g_test_skip ("no single-phase extension module in this Python");
      return;
    }
  {
    g_autofree char *code = g_strdup_printf ("import %s\n", module);
    g_autofree char *expected = g_strdup_printf ("ImportError: module %s does not support "
                                                 "loading in subinterpreters", module);

    assert_exec_fails (interp, code, expected);
    /* Asking twice gives the same answer (nothing half-imported is left). */
    assert_exec_fails (interp, code, expected);
  }
  assert_usable (interp);
}

static void
test_recursion (void)
{
  g_autoptr(TestInterp) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  assert_exec_fails (interp, "def f(n):\n    return f(n + 1)\nf(0)\n", "RecursionError: ");
  /* Deep, but through C: repr of a deeply nested list. */
  assert_exec_fails (interp,
                     "x = []\n"
                     "for _ in range(100000):\n"
                     "    x = [x]\n"
                     "repr(x)\n",
                     "RecursionError: ");
  /* The same nesting as a result: the conversion refuses, no stack overflow. */
  value = interp_interpreter_eval (interp, "x", NULL, &error);
  g_assert_null (value);
  assert_clear_error (error);
  exec_ok (interp, "del x\n");
  assert_usable (interp);
}

static void
test_memory_error (void)
{
  g_autoptr(TestInterp) interp = new_interpreter ();

  assert_exec_fails (interp, "bytearray(1 << 62)\n", "MemoryError");
  assert_exec_fails (interp, "b'x' * (1 << 62)\n", "MemoryError");
  assert_usable (interp);
}

/* 100 MB each way: C -> Python as an argument, Python -> C as a result,
 * and through a queue between two interpreters. */
static void
test_big_value (void)
{
  const gsize size = 100 * 1024 * 1024;
  g_autoptr(TestInterp) a = new_interpreter ();
  g_autoptr(TestInterp) b = new_interpreter ();
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  guint8 *data = g_malloc (size);
  GVariant *arg;
  gsize len;
  const guint8 *bytes;

  memset (data, 'z', size);
  data[size - 1] = 'e';
  arg = g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, data, size, TRUE, g_free, data);

  exec_ok (a, "def measure(b):\n    return (len(b), b[-1:])\n");
  result = interp_interpreter_call (a, "measure", g_variant_new_tuple (&arg, 1), NULL, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) tail = NULL;
    gint64 n;

    g_variant_get (result, "(x@ay)", &n, &tail);
    g_assert_cmpint (n, ==, (gint64) size);
    g_assert_cmpmem (g_variant_get_data (tail), g_variant_get_size (tail), "e", 1);
  }
  g_clear_pointer (&result, g_variant_unref);

  result = interp_interpreter_eval (a, "b'y' * (100 << 20)", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (result, G_VARIANT_TYPE_BYTESTRING));
  bytes = g_variant_get_fixed_array (result, &len, 1);
  g_assert_cmpuint (len, ==, size);
  g_assert_cmpint (bytes[0], ==, 'y');
  g_assert_cmpint (bytes[len - 1], ==, 'y');
  g_clear_pointer (&result, g_variant_unref);

  exec_fmt (a, "import interp_glib\ninterp_glib.Queue(%" G_GINT64_FORMAT ").put('s' * (100 << 20))\n",
            interp_queue_get_id (queue));
  exec_fmt (b, "import interp_glib\nv = interp_glib.Queue(%" G_GINT64_FORMAT ").get()\n",
            interp_queue_get_id (queue));
  g_assert_true (eval_bool (b, "len(v) == 100 << 20 and v[0] == v[-1] == 's'"));
  exec_ok (b, "del v\n");
  assert_usable (a);
  assert_usable (b);
}

/* Code and names that are not UTF-8 never reach Python as garbage. */
static void
test_invalid_utf8 (void)
{
  g_autoptr(TestInterp) interp = new_interpreter ();
  const char *bad_code = "x = '\xff\xfe'\n";
  const char *bad_expr = "'\xc3\x28'";
  const char *bad_name = "f\xff";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  g_assert_false (interp_interpreter_exec (interp, bad_code, NULL, &error));
  assert_clear_error (error);
  g_clear_error (&error);

  value = interp_interpreter_eval (interp, bad_expr, NULL, &error);
  g_assert_null (value);
  assert_clear_error (error);
  g_clear_error (&error);

  value = interp_interpreter_call (interp, bad_name, NULL, NULL, NULL, &error);
  g_assert_null (value);
  assert_clear_error (error);
  g_clear_error (&error);

  assert_usable (interp);
}

/* Whatever the code does to its own interpreter, calls give results or
 * clear errors, never a crash, and the interpreter can still be closed. */
static void
check_survives (InterpInterpreter *interp)
{
  static const char *const exprs[] = { "1 + 1", "len('abc')", "__import__('sys').version" };

  for (guint i = 0; i < G_N_ELEMENTS (exprs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = interp_interpreter_eval (interp, exprs[i], NULL, &error);

      if (value == NULL)
        assert_clear_error (error);
    }
  {
    g_autoptr(GError) error = NULL;

    if (!interp_interpreter_exec (interp, "y = 2\n", NULL, &error))
      assert_clear_error (error);
  }
}

static void
test_tampering (void)
{
  static const char *const attacks[] = {
    "import sys\nsys.modules.clear()\n",
    "import sys\nsys.modules['interp_glib'] = None\nsys.modules['pickle'] = 42\n",
    "import sys\nsys.modules['traceback'] = None\n",
    "import builtins\ndel builtins.__import__\n",
    "import builtins\nbuiltins.__dict__.clear()\n",
    "__builtins__ = {}\n",
    "import sys\nsys.stdout = sys.stderr = 42\n",
    "import sys\nsys.excepthook = None\nsys.path[:] = []\n",
    "import sys\nsys.setrecursionlimit(50)\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    {
      g_autoptr(GError) error = NULL;
      InterpInterpreter *interp = new_interpreter ();

      /* Some attacks fail half-way; either way is fine. */
      if (!interp_interpreter_exec (interp, attacks[i], NULL, &error))
        assert_clear_error (error);
      g_clear_error (&error);
      check_survives (interp);
      /* A failure afterwards is the tampered code's own doing; the
       * interpreter can always be closed. */
      g_assert_true (interp_interpreter_close (interp, &error));
      g_assert_no_error (error);
      g_object_unref (interp);
    }

  /* The tampering stayed where it was done. */
  {
    g_autoptr(TestInterp) fresh = new_interpreter ();

    assert_usable (fresh);
    g_assert_true (eval_bool (fresh, "'sys' in __import__('sys').modules"));
  }
}

/* The library does not depend on the __main__ entries or the
 * sys.modules['__main__'] the user can replace. */
static void
test_tampering_main_module (void)
{
  g_autoptr(TestInterp) interp = new_interpreter ();

  exec_ok (interp, "import sys\nsys.modules['__main__'] = None\n");
  check_survives (interp);
  exec_ok (interp, "globals().clear()\n");
  check_survives (interp);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bad-input/signal", test_signal);
  g_test_add_func ("/bad-input/atexit", test_atexit);
  g_test_add_func ("/bad-input/fork-refused", test_fork_refused);
  g_test_add_func ("/bad-input/exec-refused", test_exec_refused);
  g_test_add_func ("/bad-input/single-phase-import", test_single_phase_import);
  g_test_add_func ("/bad-input/recursion", test_recursion);
  g_test_add_func ("/bad-input/memory-error", test_memory_error);
  g_test_add_func ("/bad-input/big-value", test_big_value);
  g_test_add_func ("/bad-input/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/bad-input/tampering", test_tampering);
  g_test_add_func ("/bad-input/tampering-main-module", test_tampering_main_module);

  return finish_tests ();
}
