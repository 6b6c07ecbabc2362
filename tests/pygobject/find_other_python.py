# find_other_python.py: a Python whose major.minor differs from the built one
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: find_other_python.py MAJOR.MINOR
#
# Prints the path of a working Python 3 interpreter with ctypes whose
# major.minor is not MAJOR.MINOR (preferring the versions interp-glib
# supports, 3.11 and later, newest first), or nothing. Looks at pyenv's
# versions (`pyenv prefix`, $PYENV_ROOT, ~/.pyenv) and the usual
# python3.X programs. Never fails: meson then registers no test.

import glob
import os
import subprocess
import sys

PROBE = (
    "import ctypes, sys, sysconfig; "
    "print('%d.%d' % sys.version_info[:2]); "
    "print('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else '-')"
)


def candidates():
    seen = []

    def add(path):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            real = os.path.realpath(path)
            if real not in seen and "/shims/" not in path:
                seen.append(real)

    # pyenv's own answer, when pyenv is installed.
    try:
        names = subprocess.run(["pyenv", "versions", "--bare"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, universal_newlines=True,
                               timeout=20).stdout.split()
        for name in names:
            if name == "system" or "/" in name:
                continue
            prefix = subprocess.run(["pyenv", "prefix", name], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, universal_newlines=True,
                                    timeout=20).stdout.strip()
            add(os.path.join(prefix, "bin", "python3"))
    except (OSError, subprocess.SubprocessError):
        pass

    roots = [os.environ.get("PYENV_ROOT", ""), os.path.expanduser("~/.pyenv"), "/root/.pyenv"]
    for root in roots:
        if root:
            for path in sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3"))):
                add(path)

    for minor in range(9, 20):
        for directory in ("/usr/bin", "/usr/local/bin"):
            add(os.path.join(directory, "python3.%d" % minor))
    return seen


def version_key(version):
    major, minor = (int(x) for x in version.split("."))
    # Supported versions first (3.11+), newest first.
    return ((major, minor) >= (3, 11), major, minor)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: find_other_python.py MAJOR.MINOR\n")
        return 0
    built = sys.argv[1].strip()
    found = []
    for path in candidates():
        try:
            out = subprocess.run([path, "-I", "-c", PROBE], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, universal_newlines=True,
                                 timeout=20)
        except (OSError, subprocess.SubprocessError):
            continue
        lines = out.stdout.split()
        if out.returncode != 0 or len(lines) != 2 or lines[1] != "-":
            continue
        if lines[0] == built or not lines[0].startswith("3."):
            continue
        found.append((version_key(lines[0]), path))
    if found:
        found.sort(key=lambda item: item[0], reverse=True)
        print(found[0][1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
