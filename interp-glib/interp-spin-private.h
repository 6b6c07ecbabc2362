/* interp-spin-private.h: brief spinning before a thread sleeps
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Handing work to another thread and back costs two sleeps and two
 * wake-ups, each tens of microseconds on a core that went idle. When the
 * answer usually comes within microseconds, watching for it a little while
 * is cheaper. Only on machines with more than one core, and only for as
 * many threads at once as leave a core to the thread being waited for:
 * when waiters outnumber cores, the others sleep at once instead of
 * burning the cores the producers need.
 */

#pragma once

#include <glib.h>

static inline gint
_interp_spin_n_cpus (void)
{
  static gint n_cpus;

  if (g_atomic_int_get (&n_cpus) == 0)
    g_atomic_int_set (&n_cpus, g_get_num_processors ());
  return g_atomic_int_get (&n_cpus);
}

static inline gboolean
_interp_spin_allowed (void)
{
  return _interp_spin_n_cpus () > 1;
}

/* Threads spinning now, process-wide (defined in interp-executor.c). */
extern gint _interp_spinners;

/* Whether this thread may spin now; if so, it calls _interp_spin_end()
 * when it stops. */
static inline gboolean
_interp_spin_begin (void)
{
  gint n_cpus = _interp_spin_n_cpus ();

  if (n_cpus <= 1)
    return FALSE;
  if (g_atomic_int_add (&_interp_spinners, 1) < n_cpus - 1)
    return TRUE;
  g_atomic_int_add (&_interp_spinners, -1);
  return FALSE;
}

static inline void
_interp_spin_end (void)
{
  g_atomic_int_add (&_interp_spinners, -1);
}

/* A hint to the core that this is a spin loop (lets an SMT sibling run). */
static inline void
_interp_spin_pause (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield");
#endif
}

/* Locks @mutex, first trying a little while when another thread holds
 * it: a queue's put and get hold their lock for well under a microsecond,
 * and a thread that sleeps on it instead pays a futex wait and its
 * wake-up, each microseconds, in the middle of a stream. */
static inline void
_interp_mutex_lock_spin (GMutex *mutex)
{
  if (g_mutex_trylock (mutex))
    return;
  if (_interp_spin_allowed ())
    for (guint i = 0; i < 100; i++)
      {
        _interp_spin_pause ();
        if (g_mutex_trylock (mutex))
          return;
      }
  g_mutex_lock (mutex);
}

/* Watches @value for up to @max_us microseconds; TRUE once it is not 0. */
static inline gboolean
_interp_spin_until_nonzero (gint   *value,
                            gint64  max_us)
{
  gint64 until;
  gboolean seen = FALSE;

  if (!_interp_spin_begin ())
    return g_atomic_int_get (value) != 0;
  until = g_get_monotonic_time () + max_us;
  for (guint i = 0;; i++)
    {
      if (g_atomic_int_get (value) != 0)
        {
          seen = TRUE;
          break;
        }
      if ((i & 63) == 63 && g_get_monotonic_time () >= until)
        break;
      _interp_spin_pause ();
    }
  _interp_spin_end ();
  return seen;
}
