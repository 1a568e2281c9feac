#!/usr/bin/env bash
# Benchmark of redoxfs-fsck (not a test): checks an image holding 100,000 files and compares
# with `e2fsck -fn` on an ext4 image holding the same tree (made with `mkfs.ext4 -d`).
#
#   scripts/bench-fsck.sh [FILES]          (default 100000)
#
# Needs e2fsprogs (mkfs.ext4, e2fsck) and python3. Builds redoxfs-fsck and redoxfs-ar in release
# mode. Environment: SCRATCH_PATH (SwiftPM build folder, default .build-fsck), BENCH_DIR (where the
# tree and images go, default a fresh folder under /tmp), RUNS (timed runs of each checker,
# default 3; the best is reported, after one warm-up run so that both read from the page cache).
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-100000}
scratch=${SCRATCH_PATH:-.build-fsck}
runs=${RUNS:-3}

for tool in mkfs.ext4 e2fsck python3; do
  command -v "$tool" > /dev/null || { echo "bench-fsck: $tool is needed" >&2; exit 1; }
done

echo "== release build"
for product in redoxfs-fsck redoxfs-ar; do
  swift build -c release --scratch-path "$scratch" --product "$product" 2>&1 | grep -E "error|warning: .*Sources" || true
done
bin="$scratch/release"
[ -x "$bin/redoxfs-ar" ] || { echo "bench-fsck: redoxfs-ar did not build; it makes the RedoxFS image" >&2; exit 1; }

if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR
  mkdir -p "$work"
  rm -rf "$work/tree" "$work/tree.redoxfs" "$work/tree.ext4"
else
  work=$(mktemp -d /tmp/redoxfs-fsck-bench.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
echo "== generating $files files in $work/tree"
# 100 files per directory, two levels of directories; sizes cycle through inline (< 3968 bytes),
# one-record and multi-record files, so that both file systems hold real data blocks.
python3 - "$work/tree" "$files" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
sizes = [0, 17, 300, 1000, 3000, 5000, 9000, 20000]
for i in range(count):
    folder = os.path.join(root, "d%03d" % (i // 10000), "e%03d" % ((i // 100) % 100))
    if i % 100 == 0:
        os.makedirs(folder, exist_ok=True)
    size = sizes[i % len(sizes)]
    line = ("file %d of the fsck benchmark\n" % i).encode()
    with open(os.path.join(folder, "f%06d.txt" % i), "wb") as f:
        f.write((line * (size // len(line) + 1))[:size])
PY
bytes=$(du -sb "$work/tree" | cut -f1)
entries=$(find "$work/tree" -mindepth 1 | wc -l)
size_mb=$(( bytes * 3 / 1048576 + 512 ))

echo "== images ($entries entries, $(( bytes / 1048576 )) MiB of data; images of $size_mb MiB)"
redox="$work/tree.redoxfs"
ext4="$work/tree.ext4"
"$bin/redoxfs-ar" --quiet --size "${size_mb}MiB" "$redox" "$work/tree"
mkfs.ext4 -q -F -d "$work/tree" "$ext4" "${size_mb}M"

# Best wall time of $runs runs of a command (after a warm-up run); its exit status must be 0.
best_time() {
  "$@" > /dev/null 2>&1 || { echo "bench-fsck: '$*' failed" >&2; "$@" | tail -5 >&2; exit 1; }
  local best=""
  for _ in $(seq "$runs"); do
    local start end elapsed
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    if [ -z "$best" ] || awk -v x="$elapsed" -v y="$best" 'BEGIN { exit !(x < y) }'; then best=$elapsed; fi
  done
  echo "$best"
}

echo "== checking (best of $runs runs each)"
redox_time=$(best_time "$bin/redoxfs-fsck" -n -f "$redox")
ext4_time=$(best_time e2fsck -fn "$ext4")
"$bin/redoxfs-fsck" -n -f "$redox" | tail -2
awk -v n="$entries" -v r="$redox_time" -v e="$ext4_time" 'BEGIN {
  printf "%-24s %10s %14s\n", "checker", "seconds", "entries/s"
  printf "%-24s %10.3f %14.0f\n", "redoxfs-fsck -n -f", r, n / r
  printf "%-24s %10.3f %14.0f\n", "e2fsck -fn (ext4)", e, n / e
  printf "ratio redoxfs-fsck / e2fsck: %.2f\n", r / e }'
