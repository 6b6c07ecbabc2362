/* fuzz-values.c: libFuzzer target for values crossing into and out of Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each input becomes one GVariant, built either from a type string and
 * serialized data (untrusted, possibly not in normal form) or from the
 * GVariant text format. The value then goes everywhere a GVariant enters
 * the library: call arguments, call keyword arguments, prepare_main()'s
 * namespace, and a queue round trip C -> Python -> C.
 *
 * What must hold for every input:
 *  - nothing crashes, and nothing trips ASan/UBSan;
 *  - every failure is a GError whose message is valid UTF-8 with a
 *    non-empty first line (a traceback block may follow it); a value
 *    of the wrong type (args not a tuple, kwargs not a{sv}) is one too;
 *  - the mapping is stable: a value that came back from Python comes back
 *    unchanged the second time (f(f(x)) == f(x));
 *  - the interpreters stay usable after any input.
 *
 * Python to Python as well: one interpreter puts the value, a big int made
 * from it and the value nested in a tuple, list, dict and set on a queue;
 * another takes them and returns them to C (the carrier's native kinds and
 * its pickle fallback).
 *
 * Input layout: byte 0 selects the form (even: binary, odd: text). Binary:
 * a type string up to the first NUL (at most 64 bytes), then the data.
 * Text: the rest is parsed by g_variant_parse(). Seeds: tests/fuzz/corpus.
 *
 *   _build/hardening/tests/fuzz/fuzz-values -max_total_time=60 CORPUS_DIR
 */

#include "interp-glib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static InterpInterpreter *interp;      /* calls and the queue relay */
static InterpInterpreter *prep;        /* prepare_main: gets arbitrary names */
static InterpInterpreter *peer;        /* receives from interp, Python to Python */
static InterpQueue *queue;
static InterpQueue *between;           /* interp -> peer */

static void
die (const char *what,
     const GError *error)
{
  g_printerr ("fuzz-values: %s: %s\n", what, error ? error->message : "(no error)");
  abort ();
}

/* A failure must come with a GError that starts with a readable line. */
static void
check_failure (const char *what,
               const GError *error)
{
  if (error == NULL)
    die (what, NULL);
  if (error->message == NULL || error->message[0] == '\0' || error->message[0] == '\n' ||
      !g_utf8_validate (error->message, -1, NULL))
    die (what, error);
}

/* The interpreter answers a trivial call after whatever came before. */
static void
check_usable (InterpInterpreter *target)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) one = interp_interpreter_eval (target, "1", NULL, &error);

  if (one == NULL)
    die ("interpreter no longer usable", error);
}

/* At exit, as the C suites do: close everything and finalize Python, so
 * that LeakSanitizer (which runs after atexit handlers) sees only what
 * nobody can free any more, not what live interpreters still hold. */
static void
shut_down (void)
{
  InterpInterpreter *all[] = { interp, prep, peer };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_autoptr(GError) error = NULL;

      if (all[i] != NULL && !interp_interpreter_close (all[i], &error))
        die ("closing an interpreter at exit", error);
      g_clear_object (&all[i]);
    }
  interp = prep = peer = NULL;
  g_clear_object (&queue);
  g_clear_object (&between);
  if (!interp_shutdown (NULL))
    die ("shutting down Python at exit", NULL);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  interp = interp_interpreter_new (NULL, &error);
  if (interp == NULL)
    die ("creating an interpreter", error);
  prep = interp_interpreter_new (NULL, &error);
  if (prep == NULL)
    die ("creating an interpreter", error);
  peer = interp_interpreter_new (NULL, &error);
  if (peer == NULL)
    die ("creating an interpreter", error);
  queue = interp_queue_new (0, NULL);
  between = interp_queue_new (0, NULL);

  code = g_strdup_printf ("import interp_glib\n"
                          "q = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
                          "between = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
                          /* The value, a big int made from it, and the value
                           * nested in every container, to another interpreter. */
                          "def send(value):\n"
                          "    r = repr(value).encode()\n"
                          "    between.put(value)\n"
                          "    between.put(int.from_bytes(r[:80], 'little', signed=len(r) %% 2 == 1))\n"
                          "    between.put((value, (value, ()), [value], {'k': value}, {value}\n"
                          "                 if value.__hash__ else None))\n"
                          "def echo(*args, **kwargs):\n"
                          "    return args\n"
                          "def echo_kwargs(*args, **kwargs):\n"
                          "    return kwargs\n"
                          "def identity(value):\n"
                          "    return value\n"
                          "def relay():\n"
                          "    q.put(q.get_nowait())\n",
                          interp_queue_get_id (queue), interp_queue_get_id (between));
  if (!interp_interpreter_exec (interp, code, NULL, &error))
    die ("setting up __main__", error);

  g_free (code);
  code = g_strdup_printf ("import interp_glib\n"
                          "between = interp_glib.Queue(%" G_GINT64_FORMAT ")\n"
                          "def receive():\n"
                          "    got = []\n"
                          "    while not between.empty():\n"
                          "        got.append(between.get_nowait())\n"
                          "    return got\n"
                          "def receive_ints():\n"
                          "    return [v for v in receive() if type(v) is int]\n",
                          interp_queue_get_id (between));
  if (!interp_interpreter_exec (peer, code, NULL, &error))
    die ("setting up the peer's __main__", error);
  atexit (shut_down);
  return 0;
}

