/* bench-pool.c: InterpPool's side of the pool benchmarks; prints JSON.
 *
 * Usage: bench-pool WORKLOAD.py N_WORKERS N_TASKS N_FINE N_MEDIUM N_COARSE
 *
 * N_FINE, N_MEDIUM and N_COARSE are the arguments of work() that make a
 * task of about 10 us, 100 us and 50 ms (calibrated once by bench/pool.py
 * under the same Python, so that every peer runs the same tasks).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <interp-glib.h>

#include "bench-common.h"

#include <stdlib.h>


static void
check (GError *error,
       const char *what)
{
  if (error != NULL)
    g_error ("%s: %s", what, error->message);
}

static GVariant *
args_list (guint  n_tasks,
           gint64 n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(x)"));
  for (guint i = 0; i < n_tasks; i++)
    g_variant_builder_add (&builder, "(x)", n);
  return g_variant_builder_end (&builder);
}

static double
call_double (InterpPool *pool,
             const char *callable,
             GVariant   *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_pool_call (pool, callable, args, NULL, NULL, &error);

  check (error, callable);
  return g_variant_get_double (value);
}

/* Tasks per second of one map over @n_tasks tasks of work(@n). */
static double
map_rate (InterpPool *pool,
          guint       n_tasks,
          gint64      n,
          guint       chunk_size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) results = NULL;
  GVariant *list = g_variant_ref_sink (args_list (n_tasks, n));
  double start = now (), elapsed;

  results = interp_pool_map (pool, "work", list, chunk_size, NULL, &error);
  elapsed = now () - start;
  check (error, "map");
  g_variant_unref (list);
  return n_tasks / elapsed;
}

typedef struct
{
  guint done;
  guint wanted;
  GMainLoop *loop;
} Pending;

/* One call_async() done, on a pool or on an interpreter. */
static void
call_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  if (INTERP_IS_POOL (source))
    value = interp_pool_call_finish (INTERP_POOL (source), result, &error);
  else
    value = interp_interpreter_call_finish (INTERP_INTERPRETER (source), result, &error);
  check (error, INTERP_IS_POOL (source) ? "call_async" : "interpreter call_async");
  if (++pending->done == pending->wanted)
    g_main_loop_quit (pending->loop);
}

/* Tasks per second with one call_async() per task, completed on a
 * GMainLoop: the batching of completions is what this measures too. */
static double
call_async_rate (InterpPool *pool,
                 guint       n_tasks,
                 const char *callable,
                 gint64      n)
{
  Pending pending = { 0, n_tasks, g_main_loop_new (NULL, FALSE) };
  double start = now (), elapsed;

  for (guint i = 0; i < n_tasks; i++)
    interp_pool_call_async (pool, callable, n >= 0 ? g_variant_new ("(x)", n) : NULL, NULL, NULL,
                            call_done_cb, &pending);
  g_main_loop_run (pending.loop);
  elapsed = now () - start;
  g_main_loop_unref (pending.loop);
  return n_tasks / elapsed;
}

/* One map done: map_async() on the pool, or wait_async() on the
 * results of a map_stream(). */
static void
map_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  if (INTERP_IS_POOL (source))
    value = interp_pool_map_finish (INTERP_POOL (source), result, &error);
  else
    interp_map_results_wait_finish (INTERP_MAP_RESULTS (source), result, &error);
  check (error, INTERP_IS_POOL (source) ? "map_async" : "map_stream");
  g_main_loop_quit (loop);
}

/* Microseconds per item of one map of @n_tasks work(@n) on a GMainLoop:
 * map_async() until its callback, or map_stream() until every item was
 * published and notified (wait_async()). */
