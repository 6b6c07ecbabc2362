/* test-executor.c: cancellation, closing with work pending, exactly-once
 * completion, many threads at once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "test-common.h"

#include <unistd.h>

static void
wait_running (InterpInterpreter *interp)
{
  while (!interp_interpreter_is_running (interp))
    g_usleep (500);
}

/* Runs @code, which loops until interrupted, cancels it once it has run
 * for @settle_us (0: as soon as it runs) and checks that the cancel is
 * what ended it. */
static void
cancel_running_code (InterpInterpreter *interp,
                     const char        *code,
                     gulong             settle_us)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Counts counts = { 0 };
  gint64 start;

  interp_interpreter_exec_async (interp, code, cancellable, count_exec_cb, &counts);
  wait_running (interp);
  if (settle_us > 0)
    g_usleep (settle_us);

  start = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  wait_for_completions (&counts, 1);
  g_test_message ("running code interrupted %.1f ms after cancel",
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (counts.cancelled, ==, 1);
}

static void
test_cancel_queued (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Counts counts = { 0 };

  exec_ok (interp, "import time\nran = False\n");
  interp_interpreter_exec_async (interp, "time.sleep(0.3)", NULL, count_exec_cb, &counts);
  interp_interpreter_exec_async (interp, "ran = True", cancellable, count_exec_cb, &counts);
  wait_running (interp);
  g_cancellable_cancel (cancellable);

  /* The queued call completes at once, before the running one ends. */
  while (counts.completions < 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (counts.cancelled, ==, 1);
  g_assert_cmpuint (counts.ok, ==, 0);

  wait_for_completions (&counts, 2);
  g_assert_cmpuint (counts.ok, ==, 1);
  g_assert_false (eval_bool (interp, "ran"));
}

static void
test_cancel_running (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  exec_ok (interp, "spins = 0\n");
  cancel_running_code (interp, "while True:\n    spins += 1\n", 50 * 1000);

  /* It really ran, and the interpreter is usable right after. */
  g_assert_true (eval_bool (interp, "spins > 0"));
  g_assert_cmpint (eval_int (interp, "1 + 1"), ==, 2);
  g_assert_false (interp_interpreter_is_running (interp));
}

/* A cancel reaches running code without waiting out the switch interval
 * (3.12 and later: a pending call, no GIL wait at all; 3.11: a short
 * interval while the interrupter waits for the GIL). The code sets an
 * interval of 10000 s: a cancel that waited for it would leave this test
 * to its timeout. */
static void
test_cancel_no_gil_wait (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  exec_ok (interp, "import sys\nspins = 0\n");
  /* Most likely in the loop after 50 ms; were it not, the test would pass
   * without proving anything, never fail wrongly. */
  cancel_running_code (interp,
                       "sys.setswitchinterval(10000.0)\n"
                       "try:\n"
                       "    while True:\n"
                       "        spins += 1\n"
                       "finally:\n"
                       "    sys.setswitchinterval(0.005)\n",
                       50 * 1000);
  g_assert_true (eval_bool (interp, "spins > 0 and sys.getswitchinterval() == 0.005"));
}

/* A cancellation is never raised in CPython's importlib: between its
 * _imp.acquire_lock() and the `try` that releases the lock, it would leave
 * the import lock held, and every later import hang (on 3.11, in every
 * interpreter). Here a function that names itself importlib's, as the
 * code importlib's weakref callbacks run in does, is cancelled while it
 * sleeps: the cancellation waits until it returned. */
static void
test_cancel_not_in_importlib (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *code = NULL;
  Counts counts = { 0 };
  int fds[2];
  char c;

  g_assert_no_errno (pipe (fds));
  exec_ok (interp,
           "import os, time\n"
           "done = False\n"
           "exec(compile('def in_importlib(fd):\\n'\n"
           "             '    global done\\n'\n"
           "             '    os.write(fd, b\"x\")\\n'\n"
           "             '    time.sleep(0.5)\\n'\n"
           "             '    done = True\\n',\n"
           "             '<frozen importlib._bootstrap>', 'exec'))\n");
  code = g_strdup_printf ("in_importlib(%d)\nwhile True: pass\n", fds[1]);
  interp_interpreter_exec_async (interp, code, cancellable, count_exec_cb, &counts);
  /* In the function's sleep: the cancellation comes due at its next line. */
  g_assert_cmpint (read (fds[0], &c, 1), ==, 1);
  g_cancellable_cancel (cancellable);
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.cancelled, ==, 1);
  g_assert_true (eval_bool (interp, "done"));
  close (fds[0]);
  close (fds[1]);
}

