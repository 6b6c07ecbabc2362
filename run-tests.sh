#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: installs the Debian
# packages, then builds (warnings as errors) and tests against Debian's
# python3 and against a Python >= 3.12 when one is found (all suites), and
# against Debian unstable's CPython 3.14 and 3.15, fetched into a cache
# outside the clone by build-aux/fetch-unstable-pythons.sh (C, GJS and
# example suites: there is no PyGObject for them). When they cannot be
# fetched (no network, fresh machine) those builds are reported skipped.
# INTERP_SKIP_UNSTABLE=1 leaves them out. The first build's C suites then
# run again, repeated beside two busy loops (INTERP_LOAD_REPEAT=0 skips it).
set -euo pipefail
cd "$(dirname "$0")"

bash build-aux/install-deps.sh

# Each step's header says when it starts (seconds since this script did),
# so that a log shows where the time goes.
step() { echo "=== $* (at ${SECONDS} s) ==="; }

passed=0; failed=0; skipped=0; built=" "; first_dir=
# What failed, one line each, repeated at the end so that a log's tail
# names it.
failures=()

# add_testlog_counts DIR RC: adds the results in DIR's last meson test log
# to the counts and its failed tests to failures; RC is meson test's
# status (a failure it did not log still counts as one).
add_testlog_counts() {
  local dir=$1 rc=$2 counts p f k name
  counts=$(python3 build-aux/testlog-counts.py "$dir/meson-logs/testlog.json")
  read -r p f k <<<"$(head -n 1 <<<"$counts")"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
  while read -r name; do
    [ -z "$name" ] || failures+=("$dir: $name")
  done < <(tail -n +2 <<<"$counts")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    failed=$((failed + 1))
    failures+=("$dir: meson test exited $rc")
  fi
}

# count STEP CMD...: runs CMD as one test named STEP.
count() {
  local step=$1; shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$step")
  fi
}

step "Python.h include order (build-aux/check-python-include.sh)"
count check-python-include.sh bash build-aux/check-python-include.sh

step "One direction between the library's layers (build-aux/check-layers.py)"
for args in "" --self-test; do
  # shellcheck disable=SC2086
  count "check-layers.py $args" python3 build-aux/check-layers.py $args
done

# build_and_test PYTHON [SUITE...]: no suites means all of them. Extra
# meson options come from the array setup_extra.
setup_extra=()
build_and_test() {
  local py=$1; shift
  local ver dir rc=0 suites=() s
  ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  dir="_build/py$ver"
  built+="$ver "
  first_dir=${first_dir:-$dir}
  step "interp-glib against $py (Python $ver) in $dir"
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" -Dpython="$py" --werror "${setup_extra[@]}" >/dev/null
  else
    rm -rf "$dir"
    meson setup "$dir" -Dpython="$py" --werror "${setup_extra[@]}"
  fi
  ninja -C "$dir"
  # Only the wanted suites that this build has (meson test fails on others).
  for s in "$@"; do
    if "$py" -c 'import json, sys; sys.exit(not any(sys.argv[2] in t["suite"] or
        "interp-glib:" + sys.argv[2] in t["suite"] for t in json.load(open(sys.argv[1]))))' \
        "$dir/meson-info/intro-tests.json" "$s"; then
      suites+=(--suite "$s")
    fi
  done
  [ $# -eq 0 ] || [ ${#suites[@]} -gt 0 ] || { echo "no test in suites $*" >&2; return 1; }
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${suites[@]}" || rc=$?
  add_testlog_counts "$dir" "$rc"

  # What the README tells a Python user to run, as it stands.
  echo "--- meson devenv -C $dir $py -c 'import interp_glib' ---"
  count "$dir: import interp_glib" meson devenv -C "$dir" "$py" -c 'import interp_glib as i
x = i.create()
assert x.call(pow, 2, 5) == 32
x.close()
print("interp_glib", i.__file__, "works under", i.get_main().id)'
}

# The API reference and the Vala binding do not depend on the Python: the
# first build makes and checks them, the others skip gtk-doc and the vapi
# with its Vala programs.
while read -r py; do
  if [ -n "$first_dir" ]; then setup_extra=(-Dgtk_doc=false -Dvapi=disabled); fi
  build_and_test "$py"
