/* test-map-stream.c: interp_pool_map_stream() and InterpMapResults
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No timed assertions: where a test needs a map to be part done, its
 * inputs make it stop there (a spinning item), and waits have generous
 * limits that only turn a hang into a failure.
 */

#include "test-common.h"

static const char *initializer =
  POOL_TEST_FUNCTIONS
  "def spin_from(x, first):\n"
  "    while x >= first:\n"
  "        pass\n"
  "    return x\n";

static InterpPool *
new_pool (guint max_workers,
          guint task_timeout)
{
  return new_test_pool (initializer, max_workers, max_workers, task_timeout);
}

/* Waits for every item; returns wait_finish()'s answer. */
static gboolean
wait_results (InterpMapResults  *results,
              GCancellable      *cancellable,
              GError           **error)
{
  AsyncWait wait = { 0 };
  gboolean ok;

  interp_map_results_wait_async (results, cancellable, async_wait_cb, &wait);
  /* The thread-default context: a test's own thread may have one. */
  while (wait.result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  ok = interp_map_results_wait_finish (results, wait.result, error);
  g_assert_cmpuint (wait.count, ==, 1);
  async_wait_clear (&wait);
  return ok;
}

/* Waits for every item; the wait must fail with @domain and @code, and a
 * message that the glob @pattern matches (NULL: any message). */
static void
assert_wait_fails (InterpMapResults *results,
                   GCancellable     *cancellable,
                   GQuark            domain,
                   gint              code,
                   const char       *pattern)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (wait_results (results, cancellable, &error));
  g_assert_error (error, domain, code);
  if (pattern != NULL && !g_pattern_match_simple (pattern, error->message))
    g_test_message ("the wait failed with \"%s\", not \"%s\"", error->message, pattern);
  g_assert_true (pattern == NULL || g_pattern_match_simple (pattern, error->message));
}

/* What the notifications of one map looked like. */
typedef struct
{
  GMainContext *context;      /* where they must come */
  guint *done_notifies;       /* per item */
  guint *in_ranges;           /* per item: in how many items-done ranges */
  guint n_done_notifies;      /* of the model's n-done */
  guint loading_notifies;
  guint fraction_notifies;
  guint last_n_done;
  guint iteration_notifies;   /* n-done notifications since the last iteration */
  gboolean wrong_context;
} Watch;

static void
item_done_cb (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  Watch *watch = user_data;
  InterpMapItem *item = INTERP_MAP_ITEM (object);

  g_assert_true (interp_map_item_get_done (item));
  g_assert_true ((interp_map_item_get_value (item) == NULL) != (interp_map_item_get_error (item) == NULL));
  watch->done_notifies[interp_map_item_get_index (item)]++;
  if (!g_main_context_is_owner (watch->context))
    watch->wrong_context = TRUE;
}

static void
items_done_cb (InterpMapResults *results,
               guint             position,
               guint             n_items,
               gpointer          user_data)
{
  Watch *watch = user_data;

  for (guint i = position; i < position + n_items; i++)
    {
      /* Its own "done" came first. */
      g_assert_cmpuint (watch->done_notifies[i], ==, 1);
      watch->in_ranges[i]++;
    }
}

static void
model_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  Watch *watch = user_data;
  InterpMapResults *results = INTERP_MAP_RESULTS (object);
  const char *name = g_param_spec_get_name (pspec);

  if (!g_main_context_is_owner (watch->context))
    watch->wrong_context = TRUE;
  if (g_str_equal (name, "n-done"))
    {
      g_assert_cmpuint (interp_map_results_get_n_done (results), >, watch->last_n_done);
      watch->last_n_done = interp_map_results_get_n_done (results);
      watch->n_done_notifies++;
      watch->iteration_notifies++;
    }
  else if (g_str_equal (name, "loading"))
    {
      g_assert_false (interp_map_results_is_loading (results));
      watch->loading_notifies++;
    }
  else if (g_str_equal (name, "fraction"))
    {
      gdouble fraction = interp_map_results_get_fraction (results);

      g_assert_cmpfloat (fraction, >, 0.0);
      g_assert_cmpfloat (fraction, <=, 1.0);
      watch->fraction_notifies++;
    }
}

