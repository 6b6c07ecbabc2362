/* test-free-threaded.c: a free-threaded host of the right major.minor is refused
 *
 * Runs with tests/fake-free-threaded.c preloaded (see tests/meson.build).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "test-common.h"

static void
test_free_threaded_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  InterpInterpreter *interp;

  /* The shim must be active, or this test proves nothing. */
  g_assert_nonnull (strstr (Py_GetVersion (), "free-threading build"));

  g_assert_false (interp_init (&error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_RUNTIME);
  g_assert_nonnull (strstr (error->message, "free-threaded build"));
  g_assert_nonnull (strstr (error->message, "with the GIL"));
  g_assert_null (strchr (error->message, '\n'));

  /* Refused for good, and without starting Python. */
  interp = interp_interpreter_new (NULL, &again);
  g_assert_null (interp);
  g_assert_error (again, INTERP_ERROR, INTERP_ERROR_RUNTIME);
  g_assert_cmpstr (again->message, ==, error->message);
  g_assert_false (Py_IsInitialized ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/runtime/free-threaded-refused", test_free_threaded_refused);
  return g_test_run ();
}
