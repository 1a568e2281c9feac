#!/usr/bin/env bash
# The main job, for now: build the tools and dump an upstream fixture image with them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product redoxfs-dump
swift build -c release --product redoxfs-extract
fixtures=${REDOXFS_FIXTURES:-../shared/fixtures/redoxfs-0.9.1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zstd -q -d "$fixtures/ar.img.zst" -o "$work/ar.img"
.build/release/redoxfs-dump "$work/ar.img" > "$work/ar.manifest.txt"
head -n 12 "$work/ar.manifest.txt"
if cmp -s "$work/ar.manifest.txt" "$fixtures/ar.manifest.txt"; then
  echo "redoxfs-dump output equals the upstream manifest ($(wc -l < "$work/ar.manifest.txt") lines)"
else
  echo "redoxfs-dump output differs from the upstream manifest" >&2; exit 1
fi
