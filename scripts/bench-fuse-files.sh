#!/usr/bin/env bash
# Benchmark (not a test): small files through two builds of the FUSE mount side by side, in
# alternating rounds on the same machine: create N small files (1 byte to 4 KiB, in 50
# directories), list + stat every one (readdir, then lstat of each name), read them, delete
# them. Prints, per phase and build, the median wall time and the daemon's CPU time (user +
# system, from /proc: steadier than wall time on a busy machine), and the ratio B/A.
#
#   scripts/bench-fuse-files.sh REDOXFS_A REDOXFS_AR REDOXFS_B [FILES] [ROUNDS]
#
# REDOXFS_A/B: the two `redoxfs` binaries; REDOXFS_AR: a `redoxfs-ar` that makes the empty image.
# Defaults: 5000 files, 3 rounds. Run as root (FUSE).
set -euo pipefail
bin_a=$1; ar=$2; bin_b=$3; files=${4:-5000}; rounds=${5:-3}
work=$(mktemp -d /var/tmp/redoxfs-files.XXXXXX)
mkdir -p "$work/mnt" "$work/empty"
daemon=""
cleanup() {
  if mountpoint -q "$work/mnt"; then umount -l "$work/mnt" || true; fi
  if [ -n "$daemon" ]; then kill "$daemon" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # clock ticks, user + system
ticks=$(getconf CLK_TCK)

phase_script='
import os, sys
action, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
dirs = [os.path.join(root, "d%02d" % d) for d in range(50)]
if action == "create":
    for d in dirs: os.mkdir(d)
    for i in range(n):
        with open(os.path.join(dirs[i % 50], "f%06d" % i), "wb") as f: f.write(b"x" * (1 + (i * 397) % 4096))
elif action == "stat":
    count = 0
    for d in dirs:
        for name in os.listdir(d):
            os.lstat(os.path.join(d, name)); count += 1
    assert count == n, count
elif action == "read":
    for i in range(n):
        with open(os.path.join(dirs[i % 50], "f%06d" % i), "rb") as f: assert len(f.read()) == 1 + (i * 397) % 4096
elif action == "delete":
    for i in range(n): os.unlink(os.path.join(dirs[i % 50], "f%06d" % i))
    for d in dirs: os.rmdir(d)
'

declare -A wall cpu_used
for round in $(seq 1 "$rounds"); do
  for label in A B; do
    bin=$bin_a; [ "$label" = B ] && bin=$bin_b
    rm -f "$work/fs.img"; truncate -s 1G "$work/fs.img"
    "$ar" "$work/fs.img" "$work/empty" > /dev/null
    "$bin" -f "$work/fs.img" "$work/mnt" 2> "$work/daemon.log" &
    daemon=$!
    for _ in $(seq 1 100); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
    mountpoint -q "$work/mnt" || { cat "$work/daemon.log"; exit 1; }
    for phase in create stat read delete; do
      [ "$phase" = read ] && echo 3 > /proc/sys/vm/drop_caches
      c0=$(cpu "$daemon"); t0=$(date +%s.%N)
      python3 -c "$phase_script" "$phase" "$work/mnt" "$files"
      # One commit at the end (fsync of the root: fsyncdir).
      if [ "$phase" = create ] || [ "$phase" = delete ]; then
        python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$work/mnt"
      fi
      t1=$(date +%s.%N); c1=$(cpu "$daemon")
      wall[$label,$phase]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') "
      cpu_used[$label,$phase]+="$(awk -v a="$c0" -v b="$c1" -v t="$ticks" 'BEGIN { printf "%.3f", (b - a) / t }') "
    done
    umount "$work/mnt"; wait "$daemon" || true; daemon=""
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf "%-8s %12s %12s %7s   %12s %12s %7s\n" phase "A wall s" "B wall s" "B/A" "A daemon s" "B daemon s" "B/A"
for phase in create stat read delete; do
  wa=$(echo "${wall[A,$phase]}" | median); wb=$(echo "${wall[B,$phase]}" | median)
  ca=$(echo "${cpu_used[A,$phase]}" | median); cb=$(echo "${cpu_used[B,$phase]}" | median)
  awk -v p="$phase" -v wa="$wa" -v wb="$wb" -v ca="$ca" -v cb="$cb" 'BEGIN {
    printf "%-8s %12.3f %12.3f %7.2f   %12.3f %12.3f %7.2f\n", p, wa, wb, (wa > 0 ? wb / wa : 0), ca, cb, (ca > 0 ? cb / ca : 0) }'
done
echo "($files files, $rounds rounds, median of each)"
