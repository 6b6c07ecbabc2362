/* test-values.c: the GVariant <-> Python mapping, both ways
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-common.h"

static InterpInterpreter *interp;

/* GVariant -> Python: `describe` reports the Python type and repr. */
static void
test_to_python (void)
{
  struct { const char *variant; const char *python; } cases[] = {
    { "true", "bool:True" },
    { "byte 0xff", "int:255" },
    { "int16 -3", "int:-3" },
    { "uint16 65535", "int:65535" },
    { "int32 -2147483648", "int:-2147483648" },
    { "uint32 4294967295", "int:4294967295" },
    { "int64 -9223372036854775808", "int:-9223372036854775808" },
    { "uint64 18446744073709551615", "int:18446744073709551615" },
    { "handle 4", "int:4" },
    { "2.5", "float:2.5" },
    { "'héllo'", "str:'héllo'" },
    { "objectpath '/org/x'", "str:'/org/x'" },
    { "signature 'a{sv}'", "str:'a{sv}'" },
    { "<<int64 5>>", "int:5" },
    { "@mi nothing", "NoneType:None" },
    { "@mi 3", "int:3" },
    { "[byte 0x62, 0x01]", "bytes:b'b\\x01'" },
    { "@ay []", "bytes:b''" },
    { "[1, 2, 3]", "list:[1, 2, 3]" },
    { "@as []", "list:[]" },
    { "{'a': <1>, 'b': <'x'>}", "dict:{'a': 1, 'b': 'x'}" },
    { "{1: 'one'}", "dict:{1: 'one'}" },
    { "(1, 'two', [3.0])", "tuple:(1, 'two', [3.0])" },
    { "()", "tuple:()" },
    { "[(1, <true>)]", "list:[(1, True)]" },
  };

  exec_ok (interp, "def describe(x):\n    return f'{type(x).__name__}:{x!r}'\n");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      GVariant *arg = g_variant_new_parsed (cases[i].variant);
      g_autoptr(GVariant) result = interp_interpreter_call (interp, "describe",
                                                            g_variant_new_tuple (&arg, 1),
                                                            NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (g_variant_get_string (result, NULL), ==, cases[i].python);
    }
}

