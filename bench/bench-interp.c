/* bench-interp.c: interp-glib's side of the benchmarks; prints JSON.
 *
 * Usage: bench-interp WORKLOAD.py N_ITERATIONS N_PARALLEL
 *        bench-interp --lean   (RSS per idle interpreter, create + first exec)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include <interp-glib.h>

#include "bench-common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The loop whose cost with and without a cancellable is compared; the
 * peer runs the same (bench-cpython.py). */
#define LOOP_CODE \
  "import time as _t\n_s = _t.perf_counter()\nfor _i in range(3000000): pass\n" \
  "loop_s = _t.perf_counter() - _s\n"

static InterpInterpreter *new_with_workload (const char *source);

/* Resident set size of this process, KiB. */
static long
rss_kib (void)
{
  g_autofree char *statm = NULL;
  g_auto(GStrv) fields = NULL;

  /* size resident shared ... (pages) */
  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL) ||
      g_strv_length (fields = g_strsplit (statm, " ", 3)) < 2)
    return 0;
  return g_ascii_strtoll (fields[1], NULL, 10) * (sysconf (_SC_PAGESIZE) / 1024);
}

/* Lean interpreters: @n interpreters created and given a first exec, one
 * after the other, kept idle: RSS per interpreter and the median time of
 * create + first exec. Runs first, before anything else grows the heap. */
static void
measure_lean (guint   n,
              double *rss_per_interp_kib,
              double *create_exec_ms)
{
  g_autoptr(GError) error = NULL;
  InterpInterpreter **interps = g_new0 (InterpInterpreter *, n);
  double *times = g_new0 (double, n);
  long before;

  /* Python itself starts with the first one. */
  g_object_unref (new_with_workload ("pass"));
  before = rss_kib ();
  for (guint i = 0; i < n; i++)
    {
      double start = now ();

      interps[i] = interp_interpreter_new (NULL, &error);
      if (interps[i] == NULL || !interp_interpreter_exec (interps[i], "pass", NULL, &error))
        g_error ("%s", error->message);
      times[i] = (now () - start) * 1e3;
    }
  g_usleep (200 * 1000);
  *rss_per_interp_kib = (double) (rss_kib () - before) / n;
  *create_exec_ms = quantile (times, n, 0.5);
  for (guint i = 0; i < n; i++)
    g_object_unref (interps[i]);
  g_free (interps);
  g_free (times);
}

static InterpInterpreter *
new_with_workload (const char *source)
{
  g_autoptr(GError) error = NULL;
  InterpInterpreter *interp = interp_interpreter_new (NULL, &error);

  if (interp == NULL || !interp_interpreter_exec (interp, source, NULL, &error))
    g_error ("setup: %s", error->message);
  return interp;
}

typedef struct
{
  guint done;
} Pending;

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_call_finish (INTERP_INTERPRETER (source), result, &error);

  if (value == NULL)
    g_error ("call: %s", error->message);
  pending->done++;
}

static void
exec_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;

  if (interp_interpreter_exec_finish (INTERP_INTERPRETER (source), result, &error) ||
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_error ("the spin loop was not cancelled");
  pending->done++;
}

static double
run_parallel (InterpInterpreter **interps,
              guint               n,
              gint64              iterations)
{
  Pending pending = { 0 };
  double start = now ();

  for (guint i = 0; i < n; i++)
    interp_interpreter_call_async (interps[i], "work", g_variant_new ("(x)", iterations), NULL,
                                   NULL, done_cb, &pending);
  while (pending.done < n)
    g_main_context_iteration (NULL, TRUE);
  return now () - start;
}

/* The raw C API, for comparison: create and end an interpreter with the
 * same settings on a fresh thread, nothing else. */
static gpointer
raw_create_close (gpointer data)
{
  guint rounds = GPOINTER_TO_UINT (data);
  double *elapsed = g_new0 (double, 1);

  for (guint i = 0; i < rounds; i++)
    {
      PyThreadState *main_tstate = PyThreadState_New (PyInterpreterState_Main ());
      PyThreadState *tstate = NULL;
      double start = now ();

      PyEval_RestoreThread (main_tstate);
#if INTERP_PY_HAS_OWN_GIL
      {
        PyInterpreterConfig config = {
          .use_main_obmalloc = 0, .allow_fork = 0, .allow_exec = 0, .allow_threads = 1,
          .allow_daemon_threads = 0, .check_multi_interp_extensions = 1,
          .gil = PyInterpreterConfig_OWN_GIL,
        };
        if (PyStatus_Exception (Py_NewInterpreterFromConfig (&tstate, &config)))
          g_error ("raw create failed");
      }
      Py_EndInterpreter (tstate);
#else
      tstate = Py_NewInterpreter ();
      Py_EndInterpreter (tstate);
      PyThreadState_Swap (main_tstate);
#endif
      *elapsed += now () - start;
#if INTERP_PY_HAS_OWN_GIL
      PyEval_RestoreThread (main_tstate);
#endif
      PyThreadState_Clear (main_tstate);
      PyThreadState_DeleteCurrent ();
    }
  return elapsed;
}