static GVariant *
make_variant (const uint8_t *data,
              size_t         size)
{
  if (size < 1)
    return NULL;

  if (data[0] & 1)
    {
      g_autofree char *text = g_strndup ((const char *) data + 1, size - 1);
      g_autoptr(GError) error = NULL;
      GVariant *value;

      if (!g_utf8_validate (text, -1, NULL))
        return NULL;
      /* Not floating: the reference is ours already. */
      value = g_variant_parse (NULL, text, NULL, NULL, &error);
      return value;
    }
  else
    {
      const char *type_start = (const char *) data + 1;
      size_t rest = size - 1;
      const char *nul = memchr (type_start, '\0', MIN (rest, 65));
      g_autofree char *type_string = NULL;
      g_autoptr(GBytes) bytes = NULL;
      size_t type_len;

      if (nul == NULL)
        return NULL;
      type_len = nul - type_start;
      type_string = g_strndup (type_start, type_len);
      if (!g_variant_type_string_is_valid (type_string))
        return NULL;
      if (!g_variant_type_is_definite (G_VARIANT_TYPE (type_string)))
        return NULL;
      bytes = g_bytes_new (nul + 1, rest - type_len - 1);
      /* Untrusted data: GVariant checks it when it is read. */
      return g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type_string),
                                                           bytes, FALSE));
    }
}

/* args and kwargs exactly as given: whatever their type. */
static void
fuzz_raw_call (GVariant *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;

  result = interp_interpreter_call (interp, "echo", value, NULL, NULL, &error);
  if (result == NULL)
    check_failure ("call with args", error);
  g_clear_error (&error);
  g_clear_pointer (&result, g_variant_unref);

  result = interp_interpreter_call (interp, "echo_kwargs", NULL, value, NULL, &error);
  if (result == NULL)
    check_failure ("call with kwargs", error);
}

/* One argument there and back, twice: the second trip changes nothing. */
static void
fuzz_round_trip (GVariant *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) once = NULL;
  g_autoptr(GVariant) twice = NULL;

  once = interp_interpreter_call (interp, "identity",
                                  g_variant_new ("(@*)", value), NULL, NULL, &error);
  if (once == NULL)
    {
      check_failure ("round trip", error);
      return;
    }
  twice = interp_interpreter_call (interp, "identity",
                                   g_variant_new ("(@*)", once), NULL, NULL, &error);
  if (twice == NULL)
    die ("second round trip of a value that came back once", error);
  if (!g_variant_equal (once, twice))
    {
      g_autofree char *a = g_variant_print (once, TRUE);
      g_autofree char *b = g_variant_print (twice, TRUE);
      g_printerr ("fuzz-values: unstable mapping: %s then %s\n", a, b);
      abort ();
    }
}

static void
fuzz_prepare_main (GVariant *value)
{
  g_autoptr(GError) error = NULL;

  if (!interp_interpreter_prepare_main (prep, value, &error))
    check_failure ("prepare_main", error);
  check_usable (prep);
}

/* C puts, Python takes it and puts it back, C takes it. */
static void
fuzz_queue (GVariant *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) relayed = NULL;

  if (!interp_queue_put (queue, value, 0, NULL, &error))
    {
      check_failure ("queue put", error);
      return;
    }
  relayed = interp_interpreter_call (interp, "relay", NULL, NULL, NULL, &error);
  if (relayed == NULL)
    check_failure ("relay through Python", error);
  g_clear_error (&error);

  result = interp_queue_get (queue, 0, NULL, &error);
  if (result == NULL)
    check_failure ("queue get", error);
  g_clear_error (&error);

  /* Whatever could not be taken stays: nothing may pile up. */
  while (!interp_queue_is_empty (queue))
    {
      g_autoptr(GVariant) left = interp_queue_get (queue, 0, NULL, &error);
      if (left == NULL)
        {
          check_failure ("draining the queue", error);
          break;
        }
    }
}

/* Python to Python: the carrier between two interpreters, big ints and
 * nested containers included; then back to C. */
static void
fuzz_between (GVariant *value, gboolean ints_only)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) sent = NULL;
  g_autoptr(GVariant) received = NULL;

  sent = interp_interpreter_call (interp, "send", g_variant_new ("(@*)", value),
                                  NULL, NULL, &error);
  if (sent == NULL)
    check_failure ("send to the peer", error);
  g_clear_error (&error);
  received = interp_interpreter_call (peer, ints_only ? "receive_ints" : "receive",
                                      NULL, NULL, NULL, &error);
  if (received == NULL)
    check_failure ("receive from the peer", error);
  g_clear_error (&error);
  if (!interp_queue_is_empty (between))
    {
      g_autoptr(GVariant) left = interp_interpreter_eval (peer, "len(receive())", NULL, &error);
      if (left == NULL)
        die ("the peer could not drain its queue", error);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GVariant) value = make_variant (data, size);

  if (value == NULL)
    return -1;   /* not a GVariant at all: keep it out of the corpus */

  fuzz_raw_call (value);
  fuzz_round_trip (value);
  fuzz_prepare_main (value);
  fuzz_queue (value);
  fuzz_between (value, (data[0] & 2) != 0);
  check_usable (interp);
  check_usable (peer);
  return 0;
}
