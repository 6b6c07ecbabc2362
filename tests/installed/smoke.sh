#!/usr/bin/env bash
# smoke.sh BUILD_DIR SOURCE_DIR PYTHON_VERSION PYGOBJECT_PYTHON: installs the build into a temporary
# DESTDIR and runs a C, a GJS, a PyGObject and a Vala program against it.
# Each creates an interpreter, calls it with native values and catches a
# Python exception whose message is one line, with its traceback at hand.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

build=$1
src=$2
python_version=$3
pygobject_python=$4
here=$(cd "$(dirname "$0")" && pwd)
dest=$(mktemp -d "${TMPDIR:-/tmp}/interp-glib-smoke-XXXXXX")
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >/dev/null

pc=$(find "$dest" -name interp-glib-1.0.pc | head -n1)
typelib=$(find "$dest" -name Interp-1.0.typelib | head -n1)
lib=$(find "$dest" -name 'libinterp-glib-1.0.so.*' | head -n1)
[ -n "$pc" ] && [ -n "$typelib" ] && [ -n "$lib" ] || { echo "not installed: pc=$pc typelib=$typelib lib=$lib"; exit 1; }

# The .pc names the real prefix: point it at the DESTDIR copy.
prefix=$(sed -n 's/^prefix=//p' "$pc")
sed -i "s|^prefix=.*|prefix=$dest$prefix|" "$pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
export GI_TYPELIB_PATH=$(dirname "$typelib")
export LD_LIBRARY_PATH=$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export SMOKE_DESTDIR=$dest
unset PYTHONPATH

status=0
cc -o "$dest/smoke-c" "$here/smoke.c" $(pkg-config --cflags --libs interp-glib-1.0) || status=1
[ -x "$dest/smoke-c" ] && { "$dest/smoke-c" || status=1; }

if command -v gjs >/dev/null; then
  gjs -m "$here/smoke.js" || status=1
else
  echo "# no gjs: GJS skipped"
fi

override=$(find "$dest" -path '*gi/overrides/Interp.py' | head -n1)
pygobject_version=$("$pygobject_python" -c 'import sys, gi; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
if [ -n "$override" ] && [ "$pygobject_version" = "$python_version" ]; then
  PYTHONPATH=$(dirname "$(dirname "$(dirname "$override")")") "$pygobject_python" "$here/smoke.py" || status=1
else
  echo "# PyGObject skipped: override '$override', $pygobject_python is Python '$pygobject_version', the library's is $python_version"
fi

vapi=$(find "$dest" -name interp-glib-1.0.vapi | head -n1)
if [ -n "$vapi" ] && command -v valac >/dev/null; then
  # What a Vala user in a prefix of their own writes: the .pc says where the vapi is.
  vapidir=$(pkg-config --variable=vapidir interp-glib-1.0)
  if [ ! -f "$vapidir/interp-glib-1.0.vapi" ]; then
    echo "pkg-config --variable=vapidir gives '$vapidir', which has no interp-glib-1.0.vapi (it is at $vapi)"
    status=1
  fi
  valac --quiet --vapidir "$vapidir" --pkg interp-glib-1.0 --pkg gio-2.0 -X -w \
    -o "$dest/smoke-vala" -d "$dest" "$src/examples/hello.vala" || status=1
  [ -x "$dest/smoke-vala" ] && { "$dest/smoke-vala" | sed -n 's/^caught: /Vala: /p'; [ "${PIPESTATUS[0]}" -eq 0 ] || status=1; }
else
  echo "# no vapi or no valac: Vala skipped"
fi
exit $status
