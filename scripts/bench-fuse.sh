#!/usr/bin/env bash
# Compares the RedoxFS FUSE mount (`redoxfs`, release build) with ext4 through fuse2fs (Debian's
# package; ext4 without a journal, which fuse2fs cannot write) on images of the same size, in one
# run on this machine:
#
#   1. 1 GiB sequential write with fsync (dd bs=1M conv=fsync), and the read after a remount
#      with the page cache dropped (dd bs=1M);
#   2. 20,000 small files (1 byte to 16 KiB, in 100 directories): create + one fsync, read back
#      after a remount, delete + one fsync;
#   3. tar -x of a real source tree (Python's standard library) + one fsync.
#
# Prints each figure for both and the ratio (redoxfs time / ext4 time: below 1 means redoxfs is
# faster). Run as root (FUSE mounts, dropping caches).
#
#   scripts/bench-fuse.sh            environment: BENCH_DIR (default: a new folder in /var/tmp,
#                                    on a real disk so fsync costs what it costs), BENCH_SIZE
#                                    (image size, default 4G), SCRATCH_PATH (default .build-release)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run as root (FUSE mounts, drop_caches)"; exit 1; }

scripts/install-deps.sh
if ! command -v fuse2fs > /dev/null || ! command -v mkfs.ext4 > /dev/null; then
  echo "installing fuse2fs e2fsprogs"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fuse2fs e2fsprogs > /dev/null
fi

scratch=${SCRATCH_PATH:-.build-release}
echo "== release build of redoxfs and redoxfs-mkfs"
swift build -c release --scratch-path "$scratch" --product redoxfs 2>&1 | grep -E "error|warning:" || true
swift build -c release --scratch-path "$scratch" --product redoxfs-mkfs 2>&1 | grep -E "error|warning:" || true
redoxfs_bin="$PWD/$scratch/release/redoxfs"
mkfs_bin="$PWD/$scratch/release/redoxfs-mkfs"

