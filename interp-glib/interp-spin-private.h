/* interp-spin-private.h: brief spinning before a thread sleeps
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Handing work to another thread and back costs two sleeps and two
 * wake-ups, each tens of microseconds on a core that went idle. When the
 * answer usually comes within microseconds, watching for it a little while
 * is cheaper. Only on machines with more than one core.
 */

#pragma once

#include <glib.h>

static inline gboolean
_interp_spin_allowed (void)
{
  static gint n_cpus;

  if (g_atomic_int_get (&n_cpus) == 0)
    g_atomic_int_set (&n_cpus, g_get_num_processors ());
  return g_atomic_int_get (&n_cpus) > 1;
}

/* Watches @value for up to @max_us microseconds; TRUE once it is not 0. */
static inline gboolean
_interp_spin_until_nonzero (gint   *value,
                            gint64  max_us)
{
  gint64 until;

  if (!_interp_spin_allowed ())
    return g_atomic_int_get (value) != 0;
  until = g_get_monotonic_time () + max_us;
  for (guint i = 0;; i++)
    {
      if (g_atomic_int_get (value) != 0)
        return TRUE;
      if ((i & 63) == 63 && g_get_monotonic_time () >= until)
        return FALSE;
    }
}
