/* test-errors.c: every kind of bad input gives a clear GError
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-common.h"

static InterpInterpreter *shared_interp;

static void
test_quark (void)
{
  g_assert_cmpstr (g_quark_to_string (INTERP_ERROR), ==, "interp-error-quark");
  g_assert_true (g_type_is_a (INTERP_TYPE_ERROR, G_TYPE_ENUM));
}

static void
test_exception (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;

  g_assert_false (interp_interpreter_exec (shared_interp, "x = 1\n1 / 0\n", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  /* One line, exactly what Python prints last. */
  g_assert_cmpstr (error->message, ==, "ZeroDivisionError: division by zero");

  info = interp_exception_info_from_error (error);
  g_assert_nonnull (info);
  g_assert_cmpstr (interp_exception_info_get_type_name (info), ==, "ZeroDivisionError");
  g_assert_cmpstr (interp_exception_info_get_qualname (info), ==, "ZeroDivisionError");
  g_assert_cmpstr (interp_exception_info_get_module (info), ==, "builtins");
  g_assert_cmpstr (interp_exception_info_get_message (info), ==, "division by zero");
  g_assert_true (g_str_has_prefix (interp_exception_info_get_traceback (info),
                                   "Traceback (most recent call last):"));
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "line 2"));
  /* The traceback quotes the source line, under a default name that
   * says what ran it: its first line, and a digest of the whole code. */
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "File \"<exec: x = 1 … "));
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "\n    1 / 0\n"));
  g_assert_cmpint (interp_exception_info_get_interpreter_id (info), ==,
                   interp_interpreter_get_id (shared_interp));
  {
    g_autofree char *summary = interp_exception_info_get_summary (info);
    g_assert_cmpstr (summary, ==, error->message);
  }

  /* The interpreter stays usable, and kept what ran before the error. */
  g_assert_cmpint (eval_int (shared_interp, "x"), ==, 1);
}

static void
test_custom_exception (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) copy = NULL;
  g_autoptr(GError) rebuilt = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;
  g_autoptr(InterpExceptionInfo) parsed = NULL;

  exec_ok (shared_interp,
           "class Outer:\n"
           "    class Problem(Exception):\n"
           "        pass\n"
           "def fail(what):\n"
           "    raise Outer.Problem(f'bad {what}:\\nsecond line')\n");
  g_assert_null (interp_interpreter_call (shared_interp, "fail", g_variant_new ("(s)", "thing"),
                                          NULL, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  /* The first line of a multi-line message, and a mark that more follows. */
  g_assert_cmpstr (error->message, ==, "Problem: bad thing: …");

  info = interp_exception_info_from_error (error);
  g_assert_cmpstr (interp_exception_info_get_type_name (info), ==, "Problem");
  g_assert_cmpstr (interp_exception_info_get_qualname (info), ==, "Outer.Problem");
  g_assert_cmpstr (interp_exception_info_get_module (info), ==, "__main__");
  g_assert_cmpstr (interp_exception_info_get_message (info), ==, "bad thing:\nsecond line");
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "in fail"));

  /* Copies keep the snapshot. */
  copy = g_error_copy (error);
  g_clear_pointer (&info, interp_exception_info_unref);
  info = interp_exception_info_from_error (copy);
  g_assert_cmpstr (interp_exception_info_get_qualname (info), ==, "Outer.Problem");

  /* The message is not parsed: an error rebuilt from domain, code and
   * message alone has no snapshot. */
  rebuilt = g_error_new_literal (error->domain, error->code, error->message);
  g_assert_null (interp_exception_info_from_error (rebuilt));
  g_clear_error (&rebuilt);

  /* Freeing the error leaves its snapshot for the thread to take, once
   * (how bindings that drop the error's data get it back). Errors without
   * a snapshot do not displace it. */
  g_clear_pointer (&info, interp_exception_info_unref);
  g_clear_error (&copy);
  g_clear_error (&error);
  rebuilt = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED, "Problem: bad");
  g_clear_error (&rebuilt);
  parsed = interp_exception_info_steal_last ();
  g_assert_nonnull (parsed);
  g_assert_cmpstr (interp_exception_info_get_qualname (parsed), ==, "Outer.Problem");
  g_assert_cmpstr (interp_exception_info_get_message (parsed), ==, "bad thing:\nsecond line");
  g_assert_null (interp_exception_info_steal_last ());
}

