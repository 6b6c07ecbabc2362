/* test-queue.c: InterpQueue from C, the interp_glib.Queue of Python, and
 * everything that crosses between them: types, blocking and waking,
 * cancellation, unbound items and lifetimes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-common.h"

#include <stdarg.h>

/* Interpreters the tests make are closed (and waited for) before their
 * last reference goes: dispose only starts an asynchronous close, and a
 * second close request racing with the end of a teardown (interp_shutdown()
 * right after the last test) is never completed, a library bug (see the
 * report) these tests are not about. */

/* A new interpreter with interp_glib imported and `q` bound to @queue. */
static InterpInterpreter *
new_interpreter_with_queue (InterpQueue *queue)
{
  InterpInterpreter *interp = new_interpreter ();

  exec_ok (interp, "import interp_glib, queue, time, gc\n");
  if (queue != NULL)
    exec_fmt (interp, "q = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", interp_queue_get_id (queue));
  return interp;
}

/* Blocks until some thread waits in a get on the queue or channel @id:
 * the queue's state, not a sleep, says the waiter is there. @watcher is an
 * idle interpreter that asks. */
static void
wait_for_getter (InterpInterpreter *watcher,
                 gint64             id,
                 gboolean           is_channel)
{
  g_autofree char *expr =
    g_strdup_printf ("interp_glib._has_waiting_getter(interp_glib.%s(%" G_GINT64_FORMAT ")._handle)",
                     is_channel ? "RecvChannel" : "Queue", id);

  while (!eval_bool (watcher, expr))
    g_usleep (200);
}

/* Waits until CPython no longer lists @closed, a closed interpreter whose
 * teardown was deferred (its memory was shared). Tests call this before
 * dropping their last reference: a close request (dispose, shutdown) that
 * races with the very end of a teardown is never completed, a library bug
 * (see the report) these tests are not about. @asker is a live interpreter. */
static void
wait_for_teardown (InterpInterpreter *asker,
                   InterpInterpreter *closed)
{
  exec_ok (asker,
           "def _live_ids():\n"
           "    try:\n"
           "        import _interpreters as m\n"
           "    except ImportError:\n"
           "        import _xxsubinterpreters as m\n"
           "    return {int(x[0]) if isinstance(x, tuple) else int(x) for x in m.list_all()}\n");
  while (!eval_bool_fmt (asker, "%" G_GINT64_FORMAT " not in _live_ids()", interp_interpreter_get_id (closed)))
    g_usleep (1000);
}

static void
assert_variant (GVariant   *value,
                const char *expected)
{
  g_autofree char *printed = NULL;

  g_assert_nonnull (value);
  printed = g_variant_print (value, TRUE);
  g_assert_cmpstr (printed, ==, expected);
}

static void
put_ok (InterpQueue *queue,
        GVariant    *item)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (interp_queue_put (queue, item, 0, NULL, &error));
  g_assert_no_error (error);
}

static GVariant *
get_ok (InterpQueue *queue)
{
  g_autoptr(GError) error = NULL;
  GVariant *value = interp_queue_get (queue, 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  return value;
}

/* Every async call completes exactly once: counted by outcome. */
static void
count_get_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Counts *counts = user_data;
  g_autoptr(GError) error = NULL;
  GVariant *value = interp_queue_get_finish (INTERP_QUEUE (source), result, &error);

  counts->completions++;
  if (value != NULL)
    {
      counts->ok++;
      g_ptr_array_add (counts->values, value);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    counts->cancelled++;
  else
    counts->other++;
}

static void
count_put_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Counts *counts = user_data;
  g_autoptr(GError) error = NULL;

  counts->completions++;
  if (interp_queue_put_finish (INTERP_QUEUE (source), result, &error))
    counts->ok++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    counts->cancelled++;
  else
    counts->other++;
}

/* ------------------------------------------------------------------ */
/* The C API                                                           */