work=${BENCH_DIR:-$(mktemp -d /var/tmp/redoxfs-bench.XXXXXX)}
size=${BENCH_SIZE:-4G}
mkdir -p "$work/mnt"
daemon=""
cleanup() {
  if mountpoint -q "$work/mnt"; then umount -l "$work/mnt" || true; fi
  if [ -n "$daemon" ]; then kill "$daemon" 2> /dev/null || true; fi
  rm -f "$work"/*.img "$work/random.bin" "$work/tree.tar"
}
trap cleanup EXIT

echo "== inputs in $work"
head -c 1073741824 /dev/urandom > "$work/random.bin"
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
tar -C "$stdlib" -cf "$work/tree.tar" --exclude=__pycache__ --exclude=site-packages .
tree_files=$(tar -tf "$work/tree.tar" | grep -vc '/$')
echo "source tree: $stdlib, $tree_files files, $(du -h "$work/tree.tar" | cut -f1) tar"

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
fsync_path() { python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.close(fd)" "$1"; }

mount_fs() {  # $1 = redoxfs|ext4
  if [ "$1" = redoxfs ]; then
    "$redoxfs_bin" -f "$work/$1.img" "$work/mnt" 2> "$work/$1.log" &
  else
    fuse2fs -f "$work/$1.img" "$work/mnt" -o rw 2> "$work/$1.log" &
  fi
  daemon=$!
  for _ in $(seq 600); do mountpoint -q "$work/mnt" && return 0; sleep 0.1; done
  echo "$1 did not mount"; cat "$work/$1.log"; exit 1
}

unmount_fs() {  # waits for the daemon's final commit and exit
  umount "$work/mnt"
  wait "$daemon" || true
  daemon=""
}

small_files() {  # $1 = create|read|delete, $2 = root
  python3 - "$1" "$2" <<'PY'
import os, random, shutil, sys
action, root = sys.argv[1], sys.argv[2]
rng = random.Random(5)
pool = rng.randbytes(16384)
if action == "create":
    for d in range(100):
        os.mkdir(os.path.join(root, f"d{d:03d}"))
        for f in range(200):
            with open(os.path.join(root, f"d{d:03d}", f"f{f:03d}"), "wb") as out:
                out.write(pool[:rng.randint(1, 16384)])
elif action == "read":
    total = 0
    for d in range(100):
        for f in range(200):
            with open(os.path.join(root, f"d{d:03d}", f"f{f:03d}"), "rb") as source:
                total += len(source.read())
    print(total, file=sys.stderr)
else:
    for d in range(100):
        shutil.rmtree(os.path.join(root, f"d{d:03d}"))
PY
}

declare -A result
run_suite() {  # $1 = redoxfs|ext4
  local fs=$1 t0 t1
  rm -f "$work/$fs.img"
  truncate -s "$size" "$work/$fs.img"
  # fuse2fs cannot write an ext4 journal (it warns and runs without one), so the ext4 image has none.
  if [ "$fs" = redoxfs ]; then "$mkfs_bin" "$work/$fs.img" > /dev/null; else mkfs.ext4 -q -F -O ^has_journal "$work/$fs.img"; fi
  drop_caches
  echo "== $fs"

  mount_fs "$fs"
  t0=$(now); dd if="$work/random.bin" of="$work/mnt/big" bs=1M conv=fsync status=none; t1=$(now)
  result[$fs,seqwrite]=$(elapsed "$t0" "$t1")
  unmount_fs; drop_caches; mount_fs "$fs"
  t0=$(now); dd if="$work/mnt/big" of=/dev/null bs=1M status=none; t1=$(now)
  result[$fs,seqread]=$(elapsed "$t0" "$t1")
  cmp -s "$work/random.bin" "$work/mnt/big" || { echo "$fs: the 1 GiB file reads back wrong"; exit 1; }
  rm "$work/mnt/big"; fsync_path "$work/mnt"

  mkdir "$work/mnt/small"
  t0=$(now); small_files create "$work/mnt/small"; fsync_path "$work/mnt/small"; t1=$(now)
  result[$fs,create]=$(elapsed "$t0" "$t1")
  unmount_fs; drop_caches; mount_fs "$fs"
  t0=$(now); small_files read "$work/mnt/small" 2> /dev/null; t1=$(now)
  result[$fs,read]=$(elapsed "$t0" "$t1")
  t0=$(now); small_files delete "$work/mnt/small"; fsync_path "$work/mnt"; t1=$(now)
  result[$fs,delete]=$(elapsed "$t0" "$t1")

  mkdir "$work/mnt/tree"
  t0=$(now); tar -xf "$work/tree.tar" -C "$work/mnt/tree"; fsync_path "$work/mnt/tree"; t1=$(now)
  result[$fs,tar]=$(elapsed "$t0" "$t1")
  unmount_fs
  rm -f "$work/$fs.img"
}

run_suite redoxfs
run_suite ext4

echo
echo "== results ($(nproc) cores, images of $size in $work; times in seconds, lower is better)"
printf "%-44s %10s %10s %8s\n" "" "redoxfs" "ext4/fuse2fs" "ratio"
row() {  # $1 = key, $2 = label, $3 = MiB for a throughput column (optional)
  local r=${result[redoxfs,$1]} e=${result[ext4,$1]}
  local ratio; ratio=$(python3 -c "print(f'{$r / $e:.2f}')")
  if [ -n "${3:-}" ]; then
    printf "%-44s %7s s %9s s %8s   (%s vs %s MiB/s)\n" "$2" "$r" "$e" "$ratio" \
      "$(python3 -c "print(f'{$3 / $r:.0f}')")" "$(python3 -c "print(f'{$3 / $e:.0f}')")"
  else
    printf "%-44s %7s s %9s s %8s\n" "$2" "$r" "$e" "$ratio"
  fi
}
row seqwrite "1 GiB sequential write + fsync (dd bs=1M)" 1024
row seqread "1 GiB sequential read after remount" 1024
row create "20,000 small files: create + fsync"
row read "20,000 small files: read after remount"
row delete "20,000 small files: delete + fsync"
row tar "tar -x of $tree_files files + fsync"
echo "ratio = redoxfs time / ext4 time (below 1: redoxfs faster)"
