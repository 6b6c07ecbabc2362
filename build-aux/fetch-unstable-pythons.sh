#!/usr/bin/env bash
# Fetches CPython 3.14 and 3.15 from Debian unstable's binary packages and
# prints the path of each usable interpreter, one a line (stdout; messages go
# to stderr). Build and test interp-glib against one of them with:
#
#   py=$(bash build-aux/fetch-unstable-pythons.sh | grep 3.15)
#   meson setup _build/py3.15 -Dpython="$py" --werror
#   meson test -C _build/py3.15 --suite c --suite gjs --suite examples
#
# How it works, and what it never does:
# - apt runs with a private configuration: its own sources.list (Debian
#   unstable, main, amd64 only), its own state and cache directories, and an
#   empty dpkg status, so it resolves the whole dependency closure and only
#   downloads. The system's apt sources, lists and dpkg database stay as they
#   are, and nothing is installed into the system.
# - The packages (pythonX.Y, libpythonX.Y-dev, libpythonX.Y-testsuite and
#   what apt pulls in:
#   -minimal, -stdlib, unstable's libc6, libssl, libffi, ...) are unpacked
#   with dpkg-deb -x into one root directory in the cache, outside the clone.
#   No maintainer script runs; the byte-compilation that py3compile would do
#   at install is done here (compileall), once per fetch.
# - These Pythons need unstable's C library. The unpacked pythonX.Y binaries
#   are patched with patchelf to run through unstable's dynamic loader with
#   the unpacked library directory as their DT_RPATH, so they run as plain
#   executables (and subprocess/sys.executable work). Programs built against
#   their libpython get the same loader and rpath at link time (meson.build
#   reads them from build-aux/python-info.py).
#
# Cache: ${INTERP_PYTHONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/interp-glib/unstable-pythons}.
# It is reused between runs on the same machine: within INTERP_PYTHONS_MAX_AGE
# days (default 7) of the last fetch nothing touches the network; after that
# the package lists are refreshed and only changed packages are downloaded.
# INTERP_PYTHONS_REFRESH=1 forces a refresh. If the network fails, an existing
# root is used as it is. With no root and no network the script exits 2 and
# prints nothing on stdout (run-tests.sh then reports those builds skipped).
#
# Needs: apt-get, dpkg-deb, patchelf, flock (Debian: apt, dpkg, patchelf,
# util-linux), an x86_64 machine, and Debian's archive keyring.
# Works as root or as any user who owns the cache directory.
# INTERP_UNSTABLE_VERSIONS overrides the versions (default "3.14 3.15").
set -euo pipefail

versions=${INTERP_UNSTABLE_VERSIONS:-"3.14 3.15"}
cache=${INTERP_PYTHONS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/cache}/.cache}/interp-glib/unstable-pythons}
max_age_days=${INTERP_PYTHONS_MAX_AGE:-7}
mirror=${INTERP_UNSTABLE_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
multiarch=x86_64-linux-gnu
# Downloaded (dependencies) but not unpacked: the toolchain side of the C
# library and headers that would shadow the system's. The unpacked include
# directory then holds Python's headers only, so meson.build can pass it with
# -I (not as a system directory, which would hide warnings in pyconfig.h).
skip_unpack=" libc6-dev libc-dev-bin linux-libc-dev zlib1g-dev libexpat1-dev "

log() { echo "fetch-unstable-pythons: $*" >&2; }
give_up() { log "$*"; exit 2; }

[ "$(uname -m)" = x86_64 ] || give_up "only x86_64 is supported, this is $(uname -m)"
for tool in apt-get dpkg-deb patchelf flock; do
  command -v "$tool" >/dev/null 2>&1 || give_up "$tool is missing (bash build-aux/install-deps.sh installs it)"
done
[ -r "$keyring" ] || give_up "$keyring is missing (package debian-archive-keyring)"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
root=$cache/root
stamp=$cache/root.stamp
stamp_key="versions: $versions, with test suites, byte-compiled"
aptdir=$cache/apt

exec 9>"$cache/lock"
flock 9   # one fetch at a time per cache; a second caller waits, then reuses it

# Prints the usable interpreters of the unpacked root, one a line.
print_pythons() {
  local v py ok=0
  for v in $versions; do
    py=$root/usr/bin/python$v
    if [ -x "$py" ] && "$py" -c 'import sys, sysconfig' >/dev/null 2>&1; then
      echo "$py"; ok=1
    else
      log "python$v is not usable in $root"
    fi
  done
  [ "$ok" -eq 1 ]
}

root_is_fresh() {
  [ -f "$stamp" ] && [ -d "$root" ] && [ -z "${INTERP_PYTHONS_REFRESH:-}" ] &&
    [ -n "$(find "$stamp" -mmin -$((max_age_days * 24 * 60)))" ] &&
    grep -qx "$stamp_key" "$stamp"
}

if root_is_fresh; then
  print_pythons
  exit 0
fi

# The private apt configuration.
mkdir -p "$aptdir/etc/sources.list.d" "$aptdir/etc/preferences.d" \
  "$aptdir/state/lists/partial" "$aptdir/cache/archives/partial"
echo "deb [arch=amd64 signed-by=$keyring] $mirror unstable main" >"$aptdir/etc/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$aptdir/etc/sources.list"
  -o "Dir::Etc::sourceparts=$aptdir/etc/sources.list.d"
  -o "Dir::Etc::preferencesparts=$aptdir/etc/preferences.d"
  -o "Dir::Etc::preferences=$aptdir/etc/preferences"
  -o "Dir::State=$aptdir/state"
  -o "Dir::State::status=/dev/null"
  -o "Dir::Cache=$aptdir/cache"
  -o "APT::Architecture=amd64"
  -o "APT::Architectures::=amd64"
  -o "APT::Install-Recommends=false"
  -o "APT::Get::List-Cleanup=true"
  -o "Acquire::Retries=2"
  -o "APT::Update::Error-Mode=any"
  -o "Debug::NoLocking=true"
)
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o "APT::Sandbox::User=root")