/* Runs @code in @interp @times, each cancelled at a random moment, and
 * checks that both @interp and another interpreter still import. */
static void
cancel_at_random (InterpInterpreter *interp,
                  const char        *code,
                  guint              times)
{
  g_autoptr(InterpInterpreter) other = new_interpreter ();

  for (guint i = 0; i < times; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Counts counts = { 0 };

      interp_interpreter_exec_async (interp, code, cancellable, count_exec_cb, &counts);
      wait_running (interp);
      g_usleep (g_test_rand_int_range (0, 2000));
      g_cancellable_cancel (cancellable);
      wait_for_completions (&counts, 1);
      g_assert_cmpuint (counts.cancelled, ==, 1);
      exec_ok (other, "import json");
      exec_ok (interp, "import json");
    }
}

#define FAILING_IMPORTS \
  "    while True:\n" \
  "        try:\n" \
  "            import interp_glib_no_such_module\n" \
  "        except ImportError:\n" \
  "            pass\n"

/* The same with CPython's own importlib: cancelled at any point of a loop
 * of failing imports, the interpreter (on 3.11 every interpreter, whose
 * import lock is the process's) still imports afterwards. A cancellation
 * raised in the wrong place of importlib would hang the next import. */
static void
test_cancel_during_imports (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  cancel_at_random (interp, "if True:\n" FAILING_IMPORTS, 200);
}

/* The same under a trace function of the job's own: it still sees every
 * event, and is in place again afterwards. */
static void
test_cancel_during_traced_imports (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  exec_ok (interp,
           "import sys\n"
           "events = 0\n"
           "def tracer(frame, event, arg):\n"
           "    global events\n"
           "    events += 1\n"
           "    return tracer\n");
  cancel_at_random (interp,
                    "kept = False\n"
                    "sys.settrace(tracer)\n"
                    "try:\n"
                    FAILING_IMPORTS
                    "finally:\n"
                    "    kept = sys.gettrace() is tracer\n"
                    "    sys.settrace(None)\n",
                    30);
  g_assert_true (eval_bool (interp, "kept and events > 0"));
}

/* A module's own code, run by an import, is cancelled as any other code:
 * the import fails, and leaves no half-made module behind. */
static void
test_cancel_module_code (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  exec_ok (interp,
           "import os, shutil, sys, tempfile\n"
           "d = tempfile.mkdtemp()\n"
           "with open(os.path.join(d, 'interp_glib_spin.py'), 'w') as f:\n"
           "    f.write('while True:\\n    pass\\n')\n"
           "sys.path.insert(0, d)\n");
  cancel_running_code (interp, "import interp_glib_spin\n", 50 * 1000);
  g_assert_true (eval_bool (interp, "'interp_glib_spin' not in sys.modules"));
  exec_ok (interp, "sys.path.remove(d)\nshutil.rmtree(d)\nimport json\n");
}

static void
test_cancel_not_swallowed (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  /* `except Exception` does not catch the cancellation. The flag is set
   * first: the cancellation may come before the call's first line. */
  exec_ok (interp, "caught = False\n");
  cancel_running_code (interp,
                       "caught = False\n"
                       "try:\n"
                       "    while True: pass\n"
                       "except Exception:\n"
                       "    caught = True\n",
                       0);
  g_assert_false (eval_bool (interp, "caught"));
}

typedef struct
{
  InterpInterpreter *interp;
  GCancellable *cancellable;
  GError *error;
  gboolean ok;
} SyncCall;

static gpointer
sync_call_thread (gpointer user_data)
{
  SyncCall *call = user_data;

  call->ok = interp_interpreter_exec (call->interp, "while True: pass", call->cancellable, &call->error);
  return NULL;
}

static void
test_cancel_sync_other_thread (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  SyncCall call = { interp, g_cancellable_new (), NULL, TRUE };
  GThread *thread = g_thread_new ("sync-call", sync_call_thread, &call);

  wait_running (interp);
  g_cancellable_cancel (call.cancellable);
  g_thread_join (thread);

  g_assert_false (call.ok);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (eval_int (interp, "3 * 3"), ==, 9);
  g_clear_error (&call.error);
  g_object_unref (call.cancellable);
}

