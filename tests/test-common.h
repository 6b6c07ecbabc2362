/* test-common.h: helpers shared by the C suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <interp-glib.h>

#include <stdlib.h>
#include <string.h>

/* Collects one async result; spin the default context until it arrives. */
typedef struct
{
  GAsyncResult *result;
  guint count;
} AsyncWait;

static inline void
async_wait_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncWait *wait = user_data;

  wait->count++;
  g_clear_object (&wait->result);
  wait->result = g_object_ref (result);
}

static inline GAsyncResult *
async_wait_run (AsyncWait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return wait->result;
}

static inline void
async_wait_clear (AsyncWait *wait)
{
  g_clear_object (&wait->result);
}

static inline InterpInterpreter *
new_interpreter (void)
{
  g_autoptr(GError) error = NULL;
  InterpInterpreter *interp = interp_interpreter_new (NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (interp);
  return interp;
}

static inline void
exec_ok (InterpInterpreter *interp,
         const char        *code)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (interp_interpreter_exec (interp, code, NULL, &error));
  g_assert_no_error (error);
}

/* Evaluates @expr and returns the value printed with g_variant_print(). */
static inline char *
eval_print (InterpInterpreter *interp,
            const char        *expr)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_eval (interp, expr, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  return g_variant_print (value, TRUE);
}

static inline gint64
eval_int (InterpInterpreter *interp,
          const char        *expr)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_eval (interp, expr, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64));
  return g_variant_get_int64 (value);
}

static inline gboolean
eval_bool (InterpInterpreter *interp,
           const char        *expr)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = interp_interpreter_eval (interp, expr, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN));
  return g_variant_get_boolean (value);
}

/* @interp runs code: the one a failed creation was followed by, to show
 * that the failure lost nothing. */
static inline void
assert_interpreter_works (InterpInterpreter *interp)
{
  exec_ok (interp, "x = 6 * 7\n");
  g_assert_true (eval_bool (interp, "x == 42"));
}

/* Timeouts the tests set, scaled for slow runs (valgrind's setup sets
 * INTERP_TEST_SLOW to a factor). */
static inline guint
test_ms (guint ms)
{
  const char *slow = g_getenv ("INTERP_TEST_SLOW");

  return slow != NULL ? ms * MAX (1, atoi (slow)) : ms;
}

/* Waits, iterating the default main context, until @cond holds or a
 * minute passed, then asserts it. Polls: what it waits for may happen on
 * another thread, with nothing for the main context to wake up for (the
 * last reference to an object, dropped by a worker). */
#define WAIT_FOR(cond) \
  G_STMT_START { \
    gint64 _until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC; \
    while (!(cond) && g_get_monotonic_time () < _until) \
      { \
        g_main_context_iteration (NULL, FALSE); \
        g_usleep (1000); \
      } \
    g_assert_true (cond); \
  } G_STMT_END

/* Python functions that the pool tests' workers share (the start of their
 * initializers): square() counts its calls in `calls`, count() tells it,
 * fail_at(x, bad) counts too and raises ValueError for an x in bad. */
#define POOL_TEST_FUNCTIONS \
  "calls = 0\n" \
  "def square(x):\n" \
  "    global calls\n" \
  "    calls += 1\n" \
  "    return x * x\n" \
  "def count():\n" \
  "    return calls\n" \
  "def fail_at(x, bad):\n" \
  "    global calls\n" \
  "    calls += 1\n" \
  "    if x in bad:\n" \
  "        raise ValueError(f'bad item {x}')\n" \
  "    return x\n"

/* A pool whose workers run @initializer, @min_workers of them made at
 * once; @task_timeout in milliseconds (0: none). */
static inline InterpPool *
new_test_pool (const char *initializer,
               guint       max_workers,
               guint       min_workers,
               guint       task_timeout)
{
  g_autoptr(GError) error = NULL;
  InterpPool *pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                                     "max-workers", max_workers,
                                     "min-workers", min_workers,
                                     "initializer", initializer,
                                     "task-timeout", task_timeout,
                                     NULL);

  g_assert_no_error (error);
  g_assert_nonnull (pool);
  return pool;
}

/* The arguments list [(0,), (1,), ..., (n - 1,)]. */
static inline GVariant *
int_args_list (guint n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(x)"));
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&builder, "(x)", (gint64) i);
  return g_variant_builder_end (&builder);
}

/* The arguments of fail_at(): (x, @bad) for x in 0..n-1, @bad a list of
 * int64 in GVariant text ("[3, 50]"). */
static inline GVariant *
fail_args_list (guint       n,
                const char *bad)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xax)"));
  for (gint64 i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("(int64 %" G_GINT64_FORMAT ", @ax %s)", i, bad);

      g_variant_builder_add_value (&builder, g_variant_new_parsed (text));
    }
  return g_variant_builder_end (&builder);
}

/* Lets whatever is ready on the main context run, without blocking. */
static inline void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* How async calls ended; each completes exactly once. */
typedef struct
{
  guint completions;
  guint ok;
  guint cancelled;
  guint not_found;
  guint other;
  GPtrArray *values;   /* GVariant* of successful gets, when counts_init() made it */
} Counts;

static inline void
counts_init (Counts *counts)
{
  *counts = (Counts) { 0 };
  counts->values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
}

static inline void
counts_clear (Counts *counts)
{
  g_clear_pointer (&counts->values, g_ptr_array_unref);
}

static inline void
count_exec_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Counts *counts = user_data;
  g_autoptr(GError) error = NULL;

  counts->completions++;
  if (interp_interpreter_exec_finish (INTERP_INTERPRETER (source), result, &error))
    counts->ok++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    counts->cancelled++;
  else if (g_error_matches (error, INTERP_ERROR, INTERP_ERROR_NOT_FOUND))
    counts->not_found++;
  else
    {
      g_test_message ("exec failed: %s", error->message);
      counts->other++;
    }
}

/* Waits for @n completions, then checks that nothing more arrives. */
static inline void
wait_for_completions (Counts *counts,
                      guint   n)
{
  while (counts->completions < n)
    g_main_context_iteration (NULL, TRUE);
  drain_main_context ();
  g_assert_cmpuint (counts->completions, ==, n);
}

/* An interpreter closed (not just unreferenced) when it goes out of scope. */
typedef InterpInterpreter TestInterp;

static inline void
test_interp_free (TestInterp *interp)
{
  g_autoptr(GError) error = NULL;

  if (!interp_interpreter_close (interp, &error))
    g_test_message ("closing interpreter %" G_GINT64_FORMAT ": %s",
                    interp_interpreter_get_id (interp), error->message);
  g_object_unref (interp);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestInterp, test_interp_free)

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static inline void G_GNUC_PRINTF (2, 3)
exec_fmt (InterpInterpreter *interp,
          const char        *format,
          ...)
{
  g_autofree char *code = NULL;
  va_list args;

  va_start (args, format);
  code = g_strdup_vprintf (format, args);
  va_end (args);
  exec_ok (interp, code);
}

static inline gboolean G_GNUC_PRINTF (2, 3)
eval_bool_fmt (InterpInterpreter *interp,
               const char        *format,
               ...)
{
  g_autofree char *expr = NULL;
  va_list args;

  va_start (args, format);
  expr = g_strdup_vprintf (format, args);
  va_end (args);
  return eval_bool (interp, expr);
}

static inline int
finish_tests (void)
{
  g_autoptr(GError) error = NULL;
  int ret = g_test_run ();

  g_assert_true (interp_shutdown (&error));
  g_assert_no_error (error);
  return ret;
}
