#!/usr/bin/env bash
# Cheap check that Python.h comes before every system header (its feature
# macros, e.g. 3.15's _POSIX_C_SOURCE 202405L, must be seen first):
# - only interp-glib/interp-python-private.h includes <Python.h>; that header
#   #errors when included after a system header, on every Python version;
# - a C file that includes it or another private header that pulls Python in
#   has interp-python-private.h (or such a private header) as its first include.
# Run from anywhere; prints offending files and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
while IFS= read -r f; do
  [ "$f" = interp-glib/interp-python-private.h ] && continue
  # A file of its own that includes Python.h before anything else is fine
  # (the host extension module, the plain-CPython LSan probe).
  first=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^">]*[">]\).*/\1/p' "$f" | head -n 1)
  [ "$first" = "<Python.h>" ] && continue
  echo "$f: includes Python.h directly, not first; include \"interp-python-private.h\" (first) instead" >&2
  status=1
done < <(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]Python\.h[>"]' \
           --include='*.c' --include='*.h' interp-glib tests bench examples 2>/dev/null || true)

# Private headers that include Python (directly or through another one).
python_headers=" interp-python-private.h "
changed=1
while [ "$changed" -eq 1 ]; do
  changed=0
  for h in interp-glib/*-private.h; do
    b=${h##*/}
    case "$python_headers" in *" $b "*) continue ;; esac
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$h"); do
      case "$python_headers" in *" $inc "*) python_headers+="$b "; changed=1; break ;; esac
    done
  done
done

for f in $(find interp-glib tests bench examples -name '*.c' | sort); do
  incs=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^">]*[">]\).*/\1/p' "$f")
  uses=0
  for inc in $incs; do
    case "$python_headers" in *" ${inc//[\"<>]/} "*) uses=1 ;; esac
  done
  [ "$uses" -eq 1 ] || continue
  first=$(printf '%s\n' $incs | head -n1)
  case "$python_headers" in
    *" ${first//[\"<>]/} "*) ;;
    *) echo "$f: first include is $first; Python comes in later through a private header: include \"interp-python-private.h\" first" >&2
       status=1 ;;
  esac
done
exit $status