static void
test_cancel_already (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };

  g_cancellable_cancel (cancellable);
  exec_ok (interp, "ran = False\n");
  g_assert_false (interp_interpreter_exec (interp, "ran = True", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (interp_interpreter_eval (interp, "1", cancellable, NULL));

  interp_interpreter_exec_async (interp, "ran = True", cancellable, count_exec_cb, &counts);
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.cancelled, ==, 1);
  g_assert_false (eval_bool (interp, "ran"));

  /* Creation too. */
  g_clear_error (&error);
  g_assert_null (interp_interpreter_new (cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A blocking C call finishes before the interruption is seen, as the
 * docs say; the call still reports cancellation. */
static void
test_cancel_blocking_call (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Counts counts = { 0 };

  interp_interpreter_exec_async (interp, "import time\ntime.sleep(0.2)\nafter = True\n",
                                 cancellable, count_exec_cb, &counts);
  wait_running (interp);
  g_cancellable_cancel (cancellable);
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.cancelled, ==, 1);
  /* The sleep ended, then the exception stopped the next line. */
  g_assert_false (eval_bool (interp, "'after' in globals()"));
}

static void
test_close_pending (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  AsyncWait wait = { 0 };
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };

  interp_interpreter_exec_async (interp, "import time\ntime.sleep(0.2)\n", NULL, count_exec_cb, &counts);
  for (guint i = 0; i < 4; i++)
    interp_interpreter_exec_async (interp, "pass", NULL, count_exec_cb, &counts);
  wait_running (interp);

  /* Queued work fails at once; the running call finishes; close completes. */
  interp_interpreter_close_async (interp, NULL, async_wait_cb, &wait);
  g_assert_true (interp_interpreter_close_finish (interp, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  async_wait_clear (&wait);

  wait_for_completions (&counts, 5);
  g_assert_cmpuint (counts.ok, ==, 1);
  g_assert_cmpuint (counts.not_found, ==, 4);

  /* Work given after closing fails too, once. */
  interp_interpreter_exec_async (interp, "pass", NULL, count_exec_cb, &counts);
  wait_for_completions (&counts, 6);
  g_assert_cmpuint (counts.not_found, ==, 5);
}

static void
test_close_sync_pending (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };

  interp_interpreter_exec_async (interp, "import time\ntime.sleep(0.1)\n", NULL, count_exec_cb, &counts);
  interp_interpreter_exec_async (interp, "pass", NULL, count_exec_cb, &counts);
  wait_running (interp);
  g_assert_true (interp_interpreter_close (interp, &error));
  g_assert_no_error (error);
  wait_for_completions (&counts, 2);
  g_assert_cmpuint (counts.ok, ==, 1);
  g_assert_cmpuint (counts.not_found, ==, 1);
}

static void
test_dispose_pending (void)
{
  InterpInterpreter *interp = new_interpreter ();
  Counts counts = { 0 };
  GList *all;

  g_object_add_weak_pointer (G_OBJECT (interp), (gpointer *) &interp);
  for (guint i = 0; i < 10; i++)
    interp_interpreter_exec_async (interp, "x = sum(range(10000))", NULL, count_exec_cb, &counts);
  g_object_unref (interp);
  /* The pending calls keep the object alive; they all complete. */
  wait_for_completions (&counts, 10);
  g_assert_cmpuint (counts.ok, ==, 10);
  /* Then the object goes away and its interpreter with it. */
  g_assert_null (interp);
  all = interp_list_all ();
  g_assert_cmpuint (g_list_length (all), ==, 1);
  g_list_free_full (all, g_object_unref);
}

static void
test_dispose_idle (void)
{
  for (guint i = 0; i < 20; i++)
    {
      InterpInterpreter *interp = new_interpreter ();
      g_assert_cmpint (eval_int (interp, "1"), ==, 1);
      g_object_unref (interp);
    }
}

/* Closes that race with the end of a teardown complete too: every
 * close_async() callback runs, however late it was asked. */
static void
close_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  guint *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (interp_interpreter_close_finish (INTERP_INTERPRETER (source), result, &error));
  g_assert_no_error (error);
  (*done)++;
}

static void
test_close_many (void)
{
  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(InterpInterpreter) interp = new_interpreter ();
      guint done = 0;

      for (guint i = 0; i < 1000; i++)
        interp_interpreter_close_async (interp, NULL, close_done_cb, &done);
      while (done < 1000)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (done, ==, 1000);
    }
}

