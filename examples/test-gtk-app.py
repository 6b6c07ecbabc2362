#!/usr/bin/env python3
# test-gtk-app.py: runs examples/gtk-app.js under Xvfb in its scripted
# mode and checks what it printed.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: test-gtk-app.py GJS GTK_APP_JS
#
# The app clicks its own buttons: a small run to the end (each chunk's
# count must be the number of primes in its range, counted here
# independently), then a long run cancelled once progress shows and the
# main loop has ticked while the Python code computed: every chunk, running
# or queued in the pool, must end cancelled. Exits 77 (skipped)
# when Xvfb, xvfb-run or GTK 4's typelib is missing.

import re
import sys

from gtk_test_common import Checks, exit_unless_runnable, run_app

SMALL = 30011


def primes_in(start, stop):
    """The primes in [start, stop), by a sieve (not the app's method)."""
    sieve = bytearray([1]) * stop
    sieve[0:2] = b'\0\0'
    for i in range(2, int(stop ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))
    return sum(sieve[start:stop])


def main():
    gjs, app = sys.argv[1], sys.argv[2]
    exit_unless_runnable(gjs)

    p = run_app(gjs, app, '800x600x24',
                INTERP_GTK_APP_SCRIPT='1', INTERP_GTK_APP_SMALL=str(SMALL),
                INTERP_GTK_APP_SCREENSHOT=None)
    if p is None:
        return 1
    check = Checks()
    check.ran_cleanly(p)

    lines = p.stdout.split('\n')
    starts = [l for l in lines if l.startswith('start: ')]
    check(len(starts) == 2, 'two runs started')
    m = re.match(r'start: limit (\d+), (\d+) chunks, (\d+) workers', starts[0] if starts else '')
    check(m is not None and int(m.group(1)) == SMALL, 'the small run has limit %d' % SMALL)
    n = int(m.group(2)) if m else 0
    check(m is not None and n > int(m.group(3)), 'more chunks than workers')

    # The first run: every worker's count, and the total.
    first = lines[:lines.index(starts[1])] if len(starts) == 2 else lines
    counted = {}
    for l in first:
        w = re.match(r'chunk (\d+): (\d+) primes in \[(\d+), (\d+)\)', l)
        if w:
            chunk, count, a, b = map(int, w.groups())
            check(count == primes_in(a, b),
                  'chunk %d: %d primes in [%d, %d), expected %d' % (chunk, count, a, b,
                                                                    primes_in(a, b)))
            counted[chunk] = (a, b)
    check(sorted(counted) == list(range(n)), 'a result for each of the %d chunks' % n)
    ranges = sorted(counted.values())
    check(ranges and ranges[0][0] == 0 and ranges[-1][1] == SMALL and
          all(ranges[i][1] == ranges[i + 1][0] for i in range(len(ranges) - 1)),
          'the chunks cover [0, %d) without gaps' % SMALL)
    check('total: %d primes below %d' % (primes_in(0, SMALL), SMALL) in first, 'the total')
    check('end: %d finished, 0 cancelled' % n in first, 'the first run ends with all finished')

    # The second run: progress while the main loop ticks, then the cancel.
    second = lines[lines.index(starts[1]):] if len(starts) == 2 else []
    prog = [re.match(r'progress: (\d+) %, heartbeat ticks while computing: (\d+)', l)
            for l in second]
    prog = [p for p in prog if p]
    check(len(prog) == 1 and int(prog[0].group(1)) >= 1 and int(prog[0].group(2)) >= 3,
          'progress shown and the main loop ticking while Python computes')
    check('cancel' in second, 'Cancel pressed')
    after = second[second.index('cancel'):] if 'cancel' in second else []
    cancelled = {int(c.group(1)) for c in (re.match(r'chunk (\d+): cancelled', l) for l in after) if c}
    check(cancelled == set(range(n)), 'every chunk of the long run cancelled')
    check('end: 0 finished, %d cancelled' % n in after, 'the second run ends cancelled')
    check('list rows: %d' % (2 * n) in after, 'the list has a row per chunk and run')
    return check.report()


if __name__ == '__main__':
    sys.exit(main())
