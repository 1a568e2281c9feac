#!/usr/bin/env bash
# Builds the tools in release mode and installs them to PREFIX/bin (default /usr/local/bin),
# with the names mkfs.redoxfs and fsck.redoxfs as symbolic links (so mkfs -t redoxfs and
# fsck -t redoxfs find them).
#
#   scripts/install-tools.sh [PREFIX]      environment: SCRATCH_PATH (default .build-release)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
scratch=${SCRATCH_PATH:-.build-release}
tools=(redoxfs redoxfs-mkfs redoxfs-ar redoxfs-clone redoxfs-resize redoxfs-keys redoxfs-dump redoxfs-extract redoxfs-fsck)
swift build -c release --scratch-path "$scratch"
install -d "$prefix/bin"
for tool in "${tools[@]}"; do
  if [ -x "$scratch/release/$tool" ]; then
    install -m 0755 "$scratch/release/$tool" "$prefix/bin/$tool"
    echo "installed $prefix/bin/$tool"
  fi
done
ln -sf redoxfs-mkfs "$prefix/bin/mkfs.redoxfs"
ln -sf redoxfs-fsck "$prefix/bin/fsck.redoxfs"
echo "linked $prefix/bin/mkfs.redoxfs -> redoxfs-mkfs, $prefix/bin/fsck.redoxfs -> redoxfs-fsck"