static double
eval_double (InterpInterpreter *interp,
             const char        *expr)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_eval (interp, expr, NULL, &error);

  if (value == NULL)
    g_error ("%s: %s", expr, error->message);
  return g_variant_get_double (value);
}

static void
exec_done_ok_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;

  if (!interp_interpreter_exec_finish (INTERP_INTERPRETER (source), result, &error))
    g_error ("%s", error->message);
  pending->done++;
}

/* Runs the workload's @writer in @a and @reader in @b at once over a new
 * interp_glib queue; returns @measure evaluated in @b. */
static double
run_queue_pair (InterpInterpreter *a,
                InterpInterpreter *b,
                const char        *source,
                const char        *writer,
                const char        *reader,
                const char        *params,
                const char        *measure)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) qid = NULL;
  g_autofree char *setup = NULL;
  g_autofree char *run_writer = NULL;
  g_autofree char *run_reader = NULL;
  Pending pending = { 0 };

  setup = g_strdup_printf ("import interp_glib\nQUEUE = interp_glib.Queue\n%s%s\n", params, source);
  if (!interp_interpreter_exec (a, setup, NULL, &error) || !interp_interpreter_exec (b, setup, NULL, &error))
    g_error ("%s", error->message);
  if (!interp_interpreter_exec (a, "bench_queue = interp_glib.create_queue()\nQID = bench_queue.id\n", NULL, &error))
    g_error ("%s", error->message);
  qid = interp_interpreter_eval (a, "QID", NULL, &error);
  run_writer = g_strdup_printf ("exec(%s.replace('QID', str(QID)))", writer);
  run_reader = g_strdup_printf ("QID = %" G_GINT64_FORMAT "\nexec(%s.replace('QID', str(QID)))",
                                g_variant_get_int64 (qid), reader);
  interp_interpreter_exec_async (b, run_reader, NULL, exec_done_ok_cb, &pending);
  interp_interpreter_exec_async (a, run_writer, NULL, exec_done_ok_cb, &pending);
  while (pending.done < 2)
    g_main_context_iteration (NULL, TRUE);
  return eval_double (b, measure);
}

