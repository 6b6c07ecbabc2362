#!/usr/bin/env bash
# The hardening run: what keeps the next hostile campaign from finding
# anything new. Called at the end of run-tests.sh; runs on its own too.
#
#  1. A sanitizer tree, _build/hardening: clang-14, ASan+UBSan, against
#     CPython 3.13 (pyenv's, or INTERP_HARDENING_PYTHON). The C suites, the
#     examples and the fuzz seed corpus run there with leak detection on
#     (meson test --setup asan; tests/lsan.supp suppresses CPython's own
#     leaks, and tests/lsan-cpython.c shows them with plain CPython: it must
#     leak without the suppressions and be clean with them).
#  2. The stress suite in the same tree (ASan and UBSan on, leaks off: the
#     leak check is step 1's).
#  3. libFuzzer: tests/fuzz/fuzz-values for INTERP_FUZZ_SECONDS (25), from
#     the seed corpus plus the corpus earlier runs grew (kept in the tree's
#     build dir), then that corpus once more with leak detection on.
#
# Last line: "hardening: N passed, N failed, N skipped" (run-tests.sh adds
# it to its total). INTERP_HARDENING=0 skips everything.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0; failed=0; skipped=0
pass () { passed=$((passed + 1)); echo "hardening: ok: $*"; }
fail () { failed=$((failed + 1)); echo "hardening: FAILED: $*"; }
skip () { skipped=$((skipped + 1)); echo "hardening: skipped: $*"; }
finish () {
  echo "hardening: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit
}

if [ "${INTERP_HARDENING:-1}" = 0 ]; then
  skip "INTERP_HARDENING=0"
  finish
fi

# --- what it needs ---------------------------------------------------------
# Not in install-deps.sh: only this run needs them.
deps=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "hardening: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    skip "needs ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
    finish
  fi
fi

py="${INTERP_HARDENING_PYTHON:-}"
if [ -z "$py" ]; then
  for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13.*; do
    [ -x "$d/bin/python3" ] && py="$d/bin/python3"
  done
fi
[ -z "$py" ] && command -v python3.13 >/dev/null 2>&1 && py="$(command -v python3.13)"
if [ -z "$py" ] || ! "$py" build-aux/python-info.py >/dev/null 2>&1; then
  skip "no CPython 3.13 with a shared libpython (set INTERP_HARDENING_PYTHON)"
  finish
fi

dir=_build/hardening
supp="$PWD/tests/lsan.supp"
echo "=== hardening: ASan+UBSan, libFuzzer and stress against $py in $dir ==="

# --- 1. the sanitizer tree --------------------------------------------------
# No introspection or gtk-doc: g-ir-scanner and gtk-doc run programs of the
# tree, which an uninstrumented Python would load with ASan's runtime.
opts=(-Dpython="$py" -Db_sanitize=address,undefined -Db_lundef=false
      -Dintrospection=disabled -Dgtk_doc=false -Dfuzzing=true
      -Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized)
if [ -d "$dir" ]; then
  CC=clang-14 meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
  CC=clang-14 meson setup "$dir" "${opts[@]}" >/dev/null
fi
if ! ninja -C "$dir" >"$dir/hardening-build.log" 2>&1; then
  tail -n 40 "$dir/hardening-build.log"
  fail "building the sanitizer tree (see $dir/hardening-build.log)"
  finish
fi

# The suppressions are CPython's: plain CPython needs them, exactly.
lsan_cpython () {
  env PYTHONMALLOC=malloc \
    ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=12 \
    "$@" "$dir/tests/lsan-cpython"
}
if lsan_cpython >"$dir/lsan-cpython.log" 2>&1; then
  fail "plain CPython reports no leak without tests/lsan.supp: are the suppressions still needed?"
elif grep -q "LeakSanitizer: detected memory leaks" "$dir/lsan-cpython.log"; then
  pass "plain CPython leaks without tests/lsan.supp"
else
  tail -n 20 "$dir/lsan-cpython.log"
  fail "lsan-cpython failed for another reason (log $dir/lsan-cpython.log)"
