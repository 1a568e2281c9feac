#!/usr/bin/env bash
# Benchmark of the tools (not a test): archives a generated tree of 50,000 files / 800 MiB with
# redoxfs-ar and reports MB/s, files/s and peak memory; then writes and reads a 1 GiB file
# through the engine, without and with encryption.
#
#   scripts/bench-ar.sh [FILES] [SIZE]        (defaults: 50000 800MiB)
#
# Environment: SCRATCH_PATH (SwiftPM build folder, default .build-tools), BENCH_DIR (where the
# tree and images go, default a fresh folder under /tmp), MEMORY_LIMIT_MB (default 128).
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-50000}
size=${2:-800MiB}
scratch=${SCRATCH_PATH:-.build-tools}
limit=${MEMORY_LIMIT_MB:-128}

echo "== release build"
for product in redoxfs-ar redoxfs-bench redoxfs-dump; do
  swift build -c release --scratch-path "$scratch" --product "$product" 2>&1 | grep -E "error|warning: .*Sources" || true
done
bin="$scratch/release"

work=${BENCH_DIR:-$(mktemp -d /tmp/redoxfs-bench.XXXXXX)}
trap 'rm -rf "$work"' EXIT
echo "== generating $files files, $size in $work/tree"
"$bin/redoxfs-bench" generate --files "$files" --size "$size" "$work/tree"
bytes=$(find "$work/tree" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
entries=$(find "$work/tree" -mindepth 1 | wc -l)

echo "== redoxfs-ar"
image="$work/ar.img"
truncate -s "$(( (bytes * 3 / 2) / 1048576 + 256 ))M" "$image"
start=$(date +%s.%N)
/usr/bin/time -v -o "$work/time.txt" "$bin/redoxfs-ar" "$image" "$work/tree" > "$work/ar.out"
end=$(date +%s.%N)
cat "$work/ar.out"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
listed=$(( $("$bin/redoxfs-dump" "$image" | grep -vc '^#') - 1 ))
if [ "$listed" -ne "$entries" ]; then
  echo "the image lists $listed entries, the tree holds $entries" >&2; exit 1
fi
awk -v e="$entries" -v f="$files" -v b="$bytes" -v s="$seconds" -v r="$rss_kb" 'BEGIN {
  printf "archived %d entries (%d files), %.1f MB in %.2f s: %.1f MB/s, %.0f files/s, peak RSS %.1f MB (%.1f MiB)\n",
    e, f, b / 1e6, s, b / 1e6 / s, f / s, r * 1024 / 1e6, r / 1024 }'
if [ "$rss_kb" -gt $(( limit * 1000000 / 1024 )) ]; then
  echo "peak RSS above $limit MB" >&2; exit 1
fi
rm -f "$image"

echo "== engine: 1 GiB written then read back"
/usr/bin/time -f "engine bench peak RSS %M KB" "$bin/redoxfs-bench" engine --size 1GiB --directory "$work"
