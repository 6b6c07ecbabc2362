/* test-stress.c: many interpreters, many calls, cancellation and closing
 * under load, one queue hammered from C and Python threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sized to take seconds in CI. INTERP_STRESS_LONG=1 runs the long versions
 * (minutes). Nothing here measures time: the checks are counts and sums
 * (every async call completes exactly once, with its own value; every item
 * put is taken once). RSS figures are printed as TAP comments.
 */

#include "test-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static gboolean
long_run (void)
{
  const char *v = g_getenv ("INTERP_STRESS_LONG");

  return v != NULL && v[0] != '\0' && g_strcmp0 (v, "0") != 0;
}

static guint
scaled (guint ci,
        guint full)
{
  return long_run () ? full : ci;
}

/* Resident set size in KiB, from /proc/self/statm (0 if unreadable). */
static guint64
rss_kib (void)
{
  g_autofree char *contents = NULL;
  guint64 size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL))
    return 0;
  if (sscanf (contents, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &size, &resident) != 2)
    return 0;
  return resident * (guint64) sysconf (_SC_PAGESIZE) / 1024;
}

/* ------------------------------------------------------------------ */
/* Create and close, RSS sampled                                       */

static void
create_close_once (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = new_interpreter ();

  exec_ok (interp, "import json\nx = json.dumps({'a': [1, 2, 3]})\n");
  g_assert_true (interp_interpreter_close (interp, &error));
  g_assert_no_error (error);
}

static void
test_create_close (void)
{
  guint warmup = 3;
  guint cycles = scaled (20, 500);
  guint64 before, after, peak = 0;
  double per_cycle;

  for (guint i = 0; i < warmup; i++)
    create_close_once ();
  before = rss_kib ();
  for (guint i = 0; i < cycles; i++)
    {
      create_close_once ();
      peak = MAX (peak, rss_kib ());
    }
  after = rss_kib ();
  per_cycle = ((double) after - (double) before) / cycles;

  g_test_message ("create/close: %u cycles, RSS %" G_GUINT64_FORMAT " KiB -> %"
                  G_GUINT64_FORMAT " KiB (peak %" G_GUINT64_FORMAT " KiB): %+.1f KiB per cycle",
                  cycles, before, after, peak, per_cycle);
  /* Only a gross leak fails this (CPython 3.13.0 itself leaks ~1.7 MB a
   * cycle; an ASan build holds freed memory in quarantine): 64 MiB. */
  g_assert_cmpfloat (per_cycle, <, 64.0 * 1024);
}

/* ------------------------------------------------------------------ */
/* 32 interpreters x N async calls, each counted exactly once          */

typedef struct
{
  guint *seen;          /* per call: how many times it completed */
  guint completions;
  guint failures;
  gint64 sum;
} ManyCalls;

typedef struct
{
  ManyCalls *state;
  guint index;
  gint64 expected;
} CallTag;

static void
many_call_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallTag *tag = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_call_finish (INTERP_INTERPRETER (source),
                                                              result, &error);

  tag->state->completions++;
  tag->state->seen[tag->index]++;
  if (value == NULL)
    {
      g_test_message ("call %u failed: %s", tag->index, error->message);
      tag->state->failures++;
    }
  else
    {
      g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64));
      g_assert_cmpint (g_variant_get_int64 (value), ==, tag->expected);
      tag->state->sum += g_variant_get_int64 (value);
    }
}

