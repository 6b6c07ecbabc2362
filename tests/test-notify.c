/* test-notify.c: property notifications and the debug log
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * InterpInterpreter:running and :closed change on the interpreter's thread
 * and are notified, coalesced, in the creator's main context;
 * :capture-output is a read-write property. With G_MESSAGES_DEBUG=Interp
 * the library logs what its interpreters do, with their ids.
 */

#include "test-common.h"

typedef struct
{
  GThread *thread;            /* where the handler must run */
  guint running_notifies;
  guint closed_notifies;
  guint capture_notifies;
  gboolean saw_running;       /* a running notify that read TRUE */
  gboolean saw_idle_after;    /* a running notify that read FALSE after one that read TRUE */
  gboolean saw_closed;
  gboolean wrong_thread;
} Notes;

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  Notes *notes = user_data;
  InterpInterpreter *interp = INTERP_INTERPRETER (object);

  if (g_thread_self () != notes->thread)
    notes->wrong_thread = TRUE;

  if (g_str_equal (pspec->name, "running"))
    {
      gboolean running;

      notes->running_notifies++;
      g_object_get (object, "running", &running, NULL);
      g_assert_cmpint (running, ==, interp_interpreter_is_running (interp));
      if (running)
        notes->saw_running = TRUE;
      else if (notes->saw_running)
        notes->saw_idle_after = TRUE;
    }
  else if (g_str_equal (pspec->name, "closed"))
    {
      notes->closed_notifies++;
      if (interp_interpreter_is_closed (interp))
        notes->saw_closed = TRUE;
    }
  else if (g_str_equal (pspec->name, "capture-output"))
    notes->capture_notifies++;
}

static void
watch (InterpInterpreter *interp,
       Notes             *notes)
{
  *notes = (Notes) { .thread = g_thread_self () };
  g_signal_connect (interp, "notify", G_CALLBACK (notify_cb), notes);
}

/* A long call: running goes TRUE, then FALSE once it is cancelled, each
 * notified on this thread while the main context runs. */
static void
test_running (void)
{
  g_autoptr(TestInterp) interp = new_interpreter ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Notes notes;
  Counts counts = { 0 };

  drain_main_context ();
  watch (interp, &notes);
  g_assert_false (interp_interpreter_is_running (interp));

  interp_interpreter_exec_async (interp, "while True: pass", cancellable, count_exec_cb, &counts);
  while (!notes.saw_running)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (interp_interpreter_is_running (interp));

  g_cancellable_cancel (cancellable);
  wait_for_completions (&counts, 1);
  g_assert_cmpuint (counts.cancelled, ==, 1);
  while (!notes.saw_idle_after)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (interp_interpreter_is_running (interp));
  g_assert_false (notes.wrong_thread);
  g_assert_cmpuint (notes.closed_notifies, ==, 0);
}

/* Many calls while nobody iterates the context: one idle, one notify. */
static void
test_coalesced (void)
{
  g_autoptr(TestInterp) interp = new_interpreter ();
  Notes notes;

  drain_main_context ();
  watch (interp, &notes);
  for (guint i = 0; i < 200; i++)
    g_assert_cmpint (eval_int (interp, "6 * 7"), ==, 42);
  g_assert_cmpuint (notes.running_notifies, ==, 0);
  while (notes.running_notifies == 0)
    g_main_context_iteration (NULL, TRUE);
  drain_main_context ();
  g_assert_cmpuint (notes.running_notifies, ==, 1);
  g_assert_false (notes.saw_running);  /* read after the calls: not running */
}

static void
test_closed (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { 0 };
  Notes notes;

  drain_main_context ();
  watch (interp, &notes);
  g_assert_false (interp_interpreter_is_closed (interp));
  interp_interpreter_close_async (interp, NULL, async_wait_cb, &wait);
  g_assert_true (interp_interpreter_close_finish (interp, async_wait_run (&wait), &error));
  g_assert_no_error (error);
  while (!notes.saw_closed)
    g_main_context_iteration (NULL, TRUE);
  drain_main_context ();
  g_assert_cmpuint (notes.closed_notifies, ==, 1);
  g_assert_false (notes.wrong_thread);
  async_wait_clear (&wait);
}

/* An interpreter created in a thread with a context of its own notifies
 * in that context, on that thread. */
