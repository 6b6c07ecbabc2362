#!/usr/bin/env bash
# Sets everything up and runs the main demo: CPU-bound Python in several
# interpreters at once, driven from a GMainLoop that stays responsive, with
# progress through a queue and a cancellation. Uses the newest Python found
# (>= 3.12 gives each interpreter its own GIL: real parallelism).
#
# It prints what it does in a few lines; the output of the tools it runs
# goes to _build/run-demo.log, shown when a step fails.
set -euo pipefail
cd "$(dirname "$0")"

mkdir -p _build
log=_build/run-demo.log
: >"$log"

step() {
  printf '==> %s\n' "$*"
}

# Runs a command with its output in the log; on failure shows the end of
# the log and stops.
quiet() {
  if ! "$@" >>"$log" 2>&1; then
    printf '\nFailed: %s\nThe last lines of %s:\n\n' "$*" "$log" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

# Configures DIR for PYTHON (again, if it exists) and builds TARGETS.
# With the API reference on: ./run-tests.sh leaves it out of its builds
# after the first, and the next steps below point at it.
build() {
  local dir=$1 py=$2
  shift 2
  if [ -d "$dir" ]; then
    quiet meson setup --reconfigure "$dir" -Dpython="$py" -Dgtk_doc=true
  else
    quiet meson setup "$dir" -Dpython="$py" -Dgtk_doc=true
  fi
  quiet ninja -C "$dir" "$@"
}

step "Installing missing Debian packages (build-aux/install-deps.sh)"
quiet bash build-aux/install-deps.sh

py=$(bash build-aux/find-pythons.sh | tail -n 1)
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
dir="_build/py$ver"
targets=(examples/demo interp-glib/Interp-1.0.typelib)

step "Building interp-glib for Python $ver ($py) in $dir"
build "$dir" "$py" "${targets[@]}"

# PyGObject comes with Debian's Python only: the PyGObject example needs a
# build for that Python.
system_ver=$(/usr/bin/python3 -c 'import sys, gi; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
pydir=""
if [ -n "$system_ver" ]; then
  pydir="_build/py$system_ver"
  if [ "$pydir" != "$dir" ]; then
    step "Building for Debian's Python $system_ver too, for the PyGObject example, in $pydir"
    build "$pydir" /usr/bin/python3 interp-glib/Interp-1.0.typelib
  fi
fi

step "Running the demo ($dir/examples/demo $*)"
echo
status=0
"$dir/examples/demo" "$@" || status=$?
echo

cat <<EOF
==> Next steps, against these builds (nothing is installed):

  The demo again, with options:    $dir/examples/demo [N [LIMIT]]
  GJS:                             meson devenv -C $dir -w . gjs -m examples/hello.js
EOF
if [ -n "$pydir" ]; then
  cat <<EOF
  Python with PyGObject:           meson devenv -C $pydir -w . /usr/bin/python3 examples/hello.py
EOF
fi
cat <<EOF
  The C hello:                     ninja -C $dir examples/hello && $dir/examples/hello
  The GTK 4 app (GJS):             meson devenv -C $dir -w . gjs -m examples/gtk-app.js
  A GTK 4 list filling in (GJS):   meson devenv -C $dir -w . gjs -m examples/gtk-list.js
  All tests:                       ./run-tests.sh
  API reference:                   ninja -C $dir && xdg-open $dir/docs/reference/html/index.html

  The examples are in examples/; the build log is $log.
EOF
exit $status