static void
test_many_calls (void)
{
  const guint n_interps = 32;
  guint per_interp = scaled (1000, 10000);
  guint total = n_interps * per_interp;
  g_autofree InterpInterpreter **interps = g_new0 (InterpInterpreter *, n_interps);
  g_autofree CallTag *tags = g_new0 (CallTag, total);
  ManyCalls state = { 0 };
  gint64 expected_sum = 0;
  guint64 rss_before = rss_kib ();

  state.seen = g_new0 (guint, total);
  for (guint i = 0; i < n_interps; i++)
    {
      interps[i] = new_interpreter ();
      exec_fmt (interps[i], "def f(i):\n    return i * 3 + %u\n", i);
    }

  /* Interleaved, so that every executor has work queued at once. */
  for (guint k = 0; k < per_interp; k++)
    for (guint i = 0; i < n_interps; i++)
      {
        guint index = k * n_interps + i;
        CallTag *tag = &tags[index];

        tag->state = &state;
        tag->index = index;
        tag->expected = (gint64) index * 3 + i;
        expected_sum += tag->expected;
        interp_interpreter_call_async (interps[i], "f",
                                       g_variant_new ("(x)", (gint64) index),
                                       NULL, NULL, many_call_cb, tag);
      }

  while (state.completions < total)
    g_main_context_iteration (NULL, TRUE);
  drain_main_context ();

  g_test_message ("many calls: %u interpreters x %u calls, RSS %" G_GUINT64_FORMAT
                  " KiB -> %" G_GUINT64_FORMAT " KiB",
                  n_interps, per_interp, rss_before, rss_kib ());
  g_assert_cmpuint (state.completions, ==, total);
  g_assert_cmpuint (state.failures, ==, 0);
  for (guint j = 0; j < total; j++)
    g_assert_cmpuint (state.seen[j], ==, 1);
  g_assert_cmpint (state.sum, ==, expected_sum);

  for (guint i = 0; i < n_interps; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (interp_interpreter_close (interps[i], &error));
      g_assert_no_error (error);
      g_object_unref (interps[i]);
    }
  g_free (state.seen);
}

/* ------------------------------------------------------------------ */
/* Cancel storms                                                       */

typedef struct
{
  Counts counts;
  guint *seen;
} Storm;

typedef struct
{
  Storm *storm;
  guint index;
} StormTag;

static void
storm_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  StormTag *tag = user_data;

  tag->storm->seen[tag->index]++;
  count_exec_cb (source, result, &tag->storm->counts);
}

/* Calls of a few milliseconds each on a few interpreters; a random half is
 * cancelled at random moments from another thread: before they start,
 * while they run, after they finished. */
typedef struct
{
  GPtrArray *cancellables;
  guint32 seed;
} Canceller;

static gpointer
cancel_thread (gpointer data)
{
  Canceller *canceller = data;
  GRand *rand = g_rand_new_with_seed (canceller->seed);

  for (guint i = 0; i < canceller->cancellables->len; i++)
    {
      if (g_rand_boolean (rand))
        g_cancellable_cancel (g_ptr_array_index (canceller->cancellables, i));
      if (g_rand_int_range (rand, 0, 4) == 0)
        g_usleep (g_rand_int_range (rand, 0, 2000));
    }
  g_rand_free (rand);
  return NULL;
}

static void
test_cancel_storm (void)
{
  const guint n_interps = 4;
  guint n_calls = scaled (400, 20000);
  InterpInterpreter *interps[4];
  g_autoptr(GPtrArray) cancellables = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree StormTag *tags = g_new0 (StormTag, n_calls);
  Storm storm = { 0 };
  Canceller canceller;
  GThread *thread;

  counts_init (&storm.counts);
  storm.seen = g_new0 (guint, n_calls);
  for (guint i = 0; i < n_interps; i++)
    interps[i] = new_interpreter ();
  for (guint j = 0; j < n_calls; j++)
    g_ptr_array_add (cancellables, g_cancellable_new ());

  canceller.cancellables = cancellables;
  canceller.seed = g_test_rand_int ();
  thread = g_thread_new ("canceller", cancel_thread, &canceller);
  for (guint j = 0; j < n_calls; j++)
    {
      tags[j].storm = &storm;
      tags[j].index = j;
      /* A loop of a few ms, with try/finally: cancelled in any bytecode. */
      interp_interpreter_exec_async (interps[j % n_interps],
                                     "try:\n"
                                     "    n = 0\n"
                                     "    for i in range(20000):\n"
                                     "        n += i\n"
                                     "finally:\n"
                                     "    done = True\n",
                                     g_ptr_array_index (cancellables, j),
                                     storm_cb, &tags[j]);
    }
  g_thread_join (thread);
  wait_for_completions (&storm.counts, n_calls);

  g_test_message ("cancel storm: %u calls on %u interpreters: %u ok, %u cancelled",
                  n_calls, n_interps, storm.counts.ok, storm.counts.cancelled);
  g_assert_cmpuint (storm.counts.ok + storm.counts.cancelled, ==, n_calls);
  g_assert_cmpuint (storm.counts.other, ==, 0);
  for (guint j = 0; j < n_calls; j++)
    g_assert_cmpuint (storm.seen[j], ==, 1);

  /* Every interpreter still works, and its state is whole. */
  for (guint i = 0; i < n_interps; i++)
    {
      g_assert_cmpint (eval_int (interps[i], "sum(range(10))"), ==, 45);
      g_object_unref (interps[i]);
    }
  counts_clear (&storm.counts);
  g_free (storm.seen);
}

