#!/usr/bin/python3
# pool.py: an Interp.Pool from PyGObject: map over many inputs from a
# GLib main loop that keeps ticking, and a timeout that wins over a call
# blocked in C (here 3 s, since the host's exit waits for it).
# SPDX-License-Identifier: LGPL-2.1-or-later
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

pool = Interp.Pool(max_workers=0, min_workers=1, initializer=INITIALIZER, task_timeout=1000)
pool.init(None)
loop = GLib.MainLoop()
ticks = 0


def tick():
    global ticks
    ticks += 1
    return GLib.SOURCE_CONTINUE


def unpacked(value):
    # With the gi override installed, results come back unpacked already.
    return value.unpack() if isinstance(value, GLib.Variant) else value


def map_done(source, result):
    try:
        steps = unpacked(source.map_finish(result))
    except GLib.Error as e:
        sys.exit(f'map failed: {e.message}')
    best = max(range(len(steps)), key=steps.__getitem__)
    print(f'{len(steps)} results in order; {best + 1} takes the most steps ({steps[best]})')
    print(f'the main loop ticked {ticks} times meanwhile')
    loop.quit()


inputs = GLib.Variant('a(x)', [(i,) for i in range(1, 20001)])
pool.map_async('collatz', inputs, 0, None, map_done)
GLib.timeout_add(10, tick)
loop.run()

try:
    pool.call('time:sleep', GLib.Variant('(x)', (3,)), None, None)
except GLib.Error as e:
    print(f'time.sleep(3): {e.message}')  # the timeout won
print('the pool still works: collatz(27) =',
      unpacked(pool.call('collatz', GLib.Variant('(x)', (27,)), None, None)))
pool.shutdown(False, None)
