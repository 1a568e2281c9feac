#!/usr/bin/env bash
# The side-by-side benchmark (not a test; not part of scripts/test.sh): our tools and our FUSE
# mount against Debian's fuse2fs over an ext4 image made with mkfs.ext4, on the same generated
# trees, in one run, alternating systems round by round; prints each figure (the median of the
# rounds) and the ratios, for plain and encrypted images:
#
#   redoxfs-ar of 20,000 files / 400 MiB (against mkfs.ext4 -d of the same tree), peak memory;
#   FUSE sequential write (+ fsync) and cold read of 1 GiB; 4 KiB random reads and writes (fio);
#   20,000 small files: create, stat, read, delete, and create/delete with an fsync per file;
#   untar of a source tree (/usr/include); redoxfs-fsck (and --scrub) of 100,000 files against
#   e2fsck -fn; the engine's own 1 GiB write and read (redoxfs-bench engine, no FUSE).
#
#   scripts/bench-compare.sh [--quick] [--rounds N] [--only ar,fuse,fsck,engine,parallel] [--baseline-bin DIR] ...
#
# --baseline-bin DIR runs a second build (for example an older commit's `swift build -c release`
# products) in the same rounds and adds its column and the ratio. `--help` lists every option.
# Run as root (FUSE mounts, drop_caches). Environment: SCRATCH_PATH (SwiftPM build folder,
# default .build; the binaries are taken from its release folder unless --bin is given).
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in *" --help "*|*" -h "*) exec python3 scripts/bench_compare.py --help ;; esac
[ "$(id -u)" -eq 0 ] || { echo "bench-compare: run as root (FUSE mounts, drop_caches)" >&2; exit 1; }

scripts/install-deps.sh
scratch=${SCRATCH_PATH:-.build}
echo "== release build ($scratch)" >&2
for product in redoxfs redoxfs-mkfs redoxfs-ar redoxfs-fsck redoxfs-bench; do
  if ! swift build -c release --scratch-path "$scratch" --product "$product" > "$scratch-bench-build.log" 2>&1; then
    grep -E "error" "$scratch-bench-build.log" >&2 || tail -20 "$scratch-bench-build.log" >&2
    echo "bench-compare: $product did not build" >&2
    exit 1
  fi
done
rm -f "$scratch-bench-build.log"
exec python3 scripts/bench_compare.py --bin "$scratch/release" "$@"