static gpointer
free_error_thread (gpointer data)
{
  g_error_free (data);
  return NULL;
}

static void
test_steal_last_per_thread (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;
  GThread *thread;

  g_clear_pointer (&info, interp_exception_info_unref);
  info = interp_exception_info_steal_last ();   /* whatever was left */
  g_clear_pointer (&info, interp_exception_info_unref);

  g_assert_false (interp_interpreter_exec (shared_interp, "raise KeyError('k')", NULL, &error));
  /* Freed on another thread: not this thread's. */
  thread = g_thread_new ("free-error", free_error_thread, g_steal_pointer (&error));
  g_thread_join (thread);
  g_assert_null (interp_exception_info_steal_last ());
}

static void
test_summary (void)
{
  const char *cases[] = {
    "raise ValueError('one line')", "ValueError: one line",
    "raise ValueError('first\\nsecond')", "ValueError: first …",
    "raise ValueError('first\\n')", "ValueError: first",
    "raise ValueError('\\n\\nlater')", "ValueError: later",
    "raise ValueError('')", "ValueError",
    "raise ValueError", "ValueError",
    "raise ValueError(1, 2)", "ValueError: (1, 2)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i += 2)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (interp_interpreter_exec (shared_interp, cases[i], NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
      g_assert_cmpstr (error->message, ==, cases[i + 1]);
    }
}

static void
test_filename (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;
  const char *tb;

  /* A named file: tracebacks name it and quote its lines, also for a
   * function it defined that fails in a later call. */
  g_assert_true (interp_interpreter_exec_full (shared_interp,
                                               "def helper(n):\n"
                                               "    total = n * 2\n"
                                               "    return total / (n - n)\n",
                                               "helpers.py", NULL, &error));
  g_assert_no_error (error);
  g_assert_null (interp_interpreter_call (shared_interp, "helper", g_variant_new ("(x)", 4),
                                          NULL, NULL, &error));
  g_assert_cmpstr (error->message, ==, "ZeroDivisionError: division by zero");
  info = interp_exception_info_from_error (error);
  tb = interp_exception_info_get_traceback (info);
  g_assert_nonnull (strstr (tb, "File \"helpers.py\", line 3, in helper\n"
                                "    return total / (n - n)\n"));
  g_clear_error (&error);
  g_clear_pointer (&info, interp_exception_info_unref);

  /* A failing expression quotes itself too. */
  g_assert_null (interp_interpreter_eval (shared_interp, "helper(1) + 1", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  info = interp_exception_info_from_error (error);
  tb = interp_exception_info_get_traceback (info);
  g_assert_nonnull (strstr (tb, "File \"<eval: helper(1) + 1>\", line 1, in <module>\n"
                                "    helper(1) + 1\n"));
  g_clear_error (&error);
  g_clear_pointer (&info, interp_exception_info_unref);

  /* Python code's own tracebacks see the sources too. */
  exec_ok (shared_interp,
           "import traceback\n"
           "try:\n"
           "    helper(2)\n"
           "except ZeroDivisionError:\n"
           "    seen = traceback.format_exc()\n");
  g_assert_true (interp_interpreter_exec (shared_interp,
                                          "assert 'return total / (n - n)' in seen, seen", NULL, &error));
  g_assert_no_error (error);

  /* Running other code under the same name replaces the source. */
  g_assert_false (interp_interpreter_exec_full (shared_interp, "x = 1\nraise OSError('replaced')\n",
                                                "helpers.py", NULL, &error));
  info = interp_exception_info_from_error (error);
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info),
                            "File \"helpers.py\", line 2, in <module>\n    raise OSError('replaced')\n"));
  g_clear_error (&error);
  g_clear_pointer (&info, interp_exception_info_unref);

  /* A syntax error names the file. */
  g_assert_false (interp_interpreter_exec_full (shared_interp, "def (:\n", "broken.py", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  info = interp_exception_info_from_error (error);
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "File \"broken.py\", line 1"));
}

/* A default name never stands for two texts: linecache keeps one source
 * per name, so each traceback quotes its own code. */