fi
if lsan_cpython LSAN_OPTIONS="suppressions=$supp:print_suppressions=0" \
     >"$dir/lsan-cpython-suppressed.log" 2>&1; then
  pass "plain CPython is clean with tests/lsan.supp"
else
  grep -A12 "leak of" "$dir/lsan-cpython-suppressed.log" | head -n 40
  fail "plain CPython leaks what tests/lsan.supp does not cover"
fi

rc=0
meson test -C "$dir" --setup asan --suite c --suite examples --suite fuzz --no-suite stress \
  --print-errorlogs --num-processes 2 || rc=$?
# Failed tests are named as the other failures here are.
counts=$("$py" build-aux/testlog-counts.py "$dir/meson-logs/testlog-asan.json") || counts="0 1 0"
while read -r name; do
  echo "hardening: FAILED: $name under ASan+UBSan" >&2
done < <(tail -n +2 <<<"$counts")
counts=$(head -n 1 <<<"$counts")
read -r p f s <<<"$counts"
[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
echo "hardening: sanitizer suites: $p passed, $f failed, $s skipped"

# --- 2. stress, sanitized ---------------------------------------------------
if PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   meson test -C "$dir" --suite stress --print-errorlogs; then
  grep -h "^# [a-z].*:" "$dir/meson-logs/testlog.txt" | sed 's/^# /hardening: stress: /' || true
  pass "stress suite under ASan+UBSan"
else
  fail "stress suite under ASan+UBSan"
fi

# --- 3. libFuzzer -------------------------------------------------------------
seconds="${INTERP_FUZZ_SECONDS:-25}"
work="$dir/fuzz-corpus"
mkdir -p "$work"
fuzz_env=(env PYTHONMALLOC=malloc G_DEBUG=fatal-criticals
          PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
# Leaks off while fuzzing (full unwinding would make it 14 times slower);
# the pass over the grown corpus below checks them.
if (cd "$dir" && "${fuzz_env[@]}" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
      ./tests/fuzz/fuzz-values -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix=fuzz- -error_exitcode=1 \
      fuzz-corpus ../../tests/fuzz/corpus) >"$dir/fuzz.log" 2>&1; then
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log" | tail -n1)
  pass "fuzz-values: ${execs:-?} inputs in ${seconds} s (${rate:-?}/s), corpus $(ls "$work" | wc -l) files"
else
  grep -v '^#[0-9]' "$dir/fuzz.log" | tail -n 40
  fail "fuzz-values found a crash (reproducer: $dir/fuzz-crash-* or fuzz-*, log $dir/fuzz.log)"
fi

# Keep the cached corpus minimal (inputs that add coverage), so that the
# replay below stays short however many runs grew it.
rm -rf "$work.min"
mkdir -p "$work.min"
if (cd "$dir" && "${fuzz_env[@]}" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
      ./tests/fuzz/fuzz-values -merge=1 -error_exitcode=1 fuzz-corpus.min fuzz-corpus) \
     >"$dir/fuzz-merge.log" 2>&1; then
  rm -rf "$work"
  mv "$work.min" "$work"
else
  rm -rf "$work.min"
fi

if (cd "$dir" && "${fuzz_env[@]}" \
      ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=12:allocator_may_return_null=1 \
      LSAN_OPTIONS="suppressions=$supp:print_suppressions=0" \
      ./tests/fuzz/fuzz-values -runs=0 -error_exitcode=1 -artifact_prefix=fuzz- fuzz-corpus) >"$dir/fuzz-leaks.log" 2>&1; then
  pass "fuzz corpus ($(ls "$work" | wc -l) files) replayed under LeakSanitizer"
else
  grep -v '^#[0-9]' "$dir/fuzz-leaks.log" | grep -A14 -E "leak of|ERROR" | head -n 60
  fail "fuzz corpus replayed under LeakSanitizer (log $dir/fuzz-leaks.log)"
fi

finish
