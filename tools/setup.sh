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
)

missing=()
for entry in "${PACKAGES[@]}"; do
  pkg=${entry%%:*}
  file=${entry#*:}
  [ -e "$file" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "setup: cannot install packages (not root, no sudo). Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

still=()
for entry in "${PACKAGES[@]}"; do
  file=${entry#*:}
  [ -e "$file" ] || still+=("${entry%%:*} ($file)")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "setup: still missing after install: ${still[*]}" >&2
  exit 1
fi