/* 8 threads, 3 interpreters, sync, async and cancelled calls mixed. */
typedef struct
{
  InterpInterpreter **interps;
  guint index;
  guint bad;
  guint cancelled;
  guint async_done;
} StressData;

static void
stress_async_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  StressData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_call_finish (INTERP_INTERPRETER (source), result, &error);

  if (value == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    data->bad++;
  if (value == NULL)
    data->cancelled++;
  data->async_done++;
}

static gpointer
stress_thread (gpointer user_data)
{
  StressData *data = user_data;
  GMainContext *context = g_main_context_new ();
  guint async_sent = 0;

  g_main_context_push_thread_default (context);
  for (guint i = 0; i < 60; i++)
    {
      InterpInterpreter *interp = data->interps[(data->index + i) % 3];
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      switch (i % 3)
        {
        case 0:
          {
            g_autoptr(GError) error = NULL;
            g_autoptr(GVariant) value =
              interp_interpreter_call (interp, "work", g_variant_new ("(x)", (gint64) i), NULL, NULL, &error);
            if (value == NULL || g_variant_get_int64 (value) != (gint64) i * 2)
              data->bad++;
          }
          break;
        case 1:
          interp_interpreter_call_async (interp, "work", g_variant_new ("(x)", (gint64) i), NULL,
                                         NULL, stress_async_cb, data);
          async_sent++;
          break;
        default:
          interp_interpreter_call_async (interp, "spin", NULL, NULL, cancellable, stress_async_cb, data);
          async_sent++;
          g_usleep (g_random_int_range (0, 2000));
          g_cancellable_cancel (cancellable);
          break;
        }
    }
  while (data->async_done < async_sent)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
test_stress (void)
{
  InterpInterpreter *interps[3];
  StressData data[8];
  GThread *threads[8];

  for (guint i = 0; i < 3; i++)
    {
      interps[i] = new_interpreter ();
      exec_ok (interps[i], "def work(x):\n    return sum([x, x])\n"
                           "def spin():\n    while True: pass\n");
    }
  for (guint i = 0; i < 8; i++)
    {
      data[i] = (StressData) { interps, i, 0, 0, 0 };
      threads[i] = g_thread_new ("stress", stress_thread, &data[i]);
    }
  for (guint i = 0; i < 8; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (data[i].bad, ==, 0);
      /* Every spin was cancelled, one way or the other, and reported so. */
      g_assert_cmpuint (data[i].cancelled, ==, 20);
      g_assert_cmpuint (data[i].async_done, ==, 40);
    }
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (eval_int (interps[i], "work(21)"), ==, 42);
      g_object_unref (interps[i]);
    }
}

static gboolean
watchdog_cancel_cb (gpointer user_data)
{
  g_test_message ("watchdog: the traced call is still running, cancelling it");
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Runs a traced function call; a hung call is cancelled by a watchdog
 * after a generous while, and then fails the test instead of hanging. */
static void
assert_traced_call_runs (InterpInterpreter *interp)
{
  g_autoptr(GCancellable) watchdog = g_cancellable_new ();
  Counts counts = { 0 };
  guint source;

  exec_ok (interp,
           "import sys\n"
           "events = []\n"
           "def tracer(frame, event, arg):\n"
           "    events.append(event)\n"
           "    return None\n"
           "def f():\n"
           "    return 1\n");
  interp_interpreter_exec_async (interp,
                                 "sys.settrace(tracer)\n"
                                 "f()\n"
                                 "sys.settrace(None)\n",
                                 watchdog, count_exec_cb, &counts);
  source = g_timeout_add_seconds (60, watchdog_cancel_cb, watchdog);
  wait_for_completions (&counts, 1);
  if (!g_cancellable_is_cancelled (watchdog))
    g_source_remove (source);
  g_assert_cmpuint (counts.cancelled, ==, 0);
  g_assert_cmpuint (counts.ok, ==, 1);
  g_assert_true (eval_bool (interp, "'call' in events"));
}

/* Cancelling a running call leaves nothing behind: tracing, which makes
 * Python 3.11 check for pending work at every function entry, still works
 * afterwards (it used to spin forever there). */
static void
test_cancel_then_trace (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Counts counts = { 0 };

      interp_interpreter_exec_async (interp, "while True: pass\n", cancellable,
                                     count_exec_cb, &counts);
      wait_running (interp);
      g_cancellable_cancel (cancellable);
      wait_for_completions (&counts, 1);
      g_assert_cmpuint (counts.cancelled, ==, 1);

      assert_traced_call_runs (interp);
    }
}

