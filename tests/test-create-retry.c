/* test-create-retry.c: a creation that CPython fails now and then
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run with fail-create.so preloaded: CPython's interpreter creation then
 * fails on request, as it does now and then while another thread creates
 * or ends an interpreter. A failure or two is tried again unseen; a
 * creation that keeps failing comes back as one GError, and nothing is
 * lost.
 */

#include "test-common.h"

#include <dlfcn.h>

static void (*creations_fail) (int n);
static int (*creations_called) (void);

static void
test_failures_retried (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = NULL;

  creations_fail (2);
  interp = interp_interpreter_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (creations_called (), ==, 3);
  assert_interpreter_works (interp);
}

static void
test_failures_reported (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = NULL;

  creations_fail (1000);
  interp = interp_interpreter_new (NULL, &error);
  g_assert_cmpint (creations_called (), ==, 3);
  creations_fail (0);
  g_assert_null (interp);
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "Could not create an interpreter"));
  g_assert_null (strchr (error->message, '\n'));

  /* Nothing was lost: the next one works. */
  g_clear_error (&error);
  interp = interp_interpreter_new (NULL, &error);
  g_assert_no_error (error);
  assert_interpreter_works (interp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  *(void **) &creations_fail = dlsym (RTLD_DEFAULT, "interp_test_creations_fail");
  *(void **) &creations_called = dlsym (RTLD_DEFAULT, "interp_test_creations_called");
  if (creations_fail == NULL || creations_called == NULL)
    {
      g_test_skip ("fail-create.so is not preloaded");
      return g_test_run ();
    }

  g_test_add_func ("/create-retry/failures-retried", test_failures_retried);
  g_test_add_func ("/create-retry/failures-reported", test_failures_reported);
  return g_test_run ();
}
