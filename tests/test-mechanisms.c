/* test-mechanisms.c: the library's one completion queue, cancellable
 * waiter, deferred effects and kept blocks, on their own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * These helpers depend on GLib alone: the test compiles their sources in
 * (the spin budget is a header).
 */

#include "interp-cancel-waiter-private.h"
#include "interp-completion-private.h"
#include "interp-deferred-private.h"
#include "interp-spare-private.h"
#include "interp-spin-private.h"

#include <string.h>

/* interp-executor.c defines it in the library. */
gint _interp_spinners;

/* ------------------------------------------------------------------ */
/* The completion queue                                                */

typedef struct
{
  GString *log;
  GMainContext *context;
} Log;

typedef struct
{
  Log *log;
  char name;
} Entry;

static Entry *
entry_new (Log  *log,
           char  name)
{
  Entry *entry = g_new (Entry, 1);

  entry->log = log;
  entry->name = name;
  return entry;
}

static void
entry_run (gpointer data)
{
  Entry *entry = data;

  g_string_append_c (entry->log->log, entry->name);
}

static gboolean
probe_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* The id a new source would get in @context: ids count up per context. */
static guint
next_source_id (GMainContext *context)
{
  GSource *probe = g_idle_source_new ();
  guint id;

  g_source_set_callback (probe, probe_cb, NULL, NULL);
  id = g_source_attach (probe, context);
  g_source_destroy (probe);
  g_source_unref (probe);
  return id;
}

static gpointer
push_three (gpointer data)
{
  Log *log = data;

  for (const char *name = "abc"; *name != '\0'; name++)
    _interp_completion_push (log->context, G_PRIORITY_DEFAULT, 0, entry_run,
                             entry_new (log, *name), g_free);
  return NULL;
}

static void
iterate_until (GMainContext *context,
               GString      *log,
               gsize         len)
{
  while (log->len < len)
    g_main_context_iteration (context, TRUE);
}

/* Completions queued from another thread run in order, from one source. */
static void
test_completion_order_one_source (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  Log log = { text, context };
  guint before, after;

  before = next_source_id (context);
  g_thread_join (g_thread_new ("push", push_three, &log));
  after = next_source_id (context);
  /* The two probes and one source for the three completions between them. */
  g_assert_cmpuint (after, ==, before + 2);
  g_assert_cmpstr (text->str, ==, "");

  iterate_until (context, text, 3);
  g_assert_cmpstr (text->str, ==, "abc");
  g_assert_false (g_main_context_pending (context));
}

static void
push_from_callback (gpointer data)
{
  Entry *entry = data;

  g_string_append_c (entry->log->log, entry->name);
  _interp_completion_push (entry->log->context, G_PRIORITY_DEFAULT, 0, entry_run,
                           entry_new (entry->log, 'z'), g_free);
}

/* A completion queued by a callback runs after the batch it came from. */
static void
test_completion_push_from_callback (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  Log log = { text, context };

  _interp_completion_push (context, G_PRIORITY_DEFAULT, 0, push_from_callback,
                           entry_new (&log, 'a'), g_free);
  _interp_completion_push (context, G_PRIORITY_DEFAULT, 0, entry_run,
                           entry_new (&log, 'b'), g_free);
  g_main_context_iteration (context, FALSE);
  g_assert_cmpstr (text->str, ==, "ab");
  iterate_until (context, text, 3);
  g_assert_cmpstr (text->str, ==, "abz");
}

static guint entries_freed;

static void
entry_free_counted (gpointer data)
{
  entries_freed++;
  g_free (data);
}

/* A delayed completion waits for its delay in a batch of its own (one
 * without runs first); a batch whose source is destroyed frees what it
 * holds without running it. */
static void
test_completion_delay (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  Log log = { text, context };
  guint delayed_id = next_source_id (context) + 1;
  GSource *delayed;

  entries_freed = 0;
  _interp_completion_push (context, G_PRIORITY_DEFAULT, 60 * 1000, entry_run,
                           entry_new (&log, 'd'), entry_free_counted);
  _interp_completion_push (context, G_PRIORITY_DEFAULT, 0, entry_run,
                           entry_new (&log, 'i'), entry_free_counted);
  iterate_until (context, text, 1);
  while (g_main_context_iteration (context, FALSE))
    ;
  /* The delayed one (a minute) has not run. */
  g_assert_cmpstr (text->str, ==, "i");
  g_assert_cmpuint (entries_freed, ==, 1);

  delayed = g_main_context_find_source_by_id (context, delayed_id);
  g_assert_nonnull (delayed);
  g_source_destroy (delayed);
  g_assert_cmpuint (entries_freed, ==, 2);
  g_assert_cmpstr (text->str, ==, "i");
}