/* The same after a blocking queue get in Python code was cancelled: the
 * wait raises the cancellation itself. */
static void
test_cancel_wait_then_trace (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(InterpInterpreter) watcher = new_interpreter ();
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autofree char *waiting =
    g_strdup_printf ("interp_glib._has_waiting_getter(interp_glib.Queue(%" G_GINT64_FORMAT ")._handle)",
                     interp_queue_get_id (queue));

  exec_fmt (interp, "import interp_glib\nq = interp_glib.Queue(%" G_GINT64_FORMAT ")\n",
            interp_queue_get_id (queue));
  exec_ok (watcher, "import interp_glib\n");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Counts counts = { 0 };

      interp_interpreter_exec_async (interp, "q.get()\n", cancellable, count_exec_cb, &counts);
      while (!eval_bool (watcher, waiting))
        g_usleep (500);
      g_cancellable_cancel (cancellable);
      wait_for_completions (&counts, 1);
      g_assert_cmpuint (counts.cancelled, ==, 1);

      assert_traced_call_runs (interp);
    }
}

/* ------------------------------------------------------------------ */
/* Synchronous calls between interpreters                              */

/* Python code in one interpreter calls this through ctypes, which drops
 * the GIL around it: a synchronous exec in (or, with no code, a close of)
 * another interpreter, as C code called from Python would do. Returns 0
 * when it worked, 1 for RUNNING, 2 for cancelled, 3 otherwise. */
static GMutex cross_lock;
static GPtrArray *cross_errors;       /* the messages of failed calls */
static GCancellable *cross_watchdog;  /* ends calls that hang, in a failing test */

static int
cross_call (gint64      target_id,
            const char *code)
{
  g_autoptr(GError) error = NULL;
  InterpInterpreter *target = NULL;
  GList *all = interp_list_all ();
  gboolean ok;
  int ret;

  for (GList *l = all; l != NULL; l = l->next)
    if (interp_interpreter_get_id (l->data) == target_id)
      target = g_object_ref (l->data);
  g_list_free_full (all, g_object_unref);
  g_assert_nonnull (target);

  if (code != NULL)
    ok = interp_interpreter_exec (target, code, cross_watchdog, &error);
  else
    ok = interp_interpreter_close (target, &error);
  g_object_unref (target);

  if (ok)
    return 0;
  ret = g_error_matches (error, INTERP_ERROR, INTERP_ERROR_RUNNING) ? 1 :
        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? 2 : 3;
  g_mutex_lock (&cross_lock);
  g_ptr_array_add (cross_errors, g_strdup (error->message));
  g_mutex_unlock (&cross_lock);
  return ret;
}

static InterpInterpreter *
new_cross_interpreter (void)
{
  InterpInterpreter *interp;

#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
  /* Python 3.12's ctypes does not load in an isolated interpreter. */
  g_autoptr(GError) error = NULL;

  interp = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                           "gil", INTERP_GIL_SHARED, "use-main-obmalloc", TRUE,
                           "check-multi-interp-extensions", FALSE, NULL);
  g_assert_no_error (error);
#else
  interp = new_interpreter ();
#endif

  exec_fmt (interp,
            "import ctypes\n"
            "call = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int64, ctypes.c_char_p)(%" G_GINT64_FORMAT ")\n",
            (gint64) (gintptr) cross_call);
  return interp;
}

static void
cross_setup (void)
{
  cross_errors = g_ptr_array_new_with_free_func (g_free);
  cross_watchdog = g_cancellable_new ();
}

static void
cross_teardown (void)
{
  g_clear_pointer (&cross_errors, g_ptr_array_unref);
  g_clear_object (&cross_watchdog);
}

/* Runs @code in @interp; a call that hangs is ended by the watchdog after
 * a generous while, and the test then fails instead of hanging. */
