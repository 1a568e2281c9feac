#!/usr/bin/env bash
# Instruction counts of the FUSE mount process for one workload (not a test): the figure that
# decides when wall times are too noisy (a busy machine). Setup runs outside valgrind; the mount
# that serves the workload runs under `valgrind --tool=callgrind`, and the count covers mount,
# workload, final commit and exit. Compare two builds by running it once with each BIN_DIR.
#
#   scripts/bench-callgrind.sh BIN_DIR WORKLOAD [OUT_FILE]
#
# WORKLOAD: seqwrite (64 MiB + fsync), seqread (64 MiB after a remount), randwrite (64 MiB, then
# 1,024 random 4 KiB writes + fsync, fio), randread (64 MiB after a remount, then 1,024 random
# 4 KiB reads, fio), create (2,000 small files), createfsync (300 small
# files, fsync each), stat, read (2,000 files after a remount), staleread (the same with atimes
# set back, so that relatime writes every atime), delete, deletefsync (300 small files, the
# directory fsynced after each unlink: one commit each), untar (/usr/include/linux), readdelete
# (stat, read, then delete the files in one mount, as bench_compare.py does; the count printed
# is the delete part alone, from a callgrind dump before and after it).
# REDOXFS_MOUNT_OPTIONS="--commit-interval 0" keeps the commit timer out of the count (under
# valgrind a run is ~50x slower, so the timer commits far more often than in a real run).
# BIN_DIR holds `redoxfs` (and `redoxfs-mkfs`, else this checkout's .build/release one).
# REDOXFS_MOUNT_OPTIONS adds options to every mount, e.g. "-o record_size=4k".
# REDOXFS_BENCH_ENCRYPTED=1 makes and mounts an encrypted image (XTS-AES-128, a fixed password);
# the counters are zeroed once the mount is up, so the count printed leaves out the password's
# Argon2id (unlocking), and covers workload, final commit and exit.
# REDOXFS_BENCH_FILES sets the file count of create, stat, read, staleread and delete (default
# 2,000; in directories of 200, as bench_compare.py makes them).
# Needs valgrind, fio, python3, strip (binutils); run as root.
set -euo pipefail
count=${REDOXFS_BENCH_FILES:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$1" && pwd); workload=$2; out=${3:-callgrind.$workload.out}
mkfs=$bin/redoxfs-mkfs; [ -x "$mkfs" ] || mkfs=$root/.build/release/redoxfs-mkfs
work=$(mktemp -d /var/tmp/redoxfs-callgrind.XXXXXX)
daemon=""
cleanup() {
  if mountpoint -q "$work/mnt"; then umount "$work/mnt" || true; fi
  if [ -n "$daemon" ]; then wait "$daemon" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/mnt"
truncate -s 1G "$work/image"
password=()
if [ "${REDOXFS_BENCH_ENCRYPTED:-0}" = 1 ]; then
  printf 'bench-callgrind password' > "$work/password"
  password=(--password-file "$work/password")
fi
"$mkfs" "${password[@]}" "$work/image" > /dev/null
head -c 67108864 /dev/urandom > "$work/random.bin"
files() { python3 -c "import sys; sys.path.insert(0, '$root/scripts'); import bench_compare as b; $1"; }
# valgrind 3.19 (Debian 12) gives up on the DWARF of Swift 6.3's binaries ("debuginfo reader:
# Possibly corrupted debuginfo file"): under valgrind the mount runs as a copy without its debug
# sections (its symbol table stays, so the profile keeps its function names).
strip --strip-debug -o "$work/redoxfs-nodebug" "$bin/redoxfs"
mount_fs() {  # $@: command prefix (empty or valgrind)
  local program=$bin/redoxfs
  if [ $# -gt 0 ]; then program=$work/redoxfs-nodebug; fi
  # shellcheck disable=SC2086 # the options split into words on purpose
  "$@" "$program" -f "${password[@]}" ${REDOXFS_MOUNT_OPTIONS:-} "$work/image" "$work/mnt" 2> "$work/mount.log" &
  daemon=$!
  for _ in $(seq 1200); do mountpoint -q "$work/mnt" && return 0; sleep 0.1; done
  echo "the mount did not come up"; cat "$work/mount.log"; exit 1
}
unmount_fs() { umount "$work/mnt"; wait "$daemon"; daemon=""; }

case $workload in
  deletefsync) mount_fs; mkdir "$work/mnt/s"; files "b.small_files('$work/mnt/s', 300, 'create')"; unmount_fs ;;
  stat|read|delete|readdelete) mount_fs; mkdir "$work/mnt/s"; files "b.small_files('$work/mnt/s', $count, 'create')"; unmount_fs ;;
  staleread)
    mount_fs; mkdir "$work/mnt/s"; files "b.small_files('$work/mnt/s', $count, 'create')"
    find "$work/mnt/s" -type f -exec touch -a -d 2020-01-01 {} +; unmount_fs ;;
  seqread|randread) mount_fs; dd if="$work/random.bin" of="$work/mnt/big" bs=1M conv=fsync status=none; unmount_fs ;;
  untar) tar -C /usr/include -cf "$work/tree.tar" linux ;;
