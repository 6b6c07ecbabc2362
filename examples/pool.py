#!/usr/bin/python3
# pool.py: an Interp.Pool from PyGObject: map over many inputs from a
# GLib main loop that keeps ticking, and a timeout that wins over a call
# blocked in C (here 3 s, since the host's exit waits for it).
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# With the library's gi.overrides.Interp (installed with it; the tests put
# the source tree's on PYTHONPATH) calls take and return plain values,
# trailing arguments have defaults, and errors are one-line exceptions.
import sys

import gi
gi.require_version('Interp', '1.0')
from gi.repository import GLib, Interp

INITIALIZER = '''
def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
'''

# The override initializes it (GInitable), or raises its error.
pool = Interp.Pool(max_workers=0, min_workers=1, initializer=INITIALIZER, task_timeout=1000)
loop = GLib.MainLoop()
ticks = 0


def tick():
    global ticks
    ticks += 1
    return GLib.SOURCE_CONTINUE


def map_done(source, result):
    try:
        steps = source.map_finish(result)
    except GLib.Error as e:
        sys.exit(f'map failed: {e}')
    best = max(range(len(steps)), key=steps.__getitem__)
    print(f'{len(steps)} results in order; {best + 1} takes the most steps ({steps[best]})')
    print(f'the main loop ticked {ticks} times meanwhile')
    loop.quit()


pool.map_async('collatz', [(i,) for i in range(1, 20001)], callback=map_done)
GLib.timeout_add(10, tick)
loop.run()

try:
    pool.call('time:sleep', (3,))
except TimeoutError as e:                 # Interp.TimeoutError, a GLib.Error too
    print(f'time.sleep(3): {e}')          # the timeout won
print('the pool still works: collatz(27) =', pool.call('collatz', (27,)))
pool.shutdown()
