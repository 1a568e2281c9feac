#!/usr/bin/env bash
# Boot test of live mode and of the loader's failure paths, on the pipeline's images:
# `repo cook` of installer/config/redox-swift-live-test.toml (the encrypted system plus the
# livetest package; all but livetest cached when scripts/boot-image-test.sh ran before), then
# `redox-installer`:
#   1. live: the live-test system (encrypted) made with `--live` (the ESP gets bootloader-live.efi,
#      the loader's -live build, spec §7) boots in QEMU (TCG, OVMF) with the password typed on the
#      serial port; the loader copies the whole RedoxFS volume into memory (`live: i/n MiB`), the
#      kernel starts, lived serves `disk.live`, the redoxfs daemon mounts the root from
#      disk.live:0 and init continues from the root's /usr/lib/init.d: livetest (10_livetest)
#      checks disk.live from inside: the RedoxFS header's UUID read through disk.live:0 is
#      REDOXFS_UUID, REDOXFS_BLOCK is 0, the disk reads to its end with the digest of the image's
#      partition, a write reads back while the loader's copy keeps the old bytes, and the original
#      bytes are put back; then rootcheck (90_rootcheck) lists /, writes its file on the root in
#      RAM and powers off. On the host the image's SHA-256 is the same before and after the boot
#      (nothing reached the disk).
#   2. live with too little memory (96 MiB): the loader refuses with a clear message.
#   3. ten wrong passwords: each re-prompts with the attempt count, then a clear end.
#   4. the plain image with its header ring zeroed: a clear "no RedoxFS volume" message.
#   5. the plain image (ordinary loader) with a block of the kernel file corrupted, `l` typed on
#      the mode screen: live mode is switched on, the volume copied, and the loader names the file
#      and the corrupt block (read from the copy, checked as from the disk).
# None may fault (no `internal error`, no kernel output). Prints one line per check and
# `N passed, N failed`; KEEP_WORK=1 keeps the logs. Timeouts are hang guards only.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/shell-common.sh"
cd "$root"

ensure_packages qemu-system-x86 ovmf bubblewrap python3 || { say "cannot install the test's packages"; exit 1; }

use_work_folder boot-live-test

config=installer/config/redox-swift.toml
encrypted_config=installer/config/redox-swift-encrypted.toml
live_config=installer/config/redox-swift-live-test.toml
password="$(sed -n 's/^encrypt_disk *= *"\(.*\)"$/\1/p' "$encrypted_config")"

for product in repo redox-installer; do
    swift build --product "$product" >"$work/build-$product.log" 2>&1 || fail_step "swift build --product $product" "$work/build-$product.log"
done
bin="$root/.build/debug"

start=$(milliseconds)
"$bin/repo" cook --filesystem="$live_config" >"$work/cook.log" 2>&1 || fail_step "repo cook" "$work/cook.log"
say "repo cook: $(grep -c ' - successful' "$work/cook.log") built, $(grep -c ' - cached' "$work/cook.log") cached in $(seconds $(($(milliseconds) - start))) s"

"$bin/redox-installer" --cookbook . -c "$live_config" --live --no-progress "$work/live.img" >"$work/install-live.log" 2>&1
check "redox-installer --live makes the encrypted live image (with livetest)" test $? -eq 0
"$bin/redox-installer" --cookbook . -c "$config" --no-progress "$work/plain.img" >"$work/install-plain.log" 2>&1
check "redox-installer makes the plain image" test $? -eq 0
[[ -f "$work/live.img" && -f "$work/plain.img" ]] || { cat "$work"/install-*.log; say "$passed passed, $((failed + 1)) failed"; exit 1; }

console=""
count() { grep -cE -- "$1" "$console"; }
consoles=()
boot_times=()

