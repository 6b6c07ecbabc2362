"""Print what meson needs to embed the Python running this script.

One value a line: version (major.minor), include directory, library
directory, library name for -l, and whether that directory needs an rpath.
"""
import os
import sys
import sysconfig

if sys.version_info < (3, 11):
    sys.exit("interp-glib needs Python >= 3.11, this is %d.%d" % sys.version_info[:2])
if sysconfig.get_config_var("Py_GIL_DISABLED"):
    sys.exit("interp-glib does not support free-threaded Python builds")

libdir = sysconfig.get_config_var("LIBDIR") or ""
ldversion = sysconfig.get_config_var("LDVERSION") or "%d.%d" % sys.version_info[:2]
libname = "python" + ldversion
shared = any(
    os.path.exists(os.path.join(libdir, "lib%s.so%s" % (libname, suffix)))
    for suffix in ("", ".1.0")
)
if not shared:
    sys.exit("%s has no shared libpython in %s: build it with --enable-shared" % (sys.executable, libdir))

system_dirs = ("/usr/lib", "/lib", "/usr/lib64", "/lib64")
needs_rpath = not any(libdir == d or libdir.startswith(d + "/") for d in system_dirs)

print("%d.%d" % sys.version_info[:2])
print(sysconfig.get_paths()["include"])
print(libdir)
print(libname)
print("yes" if needs_rpath else "no")
