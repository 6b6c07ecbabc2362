#!/usr/bin/env python3
# check-links.py: checks every link of the generated HTML API reference.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: check-links.py HTML_DIR
#
# A link (href or src) must lead somewhere wherever the reference is read:
# a page or file of HTML_DIR that exists, with the anchor it names, or a
# web address (http, https, mailto; not fetched: the tests run offline).
# An absolute path or a file: URL (a page of the build machine) is broken.
# Before it reads HTML_DIR, it checks itself on a made-up page with one
# link of each broken kind, so that this check can fail.
#
# Prints TAP: one test per page.

import html
import os
import re
import sys
import tempfile

LINK = re.compile(r'\b(?:href|src)\s*=\s*"([^"]*)"', re.IGNORECASE)
ANCHOR = re.compile(r'\b(?:id|name)\s*=\s*"([^"]+)"', re.IGNORECASE)
WEB = re.compile(r'(?:https?|mailto):', re.IGNORECASE)


def anchors_of(path, cache):
    if path not in cache:
        with open(path, encoding='utf-8', errors='replace') as f:
            cache[path] = set(ANCHOR.findall(f.read()))
    return cache[path]


def broken_links(html_dir, page, cache):
    """The links of page (a file name in html_dir) that lead nowhere."""
    path = os.path.join(html_dir, page)
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    broken = []
    for m in LINK.finditer(text):
        link = html.unescape(m.group(1)).strip()
        if WEB.match(link):
            continue
        line = text.count('\n', 0, m.start()) + 1
        if link.startswith(('/', 'file:')):
            broken.append((line, link, 'a path on the machine that built it'))
            continue
        target, _, fragment = link.partition('#')
        target_path = os.path.normpath(os.path.join(html_dir, target)) if target else path
        if not os.path.isfile(target_path):
            broken.append((line, link, 'no such file'))
        elif fragment and target_path.endswith('.html') and fragment not in anchors_of(target_path, cache):
            broken.append((line, link, 'no such anchor'))
    return broken


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, 'a.html'), 'w') as f:
            f.write('<a id="here"></a><a href="a.html#here">ok</a><a href="#here">ok</a>'
                    '<a href="https://docs.gtk.org/">ok</a>'
                    '<a href="gone.html">1</a><a href="a.html#nowhere">2</a>'
                    '<a href="/usr/share/gtk-doc/html/gobject/x.html">3</a><img src="file:///x.png">\n')
        found = [why for _, _, why in broken_links(tmp, 'a.html', {})]
        expected = ['no such file', 'no such anchor', 'a path on the machine that built it',
                    'a path on the machine that built it']
        if found != expected:
            sys.exit('check-links.py: the self-test found %r, not %r' % (found, expected))


def main():
    html_dir = sys.argv[1]
    self_test()
    pages = sorted(p for p in os.listdir(html_dir) if p.endswith('.html'))
    if not pages:
        print('1..0 # SKIP no HTML in %s' % html_dir)
        return 0
    print('1..%d' % len(pages))
    cache = {}
    failed = 0
    for i, page in enumerate(pages, 1):
        broken = broken_links(html_dir, page, cache)
        if broken:
            failed += 1
            print('not ok %d %s' % (i, page))
            for line, link, why in broken:
                print('# line %d: %s (%s)' % (line, link, why))
        else:
            print('ok %d %s' % (i, page))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
