#!/usr/bin/env bash
# Benchmark of redox-installer (not a test): installs a configuration whose packages hold
# FILES files / SIZE (default 20,000 / 400 MiB, in 20 signed packages of a local repository)
# and reports MB/s, files/s and peak memory; then archives the same tree with redoxfs-ar for
# comparison. Measured on the shared 2-core machine (2026-12-04, release build): installer
# 37.5 s = 11.2 MB/s, 533 files/s, peak 138 MiB; redoxfs-ar of the unpacked tree 11.6 s =
# 36.2 MB/s, 1724 files/s, peak 100 MiB (the installer is 3.2x slower: it reads every archive
# whole and hashes every entry with BLAKE3 before writing anything).
#
#   scripts/bench-installer.sh [FILES] [SIZE_MIB] [PACKAGES]   (defaults: 20000 400 20)
#
# Environment: SCRATCH_PATH (SwiftPM build folder, default .build-tools), BENCH_DIR (where the
# repository, trees and images go, default a fresh folder under /tmp, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000}
size_mib=${2:-400}
packages=${3:-20}
scratch=${SCRATCH_PATH:-.build-tools}

echo "== release build"
for product in redox-installer redoxfs-ar redoxfs-bench redoxfs-fsck pkgar pkgar-keys; do
  swift build -c release --scratch-path "$scratch" --product "$product" 2>&1 | grep -E "error" || true
done
bin="$scratch/release"

work=${BENCH_DIR:-$(mktemp -d /tmp/installer-bench.XXXXXX)}
trap 'rm -rf "$work"' EXIT
target=x86_64-unknown-redox
repo="$work/cookbook/repo/$target"
mkdir -p "$repo" "$work/cookbook/build" "$work/packages" "$work/union/usr/share"
"$bin/pkgar-keys" gen --plaintext --skey "$work/cookbook/build/id_ed25519.toml" --pkey "$work/cookbook/build/id_ed25519.pub.toml" >/dev/null

echo "== generating $files files, $size_mib MiB in $packages packages"
per_files=$((files / packages))
per_size=$((size_mib / packages))
config="$work/bench.toml"
printf '[general]\nprompt = false\nfilesystem_size = %d\n\n[packages]\n' $((size_mib * 2 + 256)) >"$config"
for ((i = 0; i < packages; i++)); do
  name=$(printf 'bench%02d' "$i")
  tree="$work/packages/$name"
  mkdir -p "$tree/usr/share"
  "$bin/redoxfs-bench" generate --files "$per_files" --size "${per_size}MiB" "$tree/usr/share/$name" >/dev/null
  "$bin/pkgar" create --skey "$work/cookbook/build/id_ed25519.toml" --archive "$repo/$name.pkgar" "$tree"
  printf 'name = "%s"\nversion = "1.0"\ntarget = "%s"\n' "$name" "$target" >"$repo/$name.toml"
  printf '%s = {}\n' "$name" >>"$config"
  cp -al "$tree/usr/share/$name" "$work/union/usr/share/$name"
done
bytes=$(find "$work/union" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
count=$(find "$work/union" -type f | wc -l)
entries=$(find "$work/union" -mindepth 1 | wc -l)
echo "   $count files, $bytes bytes of content, $entries entries; archives: $(du -sm "$repo" | cut -f1) MiB"

# run LABEL COMMAND...: runs it under /usr/bin/time; sets seconds and rss_mb.
run() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
  end=$(date +%s.%N)
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  rss_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%d", $2 / 1024 }' "$work/time.txt")
  awk -v l="$label" -v s="$seconds" -v b="$bytes" -v f="$count" -v r="$rss_mb" \
    'BEGIN { printf "%-16s %7.2f s  %7.1f MB/s  %8.0f files/s  peak %d MiB\n", l, s, b / s / 1e6, f / s, r }'
}

echo "== redox-installer (packages verified, GPT + ESP + RedoxFS written through the engine)"
run redox-installer "$bin/redox-installer" --no-progress -c "$config" --cookbook "$work/cookbook" "$work/installer.img"
installer_seconds=$seconds installer_rss=$rss_mb
"$bin/redoxfs-fsck" -n -f --offset 2097152 "$work/installer.img" | tail -n 1

echo "== redoxfs-ar of the same tree (unpacked)"
truncate -s "$(((size_mib * 2 + 256) - 3))M" "$work/ar.img"
run redoxfs-ar "$bin/redoxfs-ar" "$work/ar.img" "$work/union"

echo "== summary"
awk -v a="$installer_seconds" -v b="$seconds" -v ra="$installer_rss" -v rb="$rss_mb" \
  'BEGIN { printf "installer / redoxfs-ar: time %.2fx, peak memory %d / %d MiB\n", a / b, ra, rb }'
echo "(the installer also opens and verifies every archive while staging: signature, entry table and each"
echo " entry's BLAKE3; entries over 16 KiB are read from the archive again when written, re-hashed only if"
echo " the archive file changed in between)"