static void
return_task_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GVariant) value = g_task_propagate_pointer (G_TASK (result), NULL);
  gint *got = data;

  *got = g_variant_get_int32 (value);
}

/* A task returned from another thread completes in its own context. */
static gpointer
return_task_thread (gpointer data)
{
  _interp_completion_return_task (data, g_variant_ref_sink (g_variant_new_int32 (42)), NULL);
  return NULL;
}

static void
test_completion_return_task (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint got = 0;
  GTask *task;

  g_main_context_push_thread_default (context);
  task = g_task_new (NULL, NULL, return_task_cb, &got);
  g_main_context_pop_thread_default (context);
  g_thread_join (g_thread_new ("return", return_task_thread, task));
  g_assert_cmpint (got, ==, 0);
  while (got == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpint (got, ==, 42);
}

/* ------------------------------------------------------------------ */
/* The notifier                                                        */

static guint notified_changes;
static guint notified_calls;

static void
record_changes (GObject *object,
                guint    changes)
{
  g_assert_true (G_IS_OBJECT (object));
  notified_changes |= changes;
  notified_calls++;
}

/* Three posts before the context runs: one call with every change. */
static void
test_notifier_coalesces (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
  InterpNotifier *notifier = _interp_notifier_new (object, context, G_PRIORITY_DEFAULT, 0,
                                                   record_changes);

  notified_changes = notified_calls = 0;
  _interp_notifier_post (notifier, 1);
  _interp_notifier_post (notifier, 2);
  _interp_notifier_post (notifier, 1);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (notified_calls, ==, 1);
  g_assert_cmpuint (notified_changes, ==, 3);

  /* The next change notifies again. */
  _interp_notifier_post (notifier, 4);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (notified_calls, ==, 2);
  _interp_notifier_unref (notifier);
}

/* The notifier holds its object weakly: gone, nothing is notified. */
static void
test_notifier_weak (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  InterpNotifier *notifier = _interp_notifier_new (object, context, G_PRIORITY_DEFAULT, 0,
                                                   record_changes);

  notified_calls = 0;
  _interp_notifier_post (notifier, 1);
  g_object_unref (object);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (notified_calls, ==, 0);
  _interp_notifier_unref (notifier);
}

/* ------------------------------------------------------------------ */
/* The cancellable waiter                                              */

typedef struct
{
  InterpCancelWaiter waiter;
  gint calls;                 /* atomic */
  gint destroyed;             /* atomic */
  gboolean finish_in_handler;
} Waiting;

static void
waiting_cancelled_cb (GCancellable *cancellable,
                      gpointer      data)
{
  Waiting *waiting = data;

  g_atomic_int_inc (&waiting->calls);
  if (waiting->finish_in_handler)
    _interp_cancel_waiter_finish (&waiting->waiter, TRUE);
}

static void
waiting_destroy (gpointer data)
{
  Waiting *waiting = data;

  g_atomic_int_inc (&waiting->destroyed);
}

static gboolean
has_handlers (GCancellable *cancellable)
{
  return g_signal_has_handler_pending (cancellable, g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE),
                                       0, FALSE);
}

/* Cancelled already: the handler runs inside the connect, and nothing
 * stays connected. */
static void
test_waiter_cancelled_already (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Waiting waiting = { INTERP_CANCEL_WAITER_INIT, 0, 0, TRUE };

  g_cancellable_cancel (cancellable);
  _interp_cancel_waiter_connect (&waiting.waiter, cancellable, G_CALLBACK (waiting_cancelled_cb),
                                 &waiting, waiting_destroy);
  g_assert_cmpint (waiting.calls, ==, 1);
  g_assert_cmpint (waiting.destroyed, ==, 1);
  g_assert_false (_interp_cancel_waiter_is_connected (&waiting.waiter));
  _interp_cancel_waiter_finish (&waiting.waiter, FALSE);
  g_assert_false (has_handlers (cancellable));
}

/* Delivered before it was connected: it is never connected. */
static void
test_waiter_finished_first (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Waiting waiting = { INTERP_CANCEL_WAITER_INIT, 0, 0, FALSE };

  _interp_cancel_waiter_finish (&waiting.waiter, FALSE);
  _interp_cancel_waiter_connect (&waiting.waiter, cancellable, G_CALLBACK (waiting_cancelled_cb),
                                 &waiting, waiting_destroy);
  g_assert_cmpint (waiting.destroyed, ==, 1);
  g_assert_false (has_handlers (cancellable));
  g_cancellable_cancel (cancellable);
  g_assert_cmpint (waiting.calls, ==, 0);
}

