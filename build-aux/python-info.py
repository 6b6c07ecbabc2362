"""Print what meson needs to embed the Python running this script.

One value a line (meson.build reads them by position; "none" for empty):
  1. version (major.minor)
  2. include directory (Python.h)
  3. library directory
  4. library name for -l
  5. whether that directory needs an rpath ("yes"/"no")
  6. a second include directory for the multiarch pyconfig.h (Debian's
     include/pythonX.Y/pyconfig.h includes <x86_64-linux-gnu/pythonX.Y/pyconfig.h>),
     or "none" when the system include directory already has it
  7. the private dynamic loader this Python runs through, or "none": a Python
     unpacked from another distribution release with its own C library
     (build-aux/fetch-unstable-pythons.sh) has a PT_INTERP outside the
     system's directories; programs that embed it must use that loader too.
  8. the PYTHONHOME an embedding program needs, or "none": a relocated tree
     (unpacked packages) has the wrong prefix compiled into its libpython.

Exits non-zero with one readable line for a Python interp-glib cannot embed:
older than 3.11, free-threaded (Py_GIL_DISABLED, "3.14t"), or without a
shared libpython.

meson's python module (import('python')) is used instead where it works, but
meson 1.0 introspects through distutils, which Python 3.12 removed, and it
knows nothing of a private loader: this script is the fallback and the check.
"""
import os
import struct
import sys
import sysconfig

if sys.version_info < (3, 11):
    sys.exit("interp-glib needs Python >= 3.11, this is %d.%d" % sys.version_info[:2])
if sysconfig.get_config_var("Py_GIL_DISABLED"):
    sys.exit("interp-glib does not support free-threaded Python builds (%s is %d.%dt): "
             "use the default build with the GIL" % ((sys.executable,) + sys.version_info[:2]))

system_dirs = ("/usr/lib", "/lib", "/usr/lib64", "/lib64")


def under_system_dir(path):
    return any(path == d or path.startswith(d + "/") for d in system_dirs)


def elf_interpreter(path):
    """PT_INTERP of a 64-bit little-endian ELF executable, or None."""
    try:
        with open(path, "rb") as f:
            header = f.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
                return None
            phoff, = struct.unpack_from("<Q", header, 32)
            phentsize, phnum = struct.unpack_from("<HH", header, 54)
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                p_type, _flags, p_offset, _vaddr, _paddr, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
                if p_type == 3:  # PT_INTERP
                    f.seek(p_offset)
                    return f.read(p_filesz).rstrip(b"\0").decode()
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    return None


ldversion = sysconfig.get_config_var("LDVERSION") or "%d.%d" % sys.version_info[:2]
libname = "python" + ldversion


def has_libpython(d):
    return any(os.path.exists(os.path.join(d, "lib%s.so%s" % (libname, suffix)))
               for suffix in ("", ".1.0"))


# A relocated tree (unpacked packages) keeps its build-time "/usr" in LIBDIR:
# look under the prefix this Python actually runs from as well.
libdir = sysconfig.get_config_var("LIBDIR") or ""
home = "none"
if not has_libpython(libdir) and libdir.startswith("/usr/") and sys.base_prefix != "/usr":
    moved = sys.base_prefix + libdir[len("/usr"):]
    if has_libpython(moved):
        libdir = moved
        home = sys.base_prefix
if not has_libpython(libdir):
    sys.exit("%s has no shared libpython in %s: build it with --enable-shared" % (sys.executable, libdir))

include = sysconfig.get_paths()["include"]
multiarch = sysconfig.get_config_var("MULTIARCH") or ""
include_extra = "none"
if multiarch:
    top = os.path.dirname(include)
    if (os.path.exists(os.path.join(top, multiarch, os.path.basename(include), "pyconfig.h"))
            and os.path.realpath(top) != "/usr/include"):
        include_extra = top

loader = elf_interpreter(os.path.realpath(sys.executable))
loader = loader if loader and not under_system_dir(loader) else "none"

print("%d.%d" % sys.version_info[:2])
print(include)
print(libdir)
print(libname)
print("no" if under_system_dir(libdir) else "yes")
print(include_extra)
print(loader)
print(home)