static double
map_item_us (InterpPool *pool,
             gboolean    stream,
             guint       n_tasks,
             gint64      n,
             guint       chunk_size)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(InterpMapResults) results = NULL;
  double start = now ();

  if (stream)
    {
      results = interp_pool_map_stream (pool, "work", args_list (n_tasks, n), chunk_size, NULL);
      interp_map_results_wait_async (results, NULL, map_done_cb, loop);
    }
  else
    interp_pool_map_async (pool, "work", args_list (n_tasks, n), chunk_size, NULL, map_done_cb, loop);
  g_main_loop_run (loop);
  return (now () - start) * 1e6 / n_tasks;
}

/* The best of three, alternating map_async and map_stream so that both
 * see the same machine. */
static void
map_vs_stream (InterpPool *pool,
               guint       n_tasks,
               gint64      n,
               guint       chunk_size,
               double     *map_us,
               double     *stream_us)
{
  *map_us = *stream_us = G_MAXDOUBLE;
  for (guint round = 0; round < 3; round++)
    {
      *map_us = MIN (*map_us, map_item_us (pool, FALSE, n_tasks, n, chunk_size));
      *stream_us = MIN (*stream_us, map_item_us (pool, TRUE, n_tasks, n, chunk_size));
    }
}

/* The same noop calls spread by hand over interpreters, each completion
 * its own idle source: what an application did before the pool. */
static double
by_hand_rate (guint       n_workers,
              guint       n_tasks,
              const char *source)
{
  Pending pending = { 0, n_tasks, g_main_loop_new (NULL, FALSE) };
  InterpInterpreter **interps = g_new0 (InterpInterpreter *, n_workers);
  double start, elapsed;

  for (guint i = 0; i < n_workers; i++)
    {
      g_autoptr(GError) error = NULL;

      interps[i] = interp_interpreter_new (NULL, &error);
      check (error, "interpreter");
      interp_interpreter_exec (interps[i], source, NULL, &error);
      check (error, "interpreter setup");
    }
  start = now ();
  for (guint i = 0; i < n_tasks; i++)
    interp_interpreter_call_async (interps[i % n_workers], "noop", NULL, NULL, NULL,
                                   call_done_cb, &pending);
  g_main_loop_run (pending.loop);
  elapsed = now () - start;
  for (guint i = 0; i < n_workers; i++)
    g_object_unref (interps[i]);
  g_free (interps);
  g_main_loop_unref (pending.loop);
  return n_tasks / elapsed;
}

/* All submitted at once to one interpreter, all completed on one
 * GMainLoop: the caller's own cost per async call. */
static double
one_interpreter_rate (guint       n_tasks,
                      const char *source)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = interp_interpreter_new (NULL, &error);
  Pending pending = { 0, n_tasks, g_main_loop_new (NULL, FALSE) };
  double start, elapsed;

  check (error, "interpreter");
  interp_interpreter_exec (interp, source, NULL, &error);
  check (error, "interpreter setup");
  start = now ();
  for (guint i = 0; i < n_tasks; i++)
    interp_interpreter_call_async (interp, "noop", NULL, NULL, NULL, call_done_cb, &pending);
  g_main_loop_run (pending.loop);
  elapsed = now () - start;
  g_main_loop_unref (pending.loop);
  return n_tasks / elapsed;
}

/* The machine's own floor for the queue wake-up figure: a plain C thread
 * blocked on a GCond, signalled after 2 ms idle as bench/pool.py's host
 * puts an item, @rounds times. No Python, no queue: what the kernel (and,
 * on a virtual machine, the hypervisor) takes to run a sleeping thread. */
typedef struct
{
  GMutex lock;
  GCond cond;
  double sent;                /* < 0: nothing sent */
  guint rounds;
  double *latencies;
} Wake;

static gpointer
wake_waiter (gpointer data)
{
  Wake *wake = data;

  g_mutex_lock (&wake->lock);
  for (guint i = 0; i < wake->rounds; i++)
    {
      while (wake->sent < 0)
        g_cond_wait (&wake->cond, &wake->lock);
      wake->latencies[i] = now () - wake->sent;
      wake->sent = -1;
      g_cond_broadcast (&wake->cond);
    }
  g_mutex_unlock (&wake->lock);
  return NULL;
}