/* ------------------------------------------------------------------ */
/* Close and unref while calls run                                     */

static void
close_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (interp_interpreter_close_finish (INTERP_INTERPRETER (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
test_close_while_running (void)
{
  guint rounds = scaled (10, 200);
  const guint per_round = 40;
  guint total_ok = 0, total_not_found = 0, total_cancelled = 0;

  for (guint r = 0; r < rounds; r++)
    {
      InterpInterpreter *interp = new_interpreter ();
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Counts counts;
      gboolean closed = FALSE;
      guint mode = r % 3;

      counts_init (&counts);
      for (guint j = 0; j < per_round; j++)
        interp_interpreter_exec_async (interp,
                                       "n = 0\nfor i in range(5000):\n    n += i\n",
                                       (j % 4 == 0) ? cancellable : NULL,
                                       count_exec_cb, &counts);
      /* Let some start. */
      g_usleep (500);
      if (r % 2 == 0)
        g_cancellable_cancel (cancellable);

      if (mode == 0)
        {
          /* Synchronous close from this thread, calls in flight. */
          g_autoptr(GError) error = NULL;

          g_assert_true (interp_interpreter_close (interp, &error));
          g_assert_no_error (error);
          g_object_unref (interp);
          closed = TRUE;
        }
      else if (mode == 1)
        {
          interp_interpreter_close_async (interp, NULL, close_done_cb, &closed);
          g_object_unref (interp);
        }
      else
        {
          /* Only the last reference dropped: disposing closes it. */
          g_object_unref (interp);
          closed = TRUE;
        }

      wait_for_completions (&counts, per_round);
      while (!closed)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (counts.ok + counts.not_found + counts.cancelled, ==, per_round);
      g_assert_cmpuint (counts.other, ==, 0);
      total_ok += counts.ok;
      total_not_found += counts.not_found;
      total_cancelled += counts.cancelled;
      counts_clear (&counts);
    }
  g_test_message ("close while running: %u rounds x %u calls: %u ok, %u not found, %u cancelled",
                  rounds, per_round, total_ok, total_not_found, total_cancelled);
}

/* ------------------------------------------------------------------ */
/* 8 threads on one queue: C and Python, producers and consumers        */

#define SENTINEL (-1)

typedef struct
{
  InterpQueue *queue;
  gint64 start;
  guint count;
  gint64 sum;      /* consumers: what they took */
  guint taken;
} QueueWorker;

static gpointer
c_producer (gpointer data)
{
  QueueWorker *w = data;

  for (guint i = 0; i < w->count; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (interp_queue_put (w->queue, g_variant_new_int64 (w->start + i),
                                       -1, NULL, &error));
      g_assert_no_error (error);
    }
  return NULL;
}

static gpointer
c_consumer (gpointer data)
{
  QueueWorker *w = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) item = interp_queue_get (w->queue, -1, NULL, &error);
      gint64 v;

      g_assert_no_error (error);
      g_assert_true (g_variant_is_of_type (item, G_VARIANT_TYPE_INT64));
      v = g_variant_get_int64 (item);
      if (v == SENTINEL)
        return NULL;
      w->sum += v;
      w->taken++;
    }
}

typedef struct
{
  guint pending;
  gint64 sum;
  guint taken;
  guint failures;
} PyResults;

static void
py_worker_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PyResults *results = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_call_finish (INTERP_INTERPRETER (source),
                                                              result, &error);

  results->pending--;
  if (value == NULL)
    {
      g_test_message ("Python queue worker failed: %s", error->message);
      results->failures++;
      return;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("(xx)")))
    {
      gint64 sum, taken;

      g_variant_get (value, "(xx)", &sum, &taken);
      results->sum += sum;
      results->taken += taken;
    }
}

