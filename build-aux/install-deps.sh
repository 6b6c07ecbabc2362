#!/usr/bin/env bash
# Installs what building and testing interp-glib needs on Debian 12.
# Does nothing when everything is there already; needs root otherwise.
set -euo pipefail

packages=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev gobject-introspection libgirepository1.0-dev
  gtk-doc-tools gjs python3-dev python3-gi valgrind valac
  patchelf debian-archive-keyring  # fetch-unstable-pythons.sh
  libpython3.11-testsuite  # the oracle suite on Debian's python3: its Lib/test
)

# The GTK 4 examples (examples/gtk-app.js, gtk-list.js) and their tests,
# which drive them under a virtual X server. Without them those tests are
# skipped.
gtk_app_packages=(
  gir1.2-gtk-4.0 xvfb xauth
)
packages+=("${gtk_app_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing packages: ${missing[*]}" >&2
  echo "Run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