esac

mount_fs valgrind --tool=callgrind --callgrind-out-file="$out"
if [ ${#password[@]} -gt 0 ]; then  # leave the unlock out
  if ! callgrind_control -z "$daemon" > /dev/null 2>&1; then
    echo "bench-callgrind.sh: could not zero the counters after the unlock (callgrind_control -z)" >&2; exit 1
  fi
fi
case $workload in
  seqwrite) dd if="$work/random.bin" of="$work/mnt/big" bs=1M conv=fsync status=none ;;
  seqread) dd if="$work/mnt/big" of=/dev/null bs=1M status=none ;;
  randread)
    fio --name=x --filename="$work/mnt/big" --rw=randread --bs=4k --size=64M --io_size=4M --ioengine=psync \
      --randrepeat=1 --norandommap --invalidate=0 > /dev/null ;;
  randwrite)
    dd if="$work/random.bin" of="$work/mnt/big" bs=1M status=none
    fio --name=x --filename="$work/mnt/big" --rw=randwrite --bs=4k --size=64M --io_size=4M --ioengine=psync \
      --randrepeat=1 --norandommap --invalidate=0 --end_fsync=1 > /dev/null ;;
  create) mkdir "$work/mnt/s"; files "b.small_files('$work/mnt/s', $count, 'create')" ;;
  createfsync) mkdir "$work/mnt/s"; files "b.small_files('$work/mnt/s', 300, 'create', fsync_each=True)" ;;
  stat) files "b.small_files('$work/mnt/s', $count, 'stat')" ;;
  read|staleread) files "b.small_files('$work/mnt/s', $count, 'read')" ;;
  delete) files "b.small_files('$work/mnt/s', $count, 'delete')" ;;
  deletefsync) files "b.small_files('$work/mnt/s', 300, 'delete', fsync_each=True)" ;;
  readdelete)
    files "b.small_files('$work/mnt/s', $count, 'stat')"; files "b.small_files('$work/mnt/s', $count, 'read')"
    callgrind_control -d "$daemon" > /dev/null 2>&1  # part 1: stat and read
    files "b.small_files('$work/mnt/s', $count, 'delete')"
    callgrind_control -d "$daemon" > /dev/null 2>&1  # part 2: the deletes and their fsync
    ;;
  untar) mkdir "$work/mnt/t"; tar -xf "$work/tree.tar" -C "$work/mnt/t"; files "b.fsync_path('$work/mnt/t')" ;;
  *) echo "unknown workload $workload"; exit 16 ;;
esac
unmount_fs
if [ "$workload" = readdelete ]; then
  sed -n "s/^totals: /readdelete: instructions of the delete part /p" "$out.2"
elif [ ${#password[@]} -gt 0 ]; then
  sed -n "s/^totals: /$workload (encrypted): instructions after the unlock /p" "$out"
else
  grep -o "Collected : [0-9]*" "$work/mount.log" | sed "s/Collected :/$workload: instructions/"
fi
