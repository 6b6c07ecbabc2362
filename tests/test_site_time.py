# test_site_time.py: interp-glib first used from site-time code (hosted mode)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: PYTHON test_site_time.py LIBRARY
#
# Starts the Python the library is built for with tests/site-time on
# PYTHONPATH: its sitecustomize calls interp_init() while `site` is being
# imported. Since 3.15, Py_IsInitialized() is still false then: the library
# must refuse with a clear INTERP_ERROR_RUNTIME and start normally (hosted)
# once startup has finished. Before 3.15 the site-time call starts hosted mode.

import ctypes
import os
import subprocess
import sys

INTERP_ERROR_RUNTIME = 9

CHILD = r'''
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
lib.interp_init.argtypes = [ctypes.c_void_p]
lib.interp_is_embedded.restype = ctypes.c_int
site = getattr(sys, "interp_glib_site_time", None)
later = lib.interp_init(None)
print(json.dumps({"site": site, "later_ok": later, "embedded": lib.interp_is_embedded(),
                  "version": list(sys.version_info[:2])}))
'''

checks = []


def check(name, cond, detail=""):
    checks.append((name, bool(cond), detail))


def main():
    library = os.path.abspath(sys.argv[1])
    env = dict(os.environ, INTERP_GLIB_LIBRARY=library,
               PYTHONPATH=os.path.join(os.path.dirname(os.path.abspath(__file__)), "site-time"))
    env.pop("PYTHONNOUSERSITE", None)
    proc = subprocess.run([sys.executable, "-c", CHILD, library], env=env,
                          capture_output=True, text=True, timeout=100)
    check("the child exits normally", proc.returncode == 0, proc.stderr.strip())
    import json
    out = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {}
    site = out.get("site") or {}
    check("sitecustomize ran", bool(site), proc.stdout)
    if tuple(out.get("version", sys.version_info[:2])) >= (3, 15):
        check("3.15+: Python is not yet initialized while site is imported",
              site.get("py_is_initialized") == 0, site)
    if site.get("py_is_initialized") == 0:
        check("site-time first use is refused with INTERP_ERROR_RUNTIME",
              not site.get("ok") and site.get("code") == INTERP_ERROR_RUNTIME, site)
        check("the error says Python is still starting up",
              "still starting up" in (site.get("message") or ""), site.get("message"))
    else:
        check("site-time first use starts the library", site.get("ok") == 1, site)
    check("after startup interp_init() succeeds", out.get("later_ok") == 1, out)
    check("in hosted mode", out.get("embedded") == 0, out)

    print("1..%d" % len(checks))
    for i, (name, ok, detail) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok and detail:
            for line in str(detail).splitlines():
                print("# " + line)
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
