/* test-pool.c: InterpPool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No timed assertions: where a test needs parallelism it proves it with a
 * rendezvous that could not happen serially, and waits have generous
 * limits that only turn a hang into a failure.
 */

#include "test-common.h"

#include <glib-unix.h>
#include <unistd.h>

/* What every worker of these tests knows. */
static const char *initializer =
  POOL_TEST_FUNCTIONS
  "import time, interp_glib\n"
  "def current_id():\n"
  "    c = interp_glib.get_current()\n"
  "    return getattr(c, 'id', c)\n"
  "def spin():\n"
  "    while True:\n"
  "        pass\n"
  "def meet(mine, other):\n"
  "    interp_glib.Queue(mine).put(1)\n"
  "    return interp_glib.Queue(other).get(timeout=60)\n";

static InterpPool *
new_pool (guint max_workers,
          guint min_workers)
{
  return new_test_pool (initializer, max_workers, min_workers, 0);
}

static gint64
pool_call_int (InterpPool *pool,
               const char *callable,
               GVariant   *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_pool_call (pool, callable, args, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64));
  return g_variant_get_int64 (value);
}

static void
test_basic (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = interp_pool_new (0, NULL, &error);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) kwargs = NULL;
  GVariantDict dict;

  g_assert_no_error (error);
  g_assert_cmpuint (interp_pool_get_max_workers (pool), ==, g_get_num_processors ());
  g_assert_cmpuint (interp_pool_get_min_workers (pool), ==, 0);
  g_assert_cmpuint (interp_pool_get_n_workers (pool), ==, 0);
  g_assert_false (interp_pool_is_broken (pool));

  value = interp_pool_call (pool, "abs", g_variant_new ("(x)", G_GINT64_CONSTANT (-42)), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (value), ==, 42);
  g_clear_pointer (&value, g_variant_unref);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "base", "x", G_GINT64_CONSTANT (16));
  kwargs = g_variant_ref_sink (g_variant_dict_end (&dict));
  value = interp_pool_call (pool, "int", g_variant_new ("(s)", "ff"), kwargs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (value), ==, 255);
  g_clear_pointer (&value, g_variant_unref);

  value = interp_pool_call (pool, "math:factorial", g_variant_new ("(x)", G_GINT64_CONSTANT (20)), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (value), ==, G_GINT64_CONSTANT (2432902008176640000));
  g_clear_pointer (&value, g_variant_unref);

  /* The same errors as an interpreter's call. */
  value = interp_pool_call (pool, "no_such_function", NULL, NULL, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "NameError: "));
  g_clear_error (&error);

  value = interp_pool_call (pool, "not a name", NULL, NULL, NULL, &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  value = interp_pool_call (pool, "abs", g_variant_new_string ("x"), NULL, NULL, &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_cmpuint (interp_pool_get_n_workers (pool), >=, 1);
  g_assert_true (interp_pool_shutdown (pool, FALSE, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (interp_pool_get_n_workers (pool), ==, 0);
}

static void
test_bad_construction (void)
{
  g_autoptr(GError) error = NULL;
  GObject *pool;

  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 2, "min-workers", 3, NULL);
  g_assert_null (pool);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "gil", INTERP_GIL_OWN, "use-main-obmalloc", TRUE, NULL);
  g_assert_null (pool);
  g_assert_nonnull (error);
  g_assert_true (error->domain == INTERP_ERROR);
  g_clear_error (&error);

  /* An uninitialized pool refuses calls clearly. */
  pool = g_object_new (INTERP_TYPE_POOL, NULL);
  g_assert_null (interp_pool_call (INTERP_POOL (pool), "abs", g_variant_new ("(x)", G_GINT64_CONSTANT (1)),
                                   NULL, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_FAILED);
  g_clear_error (&error);
  g_object_unref (pool);
}

static void
check_squares (GVariant *results,
               guint     n)
{
  g_assert_true (g_variant_is_of_type (results, G_VARIANT_TYPE ("av")));
  g_assert_cmpuint (g_variant_n_children (results), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (results, i);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);

      g_assert_cmpint (g_variant_get_int64 (value), ==, (gint64) i * i);
    }
}

static void
test_map_order (void)
{
  g_autoptr(InterpPool) pool = new_pool (3, 3);
  g_autoptr(GError) error = NULL;
  guint chunks[] = { 0, 1, 7, 1000 };

  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++)
    {
      g_autoptr(GVariant) results = interp_pool_map (pool, "square", int_args_list (500), chunks[c], NULL, &error);

      g_assert_no_error (error);
      check_squares (results, 500);
    }

  /* The async form, from the main loop; an empty map too. */
  {
    AsyncWait wait = { 0 };
    g_autoptr(GVariant) results = NULL;

    interp_pool_map_async (pool, "square", int_args_list (123), 5, NULL, async_wait_cb, &wait);
    results = interp_pool_map_finish (pool, async_wait_run (&wait), &error);
    g_assert_no_error (error);
    check_squares (results, 123);
    g_assert_cmpuint (wait.count, ==, 1);
    async_wait_clear (&wait);
    g_clear_pointer (&results, g_variant_unref);

    results = interp_pool_map (pool, "square", int_args_list (0), 0, NULL, &error);
    g_assert_no_error (error);
    check_squares (results, 0);
  }

  /* av holding tuples works as well; anything else is refused. */
  {
    g_autoptr(GVariant) results = NULL;
    GVariantBuilder builder;

    g_variant_builder_init (&builder, G_VARIANT_TYPE ("av"));
    g_variant_builder_add (&builder, "v", g_variant_new ("(x)", G_GINT64_CONSTANT (0)));
    g_variant_builder_add (&builder, "v", g_variant_new ("(x)", G_GINT64_CONSTANT (1)));
    results = interp_pool_map (pool, "square", g_variant_builder_end (&builder), 1, NULL, &error);
    g_assert_no_error (error);
    check_squares (results, 2);
    g_clear_pointer (&results, g_variant_unref);

    results = interp_pool_map (pool, "square", g_variant_new ("(x)", G_GINT64_CONSTANT (1)), 1, NULL, &error);
    g_assert_null (results);
    g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr (error->message, ==,
                     "args_list must be an array of argument tuples (GVariant type such as "
                     "'a(x)', or 'av' holding tuples), got '(x)'");
    g_clear_error (&error);

    results = interp_pool_map (pool, "square", g_variant_new_parsed ("[1, 2]"), 1, NULL, &error);
    g_assert_null (results);
    g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr (error->message, ==,
                     "args_list item 0 must be a tuple of arguments (GVariant type 'r', "
                     "such as '(xs)'), got 'i'");
    g_clear_error (&error);
  }
}