static void
test_default_names (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  const char *first = "def f():\n    raise ValueError('first')\n";
  const char *second = "def f():\n    raise KeyError('second')\n";
  const char *long_line = "value = 1 / 0  # a comment that makes this line much longer than a name";
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;
  g_autoptr(GRegex) name = g_regex_new ("File \"<exec: def f\\(\\): … [0-9a-f]{8}>\", line 2, in f\n",
                                        0, 0, NULL);
  g_autofree char *first_tb = NULL;
  const char *tb;

  exec_ok (interp, first);
  g_assert_null (interp_interpreter_call (interp, "f", NULL, NULL, NULL, &error));
  info = interp_exception_info_from_error (error);
  first_tb = g_strdup (interp_exception_info_get_traceback (info));
  g_assert_true (g_regex_match (name, first_tb, 0, NULL));
  g_assert_nonnull (strstr (first_tb, "    raise ValueError('first')\n"));
  g_clear_error (&error);
  g_clear_pointer (&info, interp_exception_info_unref);

  /* Same first line, other code: another name; and the first f, kept
   * under its own, still quotes its own line. */
  exec_ok (interp, "first_f = f\n");
  exec_ok (interp, second);
  g_assert_null (interp_interpreter_call (interp, "f", NULL, NULL, NULL, &error));
  info = interp_exception_info_from_error (error);
  tb = interp_exception_info_get_traceback (info);
  g_assert_true (g_regex_match (name, tb, 0, NULL));
  g_assert_nonnull (strstr (tb, "    raise KeyError('second')\n"));
  g_assert_cmpstr (strstr (first_tb, "File"), !=, strstr (tb, "File"));
  g_clear_error (&error);
  g_clear_pointer (&info, interp_exception_info_unref);
  g_assert_null (interp_interpreter_call (interp, "first_f", NULL, NULL, NULL, &error));
  info = interp_exception_info_from_error (error);
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "    raise ValueError('first')\n"));
  g_clear_error (&error);
  g_clear_pointer (&info, interp_exception_info_unref);

  /* A long line is cut in the name. */
  g_assert_false (interp_interpreter_exec (interp, long_line, NULL, &error));
  info = interp_exception_info_from_error (error);
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info),
                            "File \"<exec: value = 1 / 0  # a comment that makes th … "));
  g_clear_error (&error);
  g_clear_pointer (&info, interp_exception_info_unref);
}

static void
test_sources_bounded (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;

  /* Before linecache is imported, and after. */
  for (guint round = 0; round < 2; round++)
    {
      exec_ok (interp, "def old_unnamed():\n    raise ValueError('old unnamed')\n");
      g_assert_true (interp_interpreter_exec_full (interp, "def old_named():\n    raise ValueError('old named')\n",
                                                   "kept.py", NULL, &error));
      /* Code under default names is kept for the 256 newest runs only. */
      for (guint i = 0; i < 300; i++)
        {
          g_autofree char *code = g_strdup_printf ("run_%u = %u\n", i, i);
          exec_ok (interp, code);
        }

      g_assert_null (interp_interpreter_call (interp, "old_unnamed", NULL, NULL, NULL, &error));
      info = interp_exception_info_from_error (error);
      g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "in old_unnamed\n"));
      g_assert_null (strstr (interp_exception_info_get_traceback (info), "raise ValueError('old unnamed')"));
      g_clear_error (&error);
      g_clear_pointer (&info, interp_exception_info_unref);

      g_assert_null (interp_interpreter_call (interp, "old_named", NULL, NULL, NULL, &error));
      info = interp_exception_info_from_error (error);
      g_assert_nonnull (strstr (interp_exception_info_get_traceback (info),
                                "File \"kept.py\", line 2, in old_named\n    raise ValueError('old named')\n"));
      g_clear_error (&error);
      g_clear_pointer (&info, interp_exception_info_unref);
    }
}

