/* hello.c: the smallest interp-glib program
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <interp-glib.h>

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpInterpreter) interp = NULL;
  g_autoptr(GVariant) result = NULL;

  interp = interp_interpreter_new (NULL, &error);
  if (interp == NULL ||
      !interp_interpreter_exec (interp, "def greet(name):\n    return f'Hello, {name}!'\n", NULL, &error) ||
      (result = interp_interpreter_call (interp, "greet", g_variant_new ("(s)", "GLib"), NULL, NULL, &error)) == NULL)
    {
      g_printerr ("Python failed: %s\n", error->message);
      return 1;
    }

  g_print ("%s\n", g_variant_get_string (result, NULL));  /* Hello, GLib! */
  return 0;
}