/* Python -> GVariant: the type and printed value of each result. */
static void
test_from_python (void)
{
  struct { const char *expr; const char *printed; } cases[] = {
    { "None", "@mv nothing" },
    { "True", "true" },
    { "-5", "int64 -5" },
    { "2**63 - 1", "int64 9223372036854775807" },
    { "-2**63", "int64 -9223372036854775808" },
    { "2**63", "uint64 9223372036854775808" },
    { "2**64 - 1", "uint64 18446744073709551615" },
    { "1.5", "1.5" },
    { "'text'", "'text'" },
    { "b'\\x00\\x01'", "[byte 0x00, 0x01]" },
    { "bytearray(b'ab')", "[byte 0x61, 0x62]" },
    { "memoryview(b'xyz')", "[byte 0x78, 0x79, 0x7a]" },
    { "(1, 'a', None)", "(int64 1, 'a', @mv nothing)" },
    { "()", "()" },
    { "[1, 'a']", "[<int64 1>, <'a'>]" },
    { "[]", "@av []" },
    { "{'k': [1]}", "{'k': <[int64 1]>}" },
    /* Lists whose items are all bool, all int64, all float or all str are
     * typed arrays; any other list is av. */
    { "[1, 2, -3]", "[int64 1, 2, -3]" },
    { "[1.5, 2.0]", "[1.5, 2.0]" },
    { "['a', 'b']", "['a', 'b']" },
    { "[True, False]", "[true, false]" },
    { "[True, 1]", "[<true>, <int64 1>]" },
    { "[1, 2.0]", "[<int64 1>, <2.0>]" },
    { "[1, 2**63]", "[<int64 1>, <uint64 9223372036854775808>]" },
    { "[[1], [2]]", "[<[int64 1]>, <[int64 2]>]" },
    { "[None, None]", "[<@mv nothing>, <@mv nothing>]" },
    { "[__import__('enum').IntEnum('E', 'A B')(2), 3]", "[int64 2, 3]" },
    { "{}", "@a{sv} {}" },
    { "{1: 'x', 2: 'y'}", "{int64 1: <'x'>, 2: <'y'>}" },
    { "((1, (2, (3,))),)", "((int64 1, (int64 2, (int64 3,))),)" },
    { "__import__('enum').IntEnum('E', 'A')(1)", "int64 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *printed = eval_print (interp, cases[i].expr);
      g_assert_cmpstr (printed, ==, cases[i].printed);
    }
}

static void
test_not_shareable (void)
{
  struct { const char *expr; int code; const char *needle; } cases[] = {
    { "object()", INTERP_ERROR_NOT_SHAREABLE, "'object'" },
    { "{1, 2}", INTERP_ERROR_NOT_SHAREABLE, "'set'" },
    { "lambda: 1", INTERP_ERROR_NOT_SHAREABLE, "'function'" },
    { "[object()]", INTERP_ERROR_NOT_SHAREABLE, "'object'" },
    { "{'a': 1, 2: 'b'}", INTERP_ERROR_NOT_SHAREABLE, "keys" },
    { "{(1, 2): 3}", INTERP_ERROR_NOT_SHAREABLE, "keys" },
    { "'nul\\x00inside'", INTERP_ERROR_NOT_SHAREABLE, "NUL" },
    { "'\\ud800'", INTERP_ERROR_NOT_SHAREABLE, "surrogate" },
    { "2**64", INTERP_ERROR_OUT_OF_RANGE, "64 bits" },
    { "-2**63 - 1", INTERP_ERROR_OUT_OF_RANGE, "64 bits" },
    { "10**100", INTERP_ERROR_OUT_OF_RANGE, "64 bits" },
    { "{2**63: 1}", INTERP_ERROR_OUT_OF_RANGE, "64 bits" },
    { "{1: 1, -2**63 - 1: 2}", INTERP_ERROR_OUT_OF_RANGE, "64 bits" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = interp_interpreter_eval (interp, cases[i].expr, NULL, &error);

      g_assert_null (value);
      g_assert_error (error, INTERP_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("'%s' gave '%s', which does not mention %s", cases[i].expr, error->message, cases[i].needle);
    }

  /* A container that holds itself fails instead of recursing forever. */
  {
    g_autoptr(GError) error = NULL;

    exec_ok (interp, "loop = []\nloop.append(loop)\n");
    g_assert_null (interp_interpreter_eval (interp, "loop", NULL, &error));
    g_assert_error (error, INTERP_ERROR, INTERP_ERROR_NOT_SHAREABLE);
  }
  /* And the interpreter is fine afterwards. */
  g_assert_cmpint (eval_int (interp, "len(loop)"), ==, 1);
}

static void
test_round_trip (void)
{
  const char *values[] = {
    "(true, int64 -1, 0.25, 'str', b'by', @mv nothing)",
    "{'nested': <{'deeper': <[<int64 1>, <(int64 2, 'x')>]>}>}",
    "[<int64 1>, <'two'>, <@mv nothing>]",
  };

  exec_ok (interp, "def identity(x):\n    return x\n");
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(GError) error = NULL;
      GVariant *arg = g_variant_new_parsed (values[i]);
      g_autoptr(GVariant) expected = g_variant_ref_sink (g_variant_new_parsed (values[i]));
      g_autoptr(GVariant) result = interp_interpreter_call (interp, "identity",
                                                            g_variant_new_tuple (&arg, 1),
                                                            NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_true (g_variant_equal (result, expected));
    }
}

static void
test_large_bytes (void)
{
  gsize len = 4 * 1024 * 1024;
  g_autofree guint8 *data = g_malloc (len);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  GVariant *arg;

  for (gsize i = 0; i < len; i++)
    data[i] = i * 7;
  arg = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1);
  exec_ok (interp, "def checksum(b):\n    return (len(b), sum(b[::4096]))\n");
  result = interp_interpreter_call (interp, "checksum", g_variant_new_tuple (&arg, 1), NULL, NULL, &error);
  g_assert_no_error (error);

  {
    gint64 n, sum, expected = 0;
    g_variant_get (result, "(xx)", &n, &sum);
    for (gsize i = 0; i < len; i += 4096)
      expected += data[i];
    g_assert_cmpint (n, ==, len);
    g_assert_cmpint (sum, ==, expected);
  }
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  interp = new_interpreter ();

  g_test_add_func ("/values/to-python", test_to_python);
  g_test_add_func ("/values/from-python", test_from_python);
  g_test_add_func ("/values/not-shareable", test_not_shareable);
  g_test_add_func ("/values/round-trip", test_round_trip);
  g_test_add_func ("/values/large-bytes", test_large_bytes);

  ret = g_test_run ();
  g_clear_object (&interp);
  g_assert_true (interp_shutdown (NULL));
  return ret;
}