static void
test_filename_async (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;
  AsyncWait wait = { 0 };

  interp_interpreter_exec_full_async (shared_interp, "y = 2\ny / 0\n", "async.py", NULL,
                                      async_wait_cb, &wait);
  g_assert_false (interp_interpreter_exec_full_finish (shared_interp, async_wait_run (&wait), &error));
  async_wait_clear (&wait);
  g_assert_cmpstr (error->message, ==, "ZeroDivisionError: division by zero");
  info = interp_exception_info_from_error (error);
  g_assert_nonnull (strstr (interp_exception_info_get_traceback (info),
                            "File \"async.py\", line 2, in <module>\n    y / 0\n"));
  g_clear_error (&error);

  interp_interpreter_exec_full_async (shared_interp, "z = 3", NULL, NULL, async_wait_cb, &wait);
  g_assert_true (interp_interpreter_exec_full_finish (shared_interp, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  async_wait_clear (&wait);
  g_assert_cmpint (eval_int (shared_interp, "z"), ==, 3);
}

static void
test_no_snapshot (void)
{
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "nope");
  g_autoptr(GError) not_found = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_NOT_FOUND, "gone");
  g_autoptr(GError) garbled = g_error_new_literal (INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED,
                                                   "no structure here");

  g_assert_null (interp_exception_info_from_error (other));
  g_assert_null (interp_exception_info_from_error (not_found));
  g_assert_null (interp_exception_info_from_error (garbled));
}

static void
test_syntax_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  g_assert_false (interp_interpreter_exec (shared_interp, "def (:\n", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "SyntaxError: "));
  g_clear_error (&error);

  value = interp_interpreter_eval (shared_interp, "x = 1", NULL, &error);
  g_assert_null (value);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "SyntaxError: "));
  g_assert_cmpint (eval_int (shared_interp, "2 + 2"), ==, 4);
}