static void
test_map_failure (void)
{
  /* One worker: items run in order, so what ran after the failure is known. */
  g_autoptr(InterpPool) pool = new_pool (1, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) results = NULL;

  results = interp_pool_map (pool, "fail_at", fail_args_list (100, "[3, 50]"), 1, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_assert_cmpstr (error->message, ==, "ValueError: bad item 3 (item 3)");
  g_clear_error (&error);
  /* Items 0 to 3 ran; the other 96 were dropped. */
  g_assert_cmpint (pool_call_int (pool, "count", NULL), ==, 4);

  /* With several workers and chunks, still the first failure in input order. */
  {
    g_autoptr(InterpPool) wide = new_pool (3, 3);

    for (guint round = 0; round < 5; round++)
      {
        results = interp_pool_map (wide, "fail_at", fail_args_list (300, "[17, 18, 250, 299]"), 4,
                                   NULL, &error);
        g_assert_null (results);
        g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
        g_assert_true (g_str_has_prefix (error->message, "ValueError: bad item 17"));
        g_clear_error (&error);
      }
  }
}

static void
test_initializer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = NULL;

  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                         "max-workers", 2, "min-workers", 2,
                         "initializer", "import math\nmagic = 6 * 7\ndef get_magic():\n    return magic\n",
                         NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (interp_pool_get_n_workers (pool), ==, 2);
  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (pool_call_int (pool, "get_magic", NULL), ==, 42);
}

