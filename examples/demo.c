/* demo.c: CPU-bound Python in several interpreters, a main loop that stays
 * responsive, progress through a queue, a cancellation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: demo [N [LIMIT]]
 *
 *   N      how many interpreters (default: the number of CPUs, at least 2)
 *   LIMIT  each job counts the primes below LIMIT in pure Python
 *          (default 300000, about half a second of work)
 *
 * The program never blocks its main loop. It creates the interpreters
 * with interp_interpreter_new_async(), defines a function in each, then
 * starts the same call in all of them at once with
 * interp_interpreter_call_async(). While they compute:
 *
 *   - a heartbeat timeout ticks on the main loop every 100 ms and measures
 *     how late it fires: the main loop stays free;
 *   - the Python code puts its progress, (worker, percent), in an
 *     InterpQueue that the main loop reads with interp_queue_get_async().
 *
 * Then it starts a job that would run for minutes and cancels it after
 * half a second: the Python code is interrupted and the interpreter stays
 * usable. Last, a Python exception comes back as a GError.
 *
 * With Python 3.12 or later every interpreter has its own GIL and the jobs
 * run on separate cores; with Python 3.11 they share one GIL and take
 * turns, so the total is about the sum of the parts.
 */

#include <interp-glib.h>

#include <stdlib.h>
#include <unistd.h>

#define DEFAULT_LIMIT 300000
#define HEARTBEAT_MS 100

/* Runs in every interpreter. Returns the count and the CPU time this
 * thread spent on it: unlike wall time, that does not include waiting for
 * a shared GIL. Puts (worker, percent) in the progress queue as it goes. */
static const char *const python_source =
  "import time\n"
  "import interp_glib\n"
  "\n"
  "def count_primes(limit, worker=0, progress_id=-1):\n"
  "    if limit < 2:\n"
  "        raise ValueError(f'limit must be at least 2, got {limit}')\n"
  "    progress = interp_glib.Queue(progress_id) if progress_id >= 0 else None\n"
  "    step = max(limit // 10, 1)\n"
  "    start = time.thread_time()\n"
  "    count = 0\n"
  "    for n in range(2, limit):\n"
  "        if progress is not None and n % step == 0:\n"
  "            progress.put((worker, 100 * n // limit))\n"
  "        d = 2\n"
  "        while d * d <= n:\n"
  "            if n % d == 0:\n"
  "                break\n"
  "            d += 1\n"
  "        else:\n"
  "            count += 1\n"
  "    return count, time.thread_time() - start\n";

typedef struct
{
  GMainLoop *loop;
  guint n;
  gint64 limit;
  int exit_status;

  InterpInterpreter **interps;
  guint pending;          /* operations of the current phase still running */

  InterpQueue *progress;
  GCancellable *progress_stop;
  guint *percent;         /* per worker, from the queue */

  guint heartbeat_id;
  gboolean tty;           /* redraw one status line rather than print many */
  guint ticks;
  gint64 next_tick;       /* monotonic µs the next tick is due */
  gint64 worst_lateness;  /* µs */

  gint64 create_start;    /* monotonic µs */
  gint64 jobs_start;
  gint64 cancel_time;
  double cpu_sum;         /* seconds */
} Demo;

/* The user data of interp_interpreter_new_async(): where to put the result. */
typedef struct
{
  Demo *demo;
  guint index;
} Slot;

static void start_jobs (Demo *demo);
static void show_cancellation (Demo *demo);
static void show_exception (Demo *demo);

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static const char *
gil_name (InterpGil gil)
{
  return gil == INTERP_GIL_OWN ? "own GIL" : "shared GIL";
}

static void
fail (Demo       *demo,
      const char *what,
      GError     *error)
{
  g_printerr ("demo: %s: %s\n", what, error->message);
  demo->exit_status = EXIT_FAILURE;
  g_main_loop_quit (demo->loop);
}

/* ------------------------------------------------------------------ */
/* The heartbeat and the progress queue, on the main loop              */