/* Ended by its own handler: the handler goes when it returns, not when
 * the cancellable is finalized. */
static void
test_waiter_finish_in_handler (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Waiting waiting = { INTERP_CANCEL_WAITER_INIT, 0, 0, TRUE };

  _interp_cancel_waiter_connect (&waiting.waiter, cancellable, G_CALLBACK (waiting_cancelled_cb),
                                 &waiting, waiting_destroy);
  g_assert_true (_interp_cancel_waiter_is_connected (&waiting.waiter));
  g_cancellable_cancel (cancellable);
  g_assert_cmpint (waiting.calls, ==, 1);
  g_assert_cmpint (waiting.destroyed, ==, 1);
  g_assert_false (has_handlers (cancellable));
  _interp_cancel_waiter_finish (&waiting.waiter, FALSE);
}

/* Delivered normally: the handler goes, and a later cancel calls nobody. */
static void
test_waiter_delivered (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Waiting waiting = { INTERP_CANCEL_WAITER_INIT, 0, 0, FALSE };

  _interp_cancel_waiter_connect (&waiting.waiter, cancellable, G_CALLBACK (waiting_cancelled_cb),
                                 &waiting, waiting_destroy);
  _interp_cancel_waiter_finish (&waiting.waiter, FALSE);
  _interp_cancel_waiter_finish (&waiting.waiter, FALSE);
  g_assert_cmpint (waiting.destroyed, ==, 1);
  g_assert_false (has_handlers (cancellable));
  g_cancellable_cancel (cancellable);
  g_assert_cmpint (waiting.calls, ==, 0);
}

static gpointer
finish_thread (gpointer data)
{
  Waiting *waiting = data;

  _interp_cancel_waiter_finish (&waiting->waiter, FALSE);
  return NULL;
}

/* A delivery on another thread while the waiter connects: whoever comes
 * second disconnects, exactly once. */
static void
test_waiter_connect_races_delivery (void)
{
  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Waiting waiting = { INTERP_CANCEL_WAITER_INIT, 0, 0, FALSE };
      GThread *thread = g_thread_new ("finish", finish_thread, &waiting);

      _interp_cancel_waiter_connect (&waiting.waiter, cancellable,
                                     G_CALLBACK (waiting_cancelled_cb), &waiting, waiting_destroy);
      g_thread_join (thread);
      g_assert_cmpint (waiting.destroyed, ==, 1);
      g_assert_false (has_handlers (cancellable));
      g_assert_false (_interp_cancel_waiter_is_connected (&waiting.waiter));
    }
}

typedef struct
{
  GMutex lock;
  GCond cond;
  GCancellable *cancellable;
  gboolean waiting;
} SyncWait;

static gpointer
sync_wait_thread (gpointer data)
{
  SyncWait *wait = data;
  InterpCancelWaiter wake = INTERP_CANCEL_WAITER_INIT;

  _interp_cancel_waiter_connect_wake (&wake, wait->cancellable, &wait->lock, &wait->cond);
  g_mutex_lock (&wait->lock);
  wait->waiting = TRUE;
  g_cond_broadcast (&wait->cond);
  while (!g_cancellable_is_cancelled (wait->cancellable))
    g_cond_wait (&wait->cond, &wait->lock);
  g_mutex_unlock (&wait->lock);
  _interp_cancel_waiter_finish (&wake, FALSE);
  return NULL;
}

/* A sync wait on a condition is woken by the cancel. */
static void
test_waiter_wake (void)
{
  SyncWait wait = { 0 };
  GThread *thread;

  g_mutex_init (&wait.lock);
  g_cond_init (&wait.cond);
  wait.cancellable = g_cancellable_new ();
  thread = g_thread_new ("wait", sync_wait_thread, &wait);
  g_mutex_lock (&wait.lock);
  while (!wait.waiting)
    g_cond_wait (&wait.cond, &wait.lock);
  g_mutex_unlock (&wait.lock);
  g_cancellable_cancel (wait.cancellable);
  g_thread_join (thread);
  g_assert_false (has_handlers (wait.cancellable));
  g_object_unref (wait.cancellable);
  g_mutex_clear (&wait.lock);
  g_cond_clear (&wait.cond);
}

/* ------------------------------------------------------------------ */
/* Deferred effects                                                    */