packages=()
# The test suites are the oracle's (tests/python/meson.build): CPython's own
# Lib/test at the interpreter's exact version.
for v in $versions; do packages+=("python$v" "libpython$v-dev" "libpython$v-testsuite"); done

fetch() {
  apt-get "${apt_opts[@]}" -q update >&2 || return 1
  apt-cache "${apt_opts[@]}" policy "${packages[@]}" >&2 || return 1
  apt-get "${apt_opts[@]}" -q -y install --download-only "${packages[@]}" >&2 || return 1
}

if ! fetch; then
  if [ -d "$root" ] && [ -f "$stamp" ]; then
    log "could not refresh from $mirror; using the Pythons fetched before:"
    sed 's/^/  /' "$stamp" >&2
    print_pythons
    exit 0
  fi
  give_up "could not download Debian unstable's Pythons from $mirror"
fi

# The packages apt resolved (name and version), found in its cache.
debs=()
while read -r pkg ver; do
  case "$skip_unpack" in *" $pkg "*) continue ;; esac
  f=$(ls "$aptdir/cache/archives/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1)
  [ -n "$f" ] || give_up "$pkg $ver was not downloaded"
  debs+=("$f")
done < <(apt-get "${apt_opts[@]}" -s install "${packages[@]}" 2>/dev/null |
         sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p')
[ ${#debs[@]} -gt 0 ] || give_up "apt resolved no packages"

want=$( { echo "$stamp_key"; printf '%s\n' "${debs[@]##*/}" | sort; } )
if [ -f "$stamp" ] && [ -d "$root" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "unchanged since the last fetch"
  touch "$stamp"
  print_pythons
  exit 0
fi

log "unpacking ${#debs[@]} packages into $root"
rm -rf "$root.new"
mkdir -p "$root.new"
for f in "${debs[@]}"; do dpkg-deb -x "$f" "$root.new"; done

libdir=$root/usr/lib/$multiarch
loader=$libdir/ld-linux-x86-64.so.2
[ -e "$root.new/usr/lib/$multiarch/ld-linux-x86-64.so.2" ] || give_up "unstable's libc6 has no $multiarch/ld-linux-x86-64.so.2"
for v in $versions; do
  exe=$root.new/usr/bin/python$v
  [ -f "$exe" ] || { log "python$v is not in unstable's packages"; continue; }
  # The paths are where the root will be once it is moved into place.
  patchelf --set-interpreter "$loader" --force-rpath --set-rpath "$libdir" "$exe"
done

rm -rf "$root.old"
[ -d "$root" ] && mv "$root" "$root.old"
mv "$root.new" "$root"
rm -rf "$root.old"
# Byte-compiled in place, as the packages' postinst (py3compile) would
# have done: without it every import, in every new interpreter, compiles
# its module from source (CPython's own suites took twice as long), and
# under PYTHONDONTWRITEBYTECODE nothing is ever cached. A few seconds
# per version; a file that does not compile (the test suite has some on
# purpose) is left as it is.
for v in $versions; do
  [ -x "$root/usr/bin/python$v" ] || continue
  PYTHONDONTWRITEBYTECODE= "$root/usr/bin/python$v" -W ignore -m compileall -qq -j0 \
    "$root/usr/lib/python$v" >/dev/null 2>&1 || true
done
echo "$want" >"$stamp"
apt-get "${apt_opts[@]}" -q autoclean >/dev/null 2>&1 || true
print_pythons