static void
watch_init (Watch            *watch,
            InterpMapResults *results)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (results));

  *watch = (Watch) { 0 };
  watch->context = g_main_context_ref_thread_default ();
  watch->done_notifies = g_new0 (guint, MAX (n, 1));
  watch->in_ranges = g_new0 (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    g_signal_connect (interp_map_results_get (results, i), "notify::done",
                      G_CALLBACK (item_done_cb), watch);
  g_signal_connect (results, "items-done", G_CALLBACK (items_done_cb), watch);
  g_signal_connect (results, "notify", G_CALLBACK (model_notify_cb), watch);
}

static void
watch_clear (Watch *watch)
{
  g_free (watch->done_notifies);
  g_free (watch->in_ranges);
  g_main_context_unref (watch->context);
}

/* Every item notified done once, and in one range, in the right context. */
static void
watch_check (Watch            *watch,
             InterpMapResults *results)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (results));

  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (watch->done_notifies[i], ==, 1);
      g_assert_cmpuint (watch->in_ranges[i], ==, 1);
    }
  g_assert_false (watch->wrong_context);
  g_assert_cmpuint (watch->loading_notifies, ==, n > 0 ? 1 : 0);
  g_assert_cmpuint (watch->last_n_done, ==, n);
  g_assert_cmpuint (watch->fraction_notifies, ==, watch->n_done_notifies);
  g_assert_false (interp_map_results_is_loading (results));
  g_assert_cmpfloat (interp_map_results_get_fraction (results), ==, 1.0);
}

static void
check_square_items (InterpMapResults *results,
                    guint             n)
{
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (results)), ==, n);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (results)) == INTERP_TYPE_MAP_ITEM);
  g_assert_cmpuint (interp_map_results_get_size (results), ==, n);
  g_assert_cmpuint (interp_map_results_get_n_done (results), ==, n);
  g_assert_cmpuint (interp_map_results_get_n_failed (results), ==, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(InterpMapItem) item = g_list_model_get_item (G_LIST_MODEL (results), i);

      g_assert_true (item == interp_map_results_get (results, i));
      g_assert_cmpuint (interp_map_item_get_index (item), ==, i);
      g_assert_true (interp_map_item_get_done (item));
      g_assert_null (interp_map_item_get_error (item));
      g_assert_cmpint (g_variant_get_int64 (interp_map_item_get_value (item)), ==, (gint64) i * i);
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (results), n));
  g_assert_null (interp_map_results_get (results, n));
}

static void
test_order (void)
{
  g_autoptr(InterpPool) pool = new_pool (3, 0);
  guint chunks[] = { 0, 1, 7, 1000 };

  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(InterpMapResults) results = interp_pool_map_stream (pool, "square", int_args_list (500),
                                                                     chunks[c], NULL);
      Watch watch;

      /* Every item from the start, none done before the loop runs. */
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (results)), ==, 500);
      watch_init (&watch, results);
      for (guint i = 0; i < 500; i++)
        {
          InterpMapItem *item = interp_map_results_get (results, i);
          g_autoptr(GVariant) value = NULL;
          g_autoptr(GError) item_error = NULL;
          gboolean done = TRUE;
          guint index = 0;

          g_object_get (item, "index", &index, "done", &done, "value", &value, "error", &item_error, NULL);
          g_assert_cmpuint (index, ==, i);
          g_assert_false (done);
          g_assert_null (value);
          g_assert_null (item_error);
        }
      g_assert_true (interp_map_results_is_loading (results));
      g_assert_cmpuint (interp_map_results_get_n_done (results), ==, 0);
      g_assert_cmpfloat (interp_map_results_get_fraction (results), ==, 0.0);

      g_assert_true (wait_results (results, NULL, &error));
      g_assert_no_error (error);
      check_square_items (results, 500);
      watch_check (&watch, results);

      /* Properties agree with the getters. */
      {
        InterpMapItem *item = interp_map_results_get (results, 7);
        g_autoptr(GVariant) value = NULL;
        guint n_done, n_failed;
        gdouble fraction;
        gboolean loading;

        g_object_get (item, "value", &value, NULL);
        g_assert_cmpint (g_variant_get_int64 (value), ==, 49);
        g_object_get (results, "n-done", &n_done, "n-failed", &n_failed, "fraction", &fraction,
                      "loading", &loading, NULL);
        g_assert_cmpuint (n_done, ==, 500);
        g_assert_cmpuint (n_failed, ==, 0);
        g_assert_cmpfloat (fraction, ==, 1.0);
        g_assert_false (loading);
      }
      watch_clear (&watch);
    }
}