int
main (int argc, char *argv[])
{
  g_autofree char *source = NULL;
  g_autoptr(GError) error = NULL;
  gint64 iterations;
  guint n;
  InterpInterpreter **interps;
  double single, parallel, sync_us, async_rate, create_ms, raw_ms, cancel_ms, cancel_p90_ms;
  double queue_throughput, queue_latency_us, queue_latency_p99_us;
  double rss_per_interp_kib, create_exec_ms, loop_s, loop_cancellable_s;
  const guint sync_rounds = 20000, async_rounds = 100000, create_rounds = 20, cancel_rounds = 30;
  const guint lean_interps = 30;
  double cancel_times[30];

  if (argc == 2 && strcmp (argv[1], "--lean") == 0)
    {
      /* Only the lean figures: bench/run.py alternates them with the
       * peer's, round after round. */
      measure_lean (lean_interps, &rss_per_interp_kib, &create_exec_ms);
      g_print ("{\"rss_per_interp_kib\": %.0f, \"create_exec_ms\": %.3f}\n",
               rss_per_interp_kib, create_exec_ms);
      interp_shutdown (NULL);
      return 0;
    }
  if (argc != 4 || !g_file_get_contents (argv[1], &source, NULL, &error))
    g_error ("usage: %s WORKLOAD.py N_ITERATIONS N_PARALLEL | --lean", argv[0]);
  iterations = g_ascii_strtoll (argv[2], NULL, 10);
  n = atoi (argv[3]);

  measure_lean (lean_interps, &rss_per_interp_kib, &create_exec_ms);

  interps = g_new0 (InterpInterpreter *, n);
  for (guint i = 0; i < n; i++)
    interps[i] = new_with_workload (source);

  /* Warm up, then 1 interpreter alone, then N at once. */
  run_parallel (interps, 1, iterations / 10);
  single = run_parallel (interps, 1, iterations);
  parallel = run_parallel (interps, n, iterations);

  /* Sync round trip of a trivial call, from this (another) thread. */
  {
    double start = now ();
    for (guint i = 0; i < sync_rounds; i++)
      {
        g_autoptr(GVariant) value = interp_interpreter_call (interps[0], "noop", NULL, NULL, NULL, &error);
        if (value == NULL)
          g_error ("%s", error->message);
      }
    sync_us = (now () - start) / sync_rounds * 1e6;
  }

  /* Async throughput: all submitted at once, completed on the main loop. */
  {
    Pending pending = { 0 };
    double start = now ();

    for (guint i = 0; i < async_rounds; i++)
      interp_interpreter_call_async (interps[0], "noop", NULL, NULL, NULL, done_cb, &pending);
    while (pending.done < async_rounds)
      g_main_context_iteration (NULL, TRUE);
    async_rate = async_rounds / (now () - start);
  }

  /* Create + close. */
  {
    double start = now ();
    for (guint i = 0; i < create_rounds; i++)
      {
        g_autoptr(InterpInterpreter) interp = interp_interpreter_new (NULL, &error);
        if (interp == NULL || !interp_interpreter_close (interp, &error))
          g_error ("%s", error->message);
      }
    create_ms = (now () - start) / create_rounds * 1e3;
  }
  {
    GThread *thread = g_thread_new ("raw", raw_create_close, GUINT_TO_POINTER (create_rounds));
    double *elapsed = g_thread_join (thread);
    raw_ms = *elapsed / create_rounds * 1e3;
    g_free (elapsed);
  }

  /* Latency from g_cancellable_cancel() to the completion of a spin loop. */
  for (guint i = 0; i < cancel_rounds; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Pending pending = { 0 };
      double start;

      interp_interpreter_exec_async (interps[0], "while True: pass", cancellable,
                                     exec_done_cb, &pending);
      while (!interp_interpreter_is_running (interps[0]))
        g_usleep (100);
      g_usleep (20000);
      start = now ();
      g_cancellable_cancel (cancellable);
      while (pending.done == 0)
        g_main_context_iteration (NULL, TRUE);
      cancel_times[i] = (now () - start) * 1e3;
    }
  cancel_ms = quantile (cancel_times, cancel_rounds, 0.5);
  cancel_p90_ms = quantile (cancel_times, cancel_rounds, 0.9);

  /* What being cancellable costs code that is not cancelled: the same
   * loop with and without a cancellable, timed inside the interpreter,
   * the best of 10 each, alternated. */
  loop_s = loop_cancellable_s = G_MAXDOUBLE;
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GCancellable) cancellable = (i % 2) ? g_cancellable_new () : NULL;
      double elapsed;

      if (!interp_interpreter_exec (interps[0], LOOP_CODE, cancellable, &error))
        g_error ("%s", error->message);
      elapsed = eval_double (interps[0], "loop_s");
      if (i % 2)
        loop_cancellable_s = MIN (loop_cancellable_s, elapsed);
      else
        loop_s = MIN (loop_s, elapsed);
    }

  /* Queues: Python to Python across two interpreters running at once. */
  {
    g_autofree char *queue_source = NULL;
    g_autofree char *dir = g_path_get_dirname (argv[1]);
    g_autofree char *path = g_build_filename (dir, "queue_workload.py", NULL);
    InterpInterpreter *a = interps[0], *b = interps[1 % n];

    if (!g_file_get_contents (path, &queue_source, NULL, &error))
      g_error ("%s", error->message);
    queue_throughput = run_queue_pair (a, b, queue_source, "PRODUCER", "CONSUMER",
                                       "N = 100000\n", "count / elapsed");
    queue_latency_us = run_queue_pair (a, b, queue_source, "PINGER", "WAITER",
                                       "ROUNDS = 300\n", "latencies[len(latencies) // 2] * 1e6");
    queue_latency_p99_us = eval_double (b, "latencies[int(len(latencies) * 0.99)] * 1e6");
  }

  g_print ("{\"python\": \"%s\", \"own_gil\": %s, \"n\": %u, \"iterations\": %" G_GINT64_FORMAT ", "
           "\"single_s\": %.4f, \"parallel_s\": %.4f, \"sync_call_us\": %.2f, "
           "\"async_calls_per_s\": %.0f, \"create_close_ms\": %.3f, \"raw_create_close_ms\": %.3f, "
           "\"cancel_latency_ms\": %.3f, \"queue_items_per_s\": %.0f, \"queue_wake_us\": %.1f, "
           "\"queue_wake_p99_us\": %.1f, \"rss_per_interp_kib\": %.0f, \"create_exec_ms\": %.3f, "
           "\"cancel_p90_ms\": %.3f, \"loop_s\": %.4f, \"loop_cancellable_s\": %.4f}\n",
           PY_VERSION, interp_supports_own_gil () ? "true" : "false", n, iterations,
           single, parallel, sync_us, async_rate, create_ms, raw_ms, cancel_ms,
           queue_throughput, queue_latency_us, queue_latency_p99_us,
           rss_per_interp_kib, create_exec_ms, cancel_p90_ms, loop_s, loop_cancellable_s);

  for (guint i = 0; i < n; i++)
    g_object_unref (interps[i]);
  g_free (interps);
  interp_shutdown (NULL);
  return 0;
}
