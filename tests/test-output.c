/* test-output.c: capturing an interpreter's sys.stdout and sys.stderr
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-common.h"

typedef struct
{
  GString *out;
  GString *err;
  guint lines;
} Captured;

static void
output_cb (InterpInterpreter *interp,
           InterpStream       stream,
           const char        *text,
           gpointer           user_data)
{
  Captured *captured = user_data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_string_append (stream == INTERP_STREAM_STDERR ? captured->err : captured->out, text);
  captured->lines++;
}

static void
test_capture (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  g_autoptr(InterpInterpreter) other = new_interpreter ();
  Captured captured = { g_string_new (NULL), g_string_new (NULL), 0 };
  g_autoptr(GError) error = NULL;

  g_signal_connect (interp, "output", G_CALLBACK (output_cb), &captured);
  g_signal_connect (other, "output", G_CALLBACK (output_cb), &captured);
  g_assert_false (interp_interpreter_get_capture_output (interp));

  g_assert_true (interp_interpreter_set_capture_output (interp, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (interp_interpreter_get_capture_output (interp));

  exec_ok (interp,
           "import sys\n"
           "print('hello')\n"
           "print('two', 'words', sep='-')\n"
           "sys.stderr.write('oops\\n')\n"
           "for i in range(3):\n"
           "    print(i, end=' ')\n");
  /* Not captured: the other interpreter prints to the process's stdout. */
  exec_ok (other, "print('# not captured: this line goes to the test log')\n");
  drain_main_context ();

  g_assert_cmpstr (captured.out->str, ==, "hello\ntwo-words\n0 1 2 ");
  g_assert_cmpstr (captured.err->str, ==, "oops\n");

  /* Exceptions are still errors, and what was printed first arrives. */
  g_string_truncate (captured.out, 0);
  g_assert_false (interp_interpreter_exec (interp, "print('before')\n1/0\n", NULL, &error));
  g_assert_error (error, INTERP_ERROR, INTERP_ERROR_EXECUTION_FAILED);
  g_clear_error (&error);
  drain_main_context ();
  g_assert_cmpstr (captured.out->str, ==, "before\n");

  /* Off again: nothing more arrives. */
  g_assert_true (interp_interpreter_set_capture_output (interp, FALSE, &error));
  g_assert_false (interp_interpreter_get_capture_output (interp));
  g_string_truncate (captured.out, 0);
  exec_ok (interp, "print('# uncaptured line from the test')\n");
  drain_main_context ();
  g_assert_cmpstr (captured.out->str, ==, "");
  g_assert_true (eval_bool (interp, "__import__('sys').stdout is __import__('sys').__stdout__"));

  g_string_free (captured.out, TRUE);
  g_string_free (captured.err, TRUE);
}

static void
test_capture_many_lines (void)
{
  g_autoptr(InterpInterpreter) interp = new_interpreter ();
  Captured captured = { g_string_new (NULL), g_string_new (NULL), 0 };
  g_autoptr(GError) error = NULL;

  g_signal_connect (interp, "output", G_CALLBACK (output_cb), &captured);
  g_assert_true (interp_interpreter_set_capture_output (interp, TRUE, &error));
  exec_ok (interp, "for i in range(2000):\n    print(i)\n");
  drain_main_context ();
  g_assert_cmpuint (captured.lines, ==, 2000);
  g_assert_true (g_str_has_prefix (captured.out->str, "0\n1\n2\n"));
  g_assert_true (g_str_has_suffix (captured.out->str, "1998\n1999\n"));
  g_string_free (captured.out, TRUE);
  g_string_free (captured.err, TRUE);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/output/capture", test_capture);
  g_test_add_func ("/output/capture-many-lines", test_capture_many_lines);

  return finish_tests ();
}