static gboolean
heartbeat (gpointer user_data)
{
  Demo *demo = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GString) line = g_string_new (NULL);

  demo->worst_lateness = MAX (demo->worst_lateness, now - demo->next_tick);
  demo->next_tick = now + HEARTBEAT_MS * 1000;
  demo->ticks++;

  /* On a terminal one line is redrawn at every tick; in a log, every fifth
   * tick gets a line. */
  if (!demo->tty && demo->ticks % 5 != 0)
    return G_SOURCE_CONTINUE;
  g_string_append_printf (line, "  [heartbeat %3u, %.1f s] progress:", demo->ticks,
                          seconds_since (demo->jobs_start));
  for (guint i = 0; i < demo->n; i++)
    g_string_append_printf (line, " %3u%%", demo->percent[i]);
  if (demo->tty)
    g_print ("\r%s\033[K", line->str);
  else
    g_print ("%s\n", line->str);
  return G_SOURCE_CONTINUE;
}

static void
progress_got (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Demo *demo = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) item = NULL;
  gint64 worker, percent;

  item = interp_queue_get_finish (INTERP_QUEUE (source), result, &error);
  if (item == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (demo, "reading the progress queue", error);
      return;   /* cancelled: the jobs are done */
    }
  g_variant_get (item, "(xx)", &worker, &percent);
  if (worker >= 0 && worker < demo->n)
    demo->percent[worker] = (guint) MIN (percent, 100);

  interp_queue_get_async (demo->progress, demo->progress_stop, progress_got, demo);
}

/* ------------------------------------------------------------------ */
/* Phases                                                              */

/* Phase 2: the function is defined; once every interpreter has it, start
 * the jobs. */
static void
exec_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Demo *demo = user_data;
  g_autoptr(GError) error = NULL;

  if (!interp_interpreter_exec_finish (INTERP_INTERPRETER (source), result, &error))
    {
      fail (demo, "defining count_primes()", error);
      return;
    }

  if (--demo->pending == 0)
    start_jobs (demo);
}

/* Phase 1: an interpreter is ready. */
static void
new_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Slot *slot = user_data;
  Demo *demo = slot->demo;
  g_autoptr(GError) error = NULL;
  InterpInterpreter *interp;

  interp = interp_interpreter_new_finish (result, &error);
  if (interp == NULL)
    {
      fail (demo, "creating an interpreter", error);
      g_free (slot);
      return;
    }

  demo->interps[slot->index] = interp;
  g_print ("  interpreter %" G_GINT64_FORMAT " ready after %.3f s (%s)\n",
           interp_interpreter_get_id (interp),
           seconds_since (demo->create_start),
           gil_name (interp_interpreter_get_gil (interp)));

  interp_interpreter_exec_async (interp, python_source, NULL, exec_done, demo);
  g_free (slot);
}

/* Phase 3: one job finished. */
static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Demo *demo = user_data;
  InterpInterpreter *interp = INTERP_INTERPRETER (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  gint64 count;
  double cpu, wall, speedup;
  guint best;

  value = interp_interpreter_call_finish (interp, result, &error);
  if (value == NULL)
    {
      fail (demo, "count_primes()", error);
      return;
    }

  wall = seconds_since (demo->jobs_start);
  g_variant_get (value, "(xd)", &count, &cpu);
  demo->cpu_sum += cpu;
  if (demo->tty && demo->ticks > 0)
    g_print ("\r\033[K");   /* the status line */
  g_print ("  interpreter %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
           " primes below %" G_GINT64_FORMAT ", done after %.3f s wall, %.3f s CPU\n",
           interp_interpreter_get_id (interp), count, demo->limit, wall, cpu);

  if (--demo->pending > 0)
    return;

  g_clear_handle_id (&demo->heartbeat_id, g_source_remove);
  g_cancellable_cancel (demo->progress_stop);

  /* The CPU time of all jobs over the wall time they took: how many cores
   * were busy on average. With one GIL shared that is at most 1. */
  wall = seconds_since (demo->jobs_start);
  speedup = demo->cpu_sum / wall;
  best = interp_supports_own_gil () ? MIN (demo->n, g_get_num_processors ()) : 1;
  g_print ("\nAll %u jobs took %.3f s of wall time and %.3f s of CPU time together:\n"
           "a parallel speedup of %.2fx (at best %u here: %u jobs, %u CPUs, %s).\n",
           demo->n, wall, demo->cpu_sum, speedup, best, demo->n,
           g_get_num_processors (),
           interp_supports_own_gil () ? "a GIL each" : "one GIL");
  if (!interp_supports_own_gil ())
    g_print ("This Python shares one GIL between all interpreters, so they take turns:\n"
             "build against Python 3.12 or later (-Dpython=python3.13) to run them in parallel.\n");
  if (speedup < 0.75 * best)
    g_print ("That is less than expected: are other programs keeping the CPUs busy?\n");
  g_print ("Meanwhile the main loop ran the heartbeat %u times; it was at most %.1f ms late.\n",
           demo->ticks, demo->worst_lateness / 1000.0);

  show_cancellation (demo);
}

