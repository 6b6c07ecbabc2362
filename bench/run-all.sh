#!/usr/bin/env bash
# Runs every benchmark of issue 15 on release builds and prints their goal
# tables: bench/run.py (memory, creation, cancel) and bench/pool.py (queues,
# the pool's per-call path, streaming, the Python executor) against Python
# 3.13, then bench/pool.py against 3.14 for the executor beside CPython's
# own InterpreterPoolExecutor. Release builds go to _build/rel13 and
# _build/rel14; a Python that cannot be found is reported and skipped.
#
# Usage: bench/run-all.sh [N_TASKS]   (bench/pool.py's task count; 100000)
# PY313=... and PY314=... choose the Pythons. Run it on a quiet machine:
# the figures are ratios to peers of the same run, but load moves them.
set -euo pipefail
cd "$(dirname "$0")/.."
n_tasks=${1:-100000}

py313=${PY313:-}
if [ -z "$py313" ] && command -v pyenv >/dev/null 2>&1; then
  py313="$(pyenv prefix 3.13.0 2>/dev/null || true)/bin/python3"
fi
[ -x "${py313:-}" ] || py313=$(command -v python3.13 || true)
py314=${PY314:-}
[ -n "$py314" ] || py314=$(bash build-aux/fetch-unstable-pythons.sh 2>/dev/null | grep -E '/python3\.14$' || true)

# release_build DIR PYTHON: sets up and builds a release tree.
release_build() {
  local dir=$1 py=$2
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" --buildtype=release -Dgtk_doc=false -Dpython="$py" >/dev/null
  else
    meson setup "$dir" --buildtype=release -Dgtk_doc=false -Dpython="$py" >/dev/null
  fi
  ninja -C "$dir" >/dev/null
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -x "${py313:-}" ]; then
  release_build _build/rel13 "$py313"
  echo "=== bench/run.py against $py313 ==="
  python3 bench/run.py _build/rel13
  echo "=== bench/pool.py against $py313 ==="
  python3 bench/pool.py _build/rel13 "$n_tasks"
else
  echo "=== no CPython 3.13 found (PY313=...): run.py and pool.py skipped ==="
fi
if [ -x "${py314:-}" ]; then
  release_build _build/rel14 "$py314"
  echo "=== bench/pool.py against $py314 (the executor beside CPython's own) ==="
  python3 bench/pool.py _build/rel14 "$n_tasks"
else
  echo "=== no CPython 3.14 found (PY314=...): the executor comparison skipped ==="
fi
