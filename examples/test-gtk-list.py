#!/usr/bin/env python3
# test-gtk-list.py: runs examples/gtk-list.js under Xvfb in its scripted
# mode and checks what it printed.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: test-gtk-list.py GJS GTK_LIST_JS
#
# The app clicks its own buttons: a small run to the end, where every
# item must hold the factors of its number (checked here: their product is
# the number and each is prime, by Miller-Rabin, not by the app's trial
# division) or, for the one invalid input, its own error, and every row on
# screen must show what its item holds; then a long run cancelled once a
# few items are done: rows of items not done spin until then, the items done
# before Cancel keep their values, and the rest end cancelled (but for the
# few a worker had finished or was finishing as Cancel came, which must
# then be right).
# Its screenshot mode runs too, into a temporary file that must be a PNG.
# Nothing here depends on timing. Exits 77 (skipped) when Xvfb, xvfb-run
# or GTK 4's typelib is missing.

import os
import re
import shutil
import sys
import tempfile

from gtk_test_common import Checks, exit_unless_runnable, run_app

SMALL = 40
LONG = 3000
ENOUGH = 5          # the app cancels once this many items are done


def is_prime(n):
    """Miller-Rabin with the bases that decide every n < 3.3e24."""
    if n < 2:
        return False
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    for p in bases:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def right_outcome(n, text):
    """Whether text is what factoring n must give."""
    if n < 2:
        return text == 'ValueError: cannot factor %d: not an integer > 1' % n
    try:
        factors = [int(f) for f in text.split(' × ')]
    except ValueError:
        return False
    product = 1
    for f in factors:
        product *= f
    return product == n and factors == sorted(factors) and all(map(is_prime, factors))


def parse(lines, prefix, kind):
    """{index: (number, text[, state])} of the lines `PREFIX KIND i: n: text`."""
    found = {}
    pattern = re.compile(r'%s %s (\d+): (-?\d+): (.*?)(?: \((spinning|still)\))?$' %
                         (re.escape(prefix), kind))
    for line in lines:
        m = pattern.match(line)
        if m:
            index, number = int(m.group(1)), int(m.group(2))
            found[index] = (number, m.group(3)) if kind == 'item' else (number, m.group(3), m.group(4))
    return found


def check_rows(check, lines, run, items, when=''):
    """At least ten rows of @run ('small' or 'long') on screen, each showing
    its item of @items, done."""
    rows = parse(lines, run, 'row')
    check(len(rows) >= 10, 'rows on screen%s (%d)' % (when, len(rows)))
    for i, (n, text, state) in sorted(rows.items()):
        check(i in items and (n, text) == items[i] and state == 'still',
              '%s row %d shows %r (%s), its item %r' % (run, i, text, state, items.get(i)))


