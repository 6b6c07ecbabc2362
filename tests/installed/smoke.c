/* smoke.c: interp-glib from C against an installed prefix: create an
 * interpreter, call with C values, catch a Python exception whose message
 * is one line and whose snapshot holds the traceback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <interp-glib.h>
#include <string.h>

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = interp_interpreter_new (NULL, &error);
  g_autoptr(GVariant) result = NULL;
  g_autoptr(InterpExceptionInfo) info = NULL;

  if (interp == NULL ||
      !interp_interpreter_exec_full (interp, "def area(w, h):\n    return w * h\n"
                                     "def fail(x):\n    return x / 0\n", "shapes.py", NULL, &error))
    {
      g_printerr ("C: %s\n", error->message);
      return 1;
    }
  result = interp_interpreter_call (interp, "area", g_variant_new ("(xd)", (gint64) 3, 2.5), NULL, NULL, &error);
  if (result == NULL || g_variant_get_double (result) != 7.5)
    {
      g_printerr ("C: call failed\n");
      return 1;
    }
  if (interp_interpreter_call (interp, "fail", g_variant_new ("(x)", (gint64) 1), NULL, NULL, &error) != NULL)
    return 1;
  info = interp_exception_info_from_error (error);
  if (strcmp (error->message, "ZeroDivisionError: division by zero") != 0 || info == NULL ||
      strstr (interp_exception_info_get_traceback (info), "File \"shapes.py\", line 4, in fail\n    return x / 0\n") == NULL ||
      interp_exception_info_get_interpreter_id (info) != interp_interpreter_get_id (interp))
    {
      g_printerr ("C: unexpected error %s\n", error->message);
      return 1;
    }
  g_print ("C: %s\n", error->message);
  g_clear_object (&interp);
  return interp_shutdown (NULL) ? 0 : 1;
}
