#!/usr/bin/env bash
# Sets everything up and runs the main demo: CPU-bound Python in several
# interpreters at once, driven from a GMainLoop. Uses the newest Python
# found (>= 3.12 gives each interpreter its own GIL: real parallelism).
set -euo pipefail
cd "$(dirname "$0")"

bash build-aux/install-deps.sh

py=$(bash build-aux/find-pythons.sh | tail -n 1)
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
dir="_build/py$ver"
if [ -d "$dir" ]; then
  meson setup --reconfigure "$dir" -Dpython="$py" >/dev/null
else
  meson setup "$dir" -Dpython="$py"
fi
ninja -C "$dir" examples/demo
exec "$dir/examples/demo" "$@"