done < <(bash build-aux/find-pythons.sh)

unstable_versions=${INTERP_UNSTABLE_VERSIONS:-"3.14 3.15"}
unstable_suites=${INTERP_UNSTABLE_SUITES:-"c gjs examples python oracle"}
if [ -n "${INTERP_SKIP_UNSTABLE:-}" ]; then
  step "Python $unstable_versions from Debian unstable: SKIPPED (INTERP_SKIP_UNSTABLE is set)"
  skipped=$((skipped + $(wc -w <<<"$unstable_versions")))
else
  step "Python $unstable_versions from Debian unstable (build-aux/fetch-unstable-pythons.sh)"
  fetch_rc=0
  unstable=$(INTERP_UNSTABLE_VERSIONS=$unstable_versions bash build-aux/fetch-unstable-pythons.sh) || fetch_rc=$?
  for v in $unstable_versions; do
    py=$(grep -E "/python$v\$" <<<"$unstable" || true)
    if [ -z "$py" ]; then
      step "Python $v from Debian unstable: SKIPPED (could not fetch it, status $fetch_rc; see above)"
      skipped=$((skipped + 1))
    elif [[ "$built" == *" $v "* ]]; then
      step "Python $v from Debian unstable: SKIPPED (a Python $v was built above)"
      skipped=$((skipped + 1))
    else
      # shellcheck disable=SC2086
      build_and_test "$py" $unstable_suites
    fi
  done
fi

# The first build's C suites again (Debian's 3.11 unless INTERP_PYTHONS
# says otherwise), repeated beside two busy loops: a race that only shows
# on a busy machine (an interrupt or a thread that starts late) fails here
# rather than now and then on someone's CI run. 3.11 because its
# interpreters share one GIL, so their threads hand it over the most, and
# most flakes showed there. Not the stress suite: it is long, and loads
# the machine itself. A few minutes at most. INTERP_LOAD_REPEAT sets the
# repetitions (2; 0 skips the step).
load_repeat=${INTERP_LOAD_REPEAT:-2}
if [ "$load_repeat" = 0 ]; then
  step "C suites under load: SKIPPED (INTERP_LOAD_REPEAT=0)"
  skipped=$((skipped + 1))
else
  step "C suites of $first_dir, $load_repeat times beside two busy loops"
  busy=()
  stop_busy() {
    [ ${#busy[@]} -eq 0 ] || kill "${busy[@]}" 2>/dev/null || true
    busy=()
  }
  trap stop_busy EXIT
  trap 'stop_busy; exit 130' INT
  trap 'stop_busy; exit 143' TERM
  # timeout: the loops end even if this script is killed outright.
  for _ in 1 2; do
    timeout 1800 sh -c 'while :; do :; done' &
    busy+=($!)
  done
  load_rc=0
  # Two at a time: more load still, in half the time.
  meson test -C "$first_dir" --suite c --no-suite stress --repeat "$load_repeat" \
    --num-processes 2 --print-errorlogs || load_rc=$?
  stop_busy
  add_testlog_counts "$first_dir" "$load_rc"
fi

# Sanitizers, fuzzing and stress (build-aux/run-hardening.sh): its counts
# join the total. INTERP_HARDENING=0 skips it.
step "Sanitizers, fuzzing and stress (build-aux/run-hardening.sh)"
hlog=$(mktemp)
hrc=0
bash build-aux/run-hardening.sh 2>&1 | tee "$hlog" || hrc=$?
if read -r p f s < <(sed -n 's/^hardening: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$hlog" | tail -n 1); then
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  while read -r name; do
    failures+=("hardening: $name")
  done < <(sed -n 's/^hardening: FAILED: //p' "$hlog")
else
  failed=$((failed + 1))
  failures+=("hardening: no count printed")
fi
if [ "$hrc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
  failed=$((failed + 1))
  failures+=("hardening: exited $hrc")
fi
rm -f "$hlog"

for f in "${failures[@]}"; do
  echo "FAILED: $f"
done
echo "tests: $passed passed, $failed failed, $skipped skipped (in ${SECONDS} s)"
[ "$failed" -eq 0 ]