def main():
    gjs, app = sys.argv[1], sys.argv[2]
    exit_unless_runnable(gjs)

    tmp = tempfile.mkdtemp(prefix='test-gtk-list-')
    screenshot = os.path.join(tmp, 'list.png')
    p = run_app(gjs, app, '1024x768x24',
                INTERP_GTK_LIST_SCRIPT='1', INTERP_GTK_LIST_SMALL=str(SMALL),
                INTERP_GTK_LIST_LONG=str(LONG), INTERP_GTK_LIST_SCREENSHOT=screenshot)
    try:
        with open(screenshot, 'rb') as f:
            png = f.read()
    except OSError:
        png = b''
    shutil.rmtree(tmp, ignore_errors=True)
    if p is None:
        return 1
    check = Checks()
    check.ran_cleanly(p)
    check(png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 10000, 'a PNG screenshot')

    lines = p.stdout.split('\n')
    starts = [i for i, l in enumerate(lines) if l.startswith('start: ')]
    if not check(len(starts) == 2, 'two runs started'):
        starts = [0, len(lines)]
    first, second = lines[starts[0]:starts[1]], lines[starts[1]:]
    m = re.match(r'start: (\d+) numbers, (\d+) workers', lines[starts[0]])
    check(m is not None and int(m.group(1)) == SMALL, 'the small run has %d numbers' % SMALL)
    workers = int(m.group(2)) if m else 0

    # The small run: every item right, exactly one (invalid) input failed,
    # and every row on screen shows its item, done.
    items = parse(first, 'small', 'item')
    check(sorted(items) == list(range(SMALL)), 'an outcome for each of the %d items' % SMALL)
    for i, (n, text) in sorted(items.items()):
        check(right_outcome(n, text), 'small item %d: %d gave %r' % (i, n, text))
    check(sum(n < 2 for n, _ in items.values()) == 1, 'one invalid input')
    check('end: %d items yielded, %d done, 1 failed' % (SMALL, SMALL) in first,
          'mapStream yields each item once; n-done and n-failed at the end')
    check_rows(check, first, 'small', items)

    # The long run, at Cancel: what was done, and the rows.
    m = re.match(r'start: (\d+) numbers', lines[starts[1]])
    check(m is not None and int(m.group(1)) == LONG, 'the long run has %d numbers' % LONG)
    done_before = parse(second, 'done before cancel:', 'item')
    m = [re.match(r'done before cancel: (\d+)$', l) for l in second]
    m = [x for x in m if x]
    check(len(m) == 1 and int(m[0].group(1)) == len(done_before) >= ENOUGH,
          'at least %d items done before Cancel' % ENOUGH)
    for i, (n, text) in sorted(done_before.items()):
        check(right_outcome(n, text), 'long item %d: %d gave %r' % (i, n, text))
    rows = parse(second, 'before cancel', 'row')
    check(len(rows) >= 10, 'rows on screen before Cancel (%d)' % len(rows))
    for i, (n, text, state) in sorted(rows.items()):
        expected = (done_before[i][1], 'still') if i in done_before else ('…', 'spinning')
        check((text, state) == expected,
              'before Cancel, row %d shows %r (%s), not %r' % (i, text, state, expected))
    check('cancel' in second, 'Cancel pressed')

    # After Cancel: the done items kept their values; the rest are cancelled,
    # but for those a worker had finished or was finishing as Cancel came,
    # whose values must be right. How many those are depends on how late
    # the main loop saw them (one per worker on an idle machine, more on a
    # loaded one), so only their values are checked, and that the long run
    # did not finish.
    after = second[second.index('cancel'):] if 'cancel' in second else []
    items = parse(after, 'long', 'item')
    check(sorted(items) == list(range(LONG)), 'an outcome for each of the %d items' % LONG)
    for i, outcome in done_before.items():
        check(items.get(i) == outcome, 'long item %d kept %r: %r' % (i, outcome, items.get(i)))
    late = {i: o for i, o in items.items() if i not in done_before and o[1] != 'cancelled'}
    for i, (n, text) in sorted(late.items()):
        check(right_outcome(n, text), 'long item %d, done as Cancel came: %d gave %r' % (i, n, text))
    cancelled = sum(text == 'cancelled' for _, text in items.values())
    check(cancelled == LONG - len(done_before) - len(late) and cancelled > 0,
          'every other item cancelled (%d)' % cancelled)
    failed = LONG - sum(right_outcome(n, text) and n >= 2 for n, text in items.values())
    check('end: %d items yielded, %d done, %d failed' % (LONG, LONG, failed) in after,
          'mapStream yields each item once; n-failed counts the cancelled')
    check_rows(check, after, 'long', items, ' after Cancel')
    check('progress: 1.000000, status: %d of %d done, %d failed or cancelled, '
          'cancel sensitive: false' % (LONG, LONG, failed) in after,
          'the bound progress bar, status line and Cancel button at the end')

    print('%d items done before Cancel, %d as it came (%d workers), %d cancelled' %
          (len(done_before), len(late), workers, cancelled))
    return check.report()


if __name__ == '__main__':
    sys.exit(main())
