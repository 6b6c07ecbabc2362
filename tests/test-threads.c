/* test-threads.c: when no thread can be started
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run with no-threads.so preloaded: pthread_create() then fails on
 * request, as under `ulimit -u` or `ulimit -v`. Each failure must come back
 * as a GError (a failed interpreter creation, a broken pool), never as
 * GLib's abort for g_thread_new().
 */

#include "test-common.h"

#include <dlfcn.h>

static void (*threads_allow) (int n);

/* @n more threads may start; -1: any number. */
static void
allow (int n)
{
  threads_allow (n);
}

static void
test_interpreter_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = NULL;
  g_autoptr(InterpInterpreter) main_interp = interp_get_main ();

  g_assert_nonnull (main_interp);
  allow (0);
  interp = interp_interpreter_new (NULL, &error);
  allow (-1);
  g_assert_null (interp);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME);
  g_assert_nonnull (strstr (error->message, "Could not start a thread for the interpreter"));
  g_assert_null (strchr (error->message, '\n'));

  /* Nothing was lost: the next one works. */
  g_clear_error (&error);
  interp = interp_interpreter_new (NULL, &error);
  g_assert_no_error (error);
  assert_interpreter_works (interp);
}

/* One thread is all an interpreter needs: on 3.11 the GIL ticker that
 * cannot start is done without. */
static void
test_one_thread_enough (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = NULL;

  allow (1);
  interp = interp_interpreter_new (NULL, &error);
  allow (-1);
  g_assert_no_error (error);
  exec_ok (interp, "x = sum(range(1000))\n");
  g_assert_true (eval_bool (interp, "x == 499500"));
}

static void
test_pool_timer (void)
{
  g_autoptr(GError) error = NULL;
  InterpPool *pool;

  allow (0);
  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 2, NULL);
  allow (-1);
  g_assert_null (pool);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME);
  g_assert_nonnull (strstr (error->message, "timer thread"));
}

/* @allowed threads after the pool's own: 0, the worker's thread fails; 1,
 * its interpreter's. */
static void
check_pool_broken (int         allowed,
                   const char *why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error, "max-workers", 4, NULL);
  g_autoptr(GVariant) result = NULL;

  g_assert_no_error (error);
  allow (allowed);
  result = interp_pool_call (pool, "builtins:abs", g_variant_new ("(x)", (gint64) -3), NULL, NULL, &error);
  allow (-1);
  g_assert_null (result);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
  g_assert_nonnull (strstr (error->message, why));
  g_assert_null (strchr (error->message, '\n'));

  /* Broken for good, as the docs say, and it shuts down. */
  g_clear_error (&error);
  result = interp_pool_call (pool, "builtins:abs", g_variant_new ("(x)", (gint64) -3), NULL, NULL, &error);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_BROKEN);
  g_clear_error (&error);
  g_assert_true (interp_pool_shutdown (pool, FALSE, NULL, &error));
  g_assert_no_error (error);
}

static void
test_pool_spawn (void)
{
  check_pool_broken (0, "could not start a thread for a worker");
}

static void
test_pool_worker_interpreter (void)
{
  check_pool_broken (1, "could not make a worker: Could not start a thread for the interpreter");
}

/* The interrupt of a timed-out call needs a thread: without one the code
 * runs on, and the timeout still wins after the grace period. */
static void
test_pool_timeout_without_interrupter (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                                               "max-workers", 1, "min-workers", 1,
                                               "task-timeout", 1000, "grace-period", 100,
                                               "initializer",
                                               "import time\n"
                                               "def spin(seconds):\n"
                                               "    end = time.monotonic() + seconds\n"
                                               "    while time.monotonic() < end:\n"
                                               "        pass\n",
                                               NULL);
  g_autoptr(GVariant) result = NULL;

  g_assert_no_error (error);
  allow (0);
  /* The timeout covers the initializer too: 1 s leaves it room on a
   * loaded machine, and the spin outlasts the timeout and the grace. */
  result = interp_pool_call (pool, "spin", g_variant_new ("(d)", 3.0), NULL, NULL, &error);
  allow (-1);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  *(void **) &threads_allow = dlsym (RTLD_DEFAULT, "interp_test_threads_allow");
  if (threads_allow == NULL)
    {
      g_test_skip ("no-threads.so is not preloaded");
      return g_test_run ();
    }

  g_test_add_func ("/threads/interpreter-new", test_interpreter_new);
  g_test_add_func ("/threads/one-thread-enough", test_one_thread_enough);
  g_test_add_func ("/threads/pool-timer", test_pool_timer);
  g_test_add_func ("/threads/pool-spawn", test_pool_spawn);
  g_test_add_func ("/threads/pool-worker-interpreter", test_pool_worker_interpreter);
  g_test_add_func ("/threads/pool-timeout-without-interrupter", test_pool_timeout_without_interrupter);

  return finish_tests ();
}
