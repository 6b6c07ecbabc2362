/* test-channel.c: InterpChannel from C and the RecvChannel/SendChannel of
 * Python: a send waits until the item is received
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

/* A new interpreter with interp_glib imported and, for @channel, its ends
 * bound to `r` and `s` and its ID to `cid`. */
static InterpInterpreter *
new_interpreter_with_channel (InterpChannel *channel)
{
  InterpInterpreter *interp = new_interpreter ();

  exec_ok (interp, "import interp_glib, time, gc\n");
  if (channel != NULL)
    exec_fmt (interp,
              "cid = %" G_GINT64_FORMAT "\n"
              "r = interp_glib.RecvChannel(cid)\n"
              "s = interp_glib.SendChannel(cid)\n",
              interp_channel_get_id (channel));
  return interp;
}

/* Blocks until a receiver waits on channel @id; @watcher is an idle
 * interpreter that asks the channel's state. No sleeping on a guess. */
static void
wait_for_receiver (InterpInterpreter *watcher,
                   gint64             id)
{
  g_autofree char *expr =
    g_strdup_printf ("interp_glib._has_waiting_getter(interp_glib.RecvChannel(%" G_GINT64_FORMAT ")._handle)", id);

  while (!eval_bool (watcher, expr))
    g_usleep (200);
}

static gint64
channel_size (InterpInterpreter *watcher,
              gint64             id)
{
  g_autofree char *expr =
    g_strdup_printf ("interp_glib._size(interp_glib.RecvChannel(%" G_GINT64_FORMAT ")._handle)", id);

  return eval_int (watcher, expr);
}

/* Blocks until a sent item waits in channel @id for its receiver. */
static void
wait_for_item (InterpInterpreter *watcher,
               gint64             id)
{
  while (channel_size (watcher, id) == 0)
    g_usleep (200);
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
assert_nothing_to_receive (InterpChannel *channel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_channel_recv (channel, 0, NULL, &error);

  g_assert_null (value);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY);
}

/* Sends from another thread, so that the test can watch it wait. */
typedef struct
{
  InterpChannel *channel;
  GVariant *item;
  gint64 timeout_us;
  GCancellable *cancellable;
  gboolean ok;
  GError *error;
  gint done;
} SendThread;

static gpointer
send_thread (gpointer user_data)
{
  SendThread *data = user_data;

  data->ok = interp_channel_send (data->channel, data->item, data->timeout_us,
                                  data->cancellable, &data->error);
  g_atomic_int_set (&data->done, 1);
  return NULL;
}

typedef struct
{
  InterpChannel *channel;
  GVariant *value;
  GError *error;
} RecvThread;

static gpointer
recv_thread (gpointer user_data)
{
  RecvThread *data = user_data;

  data->value = interp_channel_recv (data->channel, -1, NULL, &data->error);
  return NULL;
}

/* ------------------------------------------------------------------ */

