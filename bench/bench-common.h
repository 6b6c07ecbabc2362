/* bench-common.h: what the C benchmarks share: a clock and quantiles.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include <stdlib.h>

/* Seconds on the monotonic clock. */
static inline double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static inline int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The value at @q (0..1) of @n values, sorted in place. */
static inline double
quantile (double *values,
          guint   n,
          double  q)
{
  qsort (values, n, sizeof (double), cmp_double);
  return values[MIN ((guint) (q * n), n - 1)];
}
