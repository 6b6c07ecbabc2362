/* no-threads.c: LD_PRELOAD shim for test-threads
 *
 * Makes pthread_create() fail with EAGAIN on request, as it does under a
 * process limit (ulimit -u) or an address-space limit (ulimit -v): the
 * test allows a number of further threads, then none.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

/* How many more threads may start; negative: any number. */
static int allowed = -1;

void interp_test_threads_allow (int n);

void
interp_test_threads_allow (int n)
{
  __atomic_store_n (&allowed, n, __ATOMIC_SEQ_CST);
}

int
pthread_create (pthread_t            *thread,
                const pthread_attr_t *attr,
                void *(*start) (void *),
                void                 *arg)
{
  static int (*real) (pthread_t *, const pthread_attr_t *, void *(*) (void *), void *);
  int n = __atomic_load_n (&allowed, __ATOMIC_SEQ_CST);

  while (n >= 0)
    {
      if (n == 0)
        return EAGAIN;
      if (__atomic_compare_exchange_n (&allowed, &n, n - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        break;
    }
  if (real == NULL)
    *(void **) &real = dlsym (RTLD_NEXT, "pthread_create");
  return real (thread, attr, start, arg);
}