/* The model's notifications: at most once per main-loop iteration. */
static void
test_coalesced (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 0);
  g_autoptr(InterpMapResults) results = interp_pool_map_stream (pool, "square", int_args_list (2000), 1, NULL);
  Watch watch;

  watch_init (&watch, results);
  while (interp_map_results_is_loading (results))
    {
      watch.iteration_notifies = 0;
      g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (watch.iteration_notifies, <=, 1);
    }
  watch_check (&watch, results);
  /* Chunks of one came back together: fewer notifications than items. */
  g_assert_cmpuint (watch.n_done_notifies, >=, 1);
  g_assert_cmpuint (watch.n_done_notifies, <=, 2000);
  check_square_items (results, 2000);
  watch_clear (&watch);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

/* Items without a handler are not notified (GLib 2.74 would emit anyway);
 * a handler of "notify" without a detail still is, and one of another
 * detail. */
static void
test_listeners (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 0);
  g_autoptr(InterpMapResults) results = interp_pool_map_stream (pool, "square", int_args_list (50), 1, NULL);
  g_autoptr(GError) error = NULL;
  guint any = 0, value = 0;

  g_signal_connect (interp_map_results_get (results, 3), "notify", G_CALLBACK (count_notify_cb), &any);
  g_signal_connect (interp_map_results_get (results, 4), "notify::value", G_CALLBACK (count_notify_cb), &value);
  g_assert_true (wait_results (results, NULL, &error));
  /* "done" and "value", once each. */
  g_assert_cmpuint (any, ==, 2);
  g_assert_cmpuint (value, ==, 1);
  check_square_items (results, 50);
}

static void
test_failure (void)
{
  /* One worker: every call's effect on the count is known. */
  g_autoptr(InterpPool) pool = new_pool (1, 0);
  g_autoptr(InterpMapResults) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) count = NULL;
  Watch watch;

  /* Chunks of 4: item 3 fails in the chunk of 0-3, 50 and 49 in the chunk
   * of 48-51, whose 51 still runs. */
  results = interp_pool_map_stream (pool, "fail_at", fail_args_list (100, "[3, 49, 50]"), 4, NULL);
  watch_init (&watch, results);
  assert_wait_fails (results, NULL, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED,
                     "ValueError: bad item 3 (item 3)");
  watch_check (&watch, results);

  g_assert_cmpuint (interp_map_results_get_n_done (results), ==, 100);
  g_assert_cmpuint (interp_map_results_get_n_failed (results), ==, 3);
  for (guint i = 0; i < 100; i++)
    {
      InterpMapItem *item = interp_map_results_get (results, i);

      if (i == 3 || i == 49 || i == 50)
        {
          g_autofree char *expected = g_strdup_printf ("ValueError: bad item %u", i);
          g_autoptr(InterpExceptionInfo) info = NULL;

          g_assert_null (interp_map_item_get_value (item));
          g_assert_error (interp_map_item_get_error (item), INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
          g_assert_cmpstr (interp_map_item_get_error (item)->message, ==, expected);
          info = interp_exception_info_from_error (interp_map_item_get_error (item));
          g_assert_nonnull (info);
          g_assert_cmpstr (interp_exception_info_get_type_name (info), ==, "ValueError");
          g_clear_pointer (&info, interp_exception_info_unref);
          info = interp_map_item_dup_exception_info (item);
          g_assert_nonnull (info);
          g_assert_nonnull (strstr (interp_exception_info_get_traceback (info), "raise ValueError"));
        }
      else
        {
          g_assert_null (interp_map_item_get_error (item));
          g_assert_null (interp_map_item_dup_exception_info (item));
          g_assert_cmpint (g_variant_get_int64 (interp_map_item_get_value (item)), ==, i);
        }
    }
  /* Every item ran: a failure stops nothing. */
  count = interp_pool_call (pool, "count", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (count), ==, 100);
  watch_clear (&watch);

  /* The first failure by input order, whatever finished first. */
  {
    g_autoptr(InterpPool) wide = new_pool (3, 0);

    for (guint round = 0; round < 3; round++)
      {
        g_autoptr(InterpMapResults) r = interp_pool_map_stream (wide, "fail_at",
                                                               fail_args_list (300, "[17, 250, 299]"),
                                                               round + 1, NULL);

        assert_wait_fails (r, NULL, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED,
                           "ValueError: bad item 17 (item 17)");
        g_assert_cmpuint (interp_map_results_get_n_failed (r), ==, 3);
      }
  }
}

