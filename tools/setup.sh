#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh - the single list of external tools MinimalOS needs, and their installer.
# Usage: tools/setup.sh [--check]
#   --check  only report whether everything is present (exit 0 if so, 1 if not).
# Every package named here comes from Debian's archive. Nothing else is downloaded.
set -euo pipefail

# package : a file that proves it is installed
PACKAGES=(
  "make:/usr/bin/make"
  "gcc:/usr/bin/gcc"
  "clang:/usr/bin/clang"
  "binutils:/usr/bin/ld"
  "python3:/usr/bin/python3"
  "qemu-system-x86:/usr/bin/qemu-system-x86_64"
  "ovmf:/usr/share/OVMF/OVMF_CODE.fd"
  "grub-pc-bin:/usr/lib/grub/i386-pc/modinfo.sh"
  "grub-efi-amd64-bin:/usr/lib/grub/x86_64-efi/modinfo.sh"
  "grub-common:/usr/bin/grub-mkrescue"
  "xorriso:/usr/bin/xorriso"
  "mtools:/usr/bin/mformat"
  "libcmocka-dev:/usr/include/cmocka.h"
  "console-setup-linux:/usr/share/consolefonts/Lat15-VGA16.psf.gz"
  "dpkg-dev:/usr/bin/dpkg-source"
)

# The network stack compiles lwIP from Debian's source package at build time
# (mk/lwip.mk: apt-get source lwip), which needs deb-src entries and their
# index. Without them, they are derived from the machine's own deb entries
# into files of their own: deb822 stanzas (*.sources) with "Types: deb" get
# "Types: deb-src"; one-line "deb ..." entries become "deb-src ...".
APT_DIR=/etc/apt
SRC_FILE=$APT_DIR/sources.list.d/minimalos-deb-src
have_deb_src() {
  grep -qsE '^[[:space:]]*(Types:.*deb-src|deb-src[[:space:]])' "$APT_DIR/sources.list" \
    "$APT_DIR"/sources.list.d/*.list "$APT_DIR"/sources.list.d/*.sources &&
    compgen -G "/var/lib/apt/lists/*_Sources*" >/dev/null
}
derive_deb_src() {
  local f
  for f in "$APT_DIR"/sources.list.d/*.sources; do
    [ -e "$f" ] && [ "$f" != "$SRC_FILE.sources" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         { deb = 0; off = 0
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^Types:/ && (" " substr($i, 7) " ") ~ /[ \t]deb[ \t]/) deb = 1
             if ($i ~ /^Enabled:[ \t]*no/) off = 1 }
           if (!deb || off) next
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^Types:/) print "Types: deb-src"; else if ($i !~ /^#/) print $i }
           print "" }' "$f" >>"$1.sources.new"
  done
  for f in "$APT_DIR/sources.list" "$APT_DIR"/sources.list.d/*.list; do
    [ -e "$f" ] && [ "$f" != "$SRC_FILE.list" ] || continue
    sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$f" >>"$1.list.new"
  done
}

missing=()
for entry in "${PACKAGES[@]}"; do
  pkg=${entry%%:*}
  file=${entry#*:}
  [ -e "$file" ] || missing+=("$pkg")
done
need_src=0
have_deb_src || need_src=1

if [ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  [ ${#missing[@]} -eq 0 ] || echo "setup: missing packages: ${missing[*]}" >&2
  [ $need_src -eq 0 ] || echo "setup: no deb-src entries (or their index) in $APT_DIR: lwIP needs them" >&2
  exit 1
fi

[ ${#missing[@]} -eq 0 ] || echo "setup: installing ${missing[*]}" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "setup: cannot install packages (not root, no sudo). Run:" >&2
    [ ${#missing[@]} -eq 0 ] || echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    [ $need_src -eq 0 ] || echo "  and add deb-src entries for your deb entries to $APT_DIR, then apt-get update" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if [ $need_src -eq 1 ] && ! grep -qsE '^[[:space:]]*(Types:.*deb-src|deb-src[[:space:]])' \
     "$APT_DIR/sources.list" "$APT_DIR"/sources.list.d/*.list "$APT_DIR"/sources.list.d/*.sources; then
  tmp=$(mktemp -d)
  derive_deb_src "$tmp/src"
  for ext in sources list; do
    if [ -s "$tmp/src.$ext.new" ]; then
      echo "setup: adding deb-src entries ($SRC_FILE.$ext)" >&2
      "${SUDO[@]}" cp "$tmp/src.$ext.new" "$SRC_FILE.$ext"
      "${SUDO[@]}" chmod 644 "$SRC_FILE.$ext"
    fi
  done
  rm -rf "$tmp"
fi
"${SUDO[@]}" apt-get update -q
[ ${#missing[@]} -eq 0 ] || "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

still=()
for entry in "${PACKAGES[@]}"; do
  file=${entry#*:}
  [ -e "$file" ] || still+=("${entry%%:*} ($file)")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "setup: still missing after install: ${still[*]}" >&2
  exit 1
fi