static void
test_queue_hammer (void)
{
  guint per_producer = scaled (4000, 200000);
  g_autoptr(InterpQueue) queue = interp_queue_new (64, NULL);
  InterpInterpreter *py[4];
  QueueWorker c_prod[2], c_cons[2];
  GThread *threads[4];
  PyResults producers = { 0 }, consumers = { 0 };
  gint64 expected_sum = 0, got_sum;
  guint got_taken;
  guint n_producers = 4;

  for (guint i = 0; i < 4; i++)
    {
      py[i] = new_interpreter ();
      exec_fmt (py[i],
                "import interp_glib\n"
                "q = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
                "def produce(start, count):\n"
                "    for i in range(start, start + count):\n"
                "        q.put(i)\n"
                "    return (0, 0)\n"
                "def consume():\n"
                "    s = n = 0\n"
                "    while True:\n"
                "        v = q.get()\n"
                "        if v == %d:\n"
                "            return (s, n)\n"
                "        s += v\n"
                "        n += 1\n",
                interp_queue_get_id (queue), SENTINEL);
    }

  /* Disjoint ranges: producer p puts [p * per_producer, (p + 1) * per_producer). */
  for (guint p = 0; p < n_producers; p++)
    for (guint i = 0; i < per_producer; i++)
      expected_sum += (gint64) p * per_producer + i;

  for (guint i = 0; i < 2; i++)
    {
      c_cons[i] = (QueueWorker) { .queue = queue };
      threads[2 + i] = g_thread_new ("c-consumer", c_consumer, &c_cons[i]);
    }
  consumers.pending = 2;
  for (guint i = 0; i < 2; i++)
    interp_interpreter_call_async (py[2 + i], "consume", NULL, NULL, NULL,
                                   py_worker_cb, &consumers);

  for (guint i = 0; i < 2; i++)
    {
      c_prod[i] = (QueueWorker) { .queue = queue, .start = (gint64) i * per_producer,
                                  .count = per_producer };
      threads[i] = g_thread_new ("c-producer", c_producer, &c_prod[i]);
    }
  producers.pending = 2;
  for (guint i = 0; i < 2; i++)
    interp_interpreter_call_async (py[i], "produce",
                                   g_variant_new ("(xx)", (gint64) (2 + i) * per_producer,
                                                  (gint64) per_producer),
                                   NULL, NULL, py_worker_cb, &producers);

  g_thread_join (threads[0]);
  g_thread_join (threads[1]);
  while (producers.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (producers.failures, ==, 0);

  /* Everything is in; one sentinel per consumer. */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (interp_queue_put (queue, g_variant_new_int64 (SENTINEL), -1, NULL, &error));
      g_assert_no_error (error);
    }
  g_thread_join (threads[2]);
  g_thread_join (threads[3]);
  while (consumers.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (consumers.failures, ==, 0);

  got_sum = c_cons[0].sum + c_cons[1].sum + consumers.sum;
  got_taken = c_cons[0].taken + c_cons[1].taken + consumers.taken;
  g_test_message ("queue hammer: %u items from 2 C and 2 Python producers; taken by C %u + %u, "
                  "by Python %u",
                  n_producers * per_producer, c_cons[0].taken, c_cons[1].taken, consumers.taken);
  g_assert_cmpuint (got_taken, ==, n_producers * per_producer);
  g_assert_cmpint (got_sum, ==, expected_sum);
  g_assert_cmpint (interp_queue_get_size (queue), ==, 0);

  for (guint i = 0; i < 4; i++)
    g_object_unref (py[i]);
}

/* ------------------------------------------------------------------ */
/* interp_list_all() while interpreters are closed and released         */

typedef struct
{
  gint stop;
  guint lists;
  guint max_len;
} Lister;

static gpointer
lister_thread (gpointer data)
{
  Lister *lister = data;

  while (!g_atomic_int_get (&lister->stop))
    {
      GList *all = interp_list_all ();

      /* The main interpreter comes first, whatever else is going on. */
      g_assert_nonnull (all);
      g_assert_cmpint (interp_interpreter_get_whence (all->data), ==, INTERP_WHENCE_RUNTIME);
      lister->max_len = MAX (lister->max_len, g_list_length (all));
      lister->lists++;
      /* Dropped here, often the last reference to a closed interpreter. */
      g_list_free_full (all, g_object_unref);
    }
  return NULL;
}

static void
test_list_while_releasing (void)
{
  guint cycles = scaled (40, 400);
  Lister lister = { 0 };
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GThread *threads[2];
  GList *all;

  threads[0] = g_thread_new ("lister", lister_thread, &lister);
  threads[1] = g_thread_new ("lister", lister_thread, &lister);
  for (guint i = 0; i < cycles; i++)
    {
      g_autoptr(GError) error = NULL;
      InterpInterpreter *interp = new_interpreter ();
      gint64 id = interp_interpreter_get_id (interp);

      g_array_append_val (ids, id);
      if (i % 2 == 0)
        {
          g_assert_true (interp_interpreter_close (interp, &error));
          g_assert_no_error (error);
        }
      g_object_unref (interp);
    }
  g_atomic_int_set (&lister.stop, 1);
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);

  /* Every one of them was closed or released: none is listed. */
  all = interp_list_all ();
  for (GList *l = all; l != NULL; l = l->next)
    for (guint i = 0; i < ids->len; i++)
      g_assert_cmpint (interp_interpreter_get_id (l->data), !=, g_array_index (ids, gint64, i));
  g_list_free_full (all, g_object_unref);
  g_test_message ("list while releasing: %u interpreters, %u lists, at most %u listed at once",
                  cycles, lister.lists, lister.max_len);
  g_assert_cmpuint (lister.lists, >, 0);
  g_array_unref (ids);
}