static void
cond_wake_floor (guint   rounds,
                 double *median_us,
                 double *p99_us)
{
  Wake wake = { .sent = -1, .rounds = rounds, .latencies = g_new (double, rounds) };
  GThread *thread;

  g_mutex_init (&wake.lock);
  g_cond_init (&wake.cond);
  thread = g_thread_new ("bench-wake", wake_waiter, &wake);
  for (guint i = 0; i < rounds; i++)
    {
      g_usleep (2000);
      g_mutex_lock (&wake.lock);
      wake.sent = now ();
      g_cond_broadcast (&wake.cond);
      /* Taken before the next one is sent. */
      while (wake.sent >= 0)
        g_cond_wait (&wake.cond, &wake.lock);
      g_mutex_unlock (&wake.lock);
    }
  g_thread_join (thread);
  *median_us = quantile (wake.latencies, rounds, 0.5) * 1e6;
  *p99_us = quantile (wake.latencies, rounds, 0.99) * 1e6;
  g_free (wake.latencies);
  g_mutex_clear (&wake.lock);
  g_cond_clear (&wake.cond);
}

static void
cancel_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  double *when = user_data;
  g_autoptr(GError) error = NULL;
  GVariant *value = interp_pool_call_finish (INTERP_POOL (source), result, &error);

  if (value != NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_error ("the blocked call was not cancelled");
  *when = now ();
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  g_autoptr(InterpPool) pool = NULL;
  guint n_workers, n_tasks, grace;
  gint64 n_fine, n_medium, n_coarse;
  double t_fine, t_medium, t_coarse, start, coarse_s, first_call_ms, new_call_ms;
  double cancel_ms, fine_map, fine_async, medium_map, medium_async, noop_async, noop_by_hand;
  double map_us, stream_us, map1_us, stream1_us;
  double one_interp_async;
  double wake_median_us, wake_p99_us;
  GVariant *coarse;

  if (argc != 7)
    {
      g_printerr ("usage: %s WORKLOAD.py N_WORKERS N_TASKS N_FINE N_MEDIUM N_COARSE\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[1], &source, NULL, &error))
    check (error, "workload");
  n_workers = atoi (argv[2]);
  n_tasks = atoi (argv[3]);
  n_fine = atoll (argv[4]);
  n_medium = atoll (argv[5]);
  n_coarse = atoll (argv[6]);

  /* Python starts first, so that the warm pool's first call pays for
   * neither Python's start nor the workers'. */
  g_object_unref (interp_interpreter_new (NULL, &error));
  check (error, "Python");

  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", n_workers,
                         "min-workers", n_workers, "initializer", source, NULL);
  check (error, "pool");
  g_object_get (pool, "grace-period", &grace, NULL);

  start = now ();
  call_double (pool, "time_alone", g_variant_new ("(xd)", G_GINT64_CONSTANT (0), 0.0));
  first_call_ms = (now () - start) * 1e3;
  {
    g_autoptr(GVariant) value = NULL;
    g_autoptr(InterpInterpreter) interp = NULL;

    start = now ();
    interp = interp_interpreter_new (NULL, &error);
    check (error, "interpreter");
    value = interp_interpreter_call (interp, "math:sqrt", g_variant_new ("(d)", 2.0), NULL, NULL, &error);
    new_call_ms = (now () - start) * 1e3;
    check (error, "interpreter call");
  }

  t_fine = call_double (pool, "time_alone", g_variant_new ("(xd)", n_fine, 0.3));
  t_medium = call_double (pool, "time_alone", g_variant_new ("(xd)", n_medium, 0.3));
  t_coarse = call_double (pool, "time_alone", g_variant_new ("(xd)", n_coarse, 0.5));

  /* Coarse tasks, one per chunk: the speedup the machine allows. */
  start = now ();
  coarse = interp_pool_map (pool, "work", args_list (4 * n_workers, n_coarse), 1, NULL, &error);
  check (error, "coarse map");
  g_variant_unref (coarse);
  coarse_s = now () - start;

  fine_map = map_rate (pool, n_tasks, n_fine, 0);
  fine_async = call_async_rate (pool, n_tasks, "work", n_fine);
  medium_map = map_rate (pool, n_tasks, n_medium, 0);
  medium_async = call_async_rate (pool, n_tasks, "work", n_medium);
  /* Interleaved, best of two each: the load of a shared machine moves
   * between runs more than between the two. */
  noop_async = call_async_rate (pool, n_tasks, "noop", -1);
  noop_by_hand = by_hand_rate (n_workers, n_tasks, source);
  noop_async = MAX (noop_async, call_async_rate (pool, n_tasks, "noop", -1));
  noop_by_hand = MAX (noop_by_hand, by_hand_rate (n_workers, n_tasks, source));
  /* The median of three: a single run of this absolute figure moves by
   * a third on a shared machine (285k to 580k/s between runs). */
  {
    double runs[3];

    for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
      runs[i] = one_interpreter_rate (n_tasks, source);
    one_interp_async = quantile (runs, G_N_ELEMENTS (runs), 0.5);
  }
  /* work(0): the cost of the machinery per item, nothing else. */
  map_vs_stream (pool, n_tasks, 0, 0, &map_us, &stream_us);
  map_vs_stream (pool, MIN (n_tasks, 20000), 0, 1, &map1_us, &stream1_us);

  /* As many rounds as bench/queue_workload.py's host_wake(). */
  cond_wake_floor (300, &wake_median_us, &wake_p99_us);

  /* A call stuck in C, cancelled once it runs: completes after the grace. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    double cancelled_at, completed_at = 0;

    interp_pool_call_async (pool, "time:sleep", g_variant_new ("(d)", 600.0), NULL, cancellable,
                            cancel_done_cb, &completed_at);
    while (interp_pool_get_n_busy (pool) == 0)
      g_usleep (1000);
    g_usleep (20000);  /* well inside time.sleep() */
    cancelled_at = now ();
    g_cancellable_cancel (cancellable);
    while (completed_at == 0)
      g_main_context_iteration (NULL, TRUE);
    cancel_ms = (completed_at - cancelled_at) * 1e3;
  }

  g_print ("{\"python\": \"%s\", \"own_gil\": %s, \"workers\": %u, \"tasks\": %u, "
           "\"t_fine_s\": %g, \"t_medium_s\": %g, \"t_coarse_s\": %g, "
           "\"coarse_tasks\": %u, \"coarse_s\": %g, "
           "\"fine_map_per_s\": %g, \"fine_async_per_s\": %g, "
           "\"medium_map_per_s\": %g, \"medium_async_per_s\": %g, "
           "\"noop_async_per_s\": %g, \"noop_by_hand_per_s\": %g, \"one_interp_async_per_s\": %g, "
           "\"first_call_ms\": %g, \"new_and_call_ms\": %g, "
           "\"grace_ms\": %u, \"cancel_blocked_ms\": %g, "
           "\"map_item_us\": %g, \"stream_item_us\": %g, "
           "\"map_chunk1_item_us\": %g, \"stream_chunk1_item_us\": %g, \"chunk1_tasks\": %u, "
           "\"cond_wake_median_us\": %g, \"cond_wake_p99_us\": %g}\n",
           interp_get_python_version (), interp_supports_own_gil () ? "true" : "false",
           n_workers, n_tasks, t_fine, t_medium, t_coarse,
           4 * n_workers, coarse_s, fine_map, fine_async, medium_map, medium_async,
           noop_async, noop_by_hand, one_interp_async, first_call_ms, new_call_ms, grace, cancel_ms,
           map_us, stream_us, map1_us, stream1_us, MIN (n_tasks, 20000),
           wake_median_us, wake_p99_us);

  /* The abandoned sleep cannot be waited for. */
  exit (0);
}