static void G_GNUC_PRINTF (2, 3)
cross_exec (InterpInterpreter *interp,
            const char        *format,
            ...)
{
  g_autofree char *code = NULL;
  Counts counts = { 0 };
  guint source;
  va_list args;

  va_start (args, format);
  code = g_strdup_vprintf (format, args);
  va_end (args);

  interp_interpreter_exec_async (interp, code, NULL, count_exec_cb, &counts);
  source = g_timeout_add_seconds (60, watchdog_cancel_cb, cross_watchdog);
  wait_for_completions (&counts, 1);
  if (!g_cancellable_is_cancelled (cross_watchdog))
    g_source_remove (source);
  g_assert_false (g_cancellable_is_cancelled (cross_watchdog));
  g_assert_cmpuint (counts.ok, ==, 1);
}

static gint64
id_of (InterpInterpreter *interp)
{
  return interp_interpreter_get_id (interp);
}

static void
assert_one_cross_error (const char *expected)
{
  g_assert_cmpuint (cross_errors->len, ==, 1);
  g_test_message ("%s", (const char *) cross_errors->pdata[0]);
  g_assert_nonnull (strstr (cross_errors->pdata[0], expected));
  g_assert_nonnull (strstr (cross_errors->pdata[0], "wait for each other forever"));
  g_ptr_array_set_size (cross_errors, 0);
}

/* A calls B, whose code calls A: the second call fails at once instead of
 * both waiting forever, and both interpreters go on. */
static void
test_cross_cycle_two (void)
{
  g_autoptr(InterpInterpreter) a = NULL;
  g_autoptr(InterpInterpreter) b = NULL;
  g_autofree char *expected = NULL;

  cross_setup ();
  a = new_cross_interpreter ();
  b = new_cross_interpreter ();

  exec_fmt (a, "code = b\"r = call(%" G_GINT64_FORMAT ", b'pass')\"\n", id_of (a));
  cross_exec (a, "r = call(%" G_GINT64_FORMAT ", code)\n", id_of (b));
  g_assert_cmpint (eval_int (a, "r"), ==, 0);
  g_assert_cmpint (eval_int (b, "r"), ==, 1);
  expected = g_strdup_printf ("Interpreter %" G_GINT64_FORMAT " cannot wait for interpreter %"
                              G_GINT64_FORMAT ": ", id_of (b), id_of (a));
  assert_one_cross_error (expected);

  /* Nothing is left of the waits: each calls the other now. */
  exec_fmt (b, "r = call(%" G_GINT64_FORMAT ", b'x = 1')\n", id_of (a));
  g_assert_cmpint (eval_int (b, "r"), ==, 0);
  exec_fmt (a, "r = call(%" G_GINT64_FORMAT ", b'x = 2')\n", id_of (b));
  g_assert_cmpint (eval_int (a, "r + x"), ==, 1);
  g_assert_cmpint (eval_int (b, "x"), ==, 2);
  g_assert_cmpuint (cross_errors->len, ==, 0);

  /* Closing waits too: B cannot close A while A waits for B. */
  exec_fmt (a, "code = b\"r = call(%" G_GINT64_FORMAT ", None)\"\n", id_of (a));
  cross_exec (a, "r = call(%" G_GINT64_FORMAT ", code)\n", id_of (b));
  g_assert_cmpint (eval_int (b, "r"), ==, 1);
  g_assert_false (interp_interpreter_is_closed (a));
  assert_one_cross_error (expected);

  cross_teardown ();
}

/* A calls B calls C calls A: C's call fails, and names the chain. A chain
 * that does not come back works. */
static void
test_cross_cycle_three (void)
{
  g_autoptr(InterpInterpreter) a = NULL;
  g_autoptr(InterpInterpreter) b = NULL;
  g_autoptr(InterpInterpreter) c = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *chain = NULL;

  cross_setup ();
  a = new_cross_interpreter ();
  b = new_cross_interpreter ();
  c = new_cross_interpreter ();

  /* A runs B's b_code, which runs C's c_code. */
  exec_fmt (b, "b_code = b\"r = call(%" G_GINT64_FORMAT ", b'exec(c_code)')\"\n", id_of (c));
  exec_ok (c, "c_code = 'r = 5'\n");
  cross_exec (a, "r = call(%" G_GINT64_FORMAT ", b'exec(b_code)')\n", id_of (b));
  g_assert_cmpint (eval_int (a, "r"), ==, 0);
  g_assert_cmpint (eval_int (b, "r"), ==, 0);
  g_assert_cmpint (eval_int (c, "r"), ==, 5);
  g_assert_cmpuint (cross_errors->len, ==, 0);

  exec_fmt (c, "c_code = \"r = call(%" G_GINT64_FORMAT ", b'pass')\"\n", id_of (a));
  cross_exec (a, "r = call(%" G_GINT64_FORMAT ", b'exec(b_code)')\n", id_of (b));
  g_assert_cmpint (eval_int (a, "r"), ==, 0);
  g_assert_cmpint (eval_int (b, "r"), ==, 0);
  g_assert_cmpint (eval_int (c, "r"), ==, 1);
  expected = g_strdup_printf ("Interpreter %" G_GINT64_FORMAT " cannot wait for interpreter %"
                              G_GINT64_FORMAT ": ", id_of (c), id_of (a));
  chain = g_strdup_printf ("(%" G_GINT64_FORMAT " waits for %" G_GINT64_FORMAT ", %"
                           G_GINT64_FORMAT " waits for %" G_GINT64_FORMAT ")",
                           id_of (a), id_of (b), id_of (b), id_of (c));
  g_assert_cmpuint (cross_errors->len, ==, 1);
  g_assert_nonnull (strstr (cross_errors->pdata[0], chain));
  assert_one_cross_error (expected);

  cross_teardown ();
}