static void
start_jobs (Demo *demo)
{
  g_print ("\nCounting the primes below %" G_GINT64_FORMAT " in all %u interpreters at once;\n"
           "a heartbeat on the main loop every %d ms shows the progress the workers put in a queue:\n",
           demo->limit, demo->n, HEARTBEAT_MS);
  demo->pending = demo->n;
  demo->cpu_sum = 0;
  demo->jobs_start = g_get_monotonic_time ();
  demo->next_tick = demo->jobs_start + HEARTBEAT_MS * 1000;
  demo->heartbeat_id = g_timeout_add (HEARTBEAT_MS, heartbeat, demo);
  interp_queue_get_async (demo->progress, demo->progress_stop, progress_got, demo);

  for (guint i = 0; i < demo->n; i++)
    interp_interpreter_call_async (demo->interps[i], "count_primes",
                                   g_variant_new ("(xxx)", demo->limit, (gint64) i,
                                                  interp_queue_get_id (demo->progress)),
                                   NULL, NULL, call_done, demo);
}

/* Phase 4: a job that would run for minutes, cancelled. */
static void
cancelled_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Demo *demo = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  value = interp_interpreter_call_finish (INTERP_INTERPRETER (source), result, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_printerr ("demo: expected G_IO_ERROR_CANCELLED, got %s\n",
                  error != NULL ? error->message : "a result");
      demo->exit_status = EXIT_FAILURE;
      g_main_loop_quit (demo->loop);
      return;
    }
  g_print ("  the call failed with G_IO_ERROR_CANCELLED (\"%s\") %.3f s after the cancel:\n"
           "  its Python code was interrupted where it was running.\n",
           error->message, seconds_since (demo->cancel_time));

  show_exception (demo);
}

static gboolean
cancel_now (gpointer user_data)
{
  GCancellable *cancellable = user_data;
  Demo *demo = g_object_get_data (G_OBJECT (cancellable), "demo");

  demo->cancel_time = g_get_monotonic_time ();
  g_print ("  cancelling it after %.1f s...\n", seconds_since (demo->jobs_start));
  g_cancellable_cancel (cancellable);
  return G_SOURCE_REMOVE;
}

static void
show_cancellation (Demo *demo)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  g_print ("\nStarting count_primes(10**9), minutes of work, and cancelling it:\n");
  g_object_set_data (G_OBJECT (cancellable), "demo", demo);
  demo->jobs_start = g_get_monotonic_time ();
  interp_interpreter_call_async (demo->interps[0], "count_primes",
                                 g_variant_new ("(x)", (gint64) 1000000000),
                                 NULL, cancellable, cancelled_done, demo);
  g_timeout_add_full (G_PRIORITY_DEFAULT, 500, cancel_now,
                      g_object_ref (cancellable), g_object_unref);
}

/* Phase 5: a Python exception comes back as a GError; the interpreter
 * that was interrupted above serves it. */
