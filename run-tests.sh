#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: installs the Debian
# packages, then builds (warnings as errors) and tests against Debian's
# python3 and against a Python >= 3.12 when one is found.
set -euo pipefail
cd "$(dirname "$0")"

bash build-aux/install-deps.sh

passed=0; failed=0; skipped=0
while read -r py; do
  ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  dir="_build/py$ver"
  echo "=== interp-glib against $py (Python $ver) in $dir ==="
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" -Dpython="$py" --werror >/dev/null
  else
    meson setup "$dir" -Dpython="$py" --werror
  fi
  ninja -C "$dir"
  rc=0
  meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
  counts=$("$py" - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
c = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    c["OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"] += 1
print(c["OK"], c["FAIL"], c["SKIP"])
PY
)
  read -r p f s <<<"$counts"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$rc" -eq 0 ] || failed=$((failed > 0 ? failed : 1))
done < <(bash build-aux/find-pythons.sh)

# Sanitizers, fuzzing and stress (build-aux/run-hardening.sh): its counts
# join the total. INTERP_HARDENING=0 skips it.
hlog=$(mktemp)
hrc=0
bash build-aux/run-hardening.sh 2>&1 | tee "$hlog" || hrc=$?
if read -r p f s < <(sed -n 's/^hardening: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$hlog" | tail -n 1); then
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
else
  failed=$((failed + 1))
fi
[ "$hrc" -eq 0 ] || failed=$((failed > 0 ? failed : 1))
rm -f "$hlog"

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
