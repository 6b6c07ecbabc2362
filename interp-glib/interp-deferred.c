/* interp-deferred.c: side effects decided under a lock, done after it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-deferred-private.h"

void
_interp_deferred_init (InterpDeferred *deferred,
                       gpointer        owner)
{
  deferred->owner = owner;
  deferred->n_effects = 0;
  deferred->more = NULL;
}

void
_interp_deferred_add (InterpDeferred     *deferred,
                      InterpDeferredFunc  func,
                      gpointer            data)
{
  InterpEffect effect = { func, data };

  if (deferred->n_effects < INTERP_DEFERRED_INLINE)
    deferred->inline_effects[deferred->n_effects] = effect;
  else
    {
      if (deferred->more == NULL)
        deferred->more = g_array_new (FALSE, FALSE, sizeof (InterpEffect));
      g_array_append_val (deferred->more, effect);
    }
  deferred->n_effects++;
}

void
_interp_deferred_run (InterpDeferred *deferred)
{
  for (guint i = 0; i < deferred->n_effects; i++)
    {
      InterpEffect effect = i < INTERP_DEFERRED_INLINE
                            ? deferred->inline_effects[i]
                            : g_array_index (deferred->more, InterpEffect, i - INTERP_DEFERRED_INLINE);

      effect.func (deferred->owner, effect.data);
    }
  g_clear_pointer (&deferred->more, g_array_unref);
  deferred->n_effects = 0;
}