static void
append_effect (gpointer owner,
               gpointer data)
{
  g_string_append_c (owner, GPOINTER_TO_INT (data));
}

/* Effects run in the order added, past the ones kept on the stack, and
 * an effect may add more. */
static void
test_deferred_order (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  InterpDeferred deferred;
  const char *names = "abcdefghij";

  _interp_deferred_init (&deferred, text);
  for (const char *c = names; *c != '\0'; c++)
    _interp_deferred_add (&deferred, append_effect, GINT_TO_POINTER (*c));
  g_assert_cmpstr (text->str, ==, "");
  _interp_deferred_run (&deferred);
  g_assert_cmpstr (text->str, ==, names);

  /* Empty again, and usable. */
  _interp_deferred_run (&deferred);
  g_assert_cmpstr (text->str, ==, names);
  _interp_deferred_add (&deferred, append_effect, GINT_TO_POINTER ('k'));
  _interp_deferred_run (&deferred);
  g_assert_cmpstr (text->str, ==, "abcdefghijk");
}

/* ------------------------------------------------------------------ */
/* The lean GAsyncResult                                               */

typedef struct
{
  GObject *source;
  GMainContext *context;
  gint value;
  GError *error;
  gboolean called;
  gboolean tagged;
  GMainContext *thread_default;  /* while the callback ran */
} ResultSeen;

static void
async_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  ResultSeen *seen = data;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GObject) source_object = g_async_result_get_source_object (result);

  g_assert_true (source == seen->source);
  g_assert_true (source_object == seen->source);
  g_assert_true (g_async_result_get_user_data (result) == data);
  g_assert_true (_interp_async_result_is_valid (result, seen->source));
  g_assert_false (_interp_async_result_is_valid (result, NULL));
  seen->tagged = g_async_result_is_tagged (result, async_result_cb);
  seen->thread_default = g_main_context_get_thread_default ();
  value = _interp_async_result_propagate (result, &seen->error);
  seen->value = value != NULL ? g_variant_get_int32 (value) : -1;
  seen->called = TRUE;
}

static gpointer
async_result_thread (gpointer data)
{
  _interp_async_result_return (data, g_variant_ref_sink (g_variant_new_int32 (7)), NULL);
  return NULL;
}

/* Completes in the creator's thread-default context, never inside the
 * return; with a cancellable cancelled by then, as a GTask does, with
 * G_IO_ERROR_CANCELLED; a result from any thread. */
static void
test_async_result (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  ResultSeen seen = { source, context };
  InterpAsyncResult *result;

  g_main_context_push_thread_default (context);
  result = _interp_async_result_new (source, NULL, NULL, async_result_cb, &seen, async_result_cb);
  g_main_context_pop_thread_default (context);
  g_thread_join (g_thread_new ("return", async_result_thread, result));
  g_assert_false (seen.called);
  while (!seen.called)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpint (seen.value, ==, 7);
  g_assert_no_error (seen.error);
  g_assert_true (seen.tagged);
  /* Iterated from a thread that had not pushed it: pushed meanwhile. */
  g_assert_true (seen.thread_default == context);
  g_assert_null (g_main_context_get_thread_default ());

  /* An error, from the creator's own thread: still through the context. */
  memset (&seen, 0, sizeof seen);
  seen.source = source;
  result = _interp_async_result_new (source, NULL, NULL, async_result_cb, &seen, NULL);
  _interp_async_result_return (result, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "no"));
  g_assert_false (seen.called);
  while (!seen.called)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (seen.error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_false (seen.tagged);
  g_clear_error (&seen.error);

  /* Cancelled after the value came, before it was taken. */
  memset (&seen, 0, sizeof seen);
  seen.source = source;
  result = _interp_async_result_new (source, NULL, cancellable, async_result_cb, &seen, NULL);
  _interp_async_result_return (result, g_variant_ref_sink (g_variant_new_int32 (1)), NULL);
  g_cancellable_cancel (cancellable);
  while (!seen.called)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (seen.value, ==, -1);
  g_assert_error (seen.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&seen.error);
}

/* ------------------------------------------------------------------ */
/* The spin budget                                                     */

/* As many threads spin at once as leave one core free, and none on one
 * core; a thread that stops spinning gives its place back. */