/* Cancelling code that waits for another interpreter cancels what it waits
 * for: the wait ends, and both interpreters stay usable.
 *
 * The wait can end before A's own interruption lands: the cancellation
 * starts an interrupter thread for A and cancels B's call at once, and
 * under load (or, on 3.11, when the shared GIL goes to B's interrupter and
 * then to A's returning call first) A's next statements run before it.
 * So what follows the wait can only end by that interruption: A's call
 * completing at all proves A's code was interrupted, and `r` stays unset
 * whenever it lands. */
static void
test_cross_wait_cancel (void)
{
  g_autoptr(InterpInterpreter) a = NULL;
  g_autoptr(InterpInterpreter) b = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *call = NULL;
  Counts counts = { 0 };

  cross_setup ();
  a = new_cross_interpreter ();
  b = new_cross_interpreter ();

  /* B spins for a minute at most: far longer than the test should take. */
  exec_ok (b, "import time\n");
  exec_ok (a, "code = b'deadline = time.monotonic() + 60\\n"
              "while time.monotonic() < deadline: pass\\n"
              "spun_out = True\\n'\n");
  call = g_strdup_printf ("waited = call(%" G_GINT64_FORMAT ", code)\n"
                          "while True: pass\n"
                          "r = waited\n", id_of (b));
  interp_interpreter_exec_async (a, call, cancellable, count_exec_cb, &counts);
  wait_running (b);
  g_cancellable_cancel (cancellable);
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.cancelled, ==, 1);

  g_assert_false (eval_bool (b, "'spun_out' in globals()"));
  g_assert_false (eval_bool (a, "'r' in globals()"));
  /* If the wait returned before the interruption, it was cancelled (2). */
  g_assert_true (eval_bool (a, "globals().get('waited', 2) == 2"));
  g_assert_cmpuint (cross_errors->len, ==, 1);
  g_ptr_array_set_size (cross_errors, 0);
  g_assert_cmpint (eval_int (a, "1 + 1"), ==, 2);
  g_assert_cmpint (eval_int (b, "2 + 2"), ==, 4);
  exec_fmt (a, "r = call(%" G_GINT64_FORMAT ", b'pass')\n", id_of (b));
  g_assert_cmpint (eval_int (a, "r"), ==, 0);

  cross_teardown ();
}

/* Cancels a loop @n times once it runs inside its `try`; returns how many
 * times its `except` and its `finally` ran (both counted in `caught` and
 * `cleanups`). */
static void
cancel_loops (const char *loop,
              gboolean    loop_first,
              guint       n,
              gint64     *caught,
              gint64     *cleanups)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  /* The put says the loop is about to run; with @loop_first, the loop is
   * the first statement of the `try`, and the put comes just before it. */
  g_autofree char *code = g_strdup_printf ("%stry:\n"
                                           "%s"
                                           "    %s\n"
                                           "except BaseException:\n"
                                           "    caught += 1\n"
                                           "    raise\n"
                                           "finally:\n"
                                           "    cleanups += 1\n",
                                           loop_first ? "q.put(1)\n" : "",
                                           loop_first ? "" : "    q.put(1)\n",
                                           loop);

  exec_fmt (interp, "import interp_glib\nq = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
            "go = True\nn = 0\ncaught = 0\ncleanups = 0\n", interp_queue_get_id (queue));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GVariant) item = NULL;
      g_autoptr(GError) error = NULL;
      Counts counts = { 0 };

      interp_interpreter_exec_async (interp, code, cancellable, count_exec_cb, &counts);
      item = interp_queue_get (queue, -1, NULL, &error);
      g_assert_no_error (error);
      /* Two bytecodes from the put to the loop: let them run. */
      if (loop_first)
        g_usleep (10000);
      g_cancellable_cancel (cancellable);
      wait_for_completions (&counts, 1);
      g_assert_cmpuint (counts.cancelled, ==, 1);
    }
  *caught = eval_int (interp, "caught");
  *cleanups = eval_int (interp, "cleanups");
  g_test_message ("%s: except ran %" G_GINT64_FORMAT ", finally %" G_GINT64_FORMAT " of %u cancellations",
                  loop, *caught, *cleanups, n);
}