/* ------------------------------------------------------------------ */
/* Creating and releasing interpreters on several threads at once       */

/* Releasing an interpreter scans the registry of the others. That scan
 * once took a reference to each and dropped it under the registry lock:
 * when another thread let go of that interpreter in between, the drop was
 * the last reference, and dispose took the same lock on the same thread.
 * The whole library then hung (every later create waits for that lock).
 * test-interpreter's /interpreter/release-race makes that moment happen
 * every time; this one runs the user's pattern. Python 3.13.0 itself keeps
 * about 1.7 MiB of each destroyed interpreter (its own create() and
 * destroy() do too), so RSS grows with the seconds here. */

typedef struct
{
  gint64 until;     /* monotonic time to stop at */
  guint released;   /* (atomic) */
} Releaser;

static gpointer
releaser_thread (gpointer data)
{
  Releaser *r = data;
  InterpInterpreter *kept[2] = { NULL };
  guint n = 0;

  while (g_get_monotonic_time () < r->until)
    {
      guint slot = n++ % G_N_ELEMENTS (kept);

      /* Dropped while the other threads create and release theirs. */
      g_clear_object (&kept[slot]);
      kept[slot] = new_interpreter ();
      g_atomic_int_inc (&r->released);
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    g_clear_object (&kept[i]);
  return NULL;
}

static void
test_release_on_threads (void)
{
  const char *env = g_getenv ("INTERP_STRESS_RELEASE_SECONDS");
  guint seconds = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : scaled (10, 60);
  Releaser r = { .until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC };
  const char *n_env = g_getenv ("INTERP_STRESS_RELEASE_THREADS");
  guint n_threads = n_env != NULL ? CLAMP (g_ascii_strtoull (n_env, NULL, 10), 2, 16) : 2;
  g_autofree GThread **threads = g_new0 (GThread *, n_threads);

  for (guint i = 0; i < n_threads; i++)
    threads[i] = g_thread_new ("releaser", releaser_thread, &r);
  for (guint i = 0; i < n_threads; i++)
    g_thread_join (threads[i]);

  /* Nothing hung (a hang ends in meson's timeout), and the library still
   * makes interpreters. */
  g_object_unref (new_interpreter ());
  g_test_message ("release on %u threads: %u interpreters in %u s",
                  n_threads, g_atomic_int_get (&r.released), seconds);
  g_assert_cmpuint (g_atomic_int_get (&r.released), >, n_threads);
}

/* ------------------------------------------------------------------ */
/* Cancelling blocked queue gets at the moment they start waiting       */

typedef struct
{
  GCancellable *cancellable;  /* (atomic) the one to cancel next */
  gint round;                 /* (atomic) bumped for each new one */
  gint done;                  /* (atomic) the last round cancelled */
  gint stop;
  guint32 seed;
} GetCanceller;

static gpointer
get_cancel_thread (gpointer data)
{
  GetCanceller *c = data;
  GRand *rand = g_rand_new_with_seed (c->seed);
  gint seen = 0;

  while (!g_atomic_int_get (&c->stop))
    {
      gint round = g_atomic_int_get (&c->round);
      GCancellable *cancellable;
      gint64 until;

      if (round == seen)
        continue;
      seen = round;
      /* 0 to 400 us after the get was submitted: some land before the
       * wait, some while it spins, some while it sleeps. */
      until = g_get_monotonic_time () + g_rand_int_range (rand, 0, 400);
      while (g_get_monotonic_time () < until)
        ;
      cancellable = g_atomic_pointer_get (&c->cancellable);
      g_cancellable_cancel (cancellable);
      g_atomic_int_set (&c->done, round);
    }
  g_rand_free (rand);
  return NULL;
}

static void
test_cancel_blocked_gets (void)
{
  guint rounds = scaled (1000, 20000);
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpQueue) queue = interp_queue_new (0, &error);
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autofree char *setup = NULL;
  GetCanceller c = { NULL, 0, 0, 0, g_test_rand_int () };
  GThread *thread;
  guint cancelled = 0;

  g_assert_no_error (error);
  setup = g_strdup_printf ("import interp_glib\nq = interp_glib.Queue(%" G_GINT64_FORMAT ")\n",
                           interp_queue_get_id (queue));
  exec_ok (interp, setup);

  thread = g_thread_new ("get-canceller", get_cancel_thread, &c);
  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) exec_error = NULL;

      g_atomic_pointer_set (&c.cancellable, cancellable);
      g_atomic_int_inc (&c.round);
      /* Nothing is ever put: only the cancellation ends the wait. A lost
       * wake-up hangs here, and the suite's timeout fails it. */
      g_assert_false (interp_interpreter_exec (interp, "q.get()\n", cancellable, &exec_error));
      g_assert_error (exec_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      cancelled++;
      /* The canceller is done with it before it is freed. */
      while (g_atomic_int_get (&c.done) != (gint) i + 1)
        ;
    }
  g_atomic_int_set (&c.stop, 1);
  g_thread_join (thread);

  g_test_message ("cancel blocked gets: %u of %u cancelled", cancelled, rounds);
  g_assert_cmpuint (cancelled, ==, rounds);
  g_assert_cmpint (eval_int (interp, "q.qsize()"), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stress/create-close", test_create_close);
  g_test_add_func ("/stress/many-calls", test_many_calls);
  g_test_add_func ("/stress/cancel-storm", test_cancel_storm);
  g_test_add_func ("/stress/close-while-running", test_close_while_running);
  g_test_add_func ("/stress/queue-hammer", test_queue_hammer);
  g_test_add_func ("/stress/list-while-releasing", test_list_while_releasing);
  g_test_add_func ("/stress/cancel-blocked-gets", test_cancel_blocked_gets);
  g_test_add_func ("/stress/release-on-threads", test_release_on_threads);

  return finish_tests ();
}
