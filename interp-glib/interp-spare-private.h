/* interp-spare-private.h: freed blocks kept for reuse across threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A block that one thread mallocs and another frees goes back to the
 * first thread's malloc arena, and the two threads then fight over that
 * arena's lock: a queue's producer and consumer did, for each item and its
 * carrier. Such blocks are given to an InterpSpares instead: a
 * process-wide stack (a compare-and-swap push) that a thread needing a
 * block takes whole at once (an exchange, which cannot suffer ABA) into a
 * list of its own, used up before it looks again. About @max blocks wait
 * on the stack; the rest are freed. A thread's own list is freed when it
 * exits. Under AddressSanitizer a kept block is poisoned but for its
 * link, so a use after it was given is still reported.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gsize size;         /* of every block, at least two pointers */
  gint max;           /* blocks kept on the stack, about */
  gpointer stack;     /* atomic */
  gint n_stack;       /* atomic, approximate */
  GPrivate local;     /* this thread's list: the stack it took last */
} InterpSpares;

void _interp_spares_free_list (gpointer list);

/* For a static InterpSpares of @type blocks. */
#define INTERP_SPARES_INIT(type, max_kept) \
  { sizeof (type), (max_kept), NULL, 0, G_PRIVATE_INIT (_interp_spares_free_list) }

/* A zeroed block: a kept one, or a new one. Any thread. */
gpointer _interp_spares_take (InterpSpares *spares);
/* Keeps @block (from _interp_spares_take()) for the next take, or frees
 * it. Any thread. */
void     _interp_spares_give (InterpSpares *spares,
                              gpointer      block);

G_END_DECLS
