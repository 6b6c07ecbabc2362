/* pool.c: a pool of interpreters mapping a pure-Python function over many
 * inputs on every core, from a GMainLoop that keeps ticking meanwhile; then
 * a call stuck in C that its timeout still ends.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <interp-glib.h>

static const char *initializer =
  "def collatz(n):\n"
  "    steps = 0\n"
  "    while n != 1:\n"
  "        n = n // 2 if n % 2 == 0 else 3 * n + 1\n"
  "        steps += 1\n"
  "    return steps\n";

typedef struct
{
  GMainLoop *loop;
  guint ticks;
} App;

static gboolean
tick_cb (gpointer data)
{
  App *app = data;

  app->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
map_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  App *app = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) steps = interp_pool_map_finish (INTERP_POOL (source), result, &error);
  gint64 best = 0, best_n = 0;

  if (steps == NULL)
    g_error ("map failed: %s", error->message);
  for (gsize i = 0; i < g_variant_n_children (steps); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (steps, i);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);

      if (g_variant_get_int64 (value) > best)
        {
          best = g_variant_get_int64 (value);
          best_n = i + 1;
        }
    }
  g_print ("%" G_GSIZE_FORMAT " results in order; %" G_GINT64_FORMAT " takes the most steps (%" G_GINT64_FORMAT ")\n",
           g_variant_n_children (steps), best_n, best);
  g_print ("the main loop ticked %u times meanwhile\n", app->ticks);
  g_main_loop_quit (app->loop);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InterpPool) pool = NULL;
  g_autoptr(GVariant) value = NULL;
  GVariantBuilder inputs;
  App app = { g_main_loop_new (NULL, FALSE), 0 };
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 30000;

  /* One worker per CPU, two of them ready at once; a call may run 1 s. */
  pool = g_initable_new (INTERP_TYPE_POOL, NULL, &error,
                         "max-workers", 0,
                         "min-workers", MIN (2, g_get_num_processors ()),
                         "initializer", initializer,
                         "task-timeout", 1000,
                         NULL);
  if (pool == NULL)
    {
      g_printerr ("No pool: %s\n", error->message);
      return 1;
    }
  g_print ("pool of up to %u workers\n", interp_pool_get_max_workers (pool));

  g_variant_builder_init (&inputs, G_VARIANT_TYPE ("a(x)"));
  for (guint i = 1; i <= n; i++)
    g_variant_builder_add (&inputs, "(x)", (gint64) i);
  interp_pool_map_async (pool, "collatz", g_variant_builder_end (&inputs), 0, NULL, map_done_cb, &app);
  g_timeout_add (10, tick_cb, &app);
  g_main_loop_run (app.loop);

  /* Blocked in C for ten minutes: the timeout wins anyway. */
  value = interp_pool_call (pool, "time:sleep", g_variant_new ("(x)", G_GINT64_CONSTANT (600)),
                            NULL, NULL, &error);
  g_print ("time.sleep(600): %s\n", error ? error->message : "returned?");
  g_clear_error (&error);
  g_print ("the pool still works: collatz(27) = %" G_GINT64_FORMAT "\n",
           g_variant_get_int64 (value = interp_pool_call (pool, "collatz", g_variant_new ("(x)", G_GINT64_CONSTANT (27)),
                                                          NULL, NULL, &error)));

  interp_pool_shutdown (pool, FALSE, NULL, NULL);
  g_main_loop_unref (app.loop);
  /* The abandoned time.sleep() would keep interp_shutdown() waiting: exit. */
  return 0;
}
