/* test-interpreter.c: InterpInterpreter lifecycle, calls, isolation, async
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-common.h"

static void
test_create (void)
{
  g_autoptr(InterpInterpreter) a = new_interpreter ();
  g_autoptr(InterpInterpreter) b = new_interpreter ();
  gint64 id = -2;
  InterpWhence whence = INTERP_WHENCE_UNKNOWN;
  InterpGil gil = INTERP_GIL_DEFAULT;

  g_assert_cmpint (interp_interpreter_get_id (a), >, 0);
  g_assert_cmpint (interp_interpreter_get_id (b), >, interp_interpreter_get_id (a));
  g_assert_cmpint (interp_interpreter_get_whence (a), ==, INTERP_WHENCE_LIBRARY);
  g_assert_false (interp_interpreter_is_running (a));
  g_assert_false (interp_interpreter_is_closed (a));
  g_assert_cmpint (interp_interpreter_get_gil (a), ==,
                   interp_supports_own_gil () ? INTERP_GIL_OWN : INTERP_GIL_SHARED);

  g_object_get (a, "id", &id, "whence", &whence, "gil", &gil, NULL);
  g_assert_cmpint (id, ==, interp_interpreter_get_id (a));
  g_assert_cmpint (whence, ==, INTERP_WHENCE_LIBRARY);
  g_assert_cmpint (gil, ==, interp_interpreter_get_gil (a));

  /* The id is the one Python itself gives the interpreter. */
  g_assert_cmpint (eval_int (a, "__import__('_interpreters').get_current()[0]"
                                " if __import__('sys').version_info >= (3, 13)"
                                " else int(__import__('_xxsubinterpreters').get_current())"),
                   ==, interp_interpreter_get_id (a));
}

