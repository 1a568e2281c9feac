#!/bin/bash
# Boot test of the UEFI loader under QEMU (TCG) with OVMF.
#
#   bootloader/boot-test.sh
#
# Builds the loader and the hand-off probe kernel, makes RedoxFS images, boots each case with
# QEMU, feeds passwords on the serial port and asserts on what the serial console shows. Prints
# one line per case and a closing `N passed, N failed` (plus the skipped cases); exits non-zero on
# any failure. Every QEMU run is bounded by a timeout.
#
# Every disk is made by `redox-installer` (REDOX_INSTALLER, else ours from .build*/ or PATH, else
# built here) from a configuration that installs the loader, the probe kernel and an initfs as
# files: GPT, our FAT ESP (checked with fsck.fat, mdir and sgdisk -v), RedoxFS written by the
# engine, plain or encrypted. The fixture images of ../shared are put into an installer disk's
# REDOX partition (they hold no kernel, so the loader must say so). KEEP_WORK=1 keeps the work
# folder with the serial logs.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
source "$root/scripts/shell-common.sh"
fixtures="$root/../shared/fixtures/redoxfs-0.9.1"
password="correct horse"
boot_timeout=${BOOT_TIMEOUT:-180}  # a hang guard, not a speed check



ensure_packages qemu-system-x86 ovmf mtools dosfstools gdisk zstd || { say "cannot install the test's packages"; exit 1; }

"$here/build.sh" --kernel || { say "build failed"; say "0 passed, 1 failed"; exit 1; }
build="$here/build"
tools="$build/bootloader-tools"