static void
test_c_basics (void)
{
  g_autoptr(InterpQueue) unbounded = interp_queue_new (0, NULL);
  g_autoptr(InterpQueue) bounded = interp_queue_new (3, NULL);
  g_autoptr(InterpQueue) again = NULL;
  g_autoptr(InterpQueue) missing = NULL;
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) first = NULL;
  gint64 id = 0;
  gint maxsize = -1;

  g_assert_cmpint (interp_queue_get_id (unbounded), >, 0);
  g_assert_cmpint (interp_queue_get_id (bounded), >, 0);
  g_assert_cmpint (interp_queue_get_id (unbounded), !=, interp_queue_get_id (bounded));
  g_assert_cmpint (interp_queue_get_maxsize (unbounded), ==, 0);
  g_assert_cmpint (interp_queue_get_maxsize (bounded), ==, 3);

  g_object_get (bounded, "id", &id, "maxsize", &maxsize, NULL);
  g_assert_cmpint (id, ==, interp_queue_get_id (bounded));
  g_assert_cmpint (maxsize, ==, 3);

  g_assert_cmpint (interp_queue_get_size (bounded), ==, 0);
  g_assert_true (interp_queue_is_empty (bounded));
  g_assert_false (interp_queue_is_full (bounded));

  for (gint i = 1; i <= 3; i++)
    {
      put_ok (bounded, g_variant_new_int32 (i));
      g_assert_cmpint (interp_queue_get_size (bounded), ==, i);
      g_assert_false (interp_queue_is_empty (bounded));
    }
  g_assert_true (interp_queue_is_full (bounded));

  /* An unbounded queue is never full. */
  for (gint i = 0; i < 100; i++)
    put_ok (unbounded, g_variant_new_int32 (i));
  g_assert_false (interp_queue_is_full (unbounded));
  g_assert_cmpint (interp_queue_get_size (unbounded), ==, 100);

  /* Another object for the same queue sees the same items. */
  again = interp_queue_new_for_id (interp_queue_get_id (bounded), &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_true (again != bounded);
  g_assert_cmpint (interp_queue_get_id (again), ==, interp_queue_get_id (bounded));
  g_assert_cmpint (interp_queue_get_maxsize (again), ==, 3);
  g_assert_cmpint (interp_queue_get_size (again), ==, 3);
  g_assert_true (interp_queue_is_full (again));
  first = get_ok (again);
  g_assert_cmpint (g_variant_get_int32 (first), ==, 1);
  g_assert_cmpint (interp_queue_get_size (bounded), ==, 2);

  /* Unknown IDs, and a channel's ID, are not queues. */
  missing = interp_queue_new_for_id (G_MAXINT64, &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_assert_null (missing);
  g_clear_error (&error);
  missing = interp_queue_new_for_id (0, &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_assert_null (missing);
  g_clear_error (&error);
  missing = interp_queue_new_for_id (interp_channel_get_id (channel), &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_assert_null (missing);
}

/* A queue is gone once its last C reference is. */
static void
test_c_lifetime (void)
{
  InterpQueue *queue = interp_queue_new (0, NULL);
  gint64 id = interp_queue_get_id (queue);
  g_autoptr(GError) error = NULL;
  InterpQueue *other;

  put_ok (queue, g_variant_new_string ("left behind"));
  other = interp_queue_new_for_id (id, &error);
  g_assert_no_error (error);
  g_object_unref (queue);
  /* The second object keeps it, with its item. */
  g_assert_cmpint (interp_queue_get_size (other), ==, 1);
  g_object_unref (other);

  g_assert_null (interp_queue_new_for_id (id, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
}

/* The "id" construct property: g_initable_new() gives an existing queue,
 * as bindings do with `new Interp.Queue({id})` and `Interp.Queue(id=...)`. */
static void
test_c_initable_id (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (2, NULL);
  g_autoptr(InterpQueue) same = NULL;
  g_autoptr(InterpQueue) fresh = NULL;
  g_autoptr(InterpQueue) unready = NULL;
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = interp_queue_get_id (queue);
  gint64 got_id = 0;
  gint maxsize = -1;

  same = g_initable_new (INTERP_TYPE_QUEUE, NULL, &error, "id", id, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (same);
  g_assert_true (same != queue);
  g_assert_cmpint (interp_queue_get_id (same), ==, id);
  g_assert_cmpint (interp_queue_get_maxsize (same), ==, 2);
  g_object_get (same, "id", &got_id, "maxsize", &maxsize, NULL);
  g_assert_cmpint (got_id, ==, id);
  g_assert_cmpint (maxsize, ==, 2);

  /* One queue: what goes in through one object comes out of the other. */
  put_ok (queue, g_variant_new_string ("in through one"));
  value = get_ok (same);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "in through one");
  g_clear_pointer (&value, g_variant_unref);
  put_ok (same, g_variant_new_int32 (7));
  value = get_ok (queue);
  g_assert_cmpint (g_variant_get_int32 (value), ==, 7);
  g_clear_pointer (&value, g_variant_unref);

  /* Constructed first and initialized after, as GJS does; a second init
   * is a no-op. */
  unready = g_object_new (INTERP_TYPE_QUEUE, "id", id, NULL);
  g_assert_true (g_initable_init (G_INITABLE (unready), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_initable_init (G_INITABLE (unready), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (interp_queue_get_id (unready), ==, id);
  g_clear_object (&unready);

  /* Without an ID, or with 0 (no queue's), a new queue, as
   * interp_queue_new() makes. */
  fresh = g_initable_new (INTERP_TYPE_QUEUE, NULL, &error, "maxsize", 5, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (interp_queue_get_id (fresh), >, 0);
  g_assert_cmpint (interp_queue_get_id (fresh), !=, id);
  g_assert_cmpint (interp_queue_get_maxsize (fresh), ==, 5);
  g_clear_object (&fresh);
  fresh = g_initable_new (INTERP_TYPE_QUEUE, NULL, &error, "id", (gint64) 0, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (interp_queue_get_id (fresh), >, id);

  /* Unknown IDs, and a channel's, fail as interp_queue_new_for_id() does. */
  g_assert_null (g_initable_new (INTERP_TYPE_QUEUE, NULL, &error, "id", G_MAXINT64, NULL));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (g_initable_new (INTERP_TYPE_QUEUE, NULL, &error, "id", (gint64) -1, NULL));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (g_initable_new (INTERP_TYPE_QUEUE, NULL, &error,
                                 "id", interp_channel_get_id (channel), NULL));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);

  /* A failed init fails again, with the same error. */
  unready = g_object_new (INTERP_TYPE_QUEUE, "id", G_MAXINT64, NULL);
  g_assert_false (g_initable_init (G_INITABLE (unready), NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (g_initable_init (G_INITABLE (unready), NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_object_get (unready, "id", &got_id, NULL);
  g_assert_cmpint (got_id, ==, G_MAXINT64);
  /* Using it is a programmer error: a critical, not a crash. */
  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*is_initialized*");
  g_assert_cmpint (interp_queue_get_size (unready), ==, 0);
  g_test_assert_expected_messages ();
}

static const char *const fifo_items[] = {
  "true",
  "byte 0x7f",
  "int16 -5",
  "uint16 65535",
  "int32 -100000",
  "uint32 4000000000",
  "int64 -9000000000",
  "uint64 18000000000000000000",
  "handle 3",
  "3.25",
  "'héllo'",
  "objectpath '/a/b'",
  "signature 'a{sv}'",
  "[byte 0x00, 0xff]",
  "['a', 'b']",
  "{'k': <int64 1>, 'l': <[1.5]>}",
  "(1, 'x', [2.5])",
  "<int32 7>",
  "@mv nothing",
  "@ms 'just'",
  "@ax []",
  "{1: 'one'}",
  "(uint32 3,)",
  "()",
  "[(1, <true>)]",
};

static void
test_c_fifo_types (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);

  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (fifo_items); i++)
        put_ok (queue, g_variant_new_parsed (fifo_items[i]));
      g_assert_cmpint (interp_queue_get_size (queue), ==, G_N_ELEMENTS (fifo_items));

      for (guint i = 0; i < G_N_ELEMENTS (fifo_items); i++)
        {
          g_autoptr(GVariant) expected = g_variant_new_parsed (fifo_items[i]);
          g_autoptr(GVariant) got = get_ok (queue);

          g_variant_ref_sink (expected);
          g_assert_cmpstr (g_variant_get_type_string (got), ==, g_variant_get_type_string (expected));
          g_assert_true (g_variant_equal (got, expected));
          g_assert_false (g_variant_is_floating (got));
        }
      g_assert_true (interp_queue_is_empty (queue));
    }

  /* Many items, interleaved puts and gets: still first in, first out. */
  for (gint64 i = 0, next = 0; i < 1000; i++)
    {
      put_ok (queue, g_variant_new_int64 (i));
      if (i % 3 == 2)
        {
          g_autoptr(GVariant) got = get_ok (queue);
          g_assert_cmpint (g_variant_get_int64 (got), ==, next++);
        }
    }
  /* 1000 puts, 333 gets so far: the items 333.. remain, in order. */
  g_assert_cmpint (interp_queue_get_size (queue), ==, 1000 - 333);
  for (gint64 i = 333; i < 1000; i++)
    {
      g_autoptr(GVariant) got = get_ok (queue);
      g_assert_cmpint (g_variant_get_int64 (got), ==, i);
    }
}

/* A non-floating reference stays the caller's; a floating one is taken. */
static void
test_c_put_references (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(GVariant) kept = g_variant_ref_sink (g_variant_new_string ("kept"));
  g_autoptr(GVariant) got = NULL;

  put_ok (queue, kept);
  g_assert_false (g_variant_is_floating (kept));
  got = get_ok (queue);
  g_assert_true (g_variant_equal (got, kept));
}

static void
test_c_full_timeout (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (2, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) a = NULL;
  g_autoptr(GVariant) b = NULL;
  gint64 start;

  put_ok (queue, g_variant_new_string ("a"));
  put_ok (queue, g_variant_new_string ("b"));

  g_assert_false (interp_queue_put (queue, g_variant_new_string ("c"), 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_FULL);
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_false (interp_queue_put (queue, g_variant_new_string ("c"), 50 * 1000, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_FULL);
  g_clear_error (&error);
  g_test_message ("put with a 50 ms timeout gave up after %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);

  /* Nothing was added; nothing was lost. */
  g_assert_cmpint (interp_queue_get_size (queue), ==, 2);
  a = get_ok (queue);
  b = get_ok (queue);
  g_assert_cmpstr (g_variant_get_string (a, NULL), ==, "a");
  g_assert_cmpstr (g_variant_get_string (b, NULL), ==, "b");
  g_assert_true (interp_queue_is_empty (queue));

  /* An already cancelled put fails as cancelled, not full, and adds nothing. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    g_assert_false (interp_queue_put (queue, g_variant_new_string ("x"), -1, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_true (interp_queue_is_empty (queue));
  }
}

static void
test_c_empty_timeout (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY);
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_null (interp_queue_get (queue, 50 * 1000, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY);
  g_clear_error (&error);
  g_test_message ("get with a 50 ms timeout gave up after %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);

  g_cancellable_cancel (cancellable);
  g_assert_null (interp_queue_get (queue, -1, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* The queue still works. */
  put_ok (queue, g_variant_new_boolean (TRUE));
  {
    g_autoptr(GVariant) got = get_ok (queue);
    g_assert_true (g_variant_get_boolean (got));
  }
}

typedef struct
{
  InterpQueue *queue;
  GCancellable *cancellable;
  GVariant *value;
  GError *error;
  gint64 woken_at;
} GetThread;

static gpointer
get_thread (gpointer user_data)
{
  GetThread *data = user_data;

  data->value = interp_queue_get (data->queue, -1, data->cancellable, &data->error);
  data->woken_at = g_get_monotonic_time ();
  return NULL;
}

typedef struct
{
  InterpQueue *queue;
  GCancellable *cancellable;
  const char *what;   /* "cancel" or "put" */
} ActThread;

static gpointer
act_thread (gpointer user_data)
{
  ActThread *act = user_data;

  if (g_str_equal (act->what, "cancel"))
    g_cancellable_cancel (act->cancellable);
  else
    put_ok (act->queue, g_variant_new_string ("from the third thread"));
  return NULL;
}

static void
test_c_blocked_get_threads (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) watcher = new_interpreter_with_queue (NULL);
  gint64 id = interp_queue_get_id (queue);
  GetThread taker = { queue, g_cancellable_new (), NULL, NULL, 0 };
  ActThread act = { queue, taker.cancellable, "cancel" };
  GThread *thread, *actor;

  /* A get blocked in one thread, cancelled from another. */
  thread = g_thread_new ("taker", get_thread, &taker);
  wait_for_getter (watcher, id, FALSE);
  actor = g_thread_new ("canceller", act_thread, &act);
  g_thread_join (actor);
  g_thread_join (thread);
  g_assert_null (taker.value);
  g_assert_error (taker.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&taker.error);
  g_clear_object (&taker.cancellable);
  g_assert_true (interp_queue_is_empty (queue));

  /* A get blocked in one thread, woken by a put from another. */
  taker.cancellable = g_cancellable_new ();
  act.what = "put";
  thread = g_thread_new ("taker", get_thread, &taker);
  wait_for_getter (watcher, id, FALSE);
  actor = g_thread_new ("putter", act_thread, &act);
  g_thread_join (actor);
  g_thread_join (thread);
  g_assert_no_error (taker.error);
  assert_variant (taker.value, "'from the third thread'");
  g_clear_pointer (&taker.value, g_variant_unref);
  g_clear_object (&taker.cancellable);
  g_assert_true (interp_queue_is_empty (queue));
}

/* Many gets blocked at once, more than the machine has cores: each put
 * wakes one of them (the others sleep on), and none is left asleep with
 * an item in the queue, whether the items come one by one or at once. */
static void
test_c_many_blocked_getters (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  guint n = 4 * MAX (g_get_num_processors (), 2);
  GetThread *takers = g_new0 (GetThread, n);
  GThread **threads = g_new0 (GThread *, n);
  gint64 sum = 0;

  for (guint round = 0; round < 2; round++)
    {
      for (guint i = 0; i < n; i++)
        {
          takers[i].queue = queue;
          threads[i] = g_thread_new ("taker", get_thread, &takers[i]);
        }
      g_usleep (G_USEC_PER_SEC / 20);  /* most of them asleep by now */
      for (guint i = 0; i < n; i++)
        {
          put_ok (queue, g_variant_new_int64 (i));
          if (round == 0)
            g_usleep (1000);
        }
      for (guint i = 0; i < n; i++)
        {
          g_thread_join (threads[i]);
          g_assert_no_error (takers[i].error);
          sum += g_variant_get_int64 (takers[i].value);
          g_clear_pointer (&takers[i].value, g_variant_unref);
        }
      g_assert_cmpint (sum, ==, (gint64) n * (n - 1) / 2);
      sum = 0;
      g_assert_true (interp_queue_is_empty (queue));
    }
  g_free (threads);
  g_free (takers);
}

/* A put blocked on a full queue: cancelled, or woken by a get. */
typedef struct
{
  InterpQueue *queue;
  GCancellable *cancellable;
  gboolean ok;
  GError *error;
  gint done;
} PutThread;

static gpointer
put_thread (gpointer user_data)
{
  PutThread *data = user_data;

  data->ok = interp_queue_put (data->queue, g_variant_new_string ("late"), -1,
                               data->cancellable, &data->error);
  g_atomic_int_set (&data->done, 1);
  return NULL;
}

static void
test_c_blocked_put_threads (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (1, NULL);
  PutThread putter = { queue, g_cancellable_new (), FALSE, NULL, 0 };
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) late = NULL;
  GThread *thread;

  put_ok (queue, g_variant_new_string ("first"));

  thread = g_thread_new ("putter", put_thread, &putter);
  g_cancellable_cancel (putter.cancellable);
  g_thread_join (thread);
  g_assert_false (putter.ok);
  g_assert_error (putter.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&putter.error);
  g_assert_cmpint (interp_queue_get_size (queue), ==, 1);
  g_clear_object (&putter.cancellable);
  putter.done = 0;

  /* The put cannot finish while the queue is full. */
  thread = g_thread_new ("putter", put_thread, &putter);
  g_assert_cmpint (g_atomic_int_get (&putter.done), ==, 0);
  first = get_ok (queue);
  g_assert_cmpstr (g_variant_get_string (first, NULL), ==, "first");
  g_thread_join (thread);
  g_assert_true (putter.ok);
  g_assert_no_error (putter.error);
  late = get_ok (queue);
  g_assert_cmpstr (g_variant_get_string (late, NULL), ==, "late");
}

static void
test_c_get_async_python_put (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  AsyncWait wait = { 0 };

  interp_queue_get_async (queue, NULL, async_wait_cb, &wait);
  drain_main_context ();
  g_assert_cmpuint (wait.count, ==, 0);

  exec_ok (interp, "q.put({'answer': 42, 'from': interp_glib.get_current().id})\n");
  /* Served in the interpreter's thread, completed only by our main loop. */
  g_assert_cmpuint (wait.count, ==, 0);
  g_assert_true (interp_queue_is_empty (queue));
  value = interp_queue_get_finish (queue, async_wait_run (&wait), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (value), ==, "a{sv}");
  {
    g_autoptr(GVariant) answer = g_variant_lookup_value (value, "answer", G_VARIANT_TYPE_INT64);
    g_autoptr(GVariant) from = g_variant_lookup_value (value, "from", G_VARIANT_TYPE_INT64);

    g_assert_nonnull (answer);
    g_assert_cmpint (g_variant_get_int64 (answer), ==, 42);
    g_assert_cmpint (g_variant_get_int64 (from), ==, interp_interpreter_get_id (interp));
  }
  async_wait_clear (&wait);
  drain_main_context ();
  g_assert_cmpuint (wait.count, ==, 1);
  g_assert_true (interp_queue_is_empty (queue));

  /* An item already there: completes without anything else happening. */
  exec_ok (interp, "q.put('ready')\n");
  g_clear_pointer (&value, g_variant_unref);
  wait = (AsyncWait) { 0 };
  interp_queue_get_async (queue, NULL, async_wait_cb, &wait);
  value = interp_queue_get_finish (queue, async_wait_run (&wait), &error);
  g_assert_no_error (error);
  assert_variant (value, "'ready'");
  async_wait_clear (&wait);
}

static void
test_c_put_async_python_get (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (1, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { 0 };

  put_ok (queue, g_variant_new_string ("first"));
  interp_queue_put_async (queue, g_variant_new_string ("second"), NULL, async_wait_cb, &wait);
  drain_main_context ();
  g_assert_cmpuint (wait.count, ==, 0);
  g_assert_cmpint (interp_queue_get_size (queue), ==, 1);

  exec_ok (interp, "a = q.get_nowait()\n");
  g_assert_cmpuint (wait.count, ==, 0);
  g_assert_true (eval_bool (interp, "a == 'first'"));
  g_assert_true (interp_queue_put_finish (queue, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  async_wait_clear (&wait);
  g_assert_cmpint (interp_queue_get_size (queue), ==, 1);
  exec_ok (interp, "b = q.get_nowait()\n");
  g_assert_true (eval_bool (interp, "b == 'second' and q.empty()"));
  drain_main_context ();
  g_assert_cmpuint (wait.count, ==, 1);

  /* With room, it completes at once. */
  wait = (AsyncWait) { 0 };
  interp_queue_put_async (queue, g_variant_new_int32 (3), NULL, async_wait_cb, &wait);
  g_assert_true (interp_queue_put_finish (queue, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  async_wait_clear (&wait);
  g_assert_true (eval_bool (interp, "q.get_nowait() == 3"));
}

/* The callback runs in the thread-default context of the caller. */
typedef struct
{
  InterpQueue *queue;
  GThread *self;
  gboolean right_thread;
  GVariant *value;
  gint started;
} ContextThread;

static void
context_get_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ContextThread *data = user_data;
  g_autoptr(GError) error = NULL;

  data->right_thread = g_thread_self () == data->self &&
                       g_main_context_is_owner (g_main_context_get_thread_default ());
  data->value = interp_queue_get_finish (INTERP_QUEUE (source), result, &error);
  g_assert_no_error (error);
}

static gpointer
context_thread (gpointer user_data)
{
  ContextThread *data = user_data;
  GMainContext *context = g_main_context_new ();

  data->self = g_thread_self ();
  g_main_context_push_thread_default (context);
  interp_queue_get_async (data->queue, NULL, context_get_cb, data);
  g_atomic_int_set (&data->started, 1);
  while (data->value == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
test_c_async_thread_context (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);
  ContextThread data = { queue, NULL, FALSE, NULL, 0 };
  GThread *thread = g_thread_new ("context", context_thread, &data);

  while (!g_atomic_int_get (&data.started))
    g_usleep (200);
  exec_ok (interp, "q.put('to the thread')\n");
  g_thread_join (thread);
  g_assert_true (data.right_thread);
  assert_variant (data.value, "'to the thread'");
  g_variant_unref (data.value);
  /* Nothing of the queue's was dispatched here: what this context has
   * (the interpreter's running notifications) runs, and the callback does
   * not run again, in the wrong thread. */
  data.value = NULL;
  drain_main_context ();
  g_assert_true (data.right_thread);
  g_assert_null (data.value);
}

static void
test_c_async_cancel (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  GCancellable *cancellables[6];
  Counts counts;

  counts_init (&counts);
  for (guint i = 0; i < G_N_ELEMENTS (cancellables); i++)
    cancellables[i] = g_cancellable_new ();

  /* One cancelled before the call, two while pending, three served. */
  g_cancellable_cancel (cancellables[0]);
  for (guint i = 0; i < G_N_ELEMENTS (cancellables); i++)
    interp_queue_get_async (queue, cancellables[i], count_get_cb, &counts);
  g_cancellable_cancel (cancellables[1]);
  g_cancellable_cancel (cancellables[3]);

  while (counts.completions < 3)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (counts.cancelled, ==, 3);
  g_assert_cmpuint (counts.ok, ==, 0);

  /* The cancelled waiters took nothing: the others get the items in order. */
  for (gint i = 0; i < 3; i++)
    put_ok (queue, g_variant_new_int32 (i));
  wait_for_completions (&counts, 6);
  g_assert_cmpuint (counts.ok, ==, 3);
  g_assert_cmpuint (counts.cancelled, ==, 3);
  g_assert_cmpuint (counts.other, ==, 0);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (g_variant_get_int32 (g_ptr_array_index (counts.values, i)), ==, i);
  g_assert_true (interp_queue_is_empty (queue));

  /* Cancelling after completion changes nothing. */
  for (guint i = 0; i < G_N_ELEMENTS (cancellables); i++)
    g_cancellable_cancel (cancellables[i]);
  wait_for_completions (&counts, 6);

  /* A cancelled put_async adds nothing. */
  {
    g_autoptr(InterpQueue) full = interp_queue_new (1, NULL);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GVariant) only = NULL;

    put_ok (full, g_variant_new_string ("only"));
    interp_queue_put_async (full, g_variant_new_string ("never"), cancellable, count_put_cb, &counts);
    drain_main_context ();
    g_assert_cmpuint (counts.completions, ==, 6);
    g_cancellable_cancel (cancellable);
    wait_for_completions (&counts, 7);
    g_assert_cmpuint (counts.cancelled, ==, 4);
    only = get_ok (full);
    g_assert_cmpstr (g_variant_get_string (only, NULL), ==, "only");
    g_assert_true (interp_queue_is_empty (full));
    drain_main_context ();
    g_assert_cmpuint (counts.completions, ==, 7);
  }

  for (guint i = 0; i < G_N_ELEMENTS (cancellables); i++)
    g_object_unref (cancellables[i]);
  counts_clear (&counts);
}

/* Many async gets racing with cancellation from another thread: each
 * completes exactly once, and every item ends up either with a waiter that
 * reports it or still in the queue: none is lost or duplicated. */
typedef struct
{
  GCancellable **cancellables;
  guint n;
  gint go;
} CancelThread;

static gpointer
cancel_thread (gpointer user_data)
{
  CancelThread *data = user_data;

  while (!g_atomic_int_get (&data->go))
    ;
  for (guint i = 0; i < data->n; i += 2)
    g_cancellable_cancel (data->cancellables[i]);
  return NULL;
}

static void
test_c_async_cancel_race (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  enum { N = 400 };
  GCancellable *cancellables[N];
  CancelThread data = { cancellables, N, 0 };
  g_autofree gboolean *seen = g_new0 (gboolean, N);
  Counts counts;
  GThread *thread;
  gint remaining;

  counts_init (&counts);
  for (guint i = 0; i < N; i++)
    {
      cancellables[i] = g_cancellable_new ();
      interp_queue_get_async (queue, cancellables[i], count_get_cb, &counts);
    }
  thread = g_thread_new ("cancel", cancel_thread, &data);
  g_atomic_int_set (&data.go, 1);
  for (gint i = 0; i < N; i++)
    {
      put_ok (queue, g_variant_new_int32 (i));
      /* Completions arrive while the others still race. */
      if (i % 16 == 0)
        g_main_context_iteration (NULL, FALSE);
    }
  g_thread_join (thread);

  wait_for_completions (&counts, N);
  g_assert_cmpuint (counts.other, ==, 0);
  g_assert_cmpuint (counts.ok + counts.cancelled, ==, N);
  /* The odd ones were never cancelled, so they got something. */
  g_assert_cmpuint (counts.ok, >=, N / 2);

  for (guint i = 0; i < counts.values->len; i++)
    {
      gint32 v = g_variant_get_int32 (g_ptr_array_index (counts.values, i));

      g_assert_cmpint (v, >=, 0);
      g_assert_cmpint (v, <, N);
      g_assert_false (seen[v]);
      seen[v] = TRUE;
    }
  remaining = interp_queue_get_size (queue);
  g_test_message ("%u served, %u cancelled, %d left", counts.ok, counts.cancelled, remaining);
  g_assert_cmpint (remaining + (gint) counts.ok, ==, N);
  for (gint i = 0; i < remaining; i++)
    {
      g_autoptr(GVariant) left = get_ok (queue);
      gint32 v = g_variant_get_int32 (left);

      g_assert_false (seen[v]);
      seen[v] = TRUE;
    }

  for (guint i = 0; i < N; i++)
    g_object_unref (cancellables[i]);
  counts_clear (&counts);
}

/* An async get that took an item, cancelled before its callback ran:
 * the item reaches the caller (the result stands), it does not vanish. */
static void
test_c_async_served_then_cancelled (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  AsyncWait wait = { 0 };

  interp_queue_get_async (queue, cancellable, async_wait_cb, &wait);
  put_ok (queue, g_variant_new_string ("precious"));
  /* Served already: the queue is empty, the completion is on its way. */
  g_assert_true (interp_queue_is_empty (queue));
  g_assert_cmpuint (wait.count, ==, 0);
  g_cancellable_cancel (cancellable);
  value = interp_queue_get_finish (queue, async_wait_run (&wait), &error);
  g_assert_no_error (error);
  assert_variant (value, "'precious'");
  g_assert_true (interp_queue_is_empty (queue));
  async_wait_clear (&wait);
  drain_main_context ();
  g_assert_cmpuint (wait.count, ==, 1);
}

/* put_async on a full queue, served by a get, cancelled before the
 * callback: it reports the put it did. */
static void
test_c_async_put_served_then_cancelled (void)
{
  g_autoptr(InterpQueue) full = interp_queue_new (1, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  AsyncWait wait = { 0 };

  put_ok (full, g_variant_new_string ("first"));
  interp_queue_put_async (full, g_variant_new_string ("second"), cancellable, async_wait_cb, &wait);
  first = get_ok (full);
  /* The waiting put took the room at once. */
  g_assert_cmpint (interp_queue_get_size (full), ==, 1);
  g_cancellable_cancel (cancellable);
  g_assert_true (interp_queue_put_finish (full, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  async_wait_clear (&wait);
  second = get_ok (full);
  assert_variant (second, "'second'");
}

/* ------------------------------------------------------------------ */
/* C <-> Python                                                        */

static void
test_python_from_c (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);

  for (guint i = 0; i < G_N_ELEMENTS (fifo_items); i++)
    put_ok (queue, g_variant_new_parsed (fifo_items[i]));

  exec_fmt (interp, "got = [q.get_nowait() for _ in range(%u)]\n", (guint) G_N_ELEMENTS (fifo_items));
  exec_ok (interp,
           "expected = [True, 127, -5, 65535, -100000, 4000000000, -9000000000,\n"
           "            18000000000000000000, 3, 3.25, 'héllo', '/a/b', 'a{sv}',\n"
           "            b'\\x00\\xff', ['a', 'b'], {'k': 1, 'l': [1.5]}, (1, 'x', [2.5]),\n"
           "            7, None, 'just', [], {1: 'one'}, (3,), (), [(1, True)]]\n"
           "def shape(x):\n"
           "    if isinstance(x, (list, tuple)):\n"
           "        return (type(x), [shape(i) for i in x])\n"
           "    if isinstance(x, dict):\n"
           "        return (dict, [(shape(k), shape(v)) for k, v in x.items()])\n"
           "    return (type(x), x)\n");
  g_assert_true (eval_bool (interp, "len(got) == len(expected)"));
  for (guint i = 0; i < G_N_ELEMENTS (fifo_items); i++)
    if (!eval_bool_fmt (interp, "shape(got[%u]) == shape(expected[%u])", i, i))
      {
        g_autofree char *expr = g_strdup_printf ("repr(got[%u])", i);
        g_autofree char *printed = eval_print (interp, expr);
        g_error ("item %u (%s) arrived as %s", i, fifo_items[i], printed);
      }
  g_assert_true (eval_bool (interp, "q.empty()"));
}

static void
test_python_to_c (void)
{
  struct { const char *expr; const char *printed; } cases[] = {
    { "None", "@mv nothing" },
    { "True", "true" },
    { "False", "false" },
    { "7", "int64 7" },
    { "-2**63", "int64 -9223372036854775808" },
    { "2**63", "uint64 9223372036854775808" },
    { "2**64 - 1", "uint64 18446744073709551615" },
    { "2.5", "2.5" },
    { "'héllo'", "'héllo'" },
    { "b'\\x00ab'", "[byte 0x00, 0x61, 0x62]" },
    { "b''", "@ay []" },
    { "(1, 'a', None, (2.0,))", "(int64 1, 'a', @mv nothing, (2.0,))" },
    { "()", "()" },
    { "[1, 'a', None]", "[<int64 1>, <'a'>, <@mv nothing>]" },
    { "[]", "@av []" },
    { "{'a': 1, 'b': [True]}", "{'a': <int64 1>, 'b': <[true]>}" },
    { "[1, 2]", "[int64 1, 2]" },
    { "['x', 'y']", "['x', 'y']" },
    { "{}", "@a{sv} {}" },
    { "{1: 'x', 2: 'y'}", "{int64 1: <'x'>, 2: <'y'>}" },
    { "memoryview(b'mv')", "[byte 0x6d, 0x76]" },
  };
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    exec_fmt (interp, "q.put(%s)\n", cases[i].expr);
  g_assert_cmpint (interp_queue_get_size (queue), ==, G_N_ELEMENTS (cases));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) value = get_ok (queue);
      g_autofree char *printed = g_variant_print (value, TRUE);

      if (g_strcmp0 (printed, cases[i].printed) != 0)
        g_error ("%s arrived as %s, expected %s", cases[i].expr, printed, cases[i].printed);
    }
  g_assert_true (interp_queue_is_empty (queue));

  /* A bytearray is not plain data: it is pickled, C cannot take it, and
   * Python gets a bytearray back. */
  exec_ok (interp, "q.put(bytearray(b'ba'))\n");
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (interp_queue_get (queue, 0, NULL, &error));
    g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  }
  g_assert_true (eval_bool (interp, "(lambda v: type(v) is bytearray and v == b'ba')(q.get_nowait())"));
}

static void
test_python_bigint (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { 0 };

  exec_ok (interp, "q.put(2**100)\nq.put(-2**64)\nq.put('after')\n");

  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  /* Still there, first in line, for the async path too. */
  g_assert_cmpint (interp_queue_get_size (queue), ==, 3);
  interp_queue_get_async (queue, NULL, async_wait_cb, &wait);
  g_assert_null (interp_queue_get_finish (queue, async_wait_run (&wait), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  async_wait_clear (&wait);
  g_assert_cmpint (interp_queue_get_size (queue), ==, 3);

  g_assert_true (eval_bool (interp, "(lambda v: type(v) is int and v == 2**100)(q.get_nowait())"));
  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  g_assert_true (eval_bool (interp, "q.get_nowait() == -2**64"));
  {
    g_autoptr(GVariant) after = get_ok (queue);
    assert_variant (after, "'after'");
  }
}

static void
test_python_pickled (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;

  exec_ok (interp,
           "import fractions\n"
           "q.put(fractions.Fraction(1, 3))\n"
           "q.put([1, fractions.Fraction(2, 3)])\n"
           "q.put('plain')\n");
  g_assert_cmpint (interp_queue_get_size (queue), ==, 3);

  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "Fraction"));
  g_clear_error (&error);
  g_assert_cmpint (interp_queue_get_size (queue), ==, 3);

  /* Python gets it intact. */
  exec_ok (interp, "f = q.get_nowait()\n");
  g_assert_true (eval_bool (interp, "type(f) is fractions.Fraction and f == fractions.Fraction(1, 3)"));

  /* A list with something unplain inside is pickled as a whole. */
  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  g_clear_error (&error);
  exec_ok (interp, "l = q.get_nowait()\n");
  g_assert_true (eval_bool (interp, "l == [1, fractions.Fraction(2, 3)] and type(l[1]) is fractions.Fraction"));

  {
    g_autoptr(GVariant) plain = get_ok (queue);
    assert_variant (plain, "'plain'");
  }

  /* Unpicklable: put fails in Python, nothing is queued. */
  exec_ok (interp,
           "import threading\n"
           "try:\n"
           "    q.put(threading.Lock())\n"
           "    err = None\n"
           "except interp_glib.NotShareableError as e:\n"
           "    err = e\n");
  g_assert_true (eval_bool (interp, "isinstance(err, TypeError) and q.qsize() == 0"));
}

/* ------------------------------------------------------------------ */
/* Python <-> Python                                                   */

static void
test_interp_exact_types (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;

  const char *values =
    "values = [None, True, False, 0, -1, 2**100, -2**100, 2**63, 1.5, float('inf'),\n"
    "          '', 'héllo', '\\ud800', 'nul\\x00in', b'', b'\\x00\\xff', (),\n"
    "          (1, (2, ('x', b'y', (None, 2**70))), 'z'),\n"
    "          [1, 'a', (2, None)], {'k': [1.5, b'v']}, {3: 'three'}]\n"
    "def shape(x):\n"
    "    if isinstance(x, (list, tuple)):\n"
    "        return (type(x), [shape(i) for i in x])\n"
    "    if isinstance(x, dict):\n"
    "        return (dict, [(shape(k), shape(v)) for k, v in x.items()])\n"
    "    return (type(x), repr(x))\n";

  exec_ok (a, values);
  exec_ok (b, values);
  exec_ok (a, "for v in values:\n    q.put(v)\n");
  exec_ok (b, "got = [q.get_nowait() for _ in values]\n");
  g_assert_true (eval_bool (b, "[shape(v) for v in got] == [shape(v) for v in values]"));
  g_assert_true (eval_bool (b, "got[12] == '\\ud800' and len(got[12]) == 1"));
  g_assert_true (eval_bool (b, "q.empty()"));

  /* C cannot read a lone surrogate; it stays for Python. */
  exec_ok (a, "q.put('\\udcff')\n");
  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  g_assert_true (eval_bool (b, "q.get_nowait() == '\\udcff'"));
}

static void
test_interp_pickled_class (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;
  const char *cls =
    "class Point:\n"
    "    def __init__(self, x, y):\n"
    "        self.x, self.y = x, y\n"
    "    def __eq__(self, other):\n"
    "        return type(other) is Point and (self.x, self.y) == (other.x, other.y)\n";

  exec_ok (a, cls);
  exec_ok (b, cls);
  g_assert_false (eval_bool (a, "interp_glib.is_shareable(Point(1, 2))"));

  exec_ok (a, "q.put(Point(1, (2, 'two')))\n");
  /* C has no GVariant form for it and leaves it. */
  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  g_clear_error (&error);
  exec_ok (b, "p = q.get_nowait()\n");
  /* B's own class: the object was pickled and rebuilt there. */
  g_assert_true (eval_bool (b, "type(p) is Point and p == Point(1, (2, 'two'))"));

  /* A class B lacks: B's get fails, and the item is not lost. */
  exec_ok (a, "class OnlyInA:\n    pass\nq.put(OnlyInA())\n");
  exec_ok (b,
           "try:\n"
           "    q.get_nowait()\n"
           "    failed = None\n"
           "except Exception as e:\n"
           "    failed = type(e).__name__\n");
  g_assert_true (eval_bool (b, "failed is not None and q.qsize() == 1"));
  g_assert_true (eval_bool (a, "type(q.get_nowait()) is OnlyInA and q.empty()"));
}

static void
test_interp_queue_through_queue (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (queue);
  g_autoptr(InterpQueue) inner_c = NULL;
  g_autoptr(GError) error = NULL;
  gint64 inner_id;

  exec_ok (a, "inner = interp_glib.create_queue(5)\nq.put(inner)\nq.put((inner, 'tag'))\n");
  inner_id = eval_int (a, "inner.id");

  /* Not for C: the item stays for Python. */
  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  g_clear_error (&error);

  exec_ok (b, "r = q.get_nowait()\nt = q.get_nowait()\n");
  g_assert_true (eval_bool (b, "type(r) is interp_glib.Queue and r.maxsize == 5"));
  g_assert_cmpint (eval_int (b, "r.id"), ==, inner_id);
  g_assert_true (eval_bool_fmt (b, "r == interp_glib.Queue(%" G_GINT64_FORMAT ") == t[0] and t[1] == 'tag'",
                                inner_id));

  /* Items put through either handle are seen by the other, and by C. */
  exec_ok (a, "inner.put('from A')\n");
  g_assert_true (eval_bool (b, "r.qsize() == 1 and r.get_nowait() == 'from A'"));
  exec_ok (b, "r.put('from B')\n");
  g_assert_true (eval_bool (a, "inner.get_nowait() == 'from B' and inner.empty()"));
  inner_c = interp_queue_new_for_id (inner_id, &error);
  g_assert_no_error (error);
  put_ok (inner_c, g_variant_new_string ("from C"));
  g_assert_true (eval_bool (b, "r.get_nowait() == 'from C'"));
  exec_ok (b, "r.put('to C')\n");
  {
    g_autoptr(GVariant) to_c = get_ok (inner_c);
    assert_variant (to_c, "'to C'");
  }

  /* The same queue, not a copy: its maxsize holds for everyone. */
  exec_ok (a, "for i in range(5):\n    inner.put(i)\n");
  g_assert_true (interp_queue_is_full (inner_c));
  g_assert_true (eval_bool (b, "r.full()"));
}

static void
test_interp_memoryview (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (queue);

  exec_ok (a, "ba = bytearray(b'hello world')\nq.put(memoryview(ba))\n");
  exec_ok (b, "m = q.get_nowait()\n");
  g_assert_true (eval_bool (b, "type(m) is memoryview and not m.readonly and len(m) == 11"));
  g_assert_true (eval_bool (b, "bytes(m) == b'hello world'"));

  /* No copy: writes show on both sides. */
  exec_ok (b, "m[0] = ord('J')\n");
  g_assert_true (eval_bool (a, "bytes(ba) == b'Jello world'"));
  exec_ok (a, "ba[1] = ord('E')\n");
  g_assert_true (eval_bool (b, "bytes(m[:2]) == b'JE'"));

  /* While B holds it, A cannot resize it. */
  exec_ok (a,
           "try:\n"
           "    ba.extend(b'!')\n"
           "    resized = True\n"
           "except BufferError:\n"
           "    resized = False\n");
  g_assert_false (eval_bool (a, "resized"));

  /* A read-only buffer stays read-only. */
  exec_ok (a, "q.put(memoryview(b'const'))\n");
  exec_ok (b,
           "c = q.get_nowait()\n"
           "try:\n"
           "    c[0] = 0\n"
           "    wrote = True\n"
           "except TypeError:\n"
           "    wrote = False\n");
  g_assert_true (eval_bool (b, "c.readonly and bytes(c) == b'const' and not wrote"));

  /* C reads a copy of the bytes. */
  exec_ok (a, "q.put(memoryview(ba)[:5])\n");
  {
    g_autoptr(GVariant) copy = get_ok (queue);
    assert_variant (copy, "[byte 0x4a, 0x45, 0x6c, 0x6c, 0x6f]");
  }

  /* B lets go; A runs the releases before anything later, and can resize. */
  exec_ok (b, "del m, c\ngc.collect()\n");
  exec_ok (a, "ba.extend(b'!')\n");
  g_assert_true (eval_bool (a, "bytes(ba) == b'JEllo world!'"));
}

static void
test_interp_queue_object (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (7, NULL);
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) a = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (queue);
  gint64 id = interp_queue_get_id (queue);

  exec_fmt (a, "qid = %" G_GINT64_FORMAT "\ncid = %" G_GINT64_FORMAT "\nimport pickle\n",
            id, interp_channel_get_id (channel));
  g_assert_true (eval_bool (a, "interp_glib.Queue(qid) == interp_glib.Queue(qid) == q"));
  /* One Queue object per queue in an interpreter, as in CPython. */
  g_assert_true (eval_bool (a, "interp_glib.Queue(qid) is interp_glib.Queue(qid) is q"));
  g_assert_true (eval_bool (a, "hash(interp_glib.Queue(qid)) == hash(q) == hash(qid)"));
  g_assert_true (eval_bool (a, "len({q, interp_glib.Queue(qid)}) == 1"));
  g_assert_true (eval_bool (a, "repr(q) == f'Queue({qid})'"));
  g_assert_true (eval_bool (a, "q.id == qid and q.maxsize == 7"));
  g_assert_true (eval_bool (a, "q != interp_glib.create_queue() and q != qid"));
  g_assert_true (eval_bool (a, "pickle.loads(pickle.dumps(q)) == q"));
  g_assert_cmpint (eval_int (a, "hash(q)"), ==, eval_int (b, "hash(q)"));
  g_assert_true (eval_bool_fmt (b, "repr(q) == 'Queue(%" G_GINT64_FORMAT ")'", id));

  exec_ok (a,
           "def raises(fn, exc):\n"
           "    try:\n"
           "        fn()\n"
           "    except exc:\n"
           "        return True\n"
           "    return False\n");
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.Queue('1'), TypeError)"));
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.Queue(2**62), interp_glib.QueueNotFoundError)"));
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.Queue(cid), interp_glib.QueueNotFoundError)"));
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.create_queue(-1), ValueError)"));
  g_assert_true (eval_bool (a, "issubclass(interp_glib.QueueNotFoundError, interp_glib.QueueError)"));
  g_assert_true (eval_bool (a, "issubclass(interp_glib.QueueError, interp_glib.InterpreterError)"));
  g_assert_true (eval_bool (a, "raises(lambda: q.put(1, unbounditems='bad'), NotImplementedError)"));
}

static void
test_interp_is_shareable (void)
{
  g_autoptr(TestInterp) a = new_interpreter_with_queue (NULL);
  const char *shareable[] = {
    "None", "True", "0", "2**100", "-1.5", "''", "'\\ud800'", "b'x'",
    "memoryview(b'x')", "memoryview(bytearray(3))", "()", "(1, ('a', (b'b', None)))",
    "interp_glib.create_queue()", "interp_glib.create_channel()[0]",
    "interp_glib.create_channel()[1]", "(interp_glib.create_queue(), 1)",
  };
  const char *not_shareable[] = {
    "[1]", "{}", "{'a': 1}", "object()", "(1, [2])", "bytearray(b'x')",
    "complex(1, 2)", "{1, 2}", "interp_glib.UNBOUND", "lambda: 0",
    "interp_glib.create_channel()",  /* a tuple of ends: shareable */
  };

  for (guint i = 0; i < G_N_ELEMENTS (shareable); i++)
    if (!eval_bool_fmt (a, "interp_glib.is_shareable(%s)", shareable[i]))
      g_error ("%s should be shareable", shareable[i]);
  /* The last one is a tuple of two channel ends, which is shareable. */
  for (guint i = 0; i < G_N_ELEMENTS (not_shareable) - 1; i++)
    if (eval_bool_fmt (a, "interp_glib.is_shareable(%s)", not_shareable[i]))
      g_error ("%s should not be shareable", not_shareable[i]);
  g_assert_true (eval_bool_fmt (a, "interp_glib.is_shareable(%s)",
                                not_shareable[G_N_ELEMENTS (not_shareable) - 1]));
}

static void
test_interp_get_current (void)
{
  g_autoptr(TestInterp) a = new_interpreter_with_queue (NULL);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (NULL);
  g_autoptr(TestInterp) main_interp = interp_get_main ();
  gint64 id_a = eval_int (a, "interp_glib.get_current().id");
  gint64 id_b = eval_int (b, "interp_glib.get_current().id");

  g_assert_cmpint (id_a, ==, interp_interpreter_get_id (a));
  g_assert_cmpint (id_b, ==, interp_interpreter_get_id (b));
  g_assert_cmpint (id_a, !=, id_b);
  g_assert_cmpint (id_a, >, 0);
  g_assert_nonnull (main_interp);
  g_assert_cmpint (eval_int (main_interp, "__import__('interp_glib').get_current().id"), ==,
                   interp_interpreter_get_id (main_interp));
  g_assert_cmpint (eval_int (a, "interp_glib.get_main().id"), ==, interp_interpreter_get_id (main_interp));
}

/* ------------------------------------------------------------------ */
/* Producer and consumer, running at once                              */

static const char consumer_code[] =
  "total = 0\n"
  "in_order = True\n"
  "empties = 0\n"
  "for i in range(2000):\n"
  "    try:\n"
  "        v = q.get_nowait()\n"
  "    except interp_glib.QueueEmpty:\n"
  "        empties += 1\n"
  "        v = q.get()\n"
  "    if i == 0 and gate is not None:\n"
  "        gate.get()\n"
  "    in_order = in_order and v == i\n"
  "    total += v\n";

static const char producer_code[] =
  "fulls = 0\n"
  "biggest = 0\n"
  "for i in range(2000):\n"
  "    try:\n"
  "        q.put_nowait(i)\n"
  "    except interp_glib.QueueFull:\n"
  "        fulls += 1\n"
  "        if fulls == 1 and gate is not None:\n"
  "            gate.put(None)\n"
  "        q.put(i)\n"
  "    biggest = max(biggest, q.qsize())\n";

static void
run_producer_consumer (gint maxsize)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (maxsize, NULL);
  g_autoptr(InterpQueue) gate = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) producer = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) consumer = new_interpreter_with_queue (queue);
  Counts counts;

  counts_init (&counts);
  /* The gate holds the consumer after the first item until the producer
   * found the queue full once: both sides surely block and wake. */
  if (maxsize > 0)
    {
      exec_fmt (producer, "gate = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", interp_queue_get_id (gate));
      exec_fmt (consumer, "gate = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", interp_queue_get_id (gate));
    }
  else
    {
      exec_ok (producer, "gate = None\n");
      exec_ok (consumer, "gate = None\n");
    }

  /* The consumer first, blocked on the empty queue, then the producer. */
  interp_interpreter_exec_async (consumer, consumer_code, NULL, count_exec_cb, &counts);
  wait_for_getter (producer, interp_queue_get_id (queue), FALSE);
  g_assert_true (interp_interpreter_is_running (consumer));
  interp_interpreter_exec_async (producer, producer_code, NULL, count_exec_cb, &counts);
  wait_for_completions (&counts, 2);
  g_assert_cmpuint (counts.ok, ==, 2);

  g_assert_cmpint (eval_int (consumer, "total"), ==, 2000 * 1999 / 2);
  g_assert_true (eval_bool (consumer, "in_order"));
  g_assert_cmpint (eval_int (consumer, "empties"), >=, 1);
  g_assert_true (interp_queue_is_empty (queue));
  g_assert_true (interp_queue_is_empty (gate));
  if (maxsize > 0)
    {
      g_assert_cmpint (eval_int (producer, "fulls"), >=, 1);
      g_assert_cmpint (eval_int (producer, "biggest"), <=, maxsize);
    }
  g_test_message ("maxsize %d: consumer waited %" G_GINT64_FORMAT " times, producer %" G_GINT64_FORMAT,
                  maxsize, eval_int (consumer, "empties"), eval_int (producer, "fulls"));
  counts_clear (&counts);
}

static void
test_producer_consumer (void)
{
  run_producer_consumer (0);
}

static void
test_producer_consumer_bounded (void)
{
  run_producer_consumer (4);
}

/* ------------------------------------------------------------------ */
/* Blocking in Python code                                             */

static void
test_blocking_python_get_wakes (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(InterpQueue) full = interp_queue_new (1, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) watcher = new_interpreter_with_queue (NULL);
  gint64 id = interp_queue_get_id (queue);
  Counts counts;

  counts_init (&counts);
  exec_fmt (interp, "f = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", interp_queue_get_id (full));

  for (guint round = 0; round < 5; round++)
    {
      /* Without a timeout, and with a long one: a wait, not a poll. */
      const char *code = round % 2 ? "v = q.get(timeout=60)\nwoke = time.monotonic_ns() // 1000\n"
                                   : "v = q.get()\nwoke = time.monotonic_ns() // 1000\n";
      gint64 put_at;

      interp_interpreter_exec_async (interp, code, NULL, count_exec_cb, &counts);
      wait_for_getter (watcher, id, FALSE);
      g_assert_true (interp_interpreter_is_running (interp));
      put_at = g_get_monotonic_time ();
      put_ok (queue, g_variant_new_int32 ((gint32) round));
      wait_for_completions (&counts, round + 1);
      g_assert_cmpuint (counts.ok, ==, round + 1);
      g_assert_cmpint (eval_int (interp, "v"), ==, round);
      g_test_message ("Python get woke %" G_GINT64_FORMAT " us after the C put",
                      eval_int (interp, "woke") - put_at);
    }

  /* A Python put waiting for room wakes when C makes some. */
  put_ok (full, g_variant_new_string ("occupying"));
  interp_interpreter_exec_async (interp, "f.put('waited')\n", NULL, count_exec_cb, &counts);
  while (!interp_interpreter_is_running (interp))
    g_usleep (200);
  {
    g_autoptr(GVariant) occupying = NULL;
    g_autoptr(GVariant) waited = NULL;
    g_autoptr(GError) error = NULL;

    occupying = get_ok (full);
    assert_variant (occupying, "'occupying'");
    waited = interp_queue_get (full, -1, NULL, &error);
    g_assert_no_error (error);
    assert_variant (waited, "'waited'");
  }
  wait_for_completions (&counts, 6);
  g_assert_cmpuint (counts.ok, ==, 6);
  counts_clear (&counts);
}

static void
test_blocking_cancel_python_get (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(InterpQueue) full = interp_queue_new (1, NULL);
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) watcher = new_interpreter_with_queue (NULL);
  gint64 id = interp_queue_get_id (queue);
  Counts counts;

  counts_init (&counts);
  exec_fmt (interp, "f = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", interp_queue_get_id (full));

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      const char *codes[] = {
        "caught = None\ntry:\n    v = q.get()\nexcept Exception as e:\n    caught = e\nafter = True\n",
        "caught = None\ntry:\n    v = q.get(timeout=60)\nexcept Exception as e:\n    caught = e\nafter = True\n",
        "caught = None\ntry:\n    v = q.get(block=True)\nexcept interp_glib.QueueEmpty as e:\n    caught = e\nafter = True\n",
      };

      exec_ok (interp, "caught = 'unset'\nafter = False\n");
      interp_interpreter_exec_async (interp, codes[round], cancellable, count_exec_cb, &counts);
      wait_for_getter (watcher, id, FALSE);
      g_cancellable_cancel (cancellable);
      wait_for_completions (&counts, round + 1);
      g_assert_cmpuint (counts.cancelled, ==, round + 1);

      /* Not swallowed by `except Exception`, and the interpreter is fine. */
      g_assert_false (eval_bool (interp, "after"));
      g_assert_true (eval_bool (interp, "caught is None"));
      g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);
      g_assert_false (interp_interpreter_is_running (interp));
    }

  /* The queue has no waiter left, and works. */
  g_assert_false (eval_bool_fmt (watcher, "interp_glib._has_waiting_getter("
                                 "interp_glib.Queue(%" G_GINT64_FORMAT ")._handle)", id));
  put_ok (queue, g_variant_new_string ("still works"));
  g_assert_true (eval_bool (interp, "q.get(timeout=5) == 'still works'"));

  /* A put waiting for room is cancelled the same way; nothing is added. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GVariant) first = NULL;

    put_ok (full, g_variant_new_string ("first"));
    interp_interpreter_exec_async (interp, "f.put('never')\nafter = True\n", cancellable,
                                   count_exec_cb, &counts);
    while (!interp_interpreter_is_running (interp))
      g_usleep (200);
    g_cancellable_cancel (cancellable);
    wait_for_completions (&counts, 4);
    g_assert_cmpuint (counts.cancelled, ==, 4);
    g_assert_cmpint (interp_queue_get_size (full), ==, 1);
    first = get_ok (full);
    assert_variant (first, "'first'");
    g_assert_true (interp_queue_is_empty (full));
    g_assert_false (eval_bool (interp, "after"));
  }
  counts_clear (&counts);
}

static void
test_blocking_python_timeouts (void)
{
  g_autoptr(TestInterp) interp = new_interpreter_with_queue (NULL);

  exec_ok (interp,
           "e = interp_glib.create_queue()\n"
           "f = interp_glib.create_queue(1)\n"
           "f.put('only')\n"
           "def outcome(fn):\n"
           "    try:\n"
           "        fn()\n"
           "    except interp_glib.QueueEmpty:\n"
           "        return 'empty'\n"
           "    except interp_glib.QueueFull:\n"
           "        return 'full'\n"
           "    except Exception as ex:\n"
           "        return type(ex).__name__\n"
           "    return 'ok'\n"
           "res = {\n"
           "    'get_timeout': outcome(lambda: e.get(timeout=0.05)),\n"
           "    'get_zero': outcome(lambda: e.get(timeout=0)),\n"
           "    'get_nowait': outcome(e.get_nowait),\n"
           "    'get_noblock': outcome(lambda: e.get(block=False)),\n"
           "    'put_timeout': outcome(lambda: f.put('x', timeout=0.05)),\n"
           "    'put_nowait': outcome(lambda: f.put_nowait('x')),\n"
           "    'put_noblock': outcome(lambda: f.put('x', False)),\n"
           "    'negative': outcome(lambda: e.get(timeout=-1)),\n"
           "}\n"
           "try:\n"
           "    e.get(timeout=0.01)\n"
           "    std_empty = False\n"
           "except queue.Empty:\n"
           "    std_empty = True\n"
           "try:\n"
           "    f.put_nowait(2)\n"
           "    std_full = False\n"
           "except queue.Full:\n"
           "    std_full = True\n");
  g_assert_true (eval_bool (interp, "res['get_timeout'] == 'empty'"));
  g_assert_true (eval_bool (interp, "res['get_zero'] == 'empty'"));
  g_assert_true (eval_bool (interp, "res['get_nowait'] == 'empty'"));
  g_assert_true (eval_bool (interp, "res['get_noblock'] == 'empty'"));
  g_assert_true (eval_bool (interp, "res['put_timeout'] == 'full'"));
  g_assert_true (eval_bool (interp, "res['put_nowait'] == 'full'"));
  g_assert_true (eval_bool (interp, "res['put_noblock'] == 'full'"));
  g_assert_true (eval_bool (interp, "res['negative'] == 'ValueError'"));
  g_assert_true (eval_bool (interp, "std_empty and std_full"));
  g_assert_true (eval_bool (interp, "issubclass(interp_glib.QueueEmpty, queue.Empty)"));
  g_assert_true (eval_bool (interp, "issubclass(interp_glib.QueueFull, queue.Full)"));
  g_assert_true (eval_bool (interp, "issubclass(interp_glib.QueueEmpty, interp_glib.QueueError)"));
  g_assert_true (eval_bool (interp, "interp_glib.QueueEmptyError is interp_glib.QueueEmpty"));
  g_assert_true (eval_bool (interp, "interp_glib.QueueFullError is interp_glib.QueueFull"));
  /* The failed puts added nothing. */
  g_assert_true (eval_bool (interp, "f.full() and f.qsize() == 1 and f.get_nowait() == 'only'"));
  g_assert_true (eval_bool (interp, "e.empty() and not e.full() and e.qsize() == 0"));
}

/* ------------------------------------------------------------------ */
/* Items whose interpreter is destroyed                                */

static InterpQueue *
queue_for_id (gint64 id)
{
  g_autoptr(GError) error = NULL;
  InterpQueue *queue = interp_queue_new_for_id (id, &error);

  g_assert_no_error (error);
  return queue;
}

static void
test_unbound_policies (void)
{
  g_autoptr(TestInterp) putter = new_interpreter_with_queue (NULL);
  g_autoptr(TestInterp) taker = new_interpreter_with_queue (NULL);
  g_autoptr(InterpQueue) q1 = NULL;
  g_autoptr(InterpQueue) q2 = NULL;
  g_autoptr(InterpQueue) q3 = NULL;
  g_autoptr(InterpQueue) q4 = NULL;
  g_autoptr(InterpQueue) q5 = NULL;
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { 0 };

  exec_ok (putter,
           "U = interp_glib\n"
           "q1 = U.create_queue()\n"
           "q2 = U.create_queue(unbounditems=U.UNBOUND_ERROR)\n"
           "q3 = U.create_queue(unbounditems=U.UNBOUND_REMOVE)\n"
           "q4 = U.create_queue()\n"
           "q5 = U.create_queue()\n"
           "for x in ('a', 'b'):\n"
           "    q1.put(x)\n"
           "    q2.put(x)\n"
           "    q3.put(x)\n"
           "q3.put('kept', unbounditems=U.UNBOUND)\n"
           "q4.put('err', unbounditems=U.UNBOUND_ERROR)\n"
           "q4.put('gone', unbounditems=U.UNBOUND_REMOVE)\n"
           "q4.put('unbound', unbounditems=U.UNBOUND)\n"
           "q4.put('default')\n"
           "q5.put('one')\n"
           "q5.put('two', unbounditems=U.UNBOUND_ERROR)\n"
           "q5.put('three', unbounditems=U.UNBOUND_REMOVE)\n"
           "q5.put(memoryview(bytearray(b'shared')))\n");
  q1 = queue_for_id (eval_int (putter, "q1.id"));
  q2 = queue_for_id (eval_int (putter, "q2.id"));
  q3 = queue_for_id (eval_int (putter, "q3.id"));
  q4 = queue_for_id (eval_int (putter, "q4.id"));
  q5 = queue_for_id (eval_int (putter, "q5.id"));
  /* Items from C belong to no interpreter. */
  put_ok (q1, g_variant_new_string ("from C"));
  put_ok (q2, g_variant_new_string ("from C"));
  put_ok (q3, g_variant_new_string ("from C"));

  g_assert_cmpint (interp_queue_get_size (q3), ==, 4);
  g_assert_cmpint (interp_queue_get_size (q4), ==, 4);
  g_assert_cmpint (interp_queue_get_size (q5), ==, 4);

  g_assert_true (interp_interpreter_close (putter, &error));
  g_assert_no_error (error);
  g_assert_true (interp_interpreter_is_closed (putter));

  /* UNBOUND_REMOVE items are gone at once. */
  g_assert_cmpint (interp_queue_get_size (q1), ==, 3);
  g_assert_cmpint (interp_queue_get_size (q2), ==, 3);
  g_assert_cmpint (interp_queue_get_size (q3), ==, 2);
  g_assert_cmpint (interp_queue_get_size (q4), ==, 3);
  g_assert_cmpint (interp_queue_get_size (q5), ==, 3);

  exec_fmt (taker,
            "U = interp_glib\n"
            "q1, q2, q3, q4 = (U.Queue(i) for i in (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
            ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "))\n"
            "def take(q):\n"
            "    try:\n"
            "        return q.get_nowait()\n"
            "    except U.ItemInterpreterDestroyed:\n"
            "        return 'destroyed'\n"
            "    except U.QueueEmpty:\n"
            "        return 'empty'\n"
            "r1 = [take(q1) for _ in range(4)]\n"
            "r2 = [take(q2) for _ in range(4)]\n"
            "r3 = [take(q3) for _ in range(3)]\n"
            "r4 = [take(q4) for _ in range(4)]\n",
            interp_queue_get_id (q1), interp_queue_get_id (q2),
            interp_queue_get_id (q3), interp_queue_get_id (q4));
  g_assert_true (eval_bool (taker, "r1 == [U.UNBOUND, U.UNBOUND, 'from C', 'empty']"));
  g_assert_true (eval_bool (taker, "r1[0] is U.UNBOUND and r1[1] is U.UNBOUND"));
  g_assert_true (eval_bool (taker, "r2 == ['destroyed', 'destroyed', 'from C', 'empty']"));
  g_assert_true (eval_bool (taker, "r3[0] is U.UNBOUND and r3[1:] == ['from C', 'empty']"));
  g_assert_true (eval_bool (taker, "r4[0] == 'destroyed' and r4[1] is U.UNBOUND and r4[2] is U.UNBOUND and r4[3] == 'empty'"));
  g_assert_true (eval_bool (taker, "repr(U.UNBOUND) == 'interp_glib.UNBOUND'"));
  g_assert_true (eval_bool (taker, "issubclass(U.ItemInterpreterDestroyed, U.QueueError)"));

  /* C gets of unbound items fail, and take the item. */
  g_assert_null (interp_queue_get (q5, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_ITEM_INTERPRETER_DESTROYED);
  g_clear_error (&error);
  g_assert_cmpint (interp_queue_get_size (q5), ==, 2);
  interp_queue_get_async (q5, NULL, async_wait_cb, &wait);
  g_assert_null (interp_queue_get_finish (q5, async_wait_run (&wait), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_ITEM_INTERPRETER_DESTROYED);
  g_clear_error (&error);
  async_wait_clear (&wait);
  /* The memoryview was released when its interpreter closed. */
  g_assert_null (interp_queue_get (q5, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_ITEM_INTERPRETER_DESTROYED);
  g_clear_error (&error);
  g_assert_true (interp_queue_is_empty (q5));

  /* The released memoryview let the putter's deferred teardown go on. */
  wait_for_teardown (taker, putter);
}

/* ------------------------------------------------------------------ */
/* Lifetimes                                                           */

static void
test_lifetime_python_only (void)
{
  g_autoptr(InterpQueue) carrier = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_queue (carrier);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (carrier);
  g_autoptr(GError) error = NULL;
  InterpQueue *found;
  gint64 id, inner_id;

  exec_ok (a, "mine = interp_glib.create_queue()\nmine.put('x')\n");
  id = eval_int (a, "mine.id");
  found = queue_for_id (id);
  g_assert_cmpint (interp_queue_get_size (found), ==, 1);
  g_object_unref (found);

  exec_fmt (b, "r = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", id);
  g_assert_true (eval_bool (b, "r.get_nowait() == 'x'"));
  exec_ok (b, "del r\n");
  /* A's reference alone keeps it. */
  found = queue_for_id (id);
  g_object_unref (found);

  exec_ok (a, "del mine\n");
  g_assert_null (interp_queue_new_for_id (id, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  exec_fmt (b,
            "try:\n"
            "    interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
            "    gone = False\n"
            "except interp_glib.QueueNotFoundError:\n"
            "    gone = True\n", id);
  g_assert_true (eval_bool (b, "gone"));

  /* A queue inside another queue lives while it is in there. */
  exec_ok (a, "inner = interp_glib.create_queue()\ninner.put('kept')\nq.put(inner)\n");
  inner_id = eval_int (a, "inner.id");
  exec_ok (a, "del inner\n");
  found = queue_for_id (inner_id);
  g_object_unref (found);
  exec_ok (b, "got = q.get_nowait()\n");
  g_assert_true (eval_bool (b, "got.get_nowait() == 'kept'"));
  exec_ok (b, "del got\n");
  g_assert_null (interp_queue_new_for_id (inner_id, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);

  /* Closing the interpreter drops its references too. */
  exec_ok (a, "last = interp_glib.create_queue()\n");
  id = eval_int (a, "last.id");
  found = queue_for_id (id);
  g_object_unref (found);
  g_assert_true (interp_interpreter_close (a, &error));
  g_assert_no_error (error);
  g_assert_null (interp_queue_new_for_id (id, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
}

/* A queue inside a list, a dict or any pickled object lives while the
 * item does, like a queue put directly. */
static void
test_lifetime_queue_in_list (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;
  InterpQueue *found;
  gint64 list_id, dict_id;

  exec_ok (a,
           "in_list = interp_glib.create_queue()\n"
           "in_list.put('kept in a list')\n"
           "in_dict = interp_glib.create_queue()\n"
           "in_dict.put('kept in a dict')\n"
           "q.put([in_list, 'in a list'])\n"
           "q.put({'k': in_dict})\n"
           "q.put('next')\n");
  list_id = eval_int (a, "in_list.id");
  dict_id = eval_int (a, "in_dict.id");
  exec_ok (a, "del in_list, in_dict\n");
  /* Only the items in the outer queue refer to them now. */
  found = queue_for_id (list_id);
  g_object_unref (found);

  exec_ok (b, "got_list = q.get_nowait()\ngot_dict = q.get_nowait()\n");
  g_assert_true (eval_bool (b, "got_list[1] == 'in a list' and type(got_list[0]) is interp_glib.Queue"));
  g_assert_true (eval_bool (b, "got_list[0].get_nowait() == 'kept in a list'"));
  g_assert_true (eval_bool (b, "got_dict['k'].get_nowait() == 'kept in a dict'"));
  g_assert_true (eval_bool (b, "q.get_nowait() == 'next' and q.empty()"));

  /* Gone with B's last references. */
  exec_ok (b, "del got_list, got_dict\n");
  g_assert_null (interp_queue_new_for_id (list_id, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (interp_queue_new_for_id (dict_id, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
}

static void
test_lifetime_memoryview (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(InterpQueue) torn_down = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_queue (queue);
  g_autoptr(TestInterp) b = new_interpreter_with_queue (queue);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) signal = NULL;
  gint64 start;

  /* A says when it is really destroyed: its atexit hooks run then. */
  exec_fmt (a,
            "import atexit\n"
            "done = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
            "atexit.register(lambda: done.put('torn down'))\n"
            "data = bytearray(range(256)) * 64\n"
            "q.put(memoryview(data))\n"
            "q.put(memoryview(data)[:16])\n",
            interp_queue_get_id (torn_down));
  exec_ok (b, "m = q.get_nowait()\n");

  /* Closing A returns at once, even though B still uses its memory. */
  start = g_get_monotonic_time ();
  g_assert_true (interp_interpreter_close (a, &error));
  g_assert_no_error (error);
  g_test_message ("close returned after %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_true (interp_interpreter_is_closed (a));
  g_assert_false (interp_interpreter_exec (a, "pass", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The view A left in the queue became unbound. */
  g_assert_true (eval_bool (b, "q.get_nowait() is interp_glib.UNBOUND and q.empty()"));

  /* B's view reads and writes correctly after A's close. */
  g_assert_true (eval_bool (b, "bytes(m) == bytes(range(256)) * 64"));
  exec_ok (b, "m[0] = 255\nm[-1] = 0\n");
  g_assert_true (eval_bool (b, "m[0] == 255 and m[-1] == 0 and "
                               "sum(m[1:-1]) == sum(range(256)) * 64 - 255"));
  /* The memory is still A's: A is not torn down while B holds it. */
  g_assert_true (interp_queue_is_empty (torn_down));

  /* B lets go: A's memory is released, and A is destroyed. */
  start = g_get_monotonic_time ();
  exec_ok (b, "del m\ngc.collect()\n");
  signal = interp_queue_get (torn_down, 60 * G_USEC_PER_SEC, NULL, &error);
  g_assert_no_error (error);
  assert_variant (signal, "'torn down'");
  g_test_message ("interpreter destroyed %.1f ms after the last view went",
                  (g_get_monotonic_time () - start) / 1000.0);

  wait_for_teardown (b, a);
  g_assert_cmpint (eval_int (b, "1 + 1"), ==, 2);
}

/* Bad arguments are errors, not criticals: a negative maxsize, and a
 * timeout below -1 (which used to wait for ever). */
static void
test_c_bad_arguments (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (1, NULL);
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  const gint64 timeouts[] = { -2, -1000000, G_MININT64 };

  for (gint maxsize = -1; maxsize >= -2; maxsize--)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (interp_queue_new (maxsize, &error));
      g_assert_error (error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "maxsize"));
    }
  g_assert_null (interp_queue_new (G_MININT, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (timeouts); i++)
    {
      g_autoptr(GError) put_error = NULL;
      g_autoptr(GError) get_error = NULL;
      g_autoptr(GError) send_error = NULL;
      g_autoptr(GError) recv_error = NULL;

      /* The queue is empty: a get that waited would wait for ever. */
      g_assert_false (interp_queue_put (queue, g_variant_new_int32 (1), timeouts[i], NULL, &put_error));
      g_assert_error (put_error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (put_error->message, "timeout"));
      g_assert_cmpint (interp_queue_get_size (queue), ==, 0);
      g_assert_null (interp_queue_get (queue, timeouts[i], NULL, &get_error));
      g_assert_error (get_error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);

      g_assert_false (interp_channel_send (channel, g_variant_new_int32 (1), timeouts[i], NULL, &send_error));
      g_assert_error (send_error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
      g_assert_null (interp_channel_recv (channel, timeouts[i], NULL, &recv_error));
      g_assert_error (recv_error, INTERP_ERROR, INTERP_ERROR_INVALID_ARGUMENT);
    }

  /* -1 and 0 keep their meaning. */
  put_ok (queue, g_variant_new_int32 (7));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) item = interp_queue_get (queue, -1, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (g_variant_get_int32 (item), ==, 7);
    g_assert_null (interp_queue_get (queue, 0, NULL, &error));
    g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/queue/c/basics", test_c_basics);
  g_test_add_func ("/queue/c/bad-arguments", test_c_bad_arguments);
  g_test_add_func ("/queue/c/lifetime", test_c_lifetime);
  g_test_add_func ("/queue/c/initable-id", test_c_initable_id);
  g_test_add_func ("/queue/c/fifo-types", test_c_fifo_types);
  g_test_add_func ("/queue/c/put-references", test_c_put_references);
  g_test_add_func ("/queue/c/full-timeout", test_c_full_timeout);
  g_test_add_func ("/queue/c/empty-timeout", test_c_empty_timeout);
  g_test_add_func ("/queue/c/blocked-get-threads", test_c_blocked_get_threads);
  g_test_add_func ("/queue/c/blocked-put-threads", test_c_blocked_put_threads);
  g_test_add_func ("/queue/c/many-blocked-getters", test_c_many_blocked_getters);
  g_test_add_func ("/queue/c/get-async-python-put", test_c_get_async_python_put);
  g_test_add_func ("/queue/c/put-async-python-get", test_c_put_async_python_get);
  g_test_add_func ("/queue/c/async-thread-context", test_c_async_thread_context);
  g_test_add_func ("/queue/c/async-cancel", test_c_async_cancel);
  g_test_add_func ("/queue/c/async-cancel-race", test_c_async_cancel_race);
  g_test_add_func ("/queue/c/async-served-then-cancelled", test_c_async_served_then_cancelled);
  g_test_add_func ("/queue/c/async-put-served-then-cancelled", test_c_async_put_served_then_cancelled);
  g_test_add_func ("/queue/python/from-c", test_python_from_c);
  g_test_add_func ("/queue/python/to-c", test_python_to_c);
  g_test_add_func ("/queue/python/bigint", test_python_bigint);
  g_test_add_func ("/queue/python/pickled", test_python_pickled);
  g_test_add_func ("/queue/interp/exact-types", test_interp_exact_types);
  g_test_add_func ("/queue/interp/pickled-class", test_interp_pickled_class);
  g_test_add_func ("/queue/interp/queue-through-queue", test_interp_queue_through_queue);
  g_test_add_func ("/queue/interp/memoryview", test_interp_memoryview);
  g_test_add_func ("/queue/interp/queue-object", test_interp_queue_object);
  g_test_add_func ("/queue/interp/is-shareable", test_interp_is_shareable);
  g_test_add_func ("/queue/interp/get-current", test_interp_get_current);
  g_test_add_func ("/queue/producer-consumer/unbounded", test_producer_consumer);
  g_test_add_func ("/queue/producer-consumer/bounded", test_producer_consumer_bounded);
  g_test_add_func ("/queue/blocking/python-get-wakes", test_blocking_python_get_wakes);
  g_test_add_func ("/queue/blocking/cancel-python-get", test_blocking_cancel_python_get);
  g_test_add_func ("/queue/blocking/python-timeouts", test_blocking_python_timeouts);
  g_test_add_func ("/queue/unbound/policies", test_unbound_policies);
  g_test_add_func ("/queue/lifetime/python-only", test_lifetime_python_only);
  g_test_add_func ("/queue/lifetime/queue-in-list", test_lifetime_queue_in_list);
  g_test_add_func ("/queue/lifetime/memoryview", test_lifetime_memoryview);

  return finish_tests ();
}