static void
test_system_exit (void)
{
  const char *cases[] = {
    "raise SystemExit(3)", "SystemExit: 3",
    "import sys\nsys.exit('bye')", "SystemExit: bye",
    "raise KeyboardInterrupt", "KeyboardInterrupt",
    "exit()", "SystemExit: None",
    "import os\nraise GeneratorExit", "GeneratorExit",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i += 2)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (interp_interpreter_exec (shared_interp, cases[i], NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
      g_assert_cmpstr (error->message, ==, cases[i + 1]);
    }

  /* Also in the main interpreter. */
  {
    g_autoptr(InterpInterpreter) main_interp = interp_get_main ();
    g_autoptr(GError) error = NULL;

    g_assert_false (interp_interpreter_exec (main_interp, "raise SystemExit(0)", NULL, &error));
    g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
    g_assert_cmpint (eval_int (main_interp, "5"), ==, 5);
  }
  g_assert_cmpint (eval_int (shared_interp, "1 + 1"), ==, 2);
}

static void
test_unknown_callable (void)
{
  const char *cases[] = {
    "no_such_function", "NameError: name 'no_such_function' is not defined",
    "math:no_such", "AttributeError: ",
    "no_such_module_xyz:f", "ModuleNotFoundError: ",
    "len.nope", "AttributeError: ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i += 2)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (interp_interpreter_call (shared_interp, cases[i], NULL, NULL, NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
      g_assert_true (g_str_has_prefix (error->message, cases[i + 1]));
    }

  /* Something that is not callable. */
  {
    g_autoptr(GError) error = NULL;

    exec_ok (shared_interp, "not_callable = 3\n");
    g_assert_null (interp_interpreter_call (shared_interp, "not_callable", NULL, NULL, NULL, &error));
    g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
    g_assert_true (g_str_has_prefix (error->message, "TypeError: "));
  }
}

static void
test_malformed_callable (void)
{
  const char *cases[] = { "", "a b", "mod:", ":f", "a..b", "m:f:g", "f()", "mod.:f" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      AsyncWait wait = { 0 };

      g_assert_null (interp_interpreter_call (shared_interp, cases[i], NULL, NULL, NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);

      interp_interpreter_call_async (shared_interp, cases[i], g_variant_new ("(i)", 1), NULL, NULL,
                                     async_wait_cb, &wait);
      g_assert_null (interp_interpreter_call_finish (shared_interp, async_wait_run (&wait), &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
      async_wait_clear (&wait);
    }
}

static void
test_wrong_variant_types (void)
{
  g_autoptr(GError) error = NULL;

  exec_ok (shared_interp, "def echo(*a, **k):\n    return a\n");

  g_assert_null (interp_interpreter_call (shared_interp, "echo", g_variant_new_int32 (1), NULL, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  /* Says what to pass in words, not only as a type string. */
  g_assert_cmpstr (error->message, ==,
                   "args must be a tuple of arguments (GVariant type 'r', such as '(xs)'), got 'i'");
  g_clear_error (&error);

  g_assert_null (interp_interpreter_call (shared_interp, "echo", NULL,
                                          g_variant_new_parsed ("['not', 'a', 'dict']"), NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "kwargs must be a dictionary of names to values (GVariant type 'a{s*}', "
                   "such as 'a{sv}'), got 'as'");
  g_clear_error (&error);

  /* Dictionaries keyed by something other than strings are not kwargs. */
  g_assert_null (interp_interpreter_call (shared_interp, "echo", NULL,
                                          g_variant_new_parsed ("{1: 'one'}"), NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (interp_interpreter_prepare_main (shared_interp, g_variant_new_parsed ("[1, 2]"), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, "ns must be a dictionary of names to values"));
  g_clear_error (&error);

  /* Keyword arguments the function does not take are a Python TypeError. */
  exec_ok (shared_interp, "def strict(a):\n    return a\n");
  g_assert_null (interp_interpreter_call (shared_interp, "strict", g_variant_new ("(i)", 1),
                                          g_variant_new_parsed ("{'b': <2>}"), NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "TypeError: "));
}

static void
test_null_arguments (void)
{
  g_autoptr(GError) error = NULL;

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*code != NULL*");
  g_assert_false (interp_interpreter_exec (shared_interp, NULL, NULL, &error));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*INTERP_IS_INTERPRETER*");
  g_assert_false (interp_interpreter_exec (NULL, "pass", NULL, &error));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*callable != NULL*");
  g_assert_null (interp_interpreter_call (shared_interp, NULL, NULL, NULL, NULL, &error));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*expression != NULL*");
  g_assert_null (interp_interpreter_eval (shared_interp, NULL, NULL, &error));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*INTERP_IS_INTERPRETER*");
  g_assert_false (interp_interpreter_close (NULL, &error));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*INTERP_IS_INTERPRETER*");
  g_assert_cmpint (interp_interpreter_get_id (NULL), ==, -1);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*error != NULL*");
  g_assert_null (interp_exception_info_from_error (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*code != NULL*");
  interp_interpreter_exec_async (shared_interp, NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  /* A GError that is already set is a programmer error too. */
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "set");
  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*error == NULL || *error == NULL*");
  g_assert_false (interp_interpreter_exec (shared_interp, "pass", NULL, &error));
  g_test_assert_expected_messages ();

  g_assert_no_errno (0);
  g_assert_cmpint (eval_int (shared_interp, "7"), ==, 7);
}

static void
test_closed (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;

  g_assert_true (interp_interpreter_close (interp, &error));
  g_assert_false (interp_interpreter_exec (interp, "pass", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "closed"));
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  shared_interp = new_interpreter ();

  g_test_add_func ("/errors/quark", test_quark);
  g_test_add_func ("/errors/exception", test_exception);
  g_test_add_func ("/errors/custom-exception", test_custom_exception);
  g_test_add_func ("/errors/steal-last-per-thread", test_steal_last_per_thread);
  g_test_add_func ("/errors/summary", test_summary);
  g_test_add_func ("/errors/filename", test_filename);
  g_test_add_func ("/errors/filename-async", test_filename_async);
  g_test_add_func ("/errors/sources-bounded", test_sources_bounded);
  g_test_add_func ("/errors/no-snapshot", test_no_snapshot);
  g_test_add_func ("/errors/syntax-error", test_syntax_error);
  g_test_add_func ("/errors/system-exit", test_system_exit);
  g_test_add_func ("/errors/unknown-callable", test_unknown_callable);
  g_test_add_func ("/errors/malformed-callable", test_malformed_callable);
  g_test_add_func ("/errors/wrong-variant-types", test_wrong_variant_types);
  g_test_add_func ("/errors/default-names", test_default_names);
  g_test_add_func ("/errors/null-arguments", test_null_arguments);
  g_test_add_func ("/errors/closed", test_closed);

  ret = g_test_run ();
  g_clear_object (&shared_interp);
  g_assert_true (interp_shutdown (NULL));
  return ret;
}