/* A cancelled `while <condition>:` loop runs its `except` and `finally`
 * on every Python, 3.13 included: there, PyThreadState_SetAsyncExc()
 * skips them (gh-130279), so the executor raises through sys.monitoring. */
static void
test_cancel_cleanup_while_cond (void)
{
  gint64 caught, cleanups;

  cancel_loops ("while go:\n        n += 1", FALSE, 20, &caught, &cleanups);
  g_assert_cmpint (caught, ==, 20);
  g_assert_cmpint (cleanups, ==, 20);
}

/* A one-line `while True: pass` as the first statement of its `try`:
 * Python 3.11 skips the `except` and `finally` (CPython gh-108214, as
 * 3.12 would without the library's sys.monitoring path); everywhere else
 * they run. */
static void
test_cancel_cleanup_while_true (void)
{
  gint64 caught, cleanups;

  cancel_loops ("while True: pass", TRUE, 10, &caught, &cleanups);
#if PY_VERSION_HEX < 0x030C0000
  if (cleanups < 10)
    {
      /* The cancellation still ended the call, and nothing else broke. */
      g_assert_cmpint (caught, ==, cleanups);
      g_test_incomplete ("Python 3.11 skips the cleanup of a one-line `while True: pass` "
                         "loop on cancellation (CPython gh-108214)");
      return;
    }
#endif
  g_assert_cmpint (caught, ==, 10);
  g_assert_cmpint (cleanups, ==, 10);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/executor/cancel-queued", test_cancel_queued);
  g_test_add_func ("/executor/cancel-running", test_cancel_running);
  g_test_add_func ("/executor/cancel-no-gil-wait", test_cancel_no_gil_wait);
  g_test_add_func ("/executor/cancel-not-swallowed", test_cancel_not_swallowed);
  g_test_add_func ("/executor/cancel-not-in-importlib", test_cancel_not_in_importlib);
  g_test_add_func ("/executor/cancel-during-imports", test_cancel_during_imports);
  g_test_add_func ("/executor/cancel-during-traced-imports", test_cancel_during_traced_imports);
  g_test_add_func ("/executor/cancel-module-code", test_cancel_module_code);
  g_test_add_func ("/executor/cancel-sync-other-thread", test_cancel_sync_other_thread);
  g_test_add_func ("/executor/cancel-already", test_cancel_already);
  g_test_add_func ("/executor/cancel-blocking-call", test_cancel_blocking_call);
  g_test_add_func ("/executor/close-pending", test_close_pending);
  g_test_add_func ("/executor/close-sync-pending", test_close_sync_pending);
  g_test_add_func ("/executor/dispose-pending", test_dispose_pending);
  g_test_add_func ("/executor/dispose-idle", test_dispose_idle);
  g_test_add_func ("/executor/close-many", test_close_many);
  g_test_add_func ("/executor/stress", test_stress);
  g_test_add_func ("/executor/cancel-then-trace", test_cancel_then_trace);
  g_test_add_func ("/executor/cancel-wait-then-trace", test_cancel_wait_then_trace);
  g_test_add_func ("/executor/cancel-cleanup-while-cond", test_cancel_cleanup_while_cond);
  g_test_add_func ("/executor/cancel-cleanup-while-true", test_cancel_cleanup_while_true);
  g_test_add_func ("/executor/cross-cycle-two", test_cross_cycle_two);
  g_test_add_func ("/executor/cross-cycle-three", test_cross_cycle_three);
  g_test_add_func ("/executor/cross-wait-cancel", test_cross_wait_cancel);

  return finish_tests ();
}
