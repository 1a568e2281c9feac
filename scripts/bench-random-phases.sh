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
# they count from the mount's start), the CPU split into user/system, and with `perf` at hand the
# phase's counts: FUSE READs/WRITEs the kernel sent to this mount (tracepoint
# fuse:fuse_request_send) and block requests the mount process issued (block:block_rq_issue by its
# command name, and how many of them were larger than 64 KiB: readahead; what a kernel worker
# issues for it is not counted). REDOX_OPTS adds mount options (e.g. "-o record_size=4k"); WORK sets the work folder
# (default /var/tmp/bench-random). Run as root (FUSE, drop_caches).
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
cpu() { awk '{printf "%.2f s (user %.2f)", ($14 + $15) / 100, $14 / 100}' "/proc/$pid/stat"; }
# Runs fio (arguments: its options) under `perf stat` when perf can count the FUSE tracepoint;
# sets `counts` to the phase's FUSE READs and WRITEs of the mount and its block requests (empty
# without perf).
can_count=false
if command -v perf > /dev/null && perf stat -a -e fuse:fuse_request_send -- true > /dev/null 2>&1; then can_count=true; fi
counted() {
    counts=
    if $can_count; then
        local connection comm
        connection=$(stat -c %d "$mnt")  # a FUSE mount's device has major 0: the kernel's dev_t is its minor
        comm=$(cat "/proc/$pid/comm")
        perf stat -a -x, -o "$work/counts.txt" -e fuse:fuse_request_send --filter "opcode == 15 && connection == $connection" \
            -e fuse:fuse_request_send --filter "opcode == 16 && connection == $connection" \
            -e block:block_rq_issue --filter "comm == \"$comm\"" \
            -e block:block_rq_issue --filter "comm == \"$comm\" && bytes > 65536" -- "$@" > /dev/null
        counts=$(awk -F, '!/^#/ && NF > 2 {v[++n] = $1}
            END {printf ", %d READs, %d WRITEs, %d block requests (%d over 64 KiB)", v[1], v[2], v[3], v[4]}' "$work/counts.txt")
    else
        "$@" > /dev/null
    fi
}
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
counted "${fio_command[@]}" --rw=randread
t1=$(date +%s.%N); cpu1=$(cpu); io1=$(io); counts1=$counts
counted "${fio_command[@]}" --rw=randwrite --end_fsync=1
t2=$(date +%s.%N); cpu2=$(cpu); io2=$(io); counts2=$counts
echo "$kind read $(echo "$t1 - $t0" | bc) s, cpu $cpu1, $io1$counts1 | write $(echo "$t2 - $t1" | bc) s, cpu $cpu2, $io2$counts2"
mount_down