static void
test_basics (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(InterpChannel) other = interp_channel_new ();
  g_autoptr(InterpChannel) again = NULL;
  g_autoptr(InterpChannel) missing = NULL;
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_cmpint (interp_channel_get_id (channel), >, 0);
  g_assert_cmpint (interp_channel_get_id (channel), !=, interp_channel_get_id (other));
  g_object_get (channel, "id", &id, NULL);
  g_assert_cmpint (id, ==, interp_channel_get_id (channel));

  again = interp_channel_new_for_id (id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (interp_channel_get_id (again), ==, id);

  missing = interp_channel_new_for_id (G_MAXINT64, &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_assert_null (missing);
  g_clear_error (&error);
  /* A queue is not a channel. */
  missing = interp_channel_new_for_id (interp_queue_get_id (queue), &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_assert_null (missing);
  g_clear_error (&error);

  assert_nothing_to_receive (channel);

  /* A channel goes with its last reference. */
  g_clear_object (&again);
  g_clear_object (&channel);
  missing = interp_channel_new_for_id (id, &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_assert_null (missing);
}

/* The "id" construct property: g_initable_new() gives an existing channel,
 * as bindings do with `new Interp.Channel({id})` and `Interp.Channel(id=...)`. */
static void
test_initable_id (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(InterpChannel) same = NULL;
  g_autoptr(InterpChannel) fresh = NULL;
  g_autoptr(InterpChannel) unready = NULL;
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(GError) error = NULL;
  gint64 id = interp_channel_get_id (channel);
  gint64 got_id = 0;

  same = g_initable_new (INTERP_TYPE_CHANNEL, NULL, &error, "id", id, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (same);
  g_assert_true (same != channel);
  g_assert_cmpint (interp_channel_get_id (same), ==, id);
  g_object_get (same, "id", &got_id, NULL);
  g_assert_cmpint (got_id, ==, id);

  /* One channel: a receiver on one object takes what the other sends. */
  {
    RecvThread taker = { channel, NULL, NULL };
    GThread *thread = g_thread_new ("receiver", recv_thread, &taker);

    g_assert_true (interp_channel_send (same, g_variant_new_string ("across"), -1, NULL, &error));
    g_assert_no_error (error);
    g_thread_join (thread);
    g_assert_no_error (taker.error);
    assert_variant (taker.value, "'across'");
    g_variant_unref (taker.value);
  }
  {
    AsyncWait wait = { 0 };
    g_autoptr(GVariant) value = NULL;

    interp_channel_recv_async (same, NULL, async_wait_cb, &wait);
    g_assert_true (interp_channel_send_nowait (channel, g_variant_new_int32 (5), &error));
    g_assert_no_error (error);
    value = interp_channel_recv_finish (same, async_wait_run (&wait), &error);
    g_assert_no_error (error);
    assert_variant (value, "5");
    async_wait_clear (&wait);
  }

  /* Constructed first and initialized after, as GJS does. */
  unready = g_object_new (INTERP_TYPE_CHANNEL, "id", id, NULL);
  g_assert_true (g_initable_init (G_INITABLE (unready), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (interp_channel_get_id (unready), ==, id);
  g_clear_object (&unready);

  /* Without an ID, or with 0 (no channel's), a new channel, as
   * interp_channel_new() makes. */
  fresh = g_initable_new (INTERP_TYPE_CHANNEL, NULL, &error, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (interp_channel_get_id (fresh), >, 0);
  g_assert_cmpint (interp_channel_get_id (fresh), !=, id);
  g_clear_object (&fresh);
  fresh = g_initable_new (INTERP_TYPE_CHANNEL, NULL, &error, "id", (gint64) 0, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (interp_channel_get_id (fresh), >, id);

  /* Unknown IDs, and a queue's, fail as interp_channel_new_for_id() does. */
  g_assert_null (g_initable_new (INTERP_TYPE_CHANNEL, NULL, &error, "id", G_MAXINT64, NULL));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (g_initable_new (INTERP_TYPE_CHANNEL, NULL, &error, "id", (gint64) -1, NULL));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (g_initable_new (INTERP_TYPE_CHANNEL, NULL, &error,
                                 "id", interp_queue_get_id (queue), NULL));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);

  /* A failed init fails again; using the object is a programmer error. */
  unready = g_object_new (INTERP_TYPE_CHANNEL, "id", G_MAXINT64, NULL);
  g_assert_false (g_initable_init (G_INITABLE (unready), NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (g_initable_init (G_INITABLE (unready), NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
  g_clear_error (&error);
  g_test_expect_message ("Interp", G_LOG_LEVEL_CRITICAL, "*is_initialized*");
  g_assert_cmpint (interp_channel_get_id (unready), ==, 0);
  g_test_assert_expected_messages ();
}

static void
test_c_send_python_recv (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) receiver = new_interpreter_with_channel (channel);
  g_autoptr(TestInterp) watcher = new_interpreter_with_channel (NULL);
  gint64 id = interp_channel_get_id (channel);
  const gint64 timeouts[] = { -1, 60 * G_USEC_PER_SEC };

  for (guint i = 0; i < G_N_ELEMENTS (timeouts); i++)
    {
      SendThread sender = { channel, g_variant_new_parsed ("('hello', [1, 2])"), timeouts[i], NULL, FALSE, NULL, 0 };
      GThread *thread;

      g_variant_ref_sink (sender.item);
      thread = g_thread_new ("sender", send_thread, &sender);
      wait_for_item (watcher, id);
      /* Sent, not received: the sender still waits. */
      g_assert_cmpint (g_atomic_int_get (&sender.done), ==, 0);

      exec_ok (receiver, "v = r.recv()\n");
      g_thread_join (thread);
      g_assert_true (sender.ok);
      g_assert_no_error (sender.error);
      g_assert_true (eval_bool (receiver, "v == ('hello', [1, 2])"));
      g_assert_cmpint (channel_size (watcher, id), ==, 0);
      g_variant_unref (sender.item);
    }

  /* recv_nowait takes a waiting sender's item too. */
  {
    SendThread sender = { channel, g_variant_ref_sink (g_variant_new_int32 (5)), -1, NULL, FALSE, NULL, 0 };
    GThread *thread = g_thread_new ("sender", send_thread, &sender);

    wait_for_item (watcher, id);
    g_assert_cmpint (g_atomic_int_get (&sender.done), ==, 0);
    g_assert_true (eval_bool (receiver, "r.recv_nowait('none') == 5"));
    g_thread_join (thread);
    g_assert_true (sender.ok);
    g_variant_unref (sender.item);
  }
}

static void
test_python_send_c_recv (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) sender = new_interpreter_with_channel (channel);
  g_autoptr(TestInterp) watcher = new_interpreter_with_channel (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  gint64 id = interp_channel_get_id (channel);
  Counts counts = { 0 };

  exec_ok (sender, "sent = False\n");
  interp_interpreter_exec_async (sender, "s.send({'a': 1, 'b': (True, None)})\nsent = True\n",
                                 NULL, count_exec_cb, &counts);
  wait_for_item (watcher, id);
  /* Not received yet: the Python send is still waiting. */
  drain_main_context ();
  g_assert_cmpuint (counts.completions, ==, 0);
  g_assert_true (interp_interpreter_is_running (sender));

  value = interp_channel_recv (channel, -1, NULL, &error);
  g_assert_no_error (error);
  assert_variant (value, "{'a': <int64 1>, 'b': <(true, @mv nothing)>}");
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.ok, ==, 1);
  g_assert_true (eval_bool (sender, "sent"));

  /* A send with a long timeout, received in time. */
  g_clear_pointer (&value, g_variant_unref);
  interp_interpreter_exec_async (sender, "s.send('in time', timeout=60)\n", NULL, count_exec_cb, &counts);
  wait_for_item (watcher, id);
  value = interp_channel_recv (channel, -1, NULL, &error);
  g_assert_no_error (error);
  assert_variant (value, "'in time'");
  wait_for_completions (&counts, 2);
  g_assert_cmpuint (counts.ok, ==, 2);
}

static void
test_send_timeout (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) watcher = new_interpreter_with_channel (NULL);
  g_autoptr(GError) error = NULL;
  gint64 id = interp_channel_get_id (channel);
  gint64 start;

  start = g_get_monotonic_time ();
  g_assert_false (interp_channel_send (channel, g_variant_new_string ("nobody"), 50 * 1000, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_RECEIVED);
  g_clear_error (&error);
  g_test_message ("send with a 50 ms timeout gave up after %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  /* Withdrawn: nothing is left to receive. */
  g_assert_cmpint (channel_size (watcher, id), ==, 0);
  assert_nothing_to_receive (channel);

  g_assert_false (interp_channel_send (channel, g_variant_new_string ("nobody"), 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_RECEIVED);
  g_clear_error (&error);
  assert_nothing_to_receive (channel);

  /* A waiting send cancelled from elsewhere: withdrawn too. */
  {
    SendThread sender = { channel, g_variant_ref_sink (g_variant_new_string ("withdrawn")), -1,
                          g_cancellable_new (), FALSE, NULL, 0 };
    GThread *thread = g_thread_new ("sender", send_thread, &sender);

    wait_for_item (watcher, id);
    g_cancellable_cancel (sender.cancellable);
    g_thread_join (thread);
    g_assert_false (sender.ok);
    g_assert_error (sender.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&sender.error);
    g_assert_cmpint (channel_size (watcher, id), ==, 0);
    assert_nothing_to_receive (channel);
    g_object_unref (sender.cancellable);
    g_variant_unref (sender.item);
  }

  /* The channel still works after all that. */
  {
    AsyncWait wait = { 0 };
    g_autoptr(GVariant) value = NULL;

    interp_channel_recv_async (channel, NULL, async_wait_cb, &wait);
    g_assert_true (interp_channel_send (channel, g_variant_new_string ("finally"), 50 * 1000, NULL, &error));
    g_assert_no_error (error);
    value = interp_channel_recv_finish (channel, async_wait_run (&wait), &error);
    g_assert_no_error (error);
    assert_variant (value, "'finally'");
    async_wait_clear (&wait);
  }
}

static void
test_send_nowait (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) receiver = new_interpreter_with_channel (channel);
  g_autoptr(TestInterp) watcher = new_interpreter_with_channel (NULL);
  g_autoptr(GError) error = NULL;
  gint64 id = interp_channel_get_id (channel);
  Counts counts = { 0 };

  /* Nobody waits: nothing is sent. */
  g_assert_false (interp_channel_send_nowait (channel, g_variant_new_string ("lost"), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_RECEIVED);
  g_clear_error (&error);
  g_assert_cmpint (channel_size (watcher, id), ==, 0);
  assert_nothing_to_receive (channel);

  /* A C thread waits. */
  {
    RecvThread taker = { channel, NULL, NULL };
    GThread *thread = g_thread_new ("receiver", recv_thread, &taker);

    wait_for_receiver (watcher, id);
    g_assert_true (interp_channel_send_nowait (channel, g_variant_new_string ("to C"), &error));
    g_assert_no_error (error);
    g_thread_join (thread);
    g_assert_no_error (taker.error);
    assert_variant (taker.value, "'to C'");
    g_variant_unref (taker.value);
  }

  /* Python code waits. */
  interp_interpreter_exec_async (receiver, "v = r.recv()\n", NULL, count_exec_cb, &counts);
  wait_for_receiver (watcher, id);
  g_assert_true (interp_channel_send_nowait (channel, g_variant_new_int64 (99), &error));
  g_assert_no_error (error);
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.ok, ==, 1);
  g_assert_true (eval_bool (receiver, "v == 99 and type(v) is int"));

  /* An async receive waits. */
  {
    AsyncWait wait = { 0 };
    g_autoptr(GVariant) value = NULL;

    interp_channel_recv_async (channel, NULL, async_wait_cb, &wait);
    g_assert_true (interp_channel_send_nowait (channel, g_variant_new_string ("async"), &error));
    g_assert_no_error (error);
    value = interp_channel_recv_finish (channel, async_wait_run (&wait), &error);
    g_assert_no_error (error);
    assert_variant (value, "'async'");
    async_wait_clear (&wait);
  }

  /* And nobody again. */
  g_assert_false (interp_channel_send_nowait (channel, g_variant_new_string ("lost"), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_RECEIVED);
  g_clear_error (&error);
  assert_nothing_to_receive (channel);

  /* The same from Python: send_nowait says whether someone took it at
   * once; if not, the object waits in the channel (as in CPython). */
  g_assert_true (eval_bool (receiver, "s.send_nowait('kept') is False and r.recv_nowait() == 'kept'"));
  g_assert_true (eval_bool (receiver, "r.recv_nowait() is None"));
  {
    RecvThread taker = { channel, NULL, NULL };
    GThread *thread = g_thread_new ("receiver", recv_thread, &taker);

    wait_for_receiver (watcher, id);
    g_assert_true (eval_bool (receiver, "s.send_nowait(('from', 'Python')) is True"));
    g_thread_join (thread);
    g_assert_no_error (taker.error);
    assert_variant (taker.value, "('from', 'Python')");
    g_variant_unref (taker.value);
  }
}

static void
test_recv_timeout (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_assert_null (interp_channel_recv (channel, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY);
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_null (interp_channel_recv (channel, 50 * 1000, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_EMPTY);
  g_clear_error (&error);
  g_test_message ("recv with a 50 ms timeout gave up after %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);

  g_cancellable_cancel (cancellable);
  g_assert_null (interp_channel_recv (channel, -1, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_recv_async (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) sender = new_interpreter_with_channel (channel);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  AsyncWait wait = { 0 };

  interp_channel_recv_async (channel, NULL, async_wait_cb, &wait);
  drain_main_context ();
  g_assert_cmpuint (wait.count, ==, 0);

  /* The async receiver takes it at once, so the Python send returns. */
  exec_ok (sender, "s.send([1, 'two'], timeout=60)\nsent = True\n");
  g_assert_true (eval_bool (sender, "sent"));
  value = interp_channel_recv_finish (channel, async_wait_run (&wait), &error);
  g_assert_no_error (error);
  assert_variant (value, "[<int64 1>, <'two'>]");
  async_wait_clear (&wait);
  drain_main_context ();
  g_assert_cmpuint (wait.count, ==, 1);

  /* A sender already waiting: recv_async takes its item. */
  {
    SendThread thread_data = { channel, g_variant_ref_sink (g_variant_new_string ("waiting")), -1,
                               NULL, FALSE, NULL, 0 };
    g_autoptr(TestInterp) watcher = new_interpreter_with_channel (NULL);
    GThread *thread = g_thread_new ("sender", send_thread, &thread_data);

    wait_for_item (watcher, interp_channel_get_id (channel));
    wait = (AsyncWait) { 0 };
    g_clear_pointer (&value, g_variant_unref);
    interp_channel_recv_async (channel, NULL, async_wait_cb, &wait);
    value = interp_channel_recv_finish (channel, async_wait_run (&wait), &error);
    g_assert_no_error (error);
    assert_variant (value, "'waiting'");
    async_wait_clear (&wait);
    g_thread_join (thread);
    g_assert_true (thread_data.ok);
    g_variant_unref (thread_data.item);
  }

  /* Cancelled while pending: completes once, as cancelled; takes nothing. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    wait = (AsyncWait) { 0 };
    interp_channel_recv_async (channel, cancellable, async_wait_cb, &wait);
    drain_main_context ();
    g_assert_cmpuint (wait.count, ==, 0);
    g_cancellable_cancel (cancellable);
    g_assert_null (interp_channel_recv_finish (channel, async_wait_run (&wait), &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    async_wait_clear (&wait);
    drain_main_context ();
    g_assert_cmpuint (wait.count, ==, 1);
    /* No receiver is left waiting. */
    g_assert_true (eval_bool (sender, "s.send_nowait('nobody') is False"));
  }
}

static void
test_python_ends (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_channel (channel);
  g_autoptr(TestInterp) b = new_interpreter_with_channel (channel);
  g_autoptr(GError) error = NULL;
  InterpChannel *found;
  gint64 py_id;

  exec_fmt (a,
            "qid = %" G_GINT64_FORMAT "\n"
            "pr, ps = interp_glib.create_channel()\n"
            "def raises(fn, exc):\n"
            "    try:\n"
            "        fn()\n"
            "    except exc:\n"
            "        return True\n"
            "    return False\n",
            interp_queue_get_id (queue));
  g_assert_true (eval_bool (a, "type(pr) is interp_glib.RecvChannel and type(ps) is interp_glib.SendChannel"));
  g_assert_true (eval_bool (a, "pr.id == ps.id != cid"));
  g_assert_true (eval_bool (a, "interp_glib.RecvChannel(pr.id) == pr and interp_glib.SendChannel(ps.id) == ps"));
  g_assert_true (eval_bool (a, "pr != ps and hash(interp_glib.RecvChannel(pr.id)) == hash(pr)"));
  g_assert_true (eval_bool (a, "repr(r) == f'RecvChannel({cid})' and repr(s) == f'SendChannel({cid})'"));
  g_assert_true (eval_bool (a, "r == interp_glib.RecvChannel(cid) and r.id == s.id == cid"));

  /* Bad IDs: as in CPython, the end is made and its operations raise. */
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.RecvChannel(2**62).recv_nowait(), interp_glib.ChannelNotFoundError)"));
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.SendChannel(2**62).send_nowait(1), interp_glib.ChannelNotFoundError)"));
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.RecvChannel(qid).recv(0.01), interp_glib.ChannelNotFoundError)"));
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.Queue(cid), interp_glib.QueueNotFoundError)"));
  g_assert_true (eval_bool (a, "raises(lambda: interp_glib.RecvChannel('x'), TypeError)"));
  g_assert_true (eval_bool (a, "issubclass(interp_glib.ChannelNotFoundError, interp_glib.ChannelError)"));

  /* recv_nowait with and without a default; recv with a timeout. */
  g_assert_true (eval_bool (a, "r.recv_nowait() is None"));
  g_assert_true (eval_bool (a, "r.recv_nowait(7) == 7 and r.recv_nowait(default='d') == 'd'"));
  g_assert_true (eval_bool (a, "raises(lambda: r.recv(timeout=0.01), interp_glib.ChannelEmptyError)"));

  /* A Python-made channel is reachable from C by its ID, and the other way. */
  py_id = eval_int (a, "pr.id");
  found = interp_channel_new_for_id (py_id, &error);
  g_assert_no_error (error);
  {
    AsyncWait wait = { 0 };
    g_autoptr(GVariant) value = NULL;

    interp_channel_recv_async (found, NULL, async_wait_cb, &wait);
    exec_ok (a, "ps.send('python to C', timeout=60)\n");
    value = interp_channel_recv_finish (found, async_wait_run (&wait), &error);
    g_assert_no_error (error);
    assert_variant (value, "'python to C'");
    async_wait_clear (&wait);
  }
  g_object_unref (found);

  /* Ends by ID work across interpreters: B receives what A sends. */
  {
    Counts counts = { 0 };

    interp_interpreter_exec_async (b, "got = r.recv()\n", NULL, count_exec_cb, &counts);
    exec_ok (a, "s.send(('exact', 2**80, b'\\x00', '\\ud800'))\n");
    wait_for_completions (&counts, 1);
    g_assert_cmpuint (counts.ok, ==, 1);
    g_assert_true (eval_bool (b, "got == ('exact', 2**80, b'\\x00', '\\ud800') and type(got[1]) is int"));
  }

  /* Python-only channels go away with their last end. */
  exec_ok (a, "del pr, ps\n");
  g_assert_null (interp_channel_new_for_id (py_id, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_QUEUE_NOT_FOUND);
}

static void
test_not_received (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) a = new_interpreter_with_channel (channel);
  g_autoptr(TestInterp) watcher = new_interpreter_with_channel (NULL);
  gint64 id = interp_channel_get_id (channel);

  exec_ok (a,
           "try:\n"
           "    s.send('nobody', timeout=0.05)\n"
           "    outcome = 'sent'\n"
           "except interp_glib.NotReceivedError as e:\n"
           "    outcome = 'not received'\n");
  g_assert_true (eval_bool (a, "outcome == 'not received'"));
  g_assert_true (eval_bool (a, "issubclass(interp_glib.NotReceivedError, interp_glib.ChannelError)"));
  /* Withdrawn. */
  g_assert_cmpint (channel_size (watcher, id), ==, 0);
  g_assert_true (eval_bool (a, "r.recv_nowait('none') == 'none'"));
  assert_nothing_to_receive (channel);

  /* A Python send cancelled through its job: withdrawn as well. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    Counts counts = { 0 };

    exec_ok (a, "after = False\n");
    interp_interpreter_exec_async (a, "s.send('cancelled')\nafter = True\n", cancellable,
                                   count_exec_cb, &counts);
    wait_for_item (watcher, id);
    g_cancellable_cancel (cancellable);
    wait_for_completions (&counts, 1);
    g_assert_cmpuint (counts.cancelled, ==, 1);
    g_assert_false (eval_bool (a, "after"));
    g_assert_cmpint (channel_size (watcher, id), ==, 0);
    assert_nothing_to_receive (channel);
  }
}

static void
test_list_all (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_channel (NULL);
  gint64 c_id = interp_channel_get_id (channel);
  gint64 py_id;

  exec_fmt (a,
            "cid = %" G_GINT64_FORMAT "\n"
            "qid = %" G_GINT64_FORMAT "\n"
            "pr, ps = interp_glib.create_channel()\n"
            "def ids():\n"
            "    ends = interp_glib.list_all_channels()\n"
            "    assert all(type(r) is interp_glib.RecvChannel and type(s) is interp_glib.SendChannel\n"
            "               and r.id == s.id for r, s in ends)\n"
            "    return [r.id for r, s in ends]\n",
            c_id, interp_queue_get_id (queue));
  py_id = eval_int (a, "pr.id");
  g_assert_true (eval_bool (a, "cid in ids() and pr.id in ids() and qid not in ids()"));
  g_assert_true (eval_bool (a, "len(ids()) == len(set(ids()))"));

  exec_ok (a, "del pr, ps\n");
  g_assert_false (eval_bool_fmt (a, "%" G_GINT64_FORMAT " in ids()", py_id));
  g_clear_object (&channel);
  g_assert_false (eval_bool (a, "cid in ids()"));
}

static void
test_end_through_queue (void)
{
  g_autoptr(InterpQueue) queue = interp_queue_new (0, NULL);
  g_autoptr(TestInterp) a = new_interpreter_with_channel (NULL);
  g_autoptr(TestInterp) b = new_interpreter_with_channel (NULL);
  g_autoptr(InterpChannel) channel = NULL;
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };
  gint64 id;

  exec_fmt (a, "q = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", interp_queue_get_id (queue));
  exec_fmt (b, "q = interp_glib.Queue(%" G_GINT64_FORMAT ")\n", interp_queue_get_id (queue));
  exec_ok (a, "pr, ps = interp_glib.create_channel()\nq.put(pr)\nq.put((ps, 'tag'))\n");
  id = eval_int (a, "pr.id");
  /* C has no GVariant form for a channel end. */
  g_assert_null (interp_queue_get (queue, 0, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  g_clear_error (&error);

  exec_ok (b, "br = q.get_nowait()\nbs, tag = q.get_nowait()\n");
  g_assert_true (eval_bool (b, "type(br) is interp_glib.RecvChannel and type(bs) is interp_glib.SendChannel"));
  g_assert_cmpint (eval_int (b, "br.id"), ==, id);
  g_assert_true (eval_bool (b, "bs.id == br.id and tag == 'tag'"));

  /* The ends A sent are the same channel: A sends, B receives. */
  interp_interpreter_exec_async (b, "got = br.recv()\n", NULL, count_exec_cb, &counts);
  exec_ok (a, "ps.send('via the queue')\n");
  wait_for_completions (&counts, 1);
  g_assert_true (eval_bool (b, "got == 'via the queue'"));

  /* B's received end keeps the channel alive after A drops its ends. */
  exec_ok (a, "del pr, ps\n");
  channel = interp_channel_new_for_id (id, &error);
  g_assert_no_error (error);
  interp_interpreter_exec_async (b, "got = br.recv()\n", NULL, count_exec_cb, &counts);
  g_assert_true (interp_channel_send (channel, g_variant_new_string ("from C"), -1, NULL, &error));
  g_assert_no_error (error);
  wait_for_completions (&counts, 2);
  g_assert_cmpuint (counts.ok, ==, 2);
  g_assert_true (eval_bool (b, "got == 'from C'"));
}

/* What a receiver cannot read goes back in the channel: the sender is
 * not told it was received, and keeps waiting for a receiver that can. */
static void
test_unreadable_not_received (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) a = new_interpreter_with_channel (channel);
  g_autoptr(TestInterp) b = new_interpreter_with_channel (channel);
  g_autoptr(TestInterp) watcher = new_interpreter_with_channel (NULL);
  g_autoptr(GError) error = NULL;
  gint64 id = interp_channel_get_id (channel);
  const char *cls =
    "class Custom:\n"
    "    def __init__(self, v):\n"
    "        self.v = v\n";
  Counts counts = { 0 };

  exec_ok (a, cls);
  exec_ok (b, cls);
  exec_ok (a, "outcome = None\n");
  interp_interpreter_exec_async (a,
                                 "try:\n"
                                 "    s.send(Custom(42), timeout=60)\n"
                                 "    outcome = 'received'\n"
                                 "except interp_glib.NotReceivedError:\n"
                                 "    outcome = 'not received'\n",
                                 NULL, count_exec_cb, &counts);
  wait_for_item (watcher, id);
  /* C cannot read a pickled object; the item stays in the channel. */
  g_assert_null (interp_channel_recv (channel, -1, NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  g_clear_error (&error);
  g_assert_cmpint (channel_size (watcher, id), ==, 1);
  drain_main_context ();
  g_assert_cmpuint (counts.completions, ==, 0);
  g_assert_true (interp_interpreter_is_running (a));

  /* A receiver that can read it takes it; then the send returns. */
  exec_ok (b, "got = r.recv_nowait()\n");
  g_assert_true (eval_bool (b, "type(got) is Custom and got.v == 42"));
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.ok, ==, 1);
  g_assert_true (eval_bool (a, "outcome == 'received'"));
  g_assert_cmpint (channel_size (watcher, id), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Closing a channel wakes what waits on it                           */

/* A thread blocked in interp_channel_recv() or interp_channel_send(); it
 * signals when it returns, so that the test waits for it with a bound. */
typedef struct
{
  InterpChannel *channel;
  gboolean send;              /* else recv */
  gboolean ok;
  GVariant *value;
  GError *error;
  GMutex lock;
  GCond cond;
  gboolean finished;
  GThread *thread;
} Blocked;

static gpointer
blocked_thread (gpointer user_data)
{
  Blocked *blocked = user_data;

  if (blocked->send)
    blocked->ok = interp_channel_send (blocked->channel, g_variant_new_string ("unreceived"),
                                       -1, NULL, &blocked->error);
  else
    {
      blocked->value = interp_channel_recv (blocked->channel, -1, NULL, &blocked->error);
      blocked->ok = blocked->value != NULL;
    }
  g_mutex_lock (&blocked->lock);
  blocked->finished = TRUE;
  g_cond_signal (&blocked->cond);
  g_mutex_unlock (&blocked->lock);
  return NULL;
}

static void
blocked_start (Blocked       *blocked,
               InterpChannel *channel,
               gboolean       send)
{
  *blocked = (Blocked) { .channel = channel, .send = send };
  g_mutex_init (&blocked->lock);
  g_cond_init (&blocked->cond);
  blocked->thread = g_thread_new (send ? "blocked-send" : "blocked-recv", blocked_thread, blocked);
}

/* Joins the thread, but fails rather than hang if it is still blocked
 * after a generous while. */
static void
blocked_join (Blocked *blocked)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  gboolean finished;

  g_mutex_lock (&blocked->lock);
  while (!blocked->finished && g_cond_wait_until (&blocked->cond, &blocked->lock, deadline))
    ;
  finished = blocked->finished;
  g_mutex_unlock (&blocked->lock);
  g_assert_true (finished);
  g_thread_join (blocked->thread);
  g_mutex_clear (&blocked->lock);
  g_cond_clear (&blocked->cond);
}

/* The Python statements that close an end; `s.close()` closes the sending
 * end, `r.close()` the receiving end and so the channel. */
static const char *const closers[] = { "s.close()\n", "r.close()\n" };

static void
assert_closed (GError *error)
{
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* Once closed, sends and receives fail at once: a bounded wait that
 * times out would fail with another error. */
static void
assert_refused (InterpChannel *channel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  value = interp_channel_recv (channel, 60 * G_TIME_SPAN_SECOND, NULL, &error);
  g_assert_null (value);
  assert_closed (error);
  g_clear_error (&error);
  value = interp_channel_recv (channel, 0, NULL, &error);
  g_assert_null (value);
  assert_closed (error);
  g_clear_error (&error);
  g_assert_false (interp_channel_send (channel, g_variant_new_string ("late"),
                                       60 * G_TIME_SPAN_SECOND, NULL, &error));
  assert_closed (error);
  g_clear_error (&error);
  g_assert_false (interp_channel_send_nowait (channel, g_variant_new_string ("late"), &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_RECEIVED);
}

static void
test_close_wakes_recv (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (closers); i++)
    {
      g_autoptr(InterpChannel) channel = interp_channel_new ();
      g_autoptr(TestInterp) closer = new_interpreter_with_channel (channel);
      Blocked blocked;

      blocked_start (&blocked, channel, FALSE);
      wait_for_receiver (closer, interp_channel_get_id (channel));
      exec_ok (closer, closers[i]);
      blocked_join (&blocked);
      g_assert_false (blocked.ok);
      g_assert_null (blocked.value);
      assert_closed (blocked.error);
      g_clear_error (&blocked.error);
      /* No receiver is left waiting. */
      g_assert_false (eval_bool (closer, "interp_glib._has_waiting_getter(r._handle)"));
      assert_refused (channel);
    }
}

static void
test_close_wakes_send (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (closers); i++)
    {
      g_autoptr(InterpChannel) channel = interp_channel_new ();
      g_autoptr(TestInterp) closer = new_interpreter_with_channel (channel);
      gint64 id = interp_channel_get_id (channel);
      Blocked blocked;

      blocked_start (&blocked, channel, TRUE);
      wait_for_item (closer, id);
      exec_ok (closer, closers[i]);
      blocked_join (&blocked);
      g_assert_false (blocked.ok);
      assert_closed (blocked.error);
      g_clear_error (&blocked.error);
      /* Withdrawn: a send that failed sent nothing. */
      g_assert_cmpint (channel_size (closer, id), ==, 0);
      assert_refused (channel);
    }
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_close_wakes_recv_async (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (closers); i++)
    {
      g_autoptr(InterpChannel) channel = interp_channel_new ();
      g_autoptr(TestInterp) closer = new_interpreter_with_channel (channel);
      g_autoptr(GError) error = NULL;
      AsyncWait wait = { 0 };
      gboolean gave_up = FALSE;
      guint timeout_id;

      interp_channel_recv_async (channel, NULL, async_wait_cb, &wait);
      drain_main_context ();
      g_assert_cmpuint (wait.count, ==, 0);
      exec_ok (closer, closers[i]);

      timeout_id = g_timeout_add_seconds (60, set_flag_cb, &gave_up);
      while (wait.result == NULL && !gave_up)
        g_main_context_iteration (NULL, TRUE);
      g_assert_false (gave_up);
      g_source_remove (timeout_id);
      g_assert_null (interp_channel_recv_finish (channel, wait.result, &error));
      assert_closed (error);
      g_clear_error (&error);
      async_wait_clear (&wait);
      drain_main_context ();
      g_assert_cmpuint (wait.count, ==, 1);

      /* Started on the closed channel: fails at once. */
      wait = (AsyncWait) { 0 };
      interp_channel_recv_async (channel, NULL, async_wait_cb, &wait);
      g_assert_null (interp_channel_recv_finish (channel, async_wait_run (&wait), &error));
      assert_closed (error);
      async_wait_clear (&wait);
    }
}

/* With only the sending end closed, what is in the channel is still
 * received; then receives fail. */
static void
test_close_send_drains (void)
{
  g_autoptr(InterpChannel) channel = interp_channel_new ();
  g_autoptr(TestInterp) py = new_interpreter_with_channel (channel);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  exec_ok (py, "assert s.send_nowait('left') is False\n"
               "s.close()\n"
               "assert s.is_closed and not r.is_closed\n");
  value = interp_channel_recv (channel, -1, NULL, &error);
  g_assert_no_error (error);
  assert_variant (value, "'left'");
  g_assert_true (eval_bool (py, "r.is_closed"));
  assert_refused (channel);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/channel/basics", test_basics);
  g_test_add_func ("/channel/initable-id", test_initable_id);
  g_test_add_func ("/channel/c-send-python-recv", test_c_send_python_recv);
  g_test_add_func ("/channel/python-send-c-recv", test_python_send_c_recv);
  g_test_add_func ("/channel/send-timeout", test_send_timeout);
  g_test_add_func ("/channel/send-nowait", test_send_nowait);
  g_test_add_func ("/channel/recv-timeout", test_recv_timeout);
  g_test_add_func ("/channel/recv-async", test_recv_async);
  g_test_add_func ("/channel/python-ends", test_python_ends);
  g_test_add_func ("/channel/not-received", test_not_received);
  g_test_add_func ("/channel/list-all", test_list_all);
  g_test_add_func ("/channel/end-through-queue", test_end_through_queue);
  g_test_add_func ("/channel/unreadable-not-received", test_unreadable_not_received);
  g_test_add_func ("/channel/close-wakes-recv", test_close_wakes_recv);
  g_test_add_func ("/channel/close-wakes-send", test_close_wakes_send);
  g_test_add_func ("/channel/close-wakes-recv-async", test_close_wakes_recv_async);
  g_test_add_func ("/channel/close-send-drains", test_close_send_drains);

  return finish_tests ();
}
