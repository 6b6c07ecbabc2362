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

import os
import re
import shutil
import subprocess
import sys

SKIP = 77
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
    xvfb_run = shutil.which('xvfb-run')
    if xvfb_run is None or shutil.which('Xvfb') is None or shutil.which('xauth') is None:
        print('skipped: xvfb-run, Xvfb or xauth not installed (Debian: xvfb xauth)')
        return SKIP
    probe = subprocess.run([gjs, '-c', "imports.gi.versions.Gtk = '4.0'; imports.gi.Gtk;"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print('skipped: no GTK 4 for GJS (Debian: gir1.2-gtk-4.0)')
        return SKIP

    env = dict(os.environ)
    env['INTERP_GTK_APP_SCRIPT'] = '1'
    env['INTERP_GTK_APP_SMALL'] = str(SMALL)
    env.pop('INTERP_GTK_APP_SCREENSHOT', None)
    env.setdefault('GSK_RENDERER', 'cairo')   # no GPU under Xvfb
    cmd = [xvfb_run, '-a', '-s', '-screen 0 800x600x24', gjs, '-m', app]
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as e:
        print('the app did not finish:', e.stdout, e.stderr, sep='\n')
        return 1
    out = p.stdout
    print(out)
    if p.stderr.strip():
        print('stderr:\n' + p.stderr)

    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    check(p.returncode == 0, 'exit status %d' % p.returncode)
    check(not re.search(r'JS ERROR|CRITICAL|^error:', out + p.stderr, re.M),
          'errors in the output')

    lines = out.split('\n')
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

    for f in failures:
        print('FAILED:', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