static void
test_broken_initializer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = NULL;
  AsyncWait waits[5] = { 0 };
  GObject *object;

  /* At init: the pool cannot be made. */
  object = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 2, "min-workers", 1,
                           "initializer", "x = 1 / 0\n", NULL);
  g_assert_null (object);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
  g_assert_nonnull (strstr (error->message, "ZeroDivisionError"));
  g_assert_null (strchr (error->message, '\n'));
  /* The broken pool's error carries the initializer's exception. */
  {
    g_autoptr(InterpExceptionInfo) info = interp_exception_info_from_error (error);

    g_assert_nonnull (info);
    g_assert_cmpstr (interp_exception_info_get_type_name (info), ==, "ZeroDivisionError");
    g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "1 / 0"));
  }
  g_clear_error (&error);

  /* On demand: the calls that waited fail, and so does every later one. */
  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 2,
                         "initializer", "import no_such_module_here\n", NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (waits); i++)
    interp_pool_call_async (pool, "abs", g_variant_new ("(x)", (gint64) i), NULL, NULL, async_wait_cb, &waits[i]);
  for (guint i = 0; i < G_N_ELEMENTS (waits); i++)
    {
      g_autoptr(GVariant) value = interp_pool_call_finish (pool, async_wait_run (&waits[i]), &error);

      g_assert_null (value);
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
      g_assert_nonnull (strstr (error->message, "ModuleNotFoundError"));
      g_clear_error (&error);
      g_assert_cmpuint (waits[i].count, ==, 1);
      async_wait_clear (&waits[i]);
    }
  g_assert_true (interp_pool_is_broken (pool));
  g_assert_null (interp_pool_call (pool, "abs", g_variant_new ("(x)", G_GINT64_CONSTANT (1)), NULL, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
  g_clear_error (&error);
  /* It does not loop making workers: the ones being made when it broke
   * go, and no others come. */
  WAIT_FOR (interp_pool_get_n_workers (pool) == 0);
  g_assert_null (interp_pool_call (pool, "abs", g_variant_new ("(x)", G_GINT64_CONSTANT (1)), NULL, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
  g_clear_error (&error);
  g_assert_cmpuint (interp_pool_get_n_workers (pool), ==, 0);
}

static void
test_recycle (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = NULL;
  gint64 ids[9];
  g_autoptr(GVariant) results = NULL;

  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 1, "min-workers", 1,
                         "max-tasks-per-worker", 3, "initializer", initializer, NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    ids[i] = pool_call_int (pool, "current_id", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      if (i % 3 != 0)
        g_assert_cmpint (ids[i], ==, ids[i - 1]);
      else if (i > 0)
        g_assert_cmpint (ids[i], !=, ids[i - 1]);
    }

  /* Map items count as tasks: each worker ran at most 3 before being replaced. */
  results = interp_pool_map (pool, "square", int_args_list (30), 1, NULL, &error);
  g_assert_no_error (error);
  check_squares (results, 30);
  g_assert_cmpint (pool_call_int (pool, "count", NULL), ==, 0);
}

static void
test_idle_prune (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = NULL;
  g_autoptr(InterpQueue) a = interp_queue_new (0, NULL);
  g_autoptr(InterpQueue) b = interp_queue_new (0, NULL);
  AsyncWait wa = { 0 }, wb = { 0 };
  g_autoptr(GVariant) ra = NULL;
  g_autoptr(GVariant) rb = NULL;

  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 3, "min-workers", 1,
                         "idle-timeout", 1, "initializer", initializer, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (interp_pool_get_n_workers (pool), ==, 1);

  /* Two calls that can only finish together: two workers at once. */
  interp_pool_call_async (pool, "meet", g_variant_new ("(xx)", interp_queue_get_id (a), interp_queue_get_id (b)),
                          NULL, NULL, async_wait_cb, &wa);
  interp_pool_call_async (pool, "meet", g_variant_new ("(xx)", interp_queue_get_id (b), interp_queue_get_id (a)),
                          NULL, NULL, async_wait_cb, &wb);
  ra = interp_pool_call_finish (pool, async_wait_run (&wa), &error);
  g_assert_no_error (error);
  rb = interp_pool_call_finish (pool, async_wait_run (&wb), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (interp_pool_get_n_workers (pool), >=, 2);

  /* Back to the minimum once they were idle for a second. */
  WAIT_FOR (interp_pool_get_n_workers (pool) == 1);
  g_assert_cmpint (pool_call_int (pool, "square", g_variant_new ("(x)", G_GINT64_CONSTANT (9))), ==, 81);
  async_wait_clear (&wa);
  async_wait_clear (&wb);
}

/* What test_timeout_blocked's workers know. Its task timeout, short to
 * keep the test short, covers every initializer and call: so no
 * `import interp_glib` (a third of a second of CPU on 3.13, and much more
 * on a busy machine), and the calls meet through pipes. The initializer
 * says that it ran by writing to the file descriptor given. */
#define TIMEOUT_INITIALIZER \
  "import os, select, time\n" \
  "def spin():\n" \
  "    while True:\n" \
  "        pass\n" \
  "def meet(mine, other):\n" \
  "    os.write(mine, b'\\x01')\n" \
  "    if not select.select([other], [], [], 60)[0]:\n" \
  "        raise TimeoutError('the other call never came')\n" \
  "    return os.read(other, 1)[0]\n" \
  "os.write(%d, b'.')\n"

/* Waits (a minute at most) until one more worker ran the initializer. */
static void
wait_worker_ready (int ready_fd)
{
  GPollFD poll_fd = { ready_fd, G_IO_IN, 0 };
  char byte;

  g_assert_cmpint (g_poll (&poll_fd, 1, 60 * 1000), ==, 1);
  g_assert_cmpint (read (ready_fd, &byte, 1), ==, 1);
}

/* Two calls that meet through pipes: they finish only if they run at once. */
static void
run_two_in_parallel (InterpPool *pool)
{
  g_autoptr(GError) error = NULL;
  int a[2], b[2];
  AsyncWait wa = { 0 }, wb = { 0 };
  g_autoptr(GVariant) ra = NULL;
  g_autoptr(GVariant) rb = NULL;

  g_assert_true (g_unix_open_pipe (a, FD_CLOEXEC, &error));
  g_assert_true (g_unix_open_pipe (b, FD_CLOEXEC, &error));
  interp_pool_call_async (pool, "meet", g_variant_new ("(xx)", (gint64) a[1], (gint64) b[0]),
                          NULL, NULL, async_wait_cb, &wa);
  interp_pool_call_async (pool, "meet", g_variant_new ("(xx)", (gint64) b[1], (gint64) a[0]),
                          NULL, NULL, async_wait_cb, &wb);
  ra = interp_pool_call_finish (pool, async_wait_run (&wa), &error);
  g_assert_no_error (error);
  rb = interp_pool_call_finish (pool, async_wait_run (&wb), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (ra), ==, 1);
  g_assert_cmpint (g_variant_get_int64 (rb), ==, 1);
  async_wait_clear (&wa);
  async_wait_clear (&wb);
  for (guint i = 0; i < 2; i++)
    {
      close (a[i]);
      close (b[i]);
    }
}

static void
test_timeout_blocked (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree char *init = NULL;
  gint64 start, elapsed;
  int ready[2];

  g_assert_true (g_unix_open_pipe (ready, FD_CLOEXEC, &error));
  init = g_strdup_printf (TIMEOUT_INITIALIZER, ready[1]);
  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 2, "min-workers", 2,
                         "task-timeout", test_ms (1500), "initializer", init, NULL);
  g_assert_no_error (error);
  wait_worker_ready (ready[0]);
  wait_worker_ready (ready[0]);

  start = g_get_monotonic_time ();
  value = interp_pool_call (pool, "time:sleep", g_variant_new ("(x)", G_GINT64_CONSTANT (600)), NULL, NULL, &error);
  elapsed = g_get_monotonic_time () - start;
  g_assert_null (value);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  /* In seconds, as every face's users read it (unless scaled). */
  if (test_ms (1500) == 1500)
    g_assert_cmpstr (error->message, ==, "The call ran longer than the pool's task timeout (1.5 s)");
  g_test_message ("time.sleep(600) under a %u ms timeout completed after %" G_GINT64_FORMAT " ms",
                  test_ms (1500), elapsed / 1000);
  g_clear_error (&error);

  /* The stuck worker was replaced: two calls still run at once. The
   * replacement is made at once; waiting for it keeps its making out of
   * the first call's timeout. */
  wait_worker_ready (ready[0]);
  run_two_in_parallel (pool);
  g_assert_cmpuint (interp_pool_get_n_workers (pool), ==, 2);

  /* A pure-Python loop reacts to the interrupt: its worker stays. */
  value = interp_pool_call (pool, "spin", NULL, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  run_two_in_parallel (pool);
  /* The ready pipe stays open: a worker still being made (if the loop's
   * was abandoned after all) writes to it. */
}

static gpointer
cancel_later_thread (gpointer data)
{
  g_usleep (100000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = new_pool (1, 1);
  g_autoptr(GCancellable) running = g_cancellable_new ();
  g_autoptr(GCancellable) queued = g_cancellable_new ();
  g_autoptr(GCancellable) blocked = g_cancellable_new ();
  AsyncWait w1 = { 0 }, w2 = { 0 };
  g_autoptr(GVariant) value = NULL;

  /* A running spin loop is interrupted; a queued call is dropped unrun. */
  interp_pool_call_async (pool, "spin", NULL, NULL, running, async_wait_cb, &w1);
  interp_pool_call_async (pool, "square", g_variant_new ("(x)", G_GINT64_CONSTANT (3)), NULL, queued,
                          async_wait_cb, &w2);
  WAIT_FOR (interp_pool_get_n_busy (pool) == 1);
  g_cancellable_cancel (queued);
  g_cancellable_cancel (running);
  value = interp_pool_call_finish (pool, async_wait_run (&w1), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  value = interp_pool_call_finish (pool, async_wait_run (&w2), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (pool_call_int (pool, "count", NULL), ==, 0);
  async_wait_clear (&w1);
  async_wait_clear (&w2);

  /* Blocked in C: completes after the grace period anyway. */
  /* The sync call blocks this thread: cancel from another. */
  g_thread_unref (g_thread_new ("cancel", cancel_later_thread, blocked));
  value = interp_pool_call (pool, "time:sleep", g_variant_new ("(x)", G_GINT64_CONSTANT (600)), NULL, blocked, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (pool_call_int (pool, "square", g_variant_new ("(x)", G_GINT64_CONSTANT (5))), ==, 25);

  /* Already cancelled: fails without running. */
  value = interp_pool_call (pool, "square", g_variant_new ("(x)", G_GINT64_CONSTANT (3)), NULL, running, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

static void
count_call_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Counts *counts = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_pool_call_finish (INTERP_POOL (source), result, &error);

  counts->completions++;
  if (value != NULL)
    counts->ok++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    counts->cancelled++;
  else if (g_error_matches (error, INTERP_ERROR, INTERP_ERROR_SHUT_DOWN))
    counts->not_found++;
  else
    counts->other++;
}

static void
test_cancel_storm (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 2);
  GPtrArray *cancellables = g_ptr_array_new_with_free_func (g_object_unref);
  Counts counts;
  const guint n = 600;

  counts_init (&counts);
  for (guint i = 0; i < n; i++)
    {
      GCancellable *c = g_cancellable_new ();

      g_ptr_array_add (cancellables, c);
      interp_pool_call_async (pool, i % 7 == 0 ? "spin" : "square",
                              i % 7 == 0 ? NULL : g_variant_new ("(x)", (gint64) i),
                              NULL, c, count_call_cb, &counts);
      if (i % 3 == 0)
        g_cancellable_cancel (g_ptr_array_index (cancellables, g_random_int_range (0, i + 1)));
    }
  /* Every spin loop must be cancelled for the storm to end. */
  for (guint i = 0; i < n; i += 7)
    g_cancellable_cancel (g_ptr_array_index (cancellables, i));
  for (guint i = 0; i < n; i++)
    {
      if (g_random_boolean ())
        g_cancellable_cancel (g_ptr_array_index (cancellables, i));
      if (i % 50 == 0)
        drain_main_context ();
    }
  WAIT_FOR (counts.completions == n);
  drain_main_context ();
  g_assert_cmpuint (counts.completions, ==, n);
  g_assert_cmpuint (counts.ok + counts.cancelled, ==, n);
  g_assert_cmpuint (counts.other, ==, 0);
  g_test_message ("cancel storm: %u ok, %u cancelled", counts.ok, counts.cancelled);
  g_assert_cmpuint (interp_pool_get_n_pending (pool), ==, 0);
  WAIT_FOR (interp_pool_get_n_busy (pool) == 0);
  counts_clear (&counts);
  g_ptr_array_unref (cancellables);
}

static void
test_shutdown (void)
{
  for (guint cancel_pending = 0; cancel_pending <= 1; cancel_pending++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpPool) pool = new_pool (1, 1);
      g_autoptr(GVariant) value = NULL;
      Counts counts;
      const guint n = 50;
      GList *all, *l;
      gint64 worker_id = pool_call_int (pool, "current_id", NULL);
      gboolean listed = FALSE;

      counts_init (&counts);
      for (guint i = 0; i < n; i++)
        interp_pool_call_async (pool, "square", g_variant_new ("(x)", (gint64) i), NULL, NULL,
                                count_call_cb, &counts);
      g_assert_true (interp_pool_shutdown (pool, cancel_pending, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (interp_pool_get_n_workers (pool), ==, 0);

      /* Its worker is gone. */
      all = interp_list_all ();
      for (l = all; l != NULL; l = l->next)
        listed |= interp_interpreter_get_id (l->data) == worker_id;
      g_list_free_full (all, g_object_unref);
      g_assert_false (listed);

      value = interp_pool_call (pool, "square", g_variant_new ("(x)", G_GINT64_CONSTANT (1)), NULL, NULL, &error);
      g_assert_null (value);
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_SHUT_DOWN);
      g_clear_error (&error);

      WAIT_FOR (counts.completions == n);
      drain_main_context ();
      g_assert_cmpuint (counts.completions, ==, n);
      if (cancel_pending)
        {
          g_assert_cmpuint (counts.ok + counts.cancelled, ==, n);
          g_test_message ("shutdown(cancel_pending): %u ran, %u cancelled", counts.ok, counts.cancelled);
        }
      else
        g_assert_cmpuint (counts.ok, ==, n);

      /* Again: nothing to do. */
      g_assert_true (interp_pool_shutdown (pool, FALSE, NULL, &error));
      g_assert_no_error (error);
      counts_clear (&counts);
    }
}

static void
shutdown_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (interp_pool_shutdown_finish (INTERP_POOL (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
test_shutdown_async (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 0);
  Counts counts;
  gboolean done = FALSE;
  const guint n = 40;

  counts_init (&counts);
  for (guint i = 0; i < n; i++)
    interp_pool_call_async (pool, "square", g_variant_new ("(x)", (gint64) i), NULL, NULL, count_call_cb, &counts);
  interp_pool_shutdown_async (pool, TRUE, NULL, shutdown_done_cb, &done);
  /* Refused at once. */
  interp_pool_call_async (pool, "square", g_variant_new ("(x)", G_GINT64_CONSTANT (1)), NULL, NULL, count_call_cb, &counts);
  WAIT_FOR (done && counts.completions == n + 1);
  g_assert_cmpuint (counts.not_found, ==, 1);
  g_assert_cmpuint (counts.ok + counts.cancelled, ==, n);
  g_assert_cmpuint (counts.other, ==, 0);
  counts_clear (&counts);
}

static void
test_dispose_pending (void)
{
  InterpPool *pool = new_pool (2, 1);
  Counts counts;
  const guint n = 200;

  counts_init (&counts);
  g_object_add_weak_pointer (G_OBJECT (pool), (gpointer *) &pool);
  for (guint i = 0; i < n; i++)
    interp_pool_call_async (pool, "square", g_variant_new ("(x)", (gint64) i), NULL, NULL, count_call_cb, &counts);
  /* The calls keep it alive until each completed, once. */
  g_object_unref (pool);
  WAIT_FOR (counts.completions == n);
  drain_main_context ();
  g_assert_cmpuint (counts.ok, ==, n);
  WAIT_FOR (pool == NULL);
  counts_clear (&counts);

  /* With no call in flight, dropping it closes its workers. */
  pool = new_pool (2, 2);
  g_object_add_weak_pointer (G_OBJECT (pool), (gpointer *) &pool);
  g_object_unref (pool);
  /* A worker's starting thread may hold it a moment longer. */
  WAIT_FOR (g_atomic_pointer_get (&pool) == NULL);
}

typedef struct
{
  InterpPool *pool;
  guint thread;
  gint64 sum;
} ThreadWork;

static gpointer
hammer_thread (gpointer data)
{
  ThreadWork *work = data;

  for (gint64 i = 0; i < 150; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = NULL;

      if (i % 10 == 9)
        {
          g_autoptr(GVariant) results = interp_pool_map (work->pool, "square", int_args_list (20), 3, NULL, &error);

          g_assert_no_error (error);
          check_squares (results, 20);
          continue;
        }
      value = interp_pool_call (work->pool, "square", g_variant_new ("(x)", i + work->thread * 1000), NULL, NULL, &error);
      g_assert_no_error (error);
      work->sum += g_variant_get_int64 (value);
    }
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr(InterpPool) pool = new_pool (3, 1);
  ThreadWork work[8];
  GThread *threads[8];

  for (guint t = 0; t < 8; t++)
    {
      work[t] = (ThreadWork) { pool, t, 0 };
      threads[t] = g_thread_new ("hammer", hammer_thread, &work[t]);
    }
  for (guint t = 0; t < 8; t++)
    {
      gint64 expected = 0;

      g_thread_join (threads[t]);
      for (gint64 i = 0; i < 150; i++)
        if (i % 10 != 9)
          expected += (i + t * 1000) * (i + t * 1000);
      g_assert_cmpint (work[t].sum, ==, expected);
    }
}

static void
notify_busy_cb (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  guint *max_busy = user_data;

  *max_busy = MAX (*max_busy, interp_pool_get_n_busy (INTERP_POOL (object)));
}

static void
notify_pending_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_notify (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 2);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint max_busy = 0, pending_notifies = 0;
  AsyncWait w1 = { 0 }, w2 = { 0 }, w3 = { 0 };
  g_autoptr(GError) error = NULL;

  g_signal_connect (pool, "notify::n-busy", G_CALLBACK (notify_busy_cb), &max_busy);
  g_signal_connect (pool, "notify::n-pending", G_CALLBACK (notify_pending_cb), &pending_notifies);

  interp_pool_call_async (pool, "spin", NULL, NULL, cancellable, async_wait_cb, &w1);
  interp_pool_call_async (pool, "spin", NULL, NULL, cancellable, async_wait_cb, &w2);
  interp_pool_call_async (pool, "spin", NULL, NULL, cancellable, async_wait_cb, &w3);
  WAIT_FOR (max_busy == 2);
  g_assert_cmpuint (interp_pool_get_n_pending (pool), ==, 1);
  g_cancellable_cancel (cancellable);
  async_wait_run (&w1);
  async_wait_run (&w2);
  async_wait_run (&w3);
  g_assert_null (interp_pool_call_finish (pool, w3.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  WAIT_FOR (interp_pool_get_n_busy (pool) == 0 && interp_pool_get_n_pending (pool) == 0);
  /* Notified in this (the creator's) context: pending went 1 and back to 0. */
  WAIT_FOR (pending_notifies >= 2);
  async_wait_clear (&w1);
  async_wait_clear (&w2);
  async_wait_clear (&w3);
}

static void
test_shutdown_abandoned (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpPool) pool = NULL;
      g_autoptr(GVariant) value = NULL;

      pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 1,
                             "task-timeout", test_ms (300), NULL);
      g_assert_no_error (error);
      value = interp_pool_call (pool, "time:sleep", g_variant_new ("(x)", G_GINT64_CONSTANT (600)),
                                NULL, NULL, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_clear_error (&error);
      g_assert_true (interp_pool_shutdown (pool, FALSE, NULL, &error));
      g_assert_no_error (error);

      /* Python cannot be finalized under the blocked call: no hang, an error. */
      g_assert_false (interp_shutdown (&error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING);
      g_test_message ("%s", error->message);
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* An initializer is a call like the others: the task timeout covers it. */
static void
test_initializer_timeout (void)
{
  g_autoptr(GError) error = NULL;
  /* A grace long enough for the interrupt to land on a loaded machine
   * (on 3.11 it waits for the shared GIL): only then is "not abandoned"
   * a fair check. */
  g_autoptr(InterpPool) pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                                               "max-workers", 1,
                                               "task-timeout", test_ms (200),
                                               "grace-period", test_ms (10000),
                                               "initializer", "while True:\n    pass\n",
                                               NULL);
  g_autoptr(GVariant) value = NULL;

  g_assert_no_error (error);
  value = interp_pool_call (pool, "builtins:abs", g_variant_new ("(x)", (gint64) -1), NULL, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
  g_assert_nonnull (strstr (error->message, "initializer ran longer than the task timeout"));
  if (test_ms (200) == 200)
    g_assert_nonnull (strstr (error->message, "the task timeout (0.2 s)"));
  g_test_message ("%s", error->message);
  /* Interrupted in time: not abandoned. */
  g_assert_null (strstr (error->message, "abandoned"));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  g_assert_true (interp_pool_shutdown (pool, FALSE, NULL, &error));
  g_assert_no_error (error);
}

/* ... also when it is blocked in C: the wait ends after the grace period. */
static void
test_initializer_timeout_blocked (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpPool) pool = NULL;
      g_autoptr(GVariant) value = NULL;

      pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 1,
                             "task-timeout", test_ms (200),
                             "initializer", "import time\ntime.sleep(600)\n", NULL);
      g_assert_no_error (error);
      value = interp_pool_call (pool, "builtins:abs", g_variant_new ("(x)", (gint64) -1),
                                NULL, NULL, &error);
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
      g_assert_nonnull (strstr (error->message, "ran longer than the task timeout"));
      g_assert_nonnull (strstr (error->message, "abandoned"));
      g_clear_error (&error);
      g_assert_true (interp_pool_shutdown (pool, FALSE, NULL, &error));
      g_assert_no_error (error);
      g_assert_false (interp_shutdown (&error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNNING);
      /* The abandoned interpreter, asleep in C for good, is never freed
       * (by design: nothing can end it), and with it what Python compiled
       * for the initializer: no leak check at exit. */
      g_clear_error (&error);
      g_clear_pointer (&value, g_variant_unref);
      g_clear_object (&pool);
      _exit (0);
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* g_initable_init() waits for min-workers: its cancellable ends the wait,
 * and the initializers that run are interrupted. */
static void
test_init_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GThread *canceller = g_thread_new ("cancel", cancel_later_thread, cancellable);
  InterpPool *pool = g_initable_new (INTERP_TYPE_POOL, cancellable, &error,
                                     "max-workers", 2, "min-workers", 2,
                                     "initializer", "while True:\n    pass\n", NULL);

  g_thread_join (canceller);
  g_assert_null (pool);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Without a task timeout, shutting down and cancelling what is pending
 * interrupts an initializer that would never return. */
static void
test_shutdown_stops_initializer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                                               "max-workers", 1,
                                               "initializer", "while True:\n    pass\n", NULL);
  g_autoptr(GVariant) value = NULL;
  AsyncWait wait = { 0 };

  g_assert_no_error (error);
  interp_pool_call_async (pool, "builtins:abs", g_variant_new ("(x)", (gint64) -1), NULL, NULL,
                          async_wait_cb, &wait);
  g_assert_true (interp_pool_shutdown (pool, TRUE, NULL, &error));
  g_assert_no_error (error);
  value = interp_pool_call_finish (pool, async_wait_run (&wait), &error);
  g_assert_null (value);
  g_assert_nonnull (error);
  g_test_message ("the pending call: %s", error->message);
  g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                 g_error_matches (error, INTERP_ERROR, INTERP_ERROR_BROKEN));
  async_wait_clear (&wait);
}

/* A chunk's timeout is the task timeout times its items: 65536 ms times
 * 65536 items once wrapped to 0 in 32 bits and timed the map out at once. */
static void
test_chunk_timeout_overflow (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                                               "max-workers", 1, "task-timeout", 65536, NULL);
  GVariantBuilder builder;
  g_autoptr(GVariant) values = NULL;
  const guint n = 65536;

  g_assert_no_error (error);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(x)"));
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&builder, "(x)", -(gint64) i);
  values = interp_pool_map (pool, "builtins:abs", g_variant_builder_end (&builder), n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (values), ==, n);
  {
    g_autoptr(GVariant) last = g_variant_get_child_value (values, n - 1);
    g_autoptr(GVariant) inner = g_variant_get_variant (last);

    g_assert_cmpint (g_variant_get_int64 (inner), ==, n - 1);
  }
}

/* Hours are ordinary for batch work: the whole guint range is valid. */
static void
test_task_timeout_range (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                                               "max-workers", 1, "task-timeout", G_MAXUINT, NULL);
  guint timeout = 0;

  g_assert_no_error (error);
  g_object_get (pool, "task-timeout", &timeout, NULL);
  g_assert_cmpuint (timeout, ==, G_MAXUINT);
  g_assert_cmpint (pool_call_int (pool, "builtins:abs", g_variant_new ("(x)", (gint64) -5)), ==, 5);
}

/* Async calls made on a thread without a thread-default context complete
 * in the global default one, which another thread (here the test's) runs:
 * a completion may come before the submitting call has connected the
 * cancellable, and the connection must still be undone. */
typedef struct
{
  InterpPool *pool;
  guint rounds;
  gint done;
} ForeignSubmit;

static void
foreign_map_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ForeignSubmit *fs = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_pool_map_finish (INTERP_POOL (source), result, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (value), ==, 0);
  g_atomic_int_inc (&fs->done);
}

static gpointer
foreign_submit_thread (gpointer data)
{
  ForeignSubmit *fs = data;

  for (guint i = 0; i < fs->rounds; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      /* An empty map completes at once, inside the submitting call. */
      interp_pool_map_async (fs->pool, "len", g_variant_new ("a(s)", NULL), 0, cancellable,
                             foreign_map_cb, fs);
    }
  return NULL;
}

static void
test_foreign_context (void)
{
  g_autoptr(InterpPool) pool = new_pool (1, 0);
  ForeignSubmit fs = { pool, 2000, 0 };
  GThread *thread = g_thread_new ("submitter", foreign_submit_thread, &fs);

  /* Spinning, not sleeping: a completion is dispatched as soon as it
   * is there, often while the submitting call still runs. */
  while ((guint) g_atomic_int_get (&fs.done) < fs.rounds)
    g_main_context_iteration (NULL, FALSE);
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&fs.done), ==, fs.rounds);
}

/* The seven configuration properties of @interp, on one line. */
static char *
config_of (InterpInterpreter *interp)
{
  static const char *const names[] = {
    "gil", "use-main-obmalloc", "allow-fork", "allow-exec", "allow-threads",
    "allow-daemon-threads", "check-multi-interp-extensions",
  };
  GString *line = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      g_autofree char *text = NULL;

      g_object_get_property (G_OBJECT (interp), names[i], &value);
      text = g_strdup_value_contents (&value);
      g_string_append_printf (line, "%s%s=%s", i > 0 ? " " : "", names[i], text);
    }
  return g_string_free (line, FALSE);
}

/* (transfer full) The live interpreter @id, from interp_list_all(). */
static InterpInterpreter *
find_interpreter (gint64 id)
{
  GList *all = interp_list_all ();
  InterpInterpreter *found = NULL;

  for (GList *l = all; l != NULL && found == NULL; l = l->next)
    if (interp_interpreter_get_id (l->data) == id)
      found = g_object_ref (l->data);
  g_list_free_full (all, g_object_unref);
  g_assert_nonnull (found);
  return found;
}

/* The Python face names its configurations once: the workers of
 * InterpreterPoolExecutor(isolated=False) have every setting that
 * create(isolated=False) gives (CPython's legacy settings, as an
 * interpreter made here with them spelled out has), and those of
 * InterpreterPoolExecutor() every setting of create(). */
static void
test_python_face_configs (void)
{
  g_autoptr(InterpInterpreter) driver = new_interpreter ();
  g_autoptr(InterpInterpreter) isolated = new_interpreter ();
  g_autoptr(InterpInterpreter) legacy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *want_legacy = NULL;
  g_autofree char *want_isolated = NULL;

  legacy = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                           "gil", INTERP_GIL_SHARED,
                           "use-main-obmalloc", TRUE,
                           "allow-fork", TRUE,
                           "allow-exec", TRUE,
                           "allow-threads", TRUE,
                           "allow-daemon-threads", TRUE,
                           "check-multi-interp-extensions", FALSE,
                           NULL);
  g_assert_no_error (error);
  want_legacy = config_of (legacy);
  want_isolated = config_of (isolated);
  if (interp_supports_own_gil ())
    g_assert_cmpstr (want_legacy, !=, want_isolated);

  exec_ok (driver,
           "import interp_glib\n"
           "def where(_):\n"
           "    import interp_glib\n"
           "    return interp_glib.get_current().id\n"
           "made = [interp_glib.create(isolated=i) for i in (False, True)]\n"
           "pools = [interp_glib.InterpreterPoolExecutor(1, isolated=i) for i in (False, True)]\n"
           "workers = [p.submit(where, None).result(60) for p in pools]\n");
  for (guint i = 0; i < 2; i++)
    {
      const char *want = i == 0 ? want_legacy : want_isolated;
      g_autofree char *made_expr = g_strdup_printf ("made[%u].id", i);
      g_autofree char *worker_expr = g_strdup_printf ("workers[%u]", i);
      g_autoptr(InterpInterpreter) made = find_interpreter (eval_int (driver, made_expr));
      g_autoptr(InterpInterpreter) worker = find_interpreter (eval_int (driver, worker_expr));
      g_autofree char *made_config = config_of (made);
      g_autofree char *worker_config = config_of (worker);

      g_assert_cmpstr (made_config, ==, want);
      g_assert_cmpstr (worker_config, ==, want);
    }
  exec_ok (driver,
           "for p in pools:\n"
           "    p.shutdown()\n"
           "for m in made:\n"
           "    m.close()\n");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pool/basic", test_basic);
  g_test_add_func ("/pool/bad-construction", test_bad_construction);
  g_test_add_func ("/pool/map-order", test_map_order);
  g_test_add_func ("/pool/map-failure", test_map_failure);
  g_test_add_func ("/pool/initializer", test_initializer);
  g_test_add_func ("/pool/broken-initializer", test_broken_initializer);
  g_test_add_func ("/pool/recycle", test_recycle);
  g_test_add_func ("/pool/idle-prune", test_idle_prune);
  g_test_add_func ("/pool/timeout-blocked", test_timeout_blocked);
  g_test_add_func ("/pool/cancel", test_cancel);
  g_test_add_func ("/pool/cancel-storm", test_cancel_storm);
  g_test_add_func ("/pool/shutdown", test_shutdown);
  g_test_add_func ("/pool/shutdown-async", test_shutdown_async);
  g_test_add_func ("/pool/dispose-pending", test_dispose_pending);
  g_test_add_func ("/pool/threads", test_threads);
  g_test_add_func ("/pool/notify", test_notify);
  g_test_add_func ("/pool/shutdown-abandoned", test_shutdown_abandoned);
  g_test_add_func ("/pool/foreign-context", test_foreign_context);
  g_test_add_func ("/pool/initializer-timeout", test_initializer_timeout);
  g_test_add_func ("/pool/initializer-timeout-blocked", test_initializer_timeout_blocked);
  g_test_add_func ("/pool/init-cancel", test_init_cancel);
  g_test_add_func ("/pool/shutdown-stops-initializer", test_shutdown_stops_initializer);
  g_test_add_func ("/pool/chunk-timeout-overflow", test_chunk_timeout_overflow);
  g_test_add_func ("/pool/task-timeout-range", test_task_timeout_range);
  g_test_add_func ("/pool/python-face-configs", test_python_face_configs);

  return g_test_run ();
}
