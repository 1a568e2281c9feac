#!/usr/bin/env bash
# The main job, for now: build the tools; dump an upstream fixture with them and compare it with its
# manifest; then make an encrypted image of a small tree with redoxfs-ar, check it with
# redoxfs-fsck, and list it. (It grows into building and booting a whole Redox image.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release 2>&1 | grep -E "error|warning:|Compiling|Build complete" | tail -n 3
bin=.build/release
fixtures=${REDOXFS_FIXTURES:-../shared/fixtures/redoxfs-0.9.1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== redoxfs-dump of the upstream image ar.img"
zstd -q -d "$fixtures/ar.img.zst" -o "$work/ar.img"
"$bin/redoxfs-dump" "$work/ar.img" > "$work/ar.manifest.txt"
head -n 8 "$work/ar.manifest.txt"
if cmp -s "$work/ar.manifest.txt" "$fixtures/ar.manifest.txt"; then
  echo "redoxfs-dump output equals the upstream manifest ($(wc -l < "$work/ar.manifest.txt") lines)"
else
  echo "redoxfs-dump output differs from the upstream manifest" >&2; exit 1
fi

echo "== redoxfs-ar --encrypt of a small tree, then redoxfs-fsck and redoxfs-dump"
mkdir -p "$work/tree/usr/lib/boot" "$work/tree/home/user"
printf 'hello from Swift\n' > "$work/tree/home/user/hello.txt"
head -c 300000 /dev/urandom > "$work/tree/usr/lib/boot/blob"
ln -s ../../home/user/hello.txt "$work/tree/usr/lib/link"
printf 'correct horse\n' > "$work/password"
"$bin/redoxfs-ar" --password-file "$work/password" --size 64MiB "$work/image.img" "$work/tree"
"$bin/redoxfs-fsck" -n -f --password-file "$work/password" "$work/image.img"
"$bin/redoxfs-dump" --password-file "$work/password" "$work/image.img" | cut -f1-7
