/* interp-spare-private.h: freed blocks kept for reuse, still checked
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A block that one thread makes and another frees costs a fight over the
 * first thread's malloc arena; the queue's items and the carriers are kept
 * for reuse instead. Under AddressSanitizer a kept block is poisoned, but
 * for the link at its start that keeps it: a use after the "free" is still
 * reported.
 */

#pragma once

#if defined(__SANITIZE_ADDRESS__)
# define INTERP_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define INTERP_ASAN 1
# endif
#endif

#ifdef INTERP_ASAN
# include <sanitizer/asan_interface.h>
/* @block (of @size bytes) is kept: all but its first @link bytes are off
 * limits until _interp_spare_reuse(). */
# define _interp_spare_keep(block, size, link) \
  ASAN_POISON_MEMORY_REGION ((char *) (block) + (link), (size) - (link))
/* @block is in use again (or about to be freed). */
# define _interp_spare_reuse(block, size) ASAN_UNPOISON_MEMORY_REGION ((block), (size))
#else
# define _interp_spare_keep(block, size, link) ((void) 0)
# define _interp_spare_reuse(block, size) ((void) 0)
#endif