# boot NAME IMAGE [--memory MIB] -- PASSWORD...: boots through scripts/qemu.sh answering the prompts.
boot() {
    local name="$1" image="$2"; shift 2
    local options=()
    while (($#)) && [[ "$1" != -- ]]; do options+=("$1"); shift; done
    (($#)) && shift
    printf '%s\n' "$@" >"$work/$name.passwords"
    local start status=0
    start=$(milliseconds)
    scripts/qemu.sh "${options[@]}" --password-file "$work/$name.passwords" --log "$work/$name.log" "$image" >"$work/$name.out" 2>&1 || status=$?
    boot_time=$(($(milliseconds) - start))
    boot_times+=("$name $(seconds "$boot_time") s")
    console="$work/$name.txt"
    clean_log "$work/$name.log" >"$console"
    boot_status=$status
    consoles+=("$console")
}

# no_fault NAME: the loader ended with its own message, nothing faulted, the kernel never ran.
no_fault() {
    check "$1: no fault (no internal error, the kernel never starts), QEMU stopped on the message" \
        eval 'lacks "internal error|exception|^kernel: " && has "Press any key to restart" && [[ $boot_status -ne 0 ]]'
}

# 1. Live boot.
digest_before="$(sha256sum "$work/live.img" | cut -d' ' -f1)"
boot live "$work/live.img" -- "$password"
live_time=$boot_time
check "live: the loader's -live build starts in live mode" has "^Redox OS Bootloader .* on x86_64/UEFI"
check "live: the password unlocks the root" before "^RedoxFS password \(1/10\)" "^RedoxFS [0-9a-f-]{36}: [0-9]+ MiB"
check "live: the whole volume is copied into memory with a progress line" \
    eval 'has "live: [0-9]+/[0-9]+ MiB" && has "^live: RedoxFS volume in memory at 0x[0-9a-f]+, [0-9]+ MiB"'
check "live: the kernel and initfs are then read from memory" \
    before "^live: RedoxFS volume in memory" "usr/lib/boot/initfs: "
check "live: the kernel starts" has "^kernel: memory: [0-9]+ MiB usable"
check "live: lived maps the loader's copy and serves disk.live" \
    eval 'has "^lived: disk\.live: [0-9]+ MiB \([0-9]+ bytes\) from physical 0x[0-9a-f]+, writes kept in RAM" &&
          has "^kernel: scheme disk\.live registered by lived"'
uuid=$(grep -oE "^RedoxFS [0-9a-f-]{36}" "$console" | head -n1 | cut -d' ' -f2)
check "live: redoxfs mounts the volume the loader booted from (UUID ${uuid:-none}) from disk.live:0 as file" \
    before "^redoxfs: mounted volume ${uuid:-none} \(.*, encrypted\) from /scheme/disk\.live/0 as file: \(read-write\)$" "^init: scheme file ready"
check "live: init continues from the root's /usr/lib/init.d" \
    before "^init: scheme file ready" "^init: continuing from the root file system \([0-9]+ units\)"
check "live: livetest runs from the root (10_livetest), before rootcheck" \
    eval 'before "^init: continuing from the root file system" "^livetest: live boot: " &&
          before "^livetest: [0-9]+ passed, [0-9]+ failed" "^rootcheck: running as /usr/bin/rootcheck$"'
check "live: REDOXFS_BLOCK is 0000000000000000" has "^livetest: ok: REDOXFS_BLOCK is 0000000000000000"
check "live: disk.live lists disk 0; fstat gives DISK_LIVE_SIZE; fpath" \
    eval 'has "^livetest: ok: the disk.live listing is disk 0" && has "^livetest: ok: fstat of disk.live:0 gives a block device of DISK_LIVE_SIZE" &&
          has "^livetest: ok: fpath is /scheme/disk.live/0"'
check "live: the RedoxFS header read through disk.live:0 has the UUID of REDOXFS_UUID" \
    eval 'has "^livetest: ok: the RedoxFS UUID read through disk.live:0 is REDOXFS_UUID \([0-9a-f-]{36}\)"'
check "live: the loader's UUID line and the one read through disk.live agree" \
    eval '[[ -n "$(grep -oE "^RedoxFS [0-9a-f-]{36}" "$console" | cut -c9-)" ]] &&
          grep -q "uuid $(grep -oE "^RedoxFS [0-9a-f-]{36}" "$console" | head -n1 | cut -c9-)" "$console"'
check "live: disk.live:0 reads to its end" has "^livetest: ok: reading disk.live:0 to its end gives its size"
# The digest of the whole disk.live:0, read by livetest with the root mounted from it, against the
# image's RedoxFS partition (the copy is the on-disk bytes, still encrypted): the loader copied
# the volume exactly, the kernel handed none of its frames out, and the daemon wrote nothing
# while mounting and reading.
live_size="$(grep -oE "^livetest: live boot: the loader's copy at 0x[0-9a-f]+, [0-9]+ bytes" "$console" | grep -oE "[0-9]+ bytes" | cut -d' ' -f1)"
live_digest="$(grep -oE "^livetest: digest of disk.live:0 \(FNV-1a, 64-bit words\): 0x[0-9a-f]+" "$console" | grep -oE "0x[0-9a-f]+$")"
image_digest="$(python3 - "$work/live.img" "${live_size:-0}" <<'PY'
import struct, sys
size = int(sys.argv[2])
with open(sys.argv[1], "rb") as image:
    image.seek(2 << 20)
    data = image.read(size)
digest = 0xCBF29CE484222325
for (word,) in struct.iter_unpack("<Q", data[: len(data) // 8 * 8]):
    digest = ((digest ^ word) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
print(hex(digest) if size > 0 and len(data) == size else "")
PY
)"
check "live: disk.live:0 after the boot holds exactly the image's RedoxFS partition (digest ${live_digest:-none})" \
    eval '[[ -n "$live_digest" && "$live_digest" == "$image_digest" ]]'
check "live: a write to disk.live reads back, its neighbours intact" \
    eval 'has "^livetest: ok: the write reads back through disk.live:0" && has "^livetest: ok: the bytes around the write are unchanged"'
check "live: the loader's copy keeps the old bytes (the write is in lived's RAM overlay)" \
    has "^livetest: ok: the loader's copy \(memory:physical\) still holds the old bytes"
check "live: memory:physical refuses a range past the Reserved areas" has "^livetest: ok: memory:physical refuses"
check "live: the original bytes are written back and read back" has "^livetest: ok: the original bytes are written back and read back"
check "live: livetest has no failure" has "^livetest: [0-9]+ passed, 0 failed"
check "live: rootcheck lists the root, reads /etc/hostname, writes and syncs its file (in RAM)" \
    eval 'has "^rootcheck: / holds: .*etc.*home.*usr" && has "^rootcheck: /etc/hostname: redox-swift$" &&
          has "^rootcheck: wrote and synced /home/user/rootcheck.txt: rootcheck boot 1$"'
check "live: no kernel panic, power-off (QEMU status 33)" \
    eval 'lacks "kernel panic|kernel: halted" && has "^kernel: power off" && [[ $boot_status -eq 0 ]]'
digest_after="$(sha256sum "$work/live.img" | cut -d' ' -f1)"
check "live: the image file is unchanged by the boot (SHA-256 $digest_before)" test "$digest_before" = "$digest_after"
live_figure="$(grep -oE "^livetest: read and digested [0-9]+ MiB through disk.live in [0-9]+ ms" "$console" | head -n1)"

# 2. Live mode with too little memory for the volume.
boot small-memory "$work/live.img" --memory 96 -- "$password"
check "live, 96 MiB of RAM: the loader refuses live mode with a clear message" \
    has "^BOOTLOADER ERROR: live: not enough memory for live mode: the RedoxFS volume needs [0-9]+ MiB"
no_fault "live, 96 MiB of RAM"

# 3. Ten wrong passwords.
wrong=()
for attempt in $(seq 1 10); do wrong+=("wrong horse $attempt"); done
boot wrong-passwords "$work/live.img" -- "${wrong[@]}"
check "wrong passwords: prompted ten times with the attempt count (1/10 … 10/10)" \
    eval '[[ $(count "^RedoxFS password \([0-9]+/10\)") -eq 10 ]] && before "^RedoxFS password \(1/10\)" "^RedoxFS password \(10/10\)"'
check "wrong passwords: each is reported with the attempts left" \
    eval 'has "^RedoxFS: wrong password \(attempt 1 of 10, 9 left\)" && has "^RedoxFS: wrong password \(attempt 10 of 10, 0 left\)"'
check "wrong passwords: a clear end after the last attempt" \
    has "^BOOTLOADER ERROR: RedoxFS out of unlock attempts: 10 wrong passwords"
no_fault "wrong passwords"

# 4. Header ring zeroed (256 blocks at 2 MiB).
cp "$work/plain.img" "$work/no-header.img"
dd if=/dev/zero of="$work/no-header.img" bs=4096 seek=512 count=256 conv=notrunc status=none
boot no-header "$work/no-header.img" --
check "zeroed header ring: the loader says no RedoxFS volume was found" \
    has "^BOOTLOADER ERROR: Failed to open RedoxFS: no RedoxFS volume found on any disk"
no_fault "zeroed header ring"

# 5. A block of the kernel file corrupted: the 4 KiB block of the RedoxFS partition where the
#    kernel's record starts (records may be LZ4-compressed: the ELF magic within the block's first
#    16 bytes, followed within 64 bytes by the ff ff ff ff of an entry at KERNEL_OFFSET — user
#    programs of the initfs are linked low).
cp "$work/plain.img" "$work/bad-kernel.img"
kernel_block="$(python3 - "$work/bad-kernel.img" <<'PY'
import sys
found = []
with open(sys.argv[1], "rb") as image:
    image.seek(2 << 20)
    block = 0
    while True:
        data = image.read(4096)
        if len(data) < 4096:
            break
        at = data.find(b"\x7fELF\x02", 0, 21)
        if at >= 0 and b"\xff\xff\xff\xff" in data[at:at + 64]:
            found.append(block)
        block += 1
print(found[0] if len(found) == 1 else "")
PY
)"
check "damaged kernel: the kernel's first block is found in the plain image" test -n "$kernel_block"
if [[ -n "$kernel_block" ]]; then
    printf 'damaged' | dd of="$work/bad-kernel.img" bs=1 seek=$(((2 << 20) + kernel_block * 4096 + 2048)) conv=notrunc status=none
    boot bad-kernel "$work/bad-kernel.img" --mode-keys l --
    check "ordinary loader: live mode off, then on with l on the mode screen, and the volume copied" \
        eval 'before "^Live mode: off \(l toggles\)" "^Live mode: on$" && before "^Live mode: on$" "^live: RedoxFS volume in memory"'
    check "damaged kernel: the loader names the file and the corrupt block" \
        has "^BOOTLOADER ERROR: Failed to read usr/lib/boot/kernel: record at block [0-9]+ is corrupt \(hash mismatch\)"
    no_fault "damaged kernel"
fi

say ""
say "live boot (QEMU start to power-off, password typed) $(seconds "$live_time") s; ${live_figure:-no read figure}"
say "boots (QEMU start to power-off or to the loader's message): ${boot_times[*]}"
if ((failed > 0)); then
    for file in "${consoles[@]}"; do
        say "console $(basename "$file") (last 30 lines):"
        grep -v '^\s*$' "$file" | tail -n 30 | sed 's/^/    | /'
    done
fi
say "$passed passed, $failed failed"
((failed == 0))