static void
test_exec_eval_call (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autofree char *printed = NULL;

  exec_ok (interp, "def add(a, b, *, scale=1):\n    return (a + b) * scale\nvalue = 41\n");
  g_assert_cmpint (eval_int (interp, "value + 1"), ==, 42);

  result = interp_interpreter_call (interp, "add", g_variant_new ("(xx)", 2, 3), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (result), ==, 5);
  g_clear_pointer (&result, g_variant_unref);

  result = interp_interpreter_call (interp, "add", g_variant_new ("(xx)", 2, 3),
                                    g_variant_new_parsed ("{'scale': <int64 10>}"), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (result), ==, 50);
  g_clear_pointer (&result, g_variant_unref);

  /* No arguments at all, builtins, module:qualname, dotted names. */
  result = interp_interpreter_call (interp, "len", g_variant_new ("(s)", "hello"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (result), ==, 5);
  g_clear_pointer (&result, g_variant_unref);

  result = interp_interpreter_call (interp, "os.path:join", g_variant_new ("(ss)", "a", "b"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (result, NULL), ==, "a/b");
  g_clear_pointer (&result, g_variant_unref);

  result = interp_interpreter_call (interp, "math:sqrt", g_variant_new ("(d)", 16.0), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (g_variant_get_double (result), ==, 4.0);
  g_clear_pointer (&result, g_variant_unref);

  exec_ok (interp, "class K:\n    @staticmethod\n    def name():\n        return 'k'\n");
  result = interp_interpreter_call (interp, "K.name", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (result, NULL), ==, "k");
  g_clear_pointer (&result, g_variant_unref);

  /* A function returning None gives the `mv` nothing value. */
  exec_ok (interp, "def nothing():\n    pass\n");
  result = interp_interpreter_call (interp, "nothing", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  printed = g_variant_print (result, TRUE);
  g_assert_cmpstr (printed, ==, "@mv nothing");
}

static void
test_dedent (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  exec_ok (interp,
           "\n"
           "    def f():\n"
           "        return 'dedented'\n"
           "    \n"
           "    x = f()\n");
  g_assert_true (eval_bool (interp, "x == 'dedented'"));

  /* Tabs and spaces do not share a margin: nothing is removed from them. */
  exec_ok (interp, "if True:\n\ty = 1\n");
  g_assert_cmpint (eval_int (interp, "y"), ==, 1);
}

static void
test_prepare_main (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;
  g_autofree char *printed = NULL;

  g_assert_true (interp_interpreter_prepare_main (interp,
                                                  g_variant_new_parsed ("{'spam': <int64 1>, 'eggs': <'two'>,"
                                                                        " 'ham': <(true, 2.5)>}"),
                                                  &error));
  g_assert_no_error (error);
  printed = eval_print (interp, "(spam, eggs, ham)");
  g_assert_cmpstr (printed, ==, "(int64 1, 'two', (true, 2.5))");

  /* NULL is "nothing to bind". */
  g_assert_true (interp_interpreter_prepare_main (interp, NULL, &error));
  g_assert_no_error (error);
}

static void
test_isolation (void)
{
  g_autoptr(InterpInterpreter) a = new_interpreter ();
  g_autoptr(InterpInterpreter) b = new_interpreter ();

  exec_ok (a, "import sys, json\nsys.marker = 'a'\nshared_name = 1\n");
  exec_ok (b, "import sys\n");

  g_assert_true (eval_bool (a, "'shared_name' in globals()"));
  g_assert_false (eval_bool (b, "'shared_name' in globals()"));
  g_assert_true (eval_bool (a, "getattr(__import__('sys'), 'marker', None) == 'a'"));
  g_assert_false (eval_bool (b, "hasattr(__import__('sys'), 'marker')"));
  g_assert_true (eval_bool (a, "'json' in __import__('sys').modules"));
  g_assert_true (eval_bool (b, "'json' not in __import__('sys').modules"));
  g_assert_false (eval_bool (a, "__import__('sys') is None"));
  /* Each interpreter has a __main__ of its own. */
  g_assert_true (eval_bool (a, "__name__ == '__main__'"));
  g_assert_true (eval_bool (b, "__name__ == '__main__'"));
}

static gboolean
list_has (GList             *list,
          InterpInterpreter *interp)
{
  return g_list_find (list, interp) != NULL;
}

static void
test_list_all_main_current (void)
{
  g_autoptr(InterpInterpreter) a = new_interpreter ();
  g_autoptr(InterpInterpreter) b = new_interpreter ();
  g_autoptr(InterpInterpreter) main_interp = interp_get_main ();
  g_autoptr(InterpInterpreter) current = interp_get_current ();
  g_autoptr(GError) error = NULL;
  GList *all;

  g_assert_nonnull (main_interp);
  g_assert_cmpint (interp_interpreter_get_id (main_interp), ==, 0);
  g_assert_cmpint (interp_interpreter_get_whence (main_interp), ==, INTERP_WHENCE_RUNTIME);
  /* A plain application thread runs in no interpreter: the main one. */
  g_assert_true (current == main_interp);
  g_assert_cmpint (eval_int (main_interp, "6 * 7"), ==, 42);

  all = interp_list_all ();
  g_assert_true (all->data == main_interp);
  g_assert_true (list_has (all, a));
  g_assert_true (list_has (all, b));
  g_list_free_full (all, g_object_unref);

  g_assert_true (interp_interpreter_close (b, &error));
  g_assert_no_error (error);
  all = interp_list_all ();
  g_assert_true (list_has (all, a));
  g_assert_false (list_has (all, b));
  g_list_free_full (all, g_object_unref);

  /* The main interpreter is not closed by the application. */
  g_assert_false (interp_interpreter_close (main_interp, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_FAILED);
}

static void
test_get_current_in_interpreter (void)
{
  g_autoptr(InterpInterpreter) main_interp = interp_get_main ();
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) legacy = NULL;
  const char *code =
    "import ctypes\n"
    "lib = ctypes.CDLL('libinterp-glib-1.0.so.0')\n"
    "lib.interp_get_current.restype = ctypes.c_void_p\n"
    "lib.interp_interpreter_get_id.restype = ctypes.c_int64\n"
    "lib.interp_interpreter_get_id.argtypes = [ctypes.c_void_p]\n"
    "lib.g_object_unref.argtypes = [ctypes.c_void_p]\n"
    "cur = lib.interp_get_current()\n"
    "current_id = lib.interp_interpreter_get_id(cur)\n"
    "lib.g_object_unref(cur)\n";

  /* From code running in the main interpreter's executor. */
  exec_ok (main_interp, code);
  g_assert_cmpint (eval_int (main_interp, "current_id"), ==, 0);

  /* And in a sub-interpreter (legacy settings, where ctypes imports). */
  legacy = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                           "gil", INTERP_GIL_SHARED,
                           "use-main-obmalloc", TRUE,
                           "check-multi-interp-extensions", FALSE,
                           NULL);
  g_assert_no_error (error);
  exec_ok (legacy, code);
  g_assert_cmpint (eval_int (legacy, "current_id"), ==, interp_interpreter_get_id (legacy));
}

static void
test_close (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  gboolean closed = FALSE;

  g_assert_true (interp_interpreter_close (interp, &error));
  g_assert_no_error (error);
  g_assert_true (interp_interpreter_is_closed (interp));
  g_object_get (interp, "closed", &closed, NULL);
  g_assert_true (closed);

  g_assert_false (interp_interpreter_exec (interp, "pass", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  value = interp_interpreter_eval (interp, "1", NULL, &error);
  g_assert_null (value);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  value = interp_interpreter_call (interp, "len", g_variant_new ("(s)", "x"), NULL, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (interp_interpreter_prepare_main (interp, g_variant_new_parsed ("@a{sv} {}"), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Closing again succeeds. */
  g_assert_true (interp_interpreter_close (interp, &error));
  g_assert_no_error (error);
}

static void
test_async (void)
{
  AsyncWait wait = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = NULL;
  g_autoptr(GVariant) value = NULL;

  interp_interpreter_new_async (NULL, async_wait_cb, &wait);
  interp = interp_interpreter_new_finish (async_wait_run (&wait), &error);
  g_assert_no_error (error);
  g_assert_nonnull (interp);
  g_assert_cmpint (interp_interpreter_get_id (interp), >, 0);
  async_wait_clear (&wait);

  interp_interpreter_exec_async (interp, "def twice(x):\n    return 2 * x\n", NULL, async_wait_cb, &wait);
  g_assert_true (interp_interpreter_exec_finish (interp, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  async_wait_clear (&wait);

  interp_interpreter_call_async (interp, "twice", g_variant_new ("(s)", "ab"), NULL, NULL,
                                 async_wait_cb, &wait);
  value = interp_interpreter_call_finish (interp, async_wait_run (&wait), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "abab");
  g_clear_pointer (&value, g_variant_unref);
  async_wait_clear (&wait);

  interp_interpreter_eval_async (interp, "twice(21)", NULL, async_wait_cb, &wait);
  value = interp_interpreter_eval_finish (interp, async_wait_run (&wait), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (value), ==, 42);
  async_wait_clear (&wait);

  interp_interpreter_eval_async (interp, "1/0", NULL, async_wait_cb, &wait);
  g_assert_null (interp_interpreter_eval_finish (interp, async_wait_run (&wait), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_clear_error (&error);
  async_wait_clear (&wait);

  interp_interpreter_close_async (interp, NULL, async_wait_cb, &wait);
  g_assert_true (interp_interpreter_close_finish (interp, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  async_wait_clear (&wait);

  /* Closed: an async call still completes, with the error. */
  interp_interpreter_eval_async (interp, "1", NULL, async_wait_cb, &wait);
  g_assert_null (interp_interpreter_eval_finish (interp, async_wait_run (&wait), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
  g_assert_cmpuint (wait.count, ==, 7);
  async_wait_clear (&wait);
}

/* The callback runs in the thread-default context of the caller, even when
 * the caller is not the main thread. */
typedef struct
{
  InterpInterpreter *interp;
  GThread *callback_thread;
  gboolean ok;
} ContextData;

static void
context_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ContextData *data = user_data;
  g_autoptr(GVariant) value = interp_interpreter_eval_finish (INTERP_INTERPRETER (source), result, NULL);

  data->callback_thread = g_thread_self ();
  data->ok = value != NULL && g_variant_get_int64 (value) == 3;
}

static gpointer
context_thread (gpointer user_data)
{
  ContextData *data = user_data;
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  interp_interpreter_eval_async (data->interp, "1 + 2", NULL, context_cb, data);
  while (data->callback_thread == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return g_thread_self ();
}

static void
test_async_context (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  ContextData data = { interp, NULL, FALSE };
  GThread *thread = g_thread_new ("context", context_thread, &data);
  GThread *self = g_thread_join (thread);

  g_assert_true (data.ok);
  g_assert_true (data.callback_thread == self);
}

/* Work for one interpreter runs in submission order. */
static void
count_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  guint *count = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (interp_interpreter_exec_finish (INTERP_INTERPRETER (source), result, &error));
  g_assert_no_error (error);
  (*count)++;
}

static void
test_order (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  guint count = 0;

  exec_ok (interp, "seen = []\n");
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *code = g_strdup_printf ("seen.append(%u)", i);
      interp_interpreter_exec_async (interp, code, NULL, count_cb, &count);
    }
  while (count < 50)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (eval_bool (interp, "seen == list(range(50))"));
}

/* Several application threads call several interpreters at once. */
typedef struct
{
  InterpInterpreter **interps;
  guint n_interps;
  guint index;
  guint failures;
} ThreadsData;

static gpointer
caller_thread (gpointer user_data)
{
  ThreadsData *data = user_data;

  for (guint i = 0; i < 40; i++)
    {
      InterpInterpreter *interp = data->interps[(data->index + i) % data->n_interps];
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = interp_interpreter_call (interp, "mul",
                                                           g_variant_new ("(xx)", (gint64) data->index, (gint64) i),
                                                           NULL, NULL, &error);

      if (value == NULL || g_variant_get_int64 (value) != (gint64) data->index * i)
        g_atomic_int_inc (&data->failures);
    }
  return NULL;
}

static void
test_threads (void)
{
  InterpInterpreter *interps[3];
  ThreadsData data[8];
  GThread *threads[8];
  guint failures = 0;

  for (guint i = 0; i < G_N_ELEMENTS (interps); i++)
    {
      interps[i] = new_interpreter ();
      exec_ok (interps[i], "def mul(a, b):\n    return a * b\n");
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      data[i] = (ThreadsData) { interps, G_N_ELEMENTS (interps), i, 0 };
      threads[i] = g_thread_new ("caller", caller_thread, &data[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      failures += data[i].failures;
    }
  g_assert_cmpuint (failures, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (interps); i++)
    g_object_unref (interps[i]);
}

static void
test_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) shared = NULL;
  g_autoptr(GObject) bad = NULL;
  gboolean flag = FALSE;

  shared = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                           "gil", INTERP_GIL_SHARED,
                           "use-main-obmalloc", TRUE,
                           "allow-fork", TRUE,
                           "check-multi-interp-extensions", FALSE,
                           NULL);
  g_assert_no_error (error);
  g_assert_cmpint (interp_interpreter_get_gil (shared), ==, INTERP_GIL_SHARED);
  g_object_get (shared, "allow-fork", &flag, NULL);
  g_assert_true (flag);
  g_assert_cmpint (eval_int (shared, "1 + 1"), ==, 2);

  if (interp_supports_own_gil ())
    {
      g_autoptr(InterpInterpreter) isolated = new_interpreter ();

      g_object_get (isolated, "allow-fork", &flag, NULL);
      g_assert_false (flag);
      g_object_get (isolated, "check-multi-interp-extensions", &flag, NULL);
      g_assert_true (flag);

      /* An own GIL with the main allocator is refused, clearly. */
      bad = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                            "gil", INTERP_GIL_OWN, "use-main-obmalloc", TRUE, NULL);
      g_assert_null (bad);
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);

      bad = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                            "check-multi-interp-extensions", FALSE, NULL);
      g_assert_null (bad);
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);

      /* Isolated interpreters refuse os.fork(), as configured. */
      g_assert_false (interp_interpreter_exec (isolated, "import os\nos.fork()\n", NULL, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
      g_assert_true (g_str_has_prefix (error->message, "RuntimeError:"));
    }
  else
    {
      /* Python 3.11: no own GIL, and the settings read back as legacy. */
      g_autoptr(InterpInterpreter) legacy = new_interpreter ();

      g_object_get (legacy, "allow-fork", &flag, NULL);
      g_assert_true (flag);
      g_assert_cmpint (interp_interpreter_get_gil (legacy), ==, INTERP_GIL_SHARED);

      bad = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error, "gil", INTERP_GIL_OWN, NULL);
      g_assert_null (bad);
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_UNSUPPORTED);
    }
}

static void
test_not_initialized (void)
{
  g_autoptr(InterpInterpreter) interp = g_object_new (INTERP_TYPE_INTERPRETER, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (interp_interpreter_get_id (interp), ==, -1);
  g_assert_true (interp_interpreter_is_closed (interp));
  g_assert_false (interp_interpreter_exec (interp, "pass", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_FAILED);
  g_clear_error (&error);

  /* g_initable_init() makes it usable, once. */
  g_assert_true (g_initable_init (G_INITABLE (interp), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_initable_init (G_INITABLE (interp), NULL, &error));
  g_assert_cmpint (eval_int (interp, "3"), ==, 3);
}

/* A callable name that is not UTF-8 is refused before Python sees it
 * (CPython printed "Exception ignored in PyDict_GetItemString" for it). */
static void
test_call_name_not_utf8 (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(InterpInterpreter) interp = new_interpreter ();
      const char *names[] = { "\xff", "f\xc3", "os:\xffpath", "os.path:jo\xe9in", "json:dumps.\x80" };

      exec_ok (interp, "def f():\n    return 1\n");
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          g_autoptr(GError) error = NULL;

          g_assert_null (interp_interpreter_call (interp, names[i], NULL, NULL, NULL, &error));
          g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          g_assert_nonnull (strstr (error->message, "not valid UTF-8"));
        }
      /* The interpreter is fine, and a good name still works. */
      g_assert_cmpint (eval_int (interp, "f() + 1"), ==, 2);
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) one = interp_interpreter_call (interp, "f", NULL, NULL, NULL, &error);

        g_assert_no_error (error);
        g_assert_cmpint (g_variant_get_int64 (one), ==, 1);
      }
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*Exception ignored*");
}

static gboolean
is_lingering (gint64 id)
{
  gsize n = 0;
  g_autofree gint64 *ids = interp_list_lingering (&n);

  for (gsize i = 0; i < n; i++)
    if (ids[i] == id)
      return TRUE;
  return FALSE;
}

/* Releasing an interpreter whose daemon thread still runs: it stays alive,
 * with a warning, interp_list_lingering() lists it, and interp_shutdown()
 * ends it once the thread is done. */
static void
test_lingering (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpQueue) gate = interp_queue_new (0, NULL);
      InterpInterpreter *interp;
      GList *all;
      gint64 id;
      gsize n = 1;
      guint waited_ms = 0;

      /* The warning is what this test is about. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

      interp = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                               "allow-daemon-threads", TRUE, NULL);
      g_assert_no_error (error);
      id = interp_interpreter_get_id (interp);
      g_assert_null (interp_list_lingering (&n));
      g_assert_cmpuint (n, ==, 0);

      exec_fmt (interp, "import interp_glib, threading\n"
                        "gate = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
                        "threading.Thread(target=gate.get, daemon=True).start()\n",
                interp_queue_get_id (gate));
      g_object_unref (interp);

      /* The close runs on the interpreter's thread: give it a minute. */
      while (!is_lingering (id) && waited_ms < 60000)
        {
          g_usleep (1000);
          waited_ms++;
        }
      g_assert_true (is_lingering (id));
      all = interp_list_all ();
      for (GList *l = all; l != NULL; l = l->next)
        g_assert_cmpint (interp_interpreter_get_id (l->data), !=, id);
      g_list_free_full (all, g_object_unref);

      /* Its thread ends; interp_shutdown() (in main()) then destroys it. */
      g_assert_true (interp_queue_put (gate, g_variant_new_string ("go"), -1, NULL, &error));
      g_assert_no_error (error);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Interpreter * was released but stays alive until interp_shutdown(): "
                             "Interpreter * still has 1 running thread*interp_list_lingering()*");
}

/* What the docs say about fork: in a sub-interpreter with allow-fork, the
 * child dies at once with CPython's fatal error; the parent goes on. */
static void
test_fork_child_dies (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpInterpreter) interp =
        g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error, "allow-fork", TRUE, NULL);

      g_assert_no_error (error);
      exec_ok (interp, "import os, warnings\n"
                       "warnings.simplefilter('ignore', DeprecationWarning)\n"
                       "pid = os.fork()\n"
                       "if pid == 0:\n"
                       "    os._exit(0)\n"
                       "_, status = os.waitpid(pid, 0)\n");
      g_assert_true (eval_bool (interp, "os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1"));
      g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Fatal Python error: _PyInterpreterState_DeleteExceptMain: "
                             "not main interpreter*");
}

/* allow-exec = FALSE refuses os.execv(), not new processes. */
static void
test_exec_not_spawn (void)
{
  g_autoptr(InterpInterpreter) interp = NULL;
  g_autoptr(GError) error = NULL;

  if (!interp_supports_own_gil ())
    {
      g_test_skip ("Python 3.11: nothing refuses os.execv(), which would replace this test");
      return;
    }
  interp = new_interpreter ();
  g_assert_false (interp_interpreter_exec (interp, "import os\nos.execv('/bin/true', ['true'])\n",
                                           NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "RuntimeError:"));
  exec_ok (interp, "import subprocess\n"
                   "run = subprocess.run(['/bin/true']).returncode\n"
                   "pid = os.posix_spawn('/bin/true', ['true'], {})\n"
                   "spawned = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])\n");
  g_assert_cmpint (eval_int (interp, "run"), ==, 0);
  g_assert_cmpint (eval_int (interp, "spawned"), ==, 0);
}

/* Releasing an interpreter must not take references to the others while
 * it holds the registry lock: a reference dropped there can be the last
 * one when another thread lets go of that interpreter meanwhile, and its
 * dispose then waits for the same lock on the same thread. A toggle
 * reference makes the moment happen on purpose: its notification runs on
 * whichever thread takes a reference to the object, and there the other
 * thread's release is made to happen. */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean scanned;    /* a release elsewhere took a reference to "other" */
  gboolean released;   /* "other" let go of its own reference */
  gboolean done;       /* the releasing thread finished */
} ReleaseRace;

static void
release_race_toggled (gpointer  data,
                      GObject  *object,
                      gboolean  is_last_ref)
{
  ReleaseRace *race = data;
  gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  if (is_last_ref)
    return;
  g_mutex_lock (&race->lock);
  race->scanned = TRUE;
  g_cond_broadcast (&race->cond);
  while (!race->released && g_cond_wait_until (&race->cond, &race->lock, until))
    ;
  g_mutex_unlock (&race->lock);
}

static gpointer
release_race_thread (gpointer data)
{
  ReleaseRace *race = data;

  g_object_unref (new_interpreter ());
  g_mutex_lock (&race->lock);
  race->done = TRUE;
  g_cond_broadcast (&race->cond);
  g_mutex_unlock (&race->lock);
  return NULL;
}

static void
test_release_race (void)
{
  ReleaseRace race = { 0 };
  InterpInterpreter *other = new_interpreter ();
  GThread *thread;
  GList *all;

  g_mutex_init (&race.lock);
  g_cond_init (&race.cond);
  g_object_add_toggle_ref (G_OBJECT (other), release_race_toggled, &race);
  g_object_unref (other);   /* only the toggle reference is left */

  thread = g_thread_new ("release", release_race_thread, &race);
  g_mutex_lock (&race.lock);
  while (!race.scanned && !race.done)
    g_cond_wait (&race.cond, &race.lock);
  g_mutex_unlock (&race.lock);

  /* While the other thread may hold a reference it took under the lock. */
  g_object_remove_toggle_ref (G_OBJECT (other), release_race_toggled, &race);
  g_mutex_lock (&race.lock);
  race.released = TRUE;
  g_cond_broadcast (&race.cond);
  g_mutex_unlock (&race.lock);

  /* Before the fix this never returned: the thread disposed "other" with
   * the registry lock held. */
  g_thread_join (thread);
  all = interp_list_all ();
  g_assert_nonnull (all);
  g_list_free_full (all, g_object_unref);
  g_object_unref (new_interpreter ());
  g_mutex_clear (&race.lock);
  g_cond_clear (&race.cond);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/interpreter/create", test_create);
  g_test_add_func ("/interpreter/exec-eval-call", test_exec_eval_call);
  g_test_add_func ("/interpreter/dedent", test_dedent);
  g_test_add_func ("/interpreter/prepare-main", test_prepare_main);
  g_test_add_func ("/interpreter/isolation", test_isolation);
  g_test_add_func ("/interpreter/list-all-main-current", test_list_all_main_current);
  g_test_add_func ("/interpreter/get-current-in-interpreter", test_get_current_in_interpreter);
  g_test_add_func ("/interpreter/close", test_close);
  g_test_add_func ("/interpreter/async", test_async);
  g_test_add_func ("/interpreter/async-context", test_async_context);
  g_test_add_func ("/interpreter/order", test_order);
  g_test_add_func ("/interpreter/threads", test_threads);
  g_test_add_func ("/interpreter/config", test_config);
  g_test_add_func ("/interpreter/not-initialized", test_not_initialized);
  g_test_add_func ("/interpreter/call-name-not-utf8", test_call_name_not_utf8);
  g_test_add_func ("/interpreter/lingering", test_lingering);
  g_test_add_func ("/interpreter/fork-child-dies", test_fork_child_dies);
  g_test_add_func ("/interpreter/exec-not-spawn", test_exec_not_spawn);
  g_test_add_func ("/interpreter/release-race", test_release_race);

  return finish_tests ();
}