/* map_async's failure names its item. */
static void
test_map_async_names_item (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) results = NULL;
  AsyncWait wait = { 0 };

  interp_pool_map_async (pool, "fail_at", fail_args_list (1000, "[500]"), 7, NULL, async_wait_cb, &wait);
  results = interp_pool_map_finish (pool, async_wait_run (&wait), &error);
  g_assert_null (results);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_assert_cmpstr (error->message, ==, "ValueError: bad item 500 (item 500)");
  async_wait_clear (&wait);
}

static void
cancel_at_cb (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_cancel (void)
{
  g_autoptr(InterpPool) pool = new_pool (1, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(InterpMapResults) results = NULL;
  GVariantBuilder builder;
  Watch watch;

  /* Items from 10 on spin until interrupted: the map stops at item 10. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xx)"));
  for (gint64 i = 0; i < 100; i++)
    g_variant_builder_add (&builder, "(xx)", i, G_GINT64_CONSTANT (10));
  results = interp_pool_map_stream (pool, "spin_from", g_variant_builder_end (&builder), 1, cancellable);
  watch_init (&watch, results);
  WAIT_FOR (interp_map_results_get_n_done (results) == 10);
  g_assert_true (interp_map_results_is_loading (results));
  g_cancellable_cancel (cancellable);

  assert_wait_fails (results, NULL, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled (item 10)");
  watch_check (&watch, results);
  g_assert_cmpuint (interp_map_results_get_n_failed (results), ==, 90);
  for (guint i = 0; i < 100; i++)
    {
      InterpMapItem *item = interp_map_results_get (results, i);

      if (i < 10)
        g_assert_cmpint (g_variant_get_int64 (interp_map_item_get_value (item)), ==, i);
      else
        g_assert_error (interp_map_item_get_error (item), G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  watch_clear (&watch);

  /* Cancelled from a handler of an item's "done", in big chunks. */
  {
    g_autoptr(GCancellable) c2 = g_cancellable_new ();
    g_autoptr(InterpMapResults) r2 = NULL;

    g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xx)"));
    for (gint64 i = 0; i < 1000; i++)
      g_variant_builder_add (&builder, "(xx)", i, G_GINT64_CONSTANT (500));
    r2 = interp_pool_map_stream (pool, "spin_from", g_variant_builder_end (&builder), 100, c2);
    g_signal_connect (interp_map_results_get (r2, 0), "notify::done", G_CALLBACK (cancel_at_cb), c2);
    assert_wait_fails (r2, NULL, G_IO_ERROR, G_IO_ERROR_CANCELLED, NULL);
    /* The first chunk was done as one; a spinning chunk never finishes. */
    g_assert_cmpuint (interp_map_results_get_n_failed (r2), >=, 500);
    for (guint i = 0; i < 100; i++)
      g_assert_nonnull (interp_map_item_get_value (interp_map_results_get (r2, i)));
  }

  /* Cancelled before it starts: every item fails. */
  {
    g_autoptr(InterpMapResults) r3 = interp_pool_map_stream (pool, "square", int_args_list (5), 0, cancellable);

    assert_wait_fails (r3, NULL, G_IO_ERROR, G_IO_ERROR_CANCELLED, NULL);
    g_assert_cmpuint (interp_map_results_get_n_failed (r3), ==, 5);
  }
}

static void
test_timeout (void)
{
  g_autoptr(InterpPool) pool = new_pool (1, test_ms (300));
  g_autoptr(InterpMapResults) results = NULL;
  GVariantBuilder builder;

  /* Only item 2 spins: it times out, and the others run. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xx)"));
  for (gint64 i = 0; i < 6; i++)
    g_variant_builder_add (&builder, "(xx)", i, i == 2 ? G_GINT64_CONSTANT (0) : G_GINT64_CONSTANT (1000));
  results = interp_pool_map_stream (pool, "spin_from", g_variant_builder_end (&builder), 1, NULL);
  assert_wait_fails (results, NULL, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "* (item 2)");
  g_assert_cmpuint (interp_map_results_get_n_failed (results), ==, 1);
  for (guint i = 0; i < 6; i++)
    if (i != 2)
      g_assert_cmpint (g_variant_get_int64 (interp_map_item_get_value (interp_map_results_get (results, i))), ==, i);
}

static void
test_many (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 0);
  guint chunks[] = { 0, 1 };

  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++)
    {
      g_autoptr(InterpMapResults) results = interp_pool_map_stream (pool, "square", int_args_list (10000),
                                                                     chunks[c], NULL);
      g_autoptr(GError) error = NULL;
      Watch watch;

      watch_init (&watch, results);
      g_assert_true (wait_results (results, NULL, &error));
      g_assert_no_error (error);
      check_square_items (results, 10000);
      watch_check (&watch, results);
      watch_clear (&watch);
    }
}

static void
test_wait (void)
{
  g_autoptr(InterpPool) pool = new_pool (1, 0);
  g_autoptr(GCancellable) map_cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) wait_cancellable = g_cancellable_new ();
  g_autoptr(InterpMapResults) results = NULL;
  g_autoptr(GError) error = NULL;
  GVariantBuilder builder;
  AsyncWait w1 = { 0 }, w2 = { 0 };

  /* Item 3 spins until the map is cancelled. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xx)"));
  for (gint64 i = 0; i < 5; i++)
    g_variant_builder_add (&builder, "(xx)", i, G_GINT64_CONSTANT (3));
  results = interp_pool_map_stream (pool, "spin_from", g_variant_builder_end (&builder), 1, map_cancellable);

  /* Two waiters; cancelling one's wait stops that wait only, not the map. */
  interp_map_results_wait_async (results, wait_cancellable, async_wait_cb, &w1);
  interp_map_results_wait_async (results, NULL, async_wait_cb, &w2);
  WAIT_FOR (interp_map_results_get_n_done (results) == 3);
  g_cancellable_cancel (wait_cancellable);
  g_assert_false (interp_map_results_wait_finish (results, async_wait_run (&w1), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (w2.result);
  g_assert_true (interp_map_results_is_loading (results));
  g_assert_cmpuint (interp_map_results_get_n_done (results), ==, 3);

  g_cancellable_cancel (map_cancellable);
  g_assert_false (interp_map_results_wait_finish (results, async_wait_run (&w2), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "Operation was cancelled (item 3)");
  g_clear_error (&error);
  g_assert_cmpuint (w1.count, ==, 1);
  g_assert_cmpuint (w2.count, ==, 1);
  async_wait_clear (&w1);
  async_wait_clear (&w2);

  /* After the end, a wait gives the same answer, at once. */
  assert_wait_fails (results, NULL, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled (item 3)");
  assert_wait_fails (results, wait_cancellable, G_IO_ERROR, G_IO_ERROR_CANCELLED, NULL);

  /* Success, and an empty map. */
  {
    g_autoptr(InterpMapResults) ok = interp_pool_map_stream (pool, "square", int_args_list (3), 0, NULL);
    g_autoptr(InterpMapResults) empty = interp_pool_map_stream (pool, "square", int_args_list (0), 0, NULL);

    g_assert_true (wait_results (ok, NULL, &error));
    g_assert_no_error (error);
    check_square_items (ok, 3);
    g_assert_false (interp_map_results_is_loading (empty));
    g_assert_cmpfloat (interp_map_results_get_fraction (empty), ==, 1.0);
    g_assert_true (wait_results (empty, NULL, &error));
    g_assert_no_error (error);
  }
}

static void
test_refused (void)
{
  g_autoptr(InterpPool) pool = new_pool (1, 0);
  g_autoptr(GError) error = NULL;
  GVariantBuilder builder;

  /* Not a list: no items, and the wait says why. */
  {
    g_autoptr(InterpMapResults) results = interp_pool_map_stream (pool, "square",
                                                                   g_variant_new ("(x)", G_GINT64_CONSTANT (1)),
                                                                   0, NULL);

    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (results)), ==, 0);
    assert_wait_fails (results, NULL, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT, NULL);
  }

  /* An item that is not a tuple, a callable that is not a name: every
   * item fails with the error. */
  {
    g_autoptr(InterpMapResults) bad_item = NULL;
    g_autoptr(InterpMapResults) bad_name = NULL;

    g_variant_builder_init (&builder, G_VARIANT_TYPE ("av"));
    g_variant_builder_add (&builder, "v", g_variant_new ("(x)", G_GINT64_CONSTANT (1)));
    g_variant_builder_add (&builder, "v", g_variant_new_int64 (2));
    bad_item = interp_pool_map_stream (pool, "square", g_variant_builder_end (&builder), 0, NULL);
    bad_name = interp_pool_map_stream (pool, "not a name", int_args_list (3), 0, NULL);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (bad_item)), ==, 2);
    assert_wait_fails (bad_item, NULL, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT, "*item 1*");
    g_assert_cmpuint (interp_map_results_get_n_failed (bad_item), ==, 2);
    assert_wait_fails (bad_name, NULL, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT, NULL);
    g_assert_cmpuint (interp_map_results_get_n_failed (bad_name), ==, 3);
    g_assert_error (interp_map_item_get_error (interp_map_results_get (bad_name, 2)),
                    INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
  }

  /* A pool shut down. */
  {
    g_autoptr(InterpMapResults) results = NULL;

    g_assert_true (interp_pool_shutdown (pool, FALSE, NULL, &error));
    g_assert_no_error (error);
    results = interp_pool_map_stream (pool, "square", int_args_list (4), 0, NULL);
    assert_wait_fails (results, NULL, INTERP_ERROR, INTERP_ERROR_SHUT_DOWN, NULL);
    g_assert_cmpuint (interp_map_results_get_n_failed (results), ==, 4);
  }
}

/* Dropped early, the map still runs to its end; nothing leaks
 * (valgrind's setup). */
static void
test_dropped (void)
{
  g_autoptr(InterpPool) pool = new_pool (1, 0);
  InterpMapResults *results = interp_pool_map_stream (pool, "square", int_args_list (300), 1, NULL);
  GWeakRef weak;
  InterpMapResults *alive;
  g_autoptr(GVariant) count = NULL;

  g_weak_ref_init (&weak, results);
  g_object_unref (results);
  WAIT_FOR ((alive = g_weak_ref_get (&weak)) == NULL || (g_object_unref (alive), FALSE));
  g_weak_ref_clear (&weak);
  count = interp_pool_call (pool, "count", NULL, NULL, NULL, NULL);
  g_assert_cmpint (g_variant_get_int64 (count), ==, 300);
}

typedef struct
{
  InterpPool *pool;
  gboolean ok;
} ThreadMap;

static gpointer
map_thread (gpointer data)
{
  ThreadMap *tm = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(InterpMapResults) results = NULL;
  g_autoptr(GError) error = NULL;
  Watch watch;

  g_main_context_push_thread_default (context);
  results = interp_pool_map_stream (tm->pool, "square", int_args_list (200), 3, NULL);
  watch_init (&watch, results);
  tm->ok = wait_results (results, NULL, &error);
  g_assert_no_error (error);
  check_square_items (results, 200);
  watch_check (&watch, results);
  watch_clear (&watch);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* Created on threads of their own, each notified in its creator's
 * context, while the main thread maps too. */
static void
test_threads (void)
{
  g_autoptr(InterpPool) pool = new_pool (2, 0);
  ThreadMap tms[3];
  GThread *threads[3];
  g_autoptr(InterpMapResults) results = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      tms[i] = (ThreadMap) { pool, FALSE };
      threads[i] = g_thread_new ("mapper", map_thread, &tms[i]);
    }
  results = interp_pool_map_stream (pool, "square", int_args_list (500), 0, NULL);
  g_assert_true (wait_results (results, NULL, &error));
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (tms[i].ok);
    }
  check_square_items (results, 500);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/map-stream/order", test_order);
  g_test_add_func ("/map-stream/coalesced", test_coalesced);
  g_test_add_func ("/map-stream/listeners", test_listeners);
  g_test_add_func ("/map-stream/failure", test_failure);
  g_test_add_func ("/map-stream/map-async-names-item", test_map_async_names_item);
  g_test_add_func ("/map-stream/cancel", test_cancel);
  g_test_add_func ("/map-stream/timeout", test_timeout);
  g_test_add_func ("/map-stream/many", test_many);
  g_test_add_func ("/map-stream/wait", test_wait);
  g_test_add_func ("/map-stream/refused", test_refused);
  g_test_add_func ("/map-stream/dropped", test_dropped);
  g_test_add_func ("/map-stream/threads", test_threads);

  return g_test_run ();
}
