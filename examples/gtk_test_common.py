# gtk_test_common.py: what the drivers of the GTK 4 examples share
# (test-gtk-app.py, test-gtk-list.py): whether Xvfb and GTK 4 for GJS are
# there, running an app under Xvfb, and collecting the checks that failed.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import re
import shutil
import subprocess
import sys

SKIP = 77


def exit_unless_runnable(gjs):
    """Exits with SKIP, saying why, when the GTK 4 apps cannot run here."""
    if any(shutil.which(tool) is None for tool in ('xvfb-run', 'Xvfb', 'xauth')):
        print('skipped: xvfb-run, Xvfb or xauth not installed (Debian: xvfb xauth)')
        sys.exit(SKIP)
    probe = subprocess.run([gjs, '-c', "imports.gi.versions.Gtk = '4.0'; imports.gi.Gtk;"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print('skipped: no GTK 4 for GJS (Debian: gir1.2-gtk-4.0)')
        sys.exit(SKIP)


def run_app(gjs, app, screen, **env_vars):
    """Runs the module @app in GJS under Xvfb with a screen of @screen
    (WxHxDEPTH) and the environment changed by @env_vars (None: unset);
    prints its output and returns its subprocess.CompletedProcess, or None
    (said) when it did not finish within 10 minutes."""
    env = dict(os.environ)
    for name, value in env_vars.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env.setdefault('GSK_RENDERER', 'cairo')   # no GPU under Xvfb
    cmd = [shutil.which('xvfb-run'), '-a', '-s', '-screen 0 ' + screen, gjs, '-m', app]
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as e:
        print('the app did not finish:', e.stdout, e.stderr, sep='\n')
        return None
    print(p.stdout)
    if p.stderr.strip():
        print('stderr:\n' + p.stderr)
    return p


class Checks:
    """Collects what failed: check(ok, what) keeps @what when not @ok and
    returns @ok."""

    def __init__(self):
        self.failures = []

    def __call__(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok

    def ran_cleanly(self, p):
        """The app exited with status 0 and printed no error."""
        self(p.returncode == 0, 'exit status %d' % p.returncode)
        self(not re.search(r'JS ERROR|CRITICAL|^error:', p.stdout + p.stderr, re.M),
             'errors in the output')

    def report(self):
        """Prints the failures; returns the exit status."""
        for f in self.failures:
            print('FAILED:', f)
        return 1 if self.failures else 0
