#!/usr/bin/env bash
# The side-by-side benchmark's two 4 KiB random phases on their own (not a test), with what the
# mount process spent: a quicker A/B than bench_compare.py for the random rows.
#
#   scripts/bench-random-phases.sh ours BIN_DIR     # our mount (BIN_DIR holds redoxfs, redoxfs-mkfs)
#   scripts/bench-random-phases.sh ext4             # fuse2fs over an ext4 image
#
# Steps, as bench_compare.py runs them: 512 MiB of random bytes written into `big` (dd,
# conv=fsync), unmount, caches dropped, mount; fio randread 4 KiB x5000 (psync, fixed seed), then
# fio randwrite 4 KiB x5000 at the same offsets + end_fsync. Prints each phase's wall time, the
# mount process's CPU seconds so far (user + system) and its read/written bytes (/proc/PID/io;
# they count from the mount's start). REDOX_OPTS adds mount options (e.g. "-o record_size=4k");
# WORK sets the work folder (default /var/tmp/bench-random). Run as root (FUSE, drop_caches).
set -euo pipefail
kind=${1:?usage: bench-random-phases.sh ours BIN_DIR | ext4}
bin=${2:-}
work=${WORK:-/var/tmp/bench-random}
img=$work/$kind.img
mnt=$work/mnt
mkdir -p "$mnt"
[ -f "$work/random.bin" ] || head -c 512M /dev/urandom > "$work/random.bin"
rm -f "$img"
truncate -s 4G "$img"
if [ "$kind" = ext4 ]; then
    mkfs.ext4 -q -F -O ^has_journal "$img"
    mount_command=(fuse2fs -f "$img" "$mnt" -o rw)
else
    "$bin/redoxfs-mkfs" "$img" > /dev/null
    # shellcheck disable=SC2206  # REDOX_OPTS is a list of words on purpose
    mount_command=("$bin/redoxfs" -f ${REDOX_OPTS:-} "$img" "$mnt")
fi
mount_up() {
    "${mount_command[@]}" >> "$work/$kind.log" 2>&1 &
    pid=$!
    while ! mountpoint -q "$mnt"; do sleep 0.05; done
}
mount_down() { umount "$mnt"; wait "$pid"; }
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$pid/stat"; }
io() { awk '/^read_bytes/{r=$2}/^write_bytes/{w=$2}END{printf "%dMB read/%dMB written", r/1e6, w/1e6}' "/proc/$pid/io"; }
cat "$work/random.bin" > /dev/null
mount_up
dd if="$work/random.bin" of="$mnt/big" bs=1M conv=fsync status=none
mount_down
sync
echo 3 > /proc/sys/vm/drop_caches
mount_up
fio_command=(fio --name=bench --filename="$mnt/big" --bs=4k --size=512M --io_size=$((5000 * 4096)) --ioengine=psync
    --randrepeat=1 --norandommap --invalidate=0 --output-format=terse)
t0=$(date +%s.%N)
"${fio_command[@]}" --rw=randread > /dev/null
t1=$(date +%s.%N); cpu1=$(cpu); io1=$(io)
"${fio_command[@]}" --rw=randwrite --end_fsync=1 > /dev/null
t2=$(date +%s.%N); cpu2=$(cpu); io2=$(io)
echo "$kind read $(echo "$t1 - $t0" | bc) s, cpu $cpu1 s, $io1 | write $(echo "$t2 - $t1" | bc) s, cpu $cpu2 s, $io2"
mount_down
