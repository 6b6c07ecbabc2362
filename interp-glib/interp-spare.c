/* interp-spare.c: freed blocks kept for reuse across threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "interp-spare-private.h"

#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
# define INTERP_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define INTERP_ASAN 1
# endif
#endif
#ifdef INTERP_ASAN
# include <sanitizer/asan_interface.h>
#else
# define ASAN_POISON_MEMORY_REGION(addr, size) ((void) (addr), (void) (size))
# define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void) (addr), (void) (size))
#endif

/* The start of a kept block: all of it a thread looks at until it is
 * taken again. */
typedef struct _Spare Spare;
struct _Spare
{
  Spare *next;
  gsize size;
};

void
_interp_spares_free_list (gpointer list)
{
  for (Spare *spare = list, *next; spare != NULL; spare = next)
    {
      next = spare->next;
      ASAN_UNPOISON_MEMORY_REGION (spare, spare->size);
      g_free (spare);
    }
}

gpointer
_interp_spares_take (InterpSpares *spares)
{
  Spare *spare = g_private_get (&spares->local);

  if (spare == NULL && g_atomic_pointer_get (&spares->stack) != NULL)
    {
      spare = g_atomic_pointer_exchange (&spares->stack, NULL);
      g_atomic_int_set (&spares->n_stack, 0);
    }
  if (spare == NULL)
    return g_malloc0 (spares->size);
  g_private_set (&spares->local, spare->next);
  ASAN_UNPOISON_MEMORY_REGION (spare, spares->size);
  return memset (spare, 0, spares->size);
}

void
_interp_spares_give (InterpSpares *spares,
                     gpointer      block)
{
  Spare *spare = block;

  if (g_atomic_int_get (&spares->n_stack) >= spares->max)
    {
      g_free (block);
      return;
    }
  g_atomic_int_inc (&spares->n_stack);
  spare->size = spares->size;
  ASAN_POISON_MEMORY_REGION ((char *) block + sizeof (Spare), spares->size - sizeof (Spare));
  do
    spare->next = g_atomic_pointer_get (&spares->stack);
  while (!g_atomic_pointer_compare_and_exchange (&spares->stack, spare->next, spare));
}