static gpointer
other_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();
  Notes *notes = data;
  InterpInterpreter *interp;

  g_main_context_push_thread_default (context);
  interp = new_interpreter ();
  watch (interp, notes);
  g_assert_cmpint (eval_int (interp, "1 + 1"), ==, 2);
  while (notes->running_notifies == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_true (interp_interpreter_close (interp, NULL));
  while (notes->closed_notifies == 0)
    g_main_context_iteration (context, TRUE);
  g_object_unref (interp);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
test_creator_context (void)
{
  Notes notes = { 0 };
  GThread *thread;

  thread = g_thread_new ("notify-test", other_thread, &notes);
  g_thread_join (thread);
  g_assert_cmpuint (notes.running_notifies, ==, 1);
  g_assert_cmpuint (notes.closed_notifies, ==, 1);
  g_assert_false (notes.wrong_thread);
}

/* A pending notification must not keep the interpreter alive: a program
 * that never iterates its main context still closes what it drops. */
static void
test_pending_keeps_nothing (void)
{
  InterpInterpreter *interp = new_interpreter ();
  gpointer weak = interp;
  Notes notes;

  drain_main_context ();
  watch (interp, &notes);
  g_object_add_weak_pointer (G_OBJECT (interp), &weak);
  g_assert_cmpint (eval_int (interp, "2 ** 10"), ==, 1024);
  g_object_unref (interp);
  g_assert_null (weak);
  drain_main_context ();
  g_assert_cmpuint (notes.running_notifies, ==, 0);
}

static void
output_cb (InterpInterpreter *interp,
           InterpStream       stream,
           const char        *text,
           gpointer           user_data)
{
  g_string_append (user_data, text);
}

static void
test_capture_output_property (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestInterp) interp = new_interpreter ();
  g_autoptr(TestInterp) constructed = NULL;
  g_autoptr(GString) out = g_string_new ("");
  Notes notes;
  gboolean capture = TRUE;

  watch (interp, &notes);
  g_object_get (interp, "capture-output", &capture, NULL);
  g_assert_false (capture);

  g_object_set (interp, "capture-output", TRUE, NULL);
  g_assert_true (interp_interpreter_get_capture_output (interp));
  g_assert_cmpuint (notes.capture_notifies, ==, 1);
  g_object_set (interp, "capture-output", TRUE, NULL);   /* no change: no notify */
  g_assert_cmpuint (notes.capture_notifies, ==, 1);
  g_assert_true (interp_interpreter_set_capture_output (interp, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (notes.capture_notifies, ==, 2);
  g_object_get (interp, "capture-output", &capture, NULL);
  g_assert_false (capture);

  /* Given at construction, it applies once the interpreter stands. */
  constructed = g_initable_new (INTERP_TYPE_INTERPRETER, NULL, &error,
                                "capture-output", TRUE, NULL);
  g_assert_no_error (error);
  g_assert_true (interp_interpreter_get_capture_output (constructed));
  g_signal_connect (constructed, "output", G_CALLBACK (output_cb), out);
  exec_ok (constructed, "print('captured')");
  while (strstr (out->str, "captured\n") == NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* ------------------------------------------------------------------ */
/* The debug log, in a child process that sets G_MESSAGES_DEBUG first  */

static void
run_logged_session (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) queued = g_cancellable_new ();
  g_autoptr(GCancellable) running = g_cancellable_new ();
  InterpInterpreter *interp;
  InterpInterpreter *busy;
  Counts counts = { 0 };

  interp = new_interpreter ();
  busy = new_interpreter ();
  g_print ("ids %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
           interp_interpreter_get_id (interp), interp_interpreter_get_id (busy));

  exec_ok (interp, "x = 1");
  g_assert_null (interp_interpreter_eval (interp, "1 / 0", NULL, &error));
  g_clear_error (&error);

  /* One running job cancelled, one queued behind it cancelled. */
  interp_interpreter_exec_async (interp, "while True: pass", running, count_exec_cb, &counts);
  interp_interpreter_exec_async (interp, "y = 2", queued, count_exec_cb, &counts);
  while (!interp_interpreter_is_running (interp))
    g_usleep (1000);
  g_cancellable_cancel (queued);
  g_cancellable_cancel (running);
  wait_for_completions (&counts, 2);
  g_assert_cmpuint (counts.cancelled, ==, 2);
  test_interp_free (interp);

  /* interp_shutdown() interrupts what still runs. */
  interp_interpreter_exec_async (busy, "while True: pass", NULL, count_exec_cb, &counts);
  while (!interp_interpreter_is_running (busy))
    g_usleep (1000);
  g_assert_true (interp_shutdown (&error));
  g_assert_no_error (error);
  wait_for_completions (&counts, 3);
  g_object_unref (busy);
}

static void
test_debug_log (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("G_MESSAGES_DEBUG", "Interp", TRUE);
      run_logged_session ();
      return;
    }

  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter * created (*GIL)*");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter *: job * (call) started*");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter *: job * ended after * ms\n*");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter *: job * ended after * ms with an error: ZeroDivisionError*");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter *: job * cancelled while queued: dropped*");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter *: job * cancelled while running: interrupting it*");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter *: interrupting job *: *");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter * closing: * queued job* dropped*");
  g_test_trap_assert_stdout ("*Interp-DEBUG*Interpreter * closed*");
}

static void
test_debug_log_off (void)
{
  if (g_test_subprocess ())
    {
      g_unsetenv ("G_MESSAGES_DEBUG");
      run_logged_session ();
      return;
    }

  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("ids *");
  g_test_trap_assert_stdout_unmatched ("*Interp-DEBUG*");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/notify/running", test_running);
  g_test_add_func ("/notify/coalesced", test_coalesced);
  g_test_add_func ("/notify/closed", test_closed);
  g_test_add_func ("/notify/creator-context", test_creator_context);
  g_test_add_func ("/notify/pending-keeps-nothing", test_pending_keeps_nothing);
  g_test_add_func ("/notify/capture-output-property", test_capture_output_property);
  g_test_add_func ("/log/debug", test_debug_log);
  g_test_add_func ("/log/debug-off", test_debug_log_off);

  /* The log children end with interp_shutdown() themselves. */
  if (g_test_subprocess ())
    return g_test_run ();
  return finish_tests ();
}
