#!/usr/bin/env bash
# Prints the Pythons to build and test against, one path a line:
# Debian's python3 (hosts the PyGObject suite), then the newest Python
# >= 3.12 (3.16 down to 3.12; own GIL per interpreter) on PATH or in pyenv
# that build-aux/python-info.py accepts: a shared libpython, and not a
# free-threaded build (3.14t), which the library refuses.
# INTERP_PYTHONS overrides the list (space-separated).
# Debian unstable's 3.14 and 3.15: build-aux/fetch-unstable-pythons.sh.
set -euo pipefail

if [ -n "${INTERP_PYTHONS:-}" ]; then
  printf '%s\n' $INTERP_PYTHONS
  exit 0
fi

echo /usr/bin/python3
candidates=()
for v in 3.16 3.15 3.14 3.13 3.12; do
  command -v "python$v" >/dev/null 2>&1 && candidates+=("$(command -v "python$v")")
  for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*; do
    [ -x "$d/bin/python3" ] && candidates+=("$d/bin/python3")
  done
done
for py in "${candidates[@]}"; do
  if "$py" "$(dirname "$0")/python-info.py" >/dev/null 2>&1; then
    echo "$py"
    exit 0
  fi
done
