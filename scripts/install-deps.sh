#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the tools need (idempotent; run as root).
set -euo pipefail
packages=(
  pkg-config zstd
  libsodium-dev libssl-dev liblz4-dev libfuse3-dev libblkid-dev fuse3
  qemu-system-x86 ovmf gnu-efi mtools dosfstools gdisk
  liblzma-dev bubblewrap python3
  qemu-system-arm qemu-efi-aarch64
  e2fsprogs fuse2fs fio
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