static void
test_spin_budget (void)
{
  gint n_cpus = g_get_num_processors ();
  gint allowed = n_cpus > 1 ? n_cpus - 1 : 0;
  gint value = 0;

  for (gint i = 0; i < allowed; i++)
    g_assert_true (_interp_spin_begin ());
  g_assert_false (_interp_spin_begin ());
  /* Over budget, a spin looks once and returns at once. */
  g_assert_false (_interp_spin_until_nonzero (&value, G_TIME_SPAN_HOUR));
  for (gint i = 0; i < allowed; i++)
    _interp_spin_end ();
  g_assert_cmpint (g_atomic_int_get (&_interp_spinners), ==, 0);
  if (allowed > 0)
    {
      g_assert_true (_interp_spin_begin ());
      _interp_spin_end ();
    }
  value = 1;
  g_assert_true (_interp_spin_until_nonzero (&value, 10));
}

/* ------------------------------------------------------------------ */
/* Blocks kept for reuse                                               */

typedef struct
{
  gpointer a, b, c;
} Block;

/* A given block comes back, zeroed, to the next take (on any thread);
 * past the limit, given blocks are freed, not kept. */
static void
test_spares_reuse (void)
{
  static InterpSpares spares = INTERP_SPARES_INIT (Block, 2);
  Block *first = _interp_spares_take (&spares);
  Block *blocks[3];
  gboolean seen[2] = { FALSE };

  first->a = first->b = first->c = first;
  _interp_spares_give (&spares, first);
  g_assert_true (_interp_spares_take (&spares) == (gpointer) first);
  g_assert_null (first->a);
  g_assert_null (first->c);

  /* Three given, two kept (the third freed): the next two takes give
   * back the two kept. */
  blocks[0] = first;
  blocks[1] = _interp_spares_take (&spares);
  blocks[2] = _interp_spares_take (&spares);
  for (guint i = 0; i < 3; i++)
    _interp_spares_give (&spares, blocks[i]);
  g_assert_cmpint (g_atomic_int_get (&spares.n_stack), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      Block *block = _interp_spares_take (&spares);

      for (guint j = 0; j < 2; j++)
        seen[j] |= block == blocks[j];
      g_free (block);
    }
  g_assert_true (seen[0] && seen[1]);
  g_assert_null (g_atomic_pointer_get (&spares.stack));
  g_assert_null (g_private_get (&spares.local));
}

static gpointer
give_thread (gpointer data)
{
  InterpSpares *spares = data;

  for (guint i = 0; i < 1000; i++)
    _interp_spares_give (spares, g_malloc0 (sizeof (Block)));
  return NULL;
}

/* Blocks given on other threads, at the same time, are all taken here
 * (up to the limit), none twice: the stack loses and repeats nothing. */
static void
test_spares_threads (void)
{
  static InterpSpares spares = INTERP_SPARES_INIT (Block, 100000);
  GThread *threads[4];
  GHashTable *taken = g_hash_table_new_full (NULL, NULL, g_free, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("give", give_thread, &spares);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < 4000; i++)
    {
      Block *block = _interp_spares_take (&spares);

      g_assert_false (g_hash_table_contains (taken, block));
      g_hash_table_add (taken, block);
    }
  /* All 4000 came from the stack: the next take is a new block's. */
  g_assert_null (g_atomic_pointer_get (&spares.stack));
  g_assert_null (g_private_get (&spares.local));
  g_hash_table_unref (taken);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/completion/order-one-source", test_completion_order_one_source);
  g_test_add_func ("/completion/push-from-callback", test_completion_push_from_callback);
  g_test_add_func ("/completion/delay", test_completion_delay);
  g_test_add_func ("/completion/return-task", test_completion_return_task);
  g_test_add_func ("/notifier/coalesces", test_notifier_coalesces);
  g_test_add_func ("/notifier/weak", test_notifier_weak);
  g_test_add_func ("/cancel-waiter/cancelled-already", test_waiter_cancelled_already);
  g_test_add_func ("/cancel-waiter/finished-first", test_waiter_finished_first);
  g_test_add_func ("/cancel-waiter/finish-in-handler", test_waiter_finish_in_handler);
  g_test_add_func ("/cancel-waiter/delivered", test_waiter_delivered);
  g_test_add_func ("/cancel-waiter/connect-races-delivery", test_waiter_connect_races_delivery);
  g_test_add_func ("/cancel-waiter/wake", test_waiter_wake);
  g_test_add_func ("/deferred/order", test_deferred_order);
  g_test_add_func ("/spin/budget", test_spin_budget);
  g_test_add_func ("/spares/reuse", test_spares_reuse);
  g_test_add_func ("/spares/threads", test_spares_threads);
  g_test_add_func ("/completion/async-result", test_async_result);
  return g_test_run ();
}