work="$(mktemp -d /tmp/bootloader-test.XXXXXX)"
qemu_pid=""
cleanup() {
    [[ -n "$qemu_pid" ]] && kill "$qemu_pid" 2>/dev/null
    [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[[ -f "$ovmf_code" ]] || { ovmf_code=/usr/share/OVMF/OVMF_CODE.fd; ovmf_vars=/usr/share/OVMF/OVMF_VARS.fd; }

passed=0
failed=0
skipped=()

# ---------------------------------------------------------------------------------------------
# Images

# make_initfs OUT [MAGIC]: a small initfs image: a 4096-byte header page (magic, inode table
# offset, size, page size, root inode, inode count, bootstrap entry), one empty root directory
# inode, and a fake bootstrap page. Only the header matters to the loader and the probe.
make_initfs() {
    local out="$1" magic="${2:-RedoxFtw}"
    local size=$((3 * 4096 + 12))
    {
        printf '%s' "$magic"
        le 12288 4      # inode_table_offset
        le "$size" 8    # initfs_size
        le 4096 2       # page_size
        le 0 2          # root_inode
        le 1 2          # inode_count
        le $((0x2000 + 0x40)) 8  # bootstrap_entry
    } >"$out"
    truncate -s 4096 "$out"
    printf '\x7fELF' >>"$out"
    truncate -s 12288 "$out"
    { le 2 4; le 0 4; le 12288 4; } >>"$out"   # root: a directory with no entries
}

# le VALUE BYTES: VALUE as BYTES little-endian bytes.
le() {
    local value=$1 bytes=$2 i
    for ((i = 0; i < bytes; i++)); do
        printf "\\x$(printf %02x $(((value >> (8 * i)) & 255)))"
    done
}

# The image builder: redox-installer (REDOX_INSTALLER if set, else ours from a build folder or
# PATH, else built here). Every disk is made by it: GPT, our FAT ESP, RedoxFS written by the engine.
redox_installer="${REDOX_INSTALLER:-}"
if [[ -z "$redox_installer" ]]; then
    for candidate in "$root"/.build/debug/redox-installer "$root"/.build*/debug/redox-installer \
        "$root"/.build*/release/redox-installer "$(command -v redox-installer 2>/dev/null)"; do
        [[ -n "$candidate" && -x "$candidate" ]] && { redox_installer="$candidate"; break; }
    done
fi
if [[ -z "$redox_installer" ]]; then
    say "building redox-installer"
    (cd "$root" && swift build --product redox-installer >/dev/null 2>&1) || { say "cannot build redox-installer"; say "0 passed, 1 failed"; exit 1; }
    redox_installer="$root/.build/debug/redox-installer"
fi

# make_disk OUT FOLDER [PASSWORD] [--skip-partition]: a 32 MiB disk made by redox-installer from a
# configuration that installs the loader (usr/lib/boot/bootloader.efi, which the installer puts on
# the ESP as EFI/BOOT/BOOTX64.EFI) and every file of FOLDER/usr/lib/boot as files; encrypted
# with PASSWORD when it is not empty.
make_disk() {
    local out="$1" folder="$2" secret="${3:-}" extra="${4:-}" config="$1.toml"
    rm -f "$out"
    {
        printf '[general]\nprompt = false\nfilesystem_size = 32\n'
        [[ -n "$secret" ]] && printf 'encrypt_disk = "%s"\n' "$secret"
        printf '\n[[files]]\npath = "/usr/lib/boot/bootloader.efi"\ndata = ""\nsource = "%s"\n' "$build/BOOTX64.EFI"
        for file in "$folder"/usr/lib/boot/*; do
            [[ -f "$file" ]] && printf '\n[[files]]\npath = "/usr/lib/boot/%s"\ndata = ""\nsource = "%s"\n' "$(basename "$file")" "$file"
        done
    } >"$config"
    SOURCE_DATE_EPOCH=1700000000 "$redox_installer" --no-progress -c "$config" $extra "$out" >"$out.log" 2>&1 ||
        { say "redox-installer failed:"; cat "$out.log"; return 1; }
}

# fixture NAME OUT: a decompressed fixture image.
fixture() {
    zstd -q -d -f "$fixtures/$1.img.zst" -o "$2"
}

# esp_of DISK OUT: the ESP (1 MiB at 1 MiB) of an installer disk as a drive of its own.
esp_of() {
    dd if="$1" of="$2" bs=1M skip=1 count=1 status=none
}

# whole_disk OUT VOLUME: a disk without partition table, RedoxFS at byte 2 MiB.
whole_disk() {
    rm -f "$1"
    truncate -s 2M "$1" && cat "$2" >>"$1"
}

# check_disk NAME DISK: our ESP passes fsck.fat and mtools, sgdisk finds the GPT clean.
check_disk() {
    local name="$1" disk="$2" problems=""
    esp_of "$disk" "$work/$name-esp.img"
    fsck.fat -n "$work/$name-esp.img" >"$work/$name-fsck.log" 2>&1 || problems+=" fsck.fat($(tail -n 3 "$work/$name-fsck.log" | tr '\n' ' '))"
    mdir -i "$disk@@1M" ::/EFI/BOOT >"$work/$name-mdir.log" 2>&1 && grep -q "BOOTX64 *EFI" "$work/$name-mdir.log" ||
        problems+=" mdir($(tr '\n' ' ' <"$work/$name-mdir.log"))"
    mtype -i "$disk@@1M" ::/EFI/BOOT/BOOTX64.EFI 2>/dev/null | cmp -s - "$build/BOOTX64.EFI" || problems+=" mtype(loader differs)"
    sgdisk -v "$disk" >"$work/$name-sgdisk.log" 2>&1 && grep -q "No problems found" "$work/$name-sgdisk.log" ||
        problems+=" sgdisk($(tr '\n' ' ' <"$work/$name-sgdisk.log"))"
    [[ -z "$problems" ]] || { say "    $problems"; return 1; }
}

# ---------------------------------------------------------------------------------------------
# QEMU

seconds() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

log=""
clean_log() {
    sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\r/\n/g' "$log" 2>/dev/null
}

# boot NAME DRIVE... : starts QEMU with the drives (raw images, virtio) and the serial port on a
# pipe, then answers password prompts from the PASSWORDS array until the loader fails, the probe
# kernel exits, or the timeout ends. Sets `log`, `exit_status`, `kernel_time` and `unlock_times`.
boot() {
    local name="$1"; shift
    log="$work/$name.log"
    local input="$work/$name.in"
    rm -f "$input" "$log"
    mkfifo "$input"
    cp "$ovmf_vars" "$work/vars.fd"
    local drives=() index=0
    for image in "$@"; do
        drives+=(-drive "file=$image,format=raw,if=none,id=disk$index" -device "virtio-blk-pci,drive=disk$index,bootindex=$index")
        index=$((index + 1))
    done
    local start now
    start=$(milliseconds)
    timeout "$boot_timeout" qemu-system-x86_64 -machine q35 -accel tcg -m 512 -display none -no-reboot \
        -serial stdio -monitor none -net none \
        -drive "if=pflash,format=raw,readonly=on,file=$ovmf_code" -drive "if=pflash,format=raw,file=$work/vars.fd" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${drives[@]}" <"$input" >"$log" 2>&1 &
    qemu_pid=$!
    exec 3>"$input"

    local answered=0 sent_at=""
    kernel_time=""
    unlock_times=()
    while kill -0 "$qemu_pid" 2>/dev/null; do
        sleep 0.1
        now=$(milliseconds)
        local text
        text="$(clean_log)"
        if [[ -z "$kernel_time" ]] && grep -q "^kernel: started" <<<"$text"; then
            kernel_time=$(seconds $((now - start)))
        fi
        local prompts
        prompts=$(grep -o "RedoxFS password ([0-9]*/10)" <<<"$text" | wc -l)
        if [[ -n "$sent_at" ]] && { ((prompts > answered)) || grep -q "^RedoxFS [0-9a-f-]*: " <<<"$text"; }; then
            unlock_times+=("$(seconds $((now - sent_at)))")
            sent_at=""
        fi
        if ((prompts > answered && answered < ${#PASSWORDS[@]})); then
            printf '%s\r' "${PASSWORDS[$answered]}" >&3
            answered=$((answered + 1))
            sent_at=$now
        fi
        if grep -q "Press any key to restart\|The system is halted\|X64 Exception Type" <<<"$text"; then
            sleep 0.3
            kill "$qemu_pid" 2>/dev/null
        fi
    done
    wait "$qemu_pid"
    exit_status=$?
    qemu_pid=""
    exec 3>&-
}

# expect_lines PATTERN...: each extended regular expression matches a line of the log, in order.
expect_lines() {
    local text line=0 pattern found
    text="$(clean_log)"
    for pattern in "$@"; do
        found=$(tail -n "+$((line + 1))" <<<"$text" | grep -n -m1 -E -- "$pattern" | cut -d: -f1)
        if [[ -z "$found" ]]; then
            say "    missing (in order): $pattern"
            return 1
        fi
        line=$((line + found))
    done
}

# result NAME STATUS: records and prints a case's outcome; on failure shows the log's tail.
result() {
    if [[ "$2" -eq 0 ]]; then
        passed=$((passed + 1))
        say "PASS $1${3:+ ($3)}"
    else
        failed=$((failed + 1))
        say "FAIL $1"
        clean_log | grep -v '^\s*$' | tail -n 25 | sed 's/^/    | /'
    fi
}

# Lines every successful boot shows, up to the probe's verdict.
expect_handoff() {
    local uuid="$1" block="$2" size="${3:-29}"
    expect_lines "^Redox OS Bootloader .* on x86_64/UEFI" "^RedoxFS $uuid: $size MiB" \
        "usr/lib/boot/kernel: 1/1 MiB" "usr/lib/boot/initfs: 1/1 MiB" "^Exiting boot services" \
        "^kernel: started" "^kernel: kernel_size=0*$(printf %x "$(stat -c %s "$build/test-kernel.elf")")$" \
        "^kernel: stack_size=0000000000020000$" "^kernel: areas_size=0000000000006000$" \
        "^kernel: bootstrap_size=0000000000004000$" \
        "^kernel: environment begin" "^RSDP_ADDR=[0-9a-f]{16}$" "^RSDP_SIZE=[0-9a-f]{16}$" \
        "^REDOXFS_BLOCK=$block$" "^REDOXFS_UUID=$uuid$" "^kernel: environment end" \
        "^kernel: initfs magic=RedoxFtw .*initfs_size=12300 page_size=4096 .*bootstrap_entry=0000000000002040" \
        "^kernel: [0-9]+ checks passed, 0 failed" &&
        [[ $exit_status -eq 33 ]] || { say "    QEMU exit status $exit_status (33 = probe passed)"; return 1; }
}

# volume_uuid IMAGE [OFFSET]: the uuid of the RedoxFS header at OFFSET (default: 2 MiB, the
# installer's partition).
volume_uuid() {
    od -An -tx1 -j$((${2:-2097152} + 16)) -N16 "$1" | tr -d ' \n' | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/'
}

# ---------------------------------------------------------------------------------------------
# Cases

mkdir -p "$work/tree/usr/lib/boot" "$work/no-kernel/usr/lib/boot" "$work/bad-initfs/usr/lib/boot" "$work/empty/usr/lib/boot"
cp "$build/test-kernel.elf" "$work/tree/usr/lib/boot/kernel"
make_initfs "$work/tree/usr/lib/boot/initfs"
cp "$work/tree/usr/lib/boot/initfs" "$work/no-kernel/usr/lib/boot/initfs"
cp "$build/test-kernel.elf" "$work/bad-initfs/usr/lib/boot/kernel"
make_initfs "$work/bad-initfs/usr/lib/boot/initfs" "RedoxFtX"
say "using $redox_installer"

# Plain volume in the installer's GPT partition: found as the boot disk's partition.
if make_disk "$work/plain-disk.img" "$work/tree"; then
    uuid=$(volume_uuid "$work/plain-disk.img")
    check_disk plain "$work/plain-disk.img"
    result "installer disk: fsck.fat, mdir and sgdisk -v accept it" $?
    PASSWORDS=()
    boot plain "$work/plain-disk.img"
    expect_handoff "$uuid" 0000000000000000
    result "plain volume, GPT partition" $? "kernel after ${kernel_time:-?} s"
    plain_time=$kernel_time
else
    result "plain volume (image)" 1
fi
esp_of "$work/plain-disk.img" "$work/esp-only.img"

# An installer volume without partitions (--skip-partition) on a whole disk: found at 2 MiB.
make_disk "$work/plain.img" "$work/tree" "" --skip-partition && whole_disk "$work/plain-whole.img" "$work/plain.img"
uuid=$(volume_uuid "$work/plain.img" 0)
PASSWORDS=()
boot plain-whole "$work/esp-only.img" "$work/plain-whole.img"
expect_handoff "$uuid" 0000000000000200 32
result "plain volume, whole disk at 2 MiB" $?

# A volume without usr/lib/boot/kernel.
make_disk "$work/no-kernel-disk.img" "$work/no-kernel"
PASSWORDS=()
boot no-kernel "$work/no-kernel-disk.img"
expect_lines "^RedoxFS [0-9a-f-]+: 29 MiB" "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found" \
    "Press any key to restart"
result "missing kernel gives the loader's message" $?

# A volume whose initfs has a damaged magic.
make_disk "$work/bad-initfs-disk.img" "$work/bad-initfs"
PASSWORDS=()
boot bad-initfs "$work/bad-initfs-disk.img"
expect_lines "usr/lib/boot/kernel: 1/1 MiB" "BOOTLOADER ERROR: usr/lib/boot/initfs has invalid magic number" \
    "Press any key to restart"
result "damaged initfs gives the loader's message" $?

# Encrypted (encrypt_disk in the configuration).
if make_disk "$work/secret-disk.img" "$work/tree" "$password"; then
    uuid=$(volume_uuid "$work/secret-disk.img")
    check_disk secret "$work/secret-disk.img"
    result "encrypted installer disk: fsck.fat, mdir and sgdisk -v accept it" $?
    PASSWORDS=("$password")
    boot encrypted "$work/secret-disk.img"
    expect_handoff "$uuid" 0000000000000000 && expect_lines "^RedoxFS password \(1/10\): " \
        "^REDOXFS_PASSWORD_ADDR=[0-9a-f]{16}$" "^REDOXFS_PASSWORD_SIZE=000000000000000d$" \
        "^kernel: password bytes=$password$"
    result "encrypted volume" $? "kernel after ${kernel_time:-?} s, unlock ${unlock_times[0]:-?} s"
    encrypted_time=$kernel_time

    PASSWORDS=("wrong horse" "$password")
    boot wrong-then-right "$work/secret-disk.img"
    expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS password \(2/10\): " && expect_handoff "$uuid" 0000000000000000
    result "wrong password, then the right one" $?
else
    result "encrypted volume (image)" 1
fi

# Fixture volumes (made by upstream redoxfs 0.9.1; they hold no kernel).
# The fixture volume goes into the REDOX partition (at 2 MiB) of an installer disk holding only the loader.
fixture mkfs-empty "$work/empty.img" && make_disk "$work/empty-disk.img" "$work/empty" &&
    dd if="$work/empty.img" of="$work/empty-disk.img" bs=1M seek=2 conv=notrunc status=none
PASSWORDS=()
boot fixture-plain "$work/empty-disk.img"
expect_lines "^Redox OS Bootloader .* on x86_64/UEFI" "^RedoxFS a32ba6db-c688-432f-8f40-bd7297b39990: 16 MiB" \
    "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found" "Press any key to restart"
result "fixture mkfs-empty: kernel not found" $?

fixture mkfs-empty-encrypted "$work/empty-encrypted.img" && whole_disk "$work/empty-encrypted-disk.img" "$work/empty-encrypted.img"
PASSWORDS=("wrong horse" "$password")
boot fixture-encrypted "$work/esp-only.img" "$work/empty-encrypted-disk.img"
expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS password \(2/10\): " \
    "^RedoxFS 135e82be-aaf9-486b-97b9-a07bca0179af: 16 MiB" \
    "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found"
result "fixture mkfs-empty-encrypted: wrong then right password" $? \
    "Argon2id attempt ${unlock_times[0]:-?} s wrong, ${unlock_times[1]:-?} s right"

say ""
[[ -n "${plain_time:-}" ]] && say "time from QEMU start to the kernel's first line: plain ${plain_time} s${encrypted_time:+, encrypted ${encrypted_time} s}"
say "loader size: $(stat -c %s "$build/BOOTX64.EFI") bytes"
for reason in "${skipped[@]}"; do say "skipped: $reason"; done
say "$passed passed, $failed failed"
((failed == 0))