static void
exception_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Demo *demo = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;
  g_auto(GStrv) lines = NULL;

  value = interp_interpreter_call_finish (INTERP_INTERPRETER (source), result, &error);
  if (value != NULL || !g_error_matches (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED))
    {
      g_printerr ("demo: expected INTERP_ERROR_EXECUTION_FAILED, got %s\n",
                  error != NULL ? error->message : "a result");
      demo->exit_status = EXIT_FAILURE;
      g_main_loop_quit (demo->loop);
      return;
    }

  /* The message starts with "TypeName: message"; InterpExceptionInfo has
   * the parts. */
  lines = g_strsplit (error->message, "\n", 2);
  info = interp_exception_info_from_error (error);
  g_print ("  GError INTERP_ERROR_EXECUTION_FAILED: %s\n", lines[0]);
  if (info != NULL)
    g_print ("  InterpExceptionInfo: type %s.%s, message \"%s\"\n",
             interp_exception_info_get_module (info),
             interp_exception_info_get_qualname (info),
             interp_exception_info_get_message (info));

  g_main_loop_quit (demo->loop);
}

static void
show_exception (Demo *demo)
{
  g_print ("\nCalling count_primes(-1) in the same interpreter, which raises ValueError...\n");
  interp_interpreter_call_async (demo->interps[0], "count_primes",
                                 g_variant_new ("(x)", (gint64) -1), NULL,
                                 NULL, exception_done, demo);
}

static gboolean
parse_number (const char *arg,
              guint64     min,
              guint64     max,
              guint64    *out)
{
  return g_ascii_string_to_unsigned (arg, 10, min, max, out, NULL);
}

int
main (int   argc,
      char *argv[])
{
  Demo demo = { 0 };
  g_autoptr(GError) error = NULL;
  guint64 value;

  demo.n = MAX (2, g_get_num_processors ());
  demo.limit = DEFAULT_LIMIT;
  demo.tty = isatty (STDOUT_FILENO);

  if (argc > 3 ||
      (argc > 1 && !parse_number (argv[1], 1, 256, &value)))
    goto usage;
  if (argc > 1)
    demo.n = (guint) value;
  if (argc > 2)
    {
      if (!parse_number (argv[2], 2, G_MAXINT32, &value))
        goto usage;
      demo.limit = (gint64) value;
    }

  g_print ("Python %s\n", interp_get_python_version ());
  g_print ("Own GIL per interpreter: %s; CPUs: %u\n\n",
           interp_supports_own_gil () ? "yes (Python >= 3.12: interpreters run in parallel)"
                                      : "no (Python 3.11: interpreters share one GIL)",
           g_get_num_processors ());

  demo.loop = g_main_loop_new (NULL, FALSE);
  demo.interps = g_new0 (InterpInterpreter *, demo.n);
  demo.percent = g_new0 (guint, demo.n);
  demo.progress = interp_queue_new (0, &error);
  if (demo.progress == NULL)
    {
      g_printerr ("demo: creating the progress queue: %s\n", error->message);
      return EXIT_FAILURE;
    }
  demo.progress_stop = g_cancellable_new ();
  demo.pending = demo.n;

  g_print ("Creating %u interpreters...\n", demo.n);
  demo.create_start = g_get_monotonic_time ();
  for (guint i = 0; i < demo.n; i++)
    {
      Slot *slot = g_new0 (Slot, 1);

      slot->demo = &demo;
      slot->index = i;
      interp_interpreter_new_async (NULL, new_done, slot);
    }

  g_main_loop_run (demo.loop);

  g_clear_handle_id (&demo.heartbeat_id, g_source_remove);
  g_cancellable_cancel (demo.progress_stop);
  for (guint i = 0; i < demo.n; i++)
    g_clear_object (&demo.interps[i]);
  g_free (demo.interps);
  g_free (demo.percent);
  g_clear_object (&demo.progress);
  g_clear_object (&demo.progress_stop);
  g_main_loop_unref (demo.loop);

  /* Closes every interpreter and finalizes Python. */
  if (!interp_shutdown (&error))
    {
      g_printerr ("demo: interp_shutdown(): %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print ("\nShut down.\n");

  return demo.exit_status;

usage:
  g_printerr ("Usage: %s [N [LIMIT]]\n"
              "  N      number of interpreters, 1-256 (default: number of CPUs, at least 2)\n"
              "  LIMIT  count the primes below LIMIT in each, >= 2 (default %d)\n",
              argv[0], DEFAULT_LIMIT);
  return 2;
}
